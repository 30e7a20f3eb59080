package dev.safeframe

import java.nio.ByteBuffer

/**
 * Checks and redacts frames where they lie, in direct [ByteBuffer]s (camera planes, `ImageReader`
 * buffers, `ByteBuffer.allocateDirect`), without copying a byte.
 *
 * Made from a [SafeFrameFilter], whose loaded model it shares; close it when done (it keeps the
 * model loaded until then). Thread-safe: calls from several threads run one inference at a time.
 * Do not write to a buffer from another thread while a call is using it.
 *
 * Packed RGBA8/BGRA8/RGB8 frames ([filter], [check]) and Android `YUV_420_888` images in their
 * three planes ([filterYuv420888], [checkYuv420888]: CameraX `ImageProxy.planes`,
 * `android.media.Image.planes`), each plane with its own row and pixel stride.
 */
class DirectFrameFilter(filter: SafeFrameFilter) : AutoCloseable {
    private val lock = Any()
    private var handle: Long = filter.directHandle()

    /**
     * Classifies the frame in [buffer] and applies the verdict to it in place (blur or block).
     *
     * The pixels start at index 0 of the buffer (its position and limit are ignored); rows are
     * [rowStride] bytes apart. If the frame cannot be classified, a fail-closed filter blocks it
     * before throwing [SafeFrameNativeException].
     */
    fun filter(
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: PixelFormat = PixelFormat.RGBA8,
    ): Verdict = call(buffer, width, height, rowStride, format, redact = true)

    /** Classifies the frame in [buffer] without changing it. */
    fun check(
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: PixelFormat = PixelFormat.RGBA8,
    ): Verdict = call(buffer, width, height, rowStride, format, redact = false)

    /**
     * Classifies a `YUV_420_888` image and applies the verdict to its planes in place (a blocked
     * frame stays YUV). [rotationDegrees] is the clockwise turn that makes the image upright
     * (CameraX: `imageInfo.rotationDegrees`); the model looks at the upright image.
     * [fullRange]: samples span 0–255 (JFIF) rather than the 16–235 video range; BT.601 either
     * way. A fail-closed filter blocks the planes before throwing [SafeFrameNativeException].
     *
     * ```kotlin
     * val p = imageProxy.planes
     * direct.filterYuv420888(YuvPlane(p[0].buffer, p[0].rowStride, p[0].pixelStride),
     *     YuvPlane(p[1].buffer, p[1].rowStride, p[1].pixelStride),
     *     YuvPlane(p[2].buffer, p[2].rowStride, p[2].pixelStride),
     *     imageProxy.width, imageProxy.height, imageProxy.imageInfo.rotationDegrees)
     * ```
     */
    fun filterYuv420888(
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        width: Int,
        height: Int,
        rotationDegrees: Int = 0,
        fullRange: Boolean = false,
    ): Verdict = callYuv(y, u, v, width, height, rotationDegrees, fullRange, redact = true)

    /** Classifies a `YUV_420_888` image without changing it (see [filterYuv420888]). */
    fun checkYuv420888(
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        width: Int,
        height: Int,
        rotationDegrees: Int = 0,
        fullRange: Boolean = false,
    ): Verdict = callYuv(y, u, v, width, height, rotationDegrees, fullRange, redact = false)

    /** Releases this filter's hold on the model. Further calls throw. */
    override fun close() {
        val released = synchronized(lock) {
            val h = handle
            handle = 0
            h
        }
        if (released != 0L) NativeFrames.release(released)
    }

    private fun call(
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: PixelFormat,
        redact: Boolean,
    ): Verdict {
        val h = synchronized(lock) { handle }
        if (h == 0L) throw SafeFrameNativeException("InvalidArgument: this DirectFrameFilter is closed")
        val scores = FloatArray(5)
        val packed = NativeFrames.process(h, buffer, width, height, rowStride, format.code, redact, scores)
        return unpack(packed, scores)
    }

    private fun callYuv(
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        width: Int,
        height: Int,
        rotationDegrees: Int,
        fullRange: Boolean,
        redact: Boolean,
    ): Verdict {
        requireLumaPlane(y)
        val h = synchronized(lock) { handle }
        if (h == 0L) throw SafeFrameNativeException("InvalidArgument: this DirectFrameFilter is closed")
        val scores = FloatArray(5)
        val packed = NativeFrames.processYuv420888(
            h, y.buffer, y.rowStride, u.buffer, u.rowStride, u.pixelStride, v.buffer, v.rowStride, v.pixelStride,
            width, height, rotationDegrees, fullRange, redact, scores,
        )
        return unpack(packed, scores)
    }

    internal companion object {
        /** The Y plane of a `YUV_420_888` image must be packed (the native side assumes it). */
        internal fun requireLumaPlane(y: YuvPlane) {
            if (y.pixelStride != 1) {
                throw SafeFrameNativeException("InvalidFrame: invalid frame: the Y plane's pixel stride must be 1, not ${y.pixelStride}")
            }
        }

        internal val PixelFormat.code: Int
            get() = when (this) {
                PixelFormat.RGBA8 -> 0
                PixelFormat.BGRA8 -> 1
                PixelFormat.RGB8 -> 2
            }

        internal fun unpack(packed: Int, s: FloatArray): Verdict {
            val action = Action.entries[packed and 0xFF]
            val category = (packed shr 8) and 0xFF
            val rule = (packed shr 16) and 0x7FFF
            return Verdict(
                action = action,
                category = if (category == 0) null else Category.entries[category - 1],
                scores = Scores(drawing = s[0], hentai = s[1], neutral = s[2], porn = s[3], sexy = s[4]),
                // The packed verdict does not carry the matched entry nor the second opinion's
                // scores; a blocklist match shows as category KNOWN (look both up through the
                // copying API if needed).
                known = null,
                rule = if (rule == 0) null else (rule - 1).toUInt(),
                secondScores = null,
            )
        }
    }
}

/**
 * One plane of a `YUV_420_888` image: a direct buffer whose first byte is the plane's first
 * sample, and its strides (`Image.Plane` / `ImageProxy.PlaneProxy` give all three).
 */
data class YuvPlane(val buffer: ByteBuffer, val rowStride: Int, val pixelStride: Int)
