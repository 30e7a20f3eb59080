package dev.safeframe

import java.nio.ByteBuffer

/**
 * JNI declarations of SafeFrame's zero-copy frame path (implemented in Rust,
 * `bindings/src/jni_api.rs`). Use [DirectFrameFilter]; these are its plumbing.
 */
internal object NativeFrames {
    init {
        // The same library the uniffi bindings load through JNA; loading it twice is harmless.
        System.loadLibrary("safeframe_ffi")
    }

    /**
     * Classifies the packed frame at the start of the direct [buffer] and, when [redact] is
     * true, applies the verdict to it in place. Writes the scores to [scoresOut] (5 floats)
     * when it is not null. Returns the verdict packed as
     * `action | (category + 1) shl 8 | (rule + 1) shl 16` (0 in a field: none).
     * Throws [SafeFrameNativeException].
     */
    @JvmStatic
    external fun process(
        handle: Long,
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: Int,
        redact: Boolean,
        scoresOut: FloatArray?,
    ): Int

    /**
     * Classifies an Android `YUV_420_888` image in its three direct plane buffers and, when
     * [redact] is true, applies the verdict to the planes in place. U and V may be two views of
     * one interleaved chroma block (pixel stride 2, one byte apart), as on most phones.
     * Returns the packed verdict like [process]. Throws [SafeFrameNativeException].
     */
    @JvmStatic
    external fun processYuv420888(
        handle: Long,
        y: ByteBuffer,
        yRowStride: Int,
        u: ByteBuffer,
        uRowStride: Int,
        uPixelStride: Int,
        v: ByteBuffer,
        vRowStride: Int,
        vPixelStride: Int,
        width: Int,
        height: Int,
        rotationDegrees: Int,
        fullRange: Boolean,
        redact: Boolean,
        scoresOut: FloatArray?,
    ): Int

    /** Releases a handle from [SafeFrameFilter.directHandle]. */
    @JvmStatic
    external fun release(handle: Long)

    /**
     * Runs the stream behind [handle] (from [SafeFrameStream.directHandle]) on the packed frame
     * at the start of the direct [buffer], redacting it in place. Returns the packed verdict in
     * force like [process]. Throws [SafeFrameNativeException] for bad arguments only.
     */
    @JvmStatic
    external fun processStream(
        handle: Long,
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: Int,
        rotationDegrees: Int,
        timestampNanos: Long,
        scoresOut: FloatArray?,
    ): Int

    /**
     * Runs the stream behind [handle] on a `YUV_420_888` image in its three direct plane
     * buffers (validated as in [processYuv420888]), redacting the planes in place.
     */
    @JvmStatic
    external fun processStreamYuv420888(
        handle: Long,
        y: ByteBuffer,
        yRowStride: Int,
        u: ByteBuffer,
        uRowStride: Int,
        uPixelStride: Int,
        v: ByteBuffer,
        vRowStride: Int,
        vPixelStride: Int,
        width: Int,
        height: Int,
        rotationDegrees: Int,
        fullRange: Boolean,
        timestampNanos: Long,
        scoresOut: FloatArray?,
    ): Int

    /** Writes the stream's 11 counters to [out] (see [StreamCounters], in field order). */
    @JvmStatic
    external fun streamCounters(handle: Long, out: LongArray)

    /** Releases a handle from [SafeFrameStream.directHandle]. */
    @JvmStatic
    external fun releaseStream(handle: Long)
}
