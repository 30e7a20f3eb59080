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
 * Packed RGBA8/BGRA8/RGB8 frames only in this release; the three-plane `YUV_420_888` path for
 * CameraX arrives with phase 2 of the bindings.
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

    private companion object {
        private val PixelFormat.code: Int
            get() = when (this) {
                PixelFormat.RGBA8 -> 0
                PixelFormat.BGRA8 -> 1
                PixelFormat.RGB8 -> 2
            }

        fun unpack(packed: Int, s: FloatArray): Verdict {
            val action = Action.entries[packed and 0xFF]
            val category = (packed shr 8) and 0xFF
            return Verdict(
                action = action,
                category = if (category == 0) null else Category.entries[category - 1],
                scores = Scores(drawing = s[0], hentai = s[1], neutral = s[2], porn = s[3], sexy = s[4]),
                // The direct path has no blocklist (yet): a verdict never carries a match.
                known = null,
            )
        }
    }
}
