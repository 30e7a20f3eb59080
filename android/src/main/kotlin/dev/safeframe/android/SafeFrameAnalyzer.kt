package dev.safeframe.android

import android.graphics.ImageFormat
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import dev.safeframe.Frame
import dev.safeframe.FramePlane
import dev.safeframe.PixelFormat
import dev.safeframe.SafeFrameException
import dev.safeframe.SafeFrameStream
import dev.safeframe.StreamCounters
import dev.safeframe.Verdict
import dev.safeframe.processFrameInPlace
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
 * Formats: `YUV_420_888` (CameraX's default) and `RGBA_8888`
 * (`ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888`): the image's planes, each with its row and
 * pixel stride, go to [SafeFrameStream.processFrameInPlace] as one [Frame]. The image's
 * `rotationDegrees` and timestamp are passed on, so the model sees the upright frame and the
 * stream filter can pace itself on camera time.
 *
 * The proxy is always closed (in `finally`), whatever happens. `analyze` runs on the executor
 * CameraX was given (a background thread); one inference at a time. A model failure is not an
 * error here: the stream filter turns it into a BLOCK verdict (unless it was made fail-open),
 * delivered to [Listener.onVerdict]. An error (a closed filter, an unsupported format, a
 * malformed frame) goes to [Listener.onError], which every listener must handle (fail-closed:
 * hide the preview); the frame is still closed and the analyzer keeps running. This class does
 * not own [stream]: close it after `ImageAnalysis.clearAnalyzer()`.
 */
class SafeFrameAnalyzer @JvmOverloads constructor(
    private val stream: SafeFrameStream,
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
        get() = stream.counters()

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
        val format = when (image.format) {
            ImageFormat.YUV_420_888 -> PixelFormat.YUV420888
            AndroidPixelFormat.RGBA_8888 -> PixelFormat.RGBA8
            else -> throw SafeFrameException.InvalidFrame(
                "unsupported ImageProxy format ${image.format}: use OUTPUT_IMAGE_FORMAT_YUV_420_888 (default) or OUTPUT_IMAGE_FORMAT_RGBA_8888",
            )
        }
        // Plane counts and strides are checked by SafeFrame against the format, like any frame's.
        val planes = image.planes
        val frame = Frame(
            width = image.width,
            height = image.height,
            format = format,
            planes = planes.map { FramePlane(it.rowStride, it.pixelStride) },
            rotationDegrees = rotationDegrees,
            timestampNs = timestamp,
            fullRange = fullRange,
        )
        return stream.processFrameInPlace(frame, *Array(planes.size) { planes[it].buffer })
    }

    private fun deliverError(e: Exception) {
        try {
            callbackExecutor.execute { listener.onError(e) }
        } catch (_: Exception) {
            // A rejecting executor (shut down) must not break CameraX's analysis thread.
        }
    }
}
