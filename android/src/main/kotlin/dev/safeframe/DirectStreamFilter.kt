package dev.safeframe

import java.nio.ByteBuffer

/**
 * Runs a [SafeFrameStream] — cadence, hysteresis, fail-closed, listener — on frames where they
 * lie, in direct [ByteBuffer]s (CameraX `ImageProxy` planes, `ImageReader` images,
 * `ByteBuffer.allocateDirect`): classified when the cadence says so, blurred or blocked in place,
 * never copied.
 *
 * Made from a stream, whose state (frame count, verdict in force, counters, listener) it shares;
 * close it when done (it keeps the stream alive until then). Thread-safe, but a stream is one
 * sequence of frames: feed it from one thread (the camera's analysis thread), in order. The
 * stream's [StreamListener] is called on that thread, during the call. Do not write to a buffer
 * from another thread while a call is using it.
 *
 * A model failure is not an exception here: the stream counts it, tells the listener and blocks
 * the frame (unless it fails open). [SafeFrameNativeException] means bad arguments (a heap
 * buffer, a short plane, a bad stride) or a closed filter; then no byte was touched.
 *
 * ```kotlin
 * val direct = DirectStreamFilter(SafeFrameStream(filter, StreamOptions(cadence = StreamCadence.EveryNth(3)), listener))
 * val analyzer = ImageAnalysis.Analyzer { image ->
 *     val p = image.planes
 *     direct.processYuv420888(YuvPlane(p[0].buffer, p[0].rowStride, p[0].pixelStride),
 *         YuvPlane(p[1].buffer, p[1].rowStride, p[1].pixelStride), YuvPlane(p[2].buffer, p[2].rowStride, p[2].pixelStride),
 *         image.width, image.height, image.imageInfo.rotationDegrees, timestampNanos = image.imageInfo.timestamp)
 *     image.close()
 * }
 * ```
 */
class DirectStreamFilter(stream: SafeFrameStream) : AutoCloseable {
    private val lock = Any()
    private var handle: Long = stream.directHandle()

    /**
     * Processes a `YUV_420_888` image in its three planes (U and V may be two views of one
     * interleaved chroma block, as on most phones) and returns the verdict in force, applied to
     * the planes in place (a blocked frame stays YUV). [rotationDegrees] is the clockwise turn
     * that makes the image upright (CameraX: `imageInfo.rotationDegrees`); [timestampNanos] is the
     * frame's time (CameraX: `imageInfo.timestamp`), which drives `StreamCadence.MinIntervalMs`;
     * [fullRange]: samples span 0–255 rather than 16–235, BT.601 either way.
     */
    fun processYuv420888(
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        width: Int,
        height: Int,
        rotationDegrees: Int = 0,
        timestampNanos: Long,
        fullRange: Boolean = false,
    ): Verdict {
        DirectFrameFilter.requireLumaPlane(y)
        val h = current()
        val scores = FloatArray(5)
        val packed = NativeFrames.processStreamYuv420888(
            h, y.buffer, y.rowStride, u.buffer, u.rowStride, u.pixelStride, v.buffer, v.rowStride, v.pixelStride,
            width, height, rotationDegrees, fullRange, timestampNanos, scores,
        )
        return DirectFrameFilter.unpack(packed, scores)
    }

    /**
     * Processes the packed frame at index 0 of [buffer] (its position and limit are ignored;
     * rows [rowStride] bytes apart) and returns the verdict in force, applied in place.
     */
    fun process(
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: PixelFormat = PixelFormat.RGBA8,
        rotationDegrees: Int = 0,
        timestampNanos: Long,
    ): Verdict {
        val h = current()
        val scores = FloatArray(5)
        val packed = with(DirectFrameFilter) {
            NativeFrames.processStream(h, buffer, width, height, rowStride, format.code, rotationDegrees, timestampNanos, scores)
        }
        return DirectFrameFilter.unpack(packed, scores)
    }

    /** The stream's counters so far (the same numbers as [SafeFrameStream.counters]). */
    val counters: StreamCounters
        get() {
            val c = LongArray(11)
            NativeFrames.streamCounters(current(), c)
            return StreamCounters(
                frames = c[0], classified = c[1], blurred = c[2], blocked = c[3],
                errors = c[4], samplesDropped = c[5], hashed = c[6], knownMatches = c[7],
                secondOpinions = c[8], held = c[9], reused = c[10],
            )
        }

    /** Releases this filter's hold on the stream. Further calls throw. */
    override fun close() {
        val released = synchronized(lock) {
            val h = handle
            handle = 0
            h
        }
        if (released != 0L) NativeFrames.releaseStream(released)
    }

    private fun current(): Long {
        val h = synchronized(lock) { handle }
        if (h == 0L) throw SafeFrameNativeException("InvalidArgument: this DirectStreamFilter is closed")
        return h
    }
}
