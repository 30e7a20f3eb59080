package dev.safeframe

import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * ONNX Runtime execution providers through the bindings. The host runs the desktop PyPI ONNX
 * Runtime (CPU only): asking for XNNPACK, NNAPI or CoreML is a typed error, and works on the CPU
 * only with fallbackToCpu.
 */
class ExecutionProviderTest {
    private fun load(options: FilterOptions) =
        SafeFrameFilter.fromDirectory(OracleFixtures.pack("oracle"), Policy.preset(Preset.CHILD), false, options)

    @Test
    fun missingProvidersAreTypedErrorsAndFallBackOnlyWhenAsked() {
        val red = ByteArray(8 * 8 * 3) { if (it % 3 == 0) -1 else 0 }
        val frame = TestFrames.packed(8, 8, 24, PixelFormat.RGB8)
        val reference = load(FilterOptions()).use { it.checkFrame(frame, listOf(red)) }
        load(FilterOptions(executionProvider = ExecutionProvider.CPU)).use {
            assertEquals(reference, it.checkFrame(frame, listOf(red)))
        }
        for ((provider, name) in listOf(ExecutionProvider.XNNPACK to "XNNPACK", ExecutionProvider.NNAPI to "NNAPI", ExecutionProvider.CORE_ML to "CoreML")) {
            val error = assertThrows(SafeFrameException.ExecutionProviderUnavailable::class.java) {
                load(FilterOptions(executionProvider = provider))
            }
            assertTrue(error.message, error.message!!.contains("execution provider $name is not available"))
            load(FilterOptions(executionProvider = provider, fallbackToCpu = true)).use {
                assertEquals(reference, it.checkFrame(frame, listOf(red)))
            }
        }
    }
}
