package dev.safeframe

/**
 * An error from SafeFrame's zero-copy (JNI) path: a malformed buffer, a bad size or stride, a
 * closed filter, a model failure. [kind] names the error like [SafeFrameException]'s cases
 * (`"InvalidFrame"`, `"InvalidArgument"`, `"InvalidScores"`, …); the message says what to fix.
 */
class SafeFrameNativeException(message: String) : RuntimeException(message) {
    /** The kind of error, e.g. `"InvalidFrame"`. */
    val kind: String
        get() = message.orEmpty().substringBefore(':')
}
