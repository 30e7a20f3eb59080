package dev.safeframe.android

import android.graphics.ImageFormat
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import dev.safeframe.DirectStreamFilter
import dev.safeframe.PixelFormat
import dev.safeframe.SafeFrameNativeException
import dev.safeframe.StreamCounters
import dev.safeframe.Verdict
import dev.safeframe.YuvPlane
import java.util.concurrent.Executor
import android.graphics.PixelFormat as AndroidPixelFormat

/**
 * A CameraX [ImageAnalysis.Analyzer] that runs SafeFrame's stream filter on every frame, in
 * place in the camera's own buffers (no copy), and reports each verdict to [listener] through
 * [callbackExecutor] (pass [SafeFrameOverlay.mainThreadExecutor] or `ContextCompat.getMainExecutor`
 * to get verdicts on the main thread).
 *
 * ```kotlin
 * val analysis = ImageAnalysis.Builder()
 *     .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
 *     .build()
 * analysis.setAnalyzer(cameraExecutor, SafeFrameAnalyzer(stream, overlay.mainThreadExecutor, overlay))
 * ```
 *
 * Formats: `YUV_420_888` (CameraX's default; its three planes with their row and pixel strides
 * go to [DirectStreamFilter.processYuv420888]) and `RGBA_8888`
 * (`ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888`; plane 0 with its row stride goes to
 * [DirectStreamFilter.process]). The image's `rotationDegrees` and timestamp are passed on, so the
 * model sees the upright frame and the stream filter can pace itself on camera time.
 *
 * The proxy is always closed (in `finally`), whatever happens. `analyze` runs on the executor
 * CameraX was given (a background thread); one inference at a time. A model failure is not an
 * error here: the stream filter turns it into a BLOCK verdict (unless it was made fail-open),
 * delivered to [Listener.onVerdict]. An error (a closed filter, an unsupported format, a
 * malformed frame) goes to [Listener.onError], which every listener must handle (fail-closed:
 * hide the preview); the frame is still closed and the analyzer keeps running. This class does
 * not own [filter]: close it after `ImageAnalysis.clearAnalyzer()`.
 */
class SafeFrameAnalyzer @JvmOverloads constructor(
    private val filter: DirectStreamFilter,
    private val callbackExecutor: Executor,
    private val listener: Listener,
    /** Camera samples span 0–255 (JFIF) rather than 16–235; CameraX YUV output is usually limited range. */
    private val fullRange: Boolean = false,
) : ImageAnalysis.Analyzer {

    /** Receives the outcome of each analysed frame on the callback executor. */
    interface Listener {
        /** The stream filter's verdict for the frame captured at [timestampNanos] (camera clock). */
        fun onVerdict(verdict: Verdict, timestampNanos: Long)

        /**
         * The frame could not be checked (no verdict exists for it). Fail closed: hide the
         * preview until the next verdict. Deliberately without a default, so no listener
         * ignores it by accident.
         */
        fun onError(error: Exception)
    }

    /** The stream filter's counters (frames seen, classified, blurred, blocked, errors, …). */
    val counters: StreamCounters
        get() = filter.counters

    override fun analyze(image: ImageProxy) {
        val timestamp: Long
        val verdict: Verdict
        try {
            val info = image.imageInfo
            timestamp = info.timestamp
            verdict = check(image, info.rotationDegrees, timestamp)
        } catch (e: Exception) {
            deliverError(e)
            return
        } finally {
            image.close()
        }
        try {
            callbackExecutor.execute { listener.onVerdict(verdict, timestamp) }
        } catch (_: Exception) {
            // A rejecting executor (shut down) must not break CameraX's analysis thread.
        }
    }

    private fun check(image: ImageProxy, rotationDegrees: Int, timestamp: Long): Verdict {
        val planes = image.planes
        return when (image.format) {
            ImageFormat.YUV_420_888 -> {
                if (planes.size < 3) throw invalid("a YUV_420_888 image needs 3 planes, this one has ${planes.size}")
                filter.processYuv420888(
                    y = YuvPlane(planes[0].buffer, planes[0].rowStride, planes[0].pixelStride),
                    u = YuvPlane(planes[1].buffer, planes[1].rowStride, planes[1].pixelStride),
                    v = YuvPlane(planes[2].buffer, planes[2].rowStride, planes[2].pixelStride),
                    width = image.width,
                    height = image.height,
                    rotationDegrees = rotationDegrees,
                    timestampNanos = timestamp,
                    fullRange = fullRange,
                )
            }
            AndroidPixelFormat.RGBA_8888 -> {
                if (planes.isEmpty()) throw invalid("an RGBA_8888 image has no plane")
                val p = planes[0]
                if (p.pixelStride != 4) throw invalid("an RGBA_8888 plane needs a pixel stride of 4, not ${p.pixelStride}")
                filter.process(
                    buffer = p.buffer,
                    width = image.width,
                    height = image.height,
                    rowStride = p.rowStride,
                    format = PixelFormat.RGBA8,
                    rotationDegrees = rotationDegrees,
                    timestampNanos = timestamp,
                )
            }
            else -> throw invalid(
                "unsupported ImageProxy format ${image.format}: use OUTPUT_IMAGE_FORMAT_YUV_420_888 (default) or OUTPUT_IMAGE_FORMAT_RGBA_8888",
            )
        }
    }

    private fun deliverError(e: Exception) {
        try {
            callbackExecutor.execute { listener.onError(e) }
        } catch (_: Exception) {
            // A rejecting executor (shut down) must not break CameraX's analysis thread.
        }
    }

    private companion object {
        fun invalid(what: String) = SafeFrameNativeException("InvalidFrame: invalid frame: $what")
    }
}
