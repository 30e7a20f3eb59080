package dev.safeframe.android

import android.content.Context
import android.hardware.display.DisplayManager
import android.hardware.display.VirtualDisplay
import android.media.ImageReader
import android.media.projection.MediaProjection
import android.os.Handler
import android.os.HandlerThread
import dev.safeframe.Frame
import dev.safeframe.FramePlane
import dev.safeframe.PixelFormat
import dev.safeframe.SafeFrameStream
import dev.safeframe.processFrameInPlace
import java.util.concurrent.Executor
import android.graphics.PixelFormat as AndroidPixelFormat

/**
 * Checks what is on the screen: mirrors the display into an `RGBA_8888` [ImageReader] through a
 * [MediaProjection] virtual display, runs SafeFrame's stream filter on each image where it lies
 * (plane 0's direct buffer, its row stride; no copy) and reports each verdict to [listener]
 * through [callbackExecutor]. Use the verdicts to pause or blank a recording or a share (the
 * frames you send), or to warn; the screen itself is not altered. Do not lift an on-screen cover
 * on these verdicts: the virtual display mirrors every window, the cover included, so while it
 * is shown the model sees the cover (clean) and would uncover the content again. Keep a cover
 * shown until the user dismisses it, or capture with the cover removed.
 *
 * ```kotlin
 * // projection: from MediaProjectionManager.getMediaProjection(resultCode, data) after the user agreed
 * val screen = ScreenFrameFilter.forDisplay(context, projection, stream, mainExecutor, shareGate, scale = 0.5f)
 * screen.start()
 * // ...
 * screen.close()           // then projection.stop() and stream.close() if you are done with them
 * ```
 *
 * Images are handled on a private [HandlerThread] (`safeframe-screen`), one at a time; when the
 * filter is slower than the screen, [ImageReader.acquireLatestImage] drops the older frames.
 * Android 10+ requires a foreground service of type `mediaProjection` while capturing; Android
 * 14+ requires a projection callback before the virtual display is made (done in [start]) and
 * allows one virtual display per projection. The projection's `onStop` closes this helper.
 * Works from API 23 (every call here exists since API 21).
 */
class ScreenFrameFilter @JvmOverloads constructor(
    private val projection: MediaProjection,
    private val stream: SafeFrameStream,
    /** Capture size in pixels; the model looks at 224×224, so a scaled-down capture costs less. */
    val width: Int,
    val height: Int,
    private val densityDpi: Int,
    private val callbackExecutor: Executor,
    private val listener: SafeFrameAnalyzer.Listener,
    maxImages: Int = 2,
) : AutoCloseable {

    init {
        require(width > 0 && height > 0) { "capture size must be positive, not ${width}x$height" }
        require(maxImages >= 2) { "maxImages must be at least 2 for acquireLatestImage" }
    }

    private val thread = HandlerThread("safeframe-screen").apply { start() }
    private val handler = Handler(thread.looper)
    private val reader: ImageReader = ImageReader.newInstance(width, height, AndroidPixelFormat.RGBA_8888, maxImages)
    /** Touched only on the capture thread. */
    private var display: VirtualDisplay? = null
    private val lock = Any()
    private var started = false
    private var closed = false

    private val projectionCallback = object : MediaProjection.Callback() {
        override fun onStop() = close()
    }

    /** Creates the virtual display and starts checking frames. Call once. */
    fun start() {
        synchronized(lock) {
            check(!closed) { "this ScreenFrameFilter is closed" }
            check(!started) { "start() was already called" }
            started = true
        }
        projection.registerCallback(projectionCallback, handler)
        reader.setOnImageAvailableListener({ onImageAvailable(it) }, handler)
        // Made on the capture thread, like its release in close(), so a close() racing this
        // start() cannot run first and leak the display.
        handler.post {
            if (synchronized(lock) { closed }) return@post
            display = projection.createVirtualDisplay(
                "SafeFrame",
                width,
                height,
                densityDpi,
                DisplayManager.VIRTUAL_DISPLAY_FLAG_AUTO_MIRROR,
                reader.surface,
                null,
                handler,
            )
        }
    }

    /**
     * Stops checking: releases the virtual display and the reader and ends the thread. Does not
     * stop the projection or close [stream] (they are the caller's). Idempotent, any thread.
     */
    override fun close() {
        synchronized(lock) {
            if (closed) return
            closed = true
        }
        // Released on the capture thread, after any image it is handling.
        handler.post {
            display?.release()
            display = null
            reader.setOnImageAvailableListener(null, null)
            reader.close()
            projection.unregisterCallback(projectionCallback)
        }
        thread.quitSafely()
    }

    private fun onImageAvailable(r: ImageReader) {
        if (synchronized(lock) { closed }) return
        val image = try {
            r.acquireLatestImage()
        } catch (e: IllegalStateException) {
            null
        } ?: return
        val timestamp = image.timestamp
        val verdict = try {
            // SafeFrame checks the plane's strides against RGBA8, like any frame's.
            val plane = image.planes[0]
            val frame = Frame(
                width = image.width,
                height = image.height,
                format = PixelFormat.RGBA8,
                planes = listOf(FramePlane(plane.rowStride, plane.pixelStride)),
                timestampNs = timestamp,
            )
            stream.processFrameInPlace(frame, plane.buffer)
        } catch (e: Exception) {
            try {
                callbackExecutor.execute { listener.onError(e) }
            } catch (_: Exception) {
            }
            return
        } finally {
            image.close()
        }
        try {
            callbackExecutor.execute { listener.onVerdict(verdict, timestamp) }
        } catch (_: Exception) {
            // A rejecting executor (shut down) must not kill the capture thread.
        }
    }

    companion object {
        /**
         * A helper sized from [context]'s display metrics times [scale] (0 < scale ≤ 1; e.g. 0.5
         * captures a quarter of the pixels, plenty for a 224×224 model).
         */
        @JvmStatic
        @JvmOverloads
        fun forDisplay(
            context: Context,
            projection: MediaProjection,
            stream: SafeFrameStream,
            callbackExecutor: Executor,
            listener: SafeFrameAnalyzer.Listener,
            scale: Float = 0.5f,
        ): ScreenFrameFilter {
            require(scale > 0f && scale <= 1f) { "scale must be in (0, 1], not $scale" }
            val metrics = context.resources.displayMetrics
            val w = maxOf(1, (metrics.widthPixels * scale).toInt())
            val h = maxOf(1, (metrics.heightPixels * scale).toInt())
            return ScreenFrameFilter(projection, stream, w, h, metrics.densityDpi, callbackExecutor, listener)
        }
    }
}
