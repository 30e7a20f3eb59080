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
     * when it is not null. Returns the verdict packed as `action | (category + 1) shl 8`.
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
}
