package dev.safeframe

import java.nio.ByteBuffer

/**
 * JNI declarations of the zero-copy path (implemented in Rust, `bindings/src/jni_api.rs`); the
 * public surface is the extension functions in ZeroCopy.kt.
 *
 * The [Frame] description goes to Rust and the [Verdict] comes back in uniffi's own
 * serialization (the generated `FfiConverterType…` objects), read and written on the Rust side by
 * the same uniffi types the copying path uses: the two doors share one conversion, and no field
 * order or numeric code is written down here. Errors are thrown from Rust as the generated
 * [SafeFrameException] subclasses.
 */
internal object NativeFrames {
    init {
        // The same library the uniffi bindings load through JNA; loading it twice is harmless.
        System.loadLibrary("safeframe_ffi")
    }

    /**
     * Classifies the frame [frame] (an [encode]d [Frame]) in the direct [buffers] of the filter
     * behind [handle] (`SafeFrameFilter.directHandle()`) and, when [inPlace], applies the verdict
     * to them. Returns the verdict, to be read with [verdict].
     */
    @JvmStatic
    external fun filterFrame(handle: Long, frame: ByteArray, buffers: Array<out ByteBuffer>, inPlace: Boolean): ByteArray

    /**
     * Runs the stream behind [handle] (`SafeFrameStream.directHandle()`) on the frame in the
     * direct [buffers], redacting them in place. Returns the verdict in force, read with [verdict].
     */
    @JvmStatic
    external fun processFrame(handle: Long, frame: ByteArray, buffers: Array<out ByteBuffer>): ByteArray

    /** [frame] in uniffi's serialization, as `bindings/src/jni_api.rs` reads it. */
    fun encode(frame: Frame): ByteArray {
        val buffer = ByteBuffer.allocate(FfiConverterTypeFrame.allocationSize(frame).toInt())
        FfiConverterTypeFrame.write(frame, buffer)
        return buffer.array().copyOf(buffer.position())
    }

    /** The verdict `bindings/src/jni_api.rs` wrote in uniffi's serialization. */
    fun verdict(bytes: ByteArray): Verdict = FfiConverterTypeVerdict.read(ByteBuffer.wrap(bytes))
}
