// ============================================================================================
// PLACEHOLDER — COMPILE-ONLY, NOT PART OF THE SDK.
//
// The streaming JNI API (DirectStreamFilter over a SafeFrameStream) is being added on another
// branch. These declarations copy its agreed signatures so the Android adapters in
// android/src/main/kotlin/dev/safeframe/android/ compile before it lands. scripts/check-android
// leaves this file out as soon as android/src/main/kotlin declares `class DirectStreamFilter`;
// delete it then. Every body throws.
// ============================================================================================
package dev.safeframe

import java.nio.ByteBuffer

class SafeFrameStream private constructor()

class StreamCounters private constructor()

class DirectStreamFilter(stream: SafeFrameStream) : AutoCloseable {
    fun processYuv420888(
        y: YuvPlane,
        u: YuvPlane,
        v: YuvPlane,
        width: Int,
        height: Int,
        rotationDegrees: Int = 0,
        timestampNanos: Long,
        fullRange: Boolean = false,
    ): Verdict = throw UnsupportedOperationException("placeholder")

    fun process(
        buffer: ByteBuffer,
        width: Int,
        height: Int,
        rowStride: Int,
        format: PixelFormat = PixelFormat.RGBA8,
        rotationDegrees: Int = 0,
        timestampNanos: Long,
    ): Verdict = throw UnsupportedOperationException("placeholder")

    val counters: StreamCounters
        get() = throw UnsupportedOperationException("placeholder")

    override fun close(): Unit = throw UnsupportedOperationException("placeholder")
}
