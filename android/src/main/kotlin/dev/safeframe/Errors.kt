@file:JvmName("SafeFrameErrors")

package dev.safeframe

import java.nio.ByteBuffer

/**
 * The kind of this error, for a `when` or a log line: [ErrorKind.INVALID_FRAME] for
 * [SafeFrameException.InvalidFrame] and so on. The copying methods, the zero-copy methods
 * (ZeroCopy.kt) and the Android adapters all throw these same classes.
 *
 * ```kotlin
 * try {
 *     filter.filterFrameInPlace(frame, *buffers)
 * } catch (e: SafeFrameException) {
 *     if (e.kind == ErrorKind.INVALID_FRAME) log("bad frame description: ${e.message}")
 *     hidePreview() // SafeFrame fails closed: no verdict, no frame
 * }
 * ```
 */
val SafeFrameException.kind: ErrorKind
    get() {
        // SafeFrameException's cases and ErrorKind's entries are generated from one Rust list
        // (bindings/src/error.rs), in one order, and uniffi writes both as their case number:
        // the exception's number, read back as an ErrorKind, is its kind. No table here.
        val buffer = ByteBuffer.allocate(FfiConverterTypeSafeFrameError.allocationSize(this).toInt())
        FfiConverterTypeSafeFrameError.write(this, buffer)
        buffer.flip()
        return FfiConverterTypeErrorKind.read(buffer)
    }
