package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.assertThrows
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer

/** The JNI zero-copy path: direct ByteBuffers checked and redacted where they lie. */
class DirectFrameFilterTest {
    companion object {
        private lateinit var filter: SafeFrameFilter

        @BeforeClass
        @JvmStatic
        fun load() {
            filter = OracleFixtures.childFilter()
        }

        @AfterClass
        @JvmStatic
        fun close() = filter.close()

        /** A direct buffer holding an RGBA frame of one colour, rows padded with 0x5A bytes. */
        fun frame(width: Int, height: Int, stride: Int, rgb: Triple<Int, Int, Int>): ByteBuffer {
            val buffer = ByteBuffer.allocateDirect(stride * height)
            for (y in 0 until height) for (x in 0 until stride) {
                val i = y * stride + x
                buffer.put(i, if (x >= width * 4) 0x5A else when (x % 4) {
                    0 -> rgb.first.toByte(); 1 -> rgb.second.toByte(); 2 -> rgb.third.toByte(); else -> -1
                })
            }
            return buffer
        }

        fun bytes(buffer: ByteBuffer): ByteArray = ByteArray(buffer.capacity()) { buffer.get(it) }
    }

    @Test
    fun blocksARedFrameInPlaceWithoutACopy() {
        val (w, h, stride) = Triple(64, 48, 64 * 4 + 12)
        val buffer = frame(w, h, stride, Triple(255, 0, 0))
        DirectFrameFilter(filter).use { direct ->
            val verdict = direct.filter(buffer, w, h, stride)
            assertEquals(Action.BLOCK, verdict.action)
            assertEquals(Category.PORN, verdict.category)
            assertTrue(verdict.scores.porn > 0.9f)
        }
        // Kotlin reads the very buffer it wrote: Rust changed those bytes where they lie.
        for (y in 0 until h) {
            for (x in 0 until w) {
                val p = y * stride + x * 4
                assertArrayEquals(byteArrayOf(0, 0, 0, -1), byteArrayOf(buffer.get(p), buffer.get(p + 1), buffer.get(p + 2), buffer.get(p + 3)))
            }
            for (x in w * 4 until stride) assertEquals("padding untouched", 0x5A.toByte(), buffer.get(y * stride + x))
        }
    }

    @Test
    fun blursInPlaceExactlyAsTheCopyingApiDoes() {
        // Yellow: the oracle's sexy colour, blurred under child. Quadrants so the blur has work.
        val (w, h, stride) = Triple(40, 30, 40 * 4)
        val buffer = frame(w, h, stride, Triple(255, 255, 0))
        for (y in h / 2 until h) for (x in 0 until w) buffer.put(y * stride + x * 4 + 2, 200.toByte())
        val before = bytes(buffer)
        val copied = filter.filterFrame(before, w, h, stride, PixelFormat.RGBA8)
        assertEquals(Action.BLUR, copied.verdict.action)
        DirectFrameFilter(filter).use { direct ->
            val verdict = direct.filter(buffer, w, h, stride)
            assertEquals(copied.verdict, verdict)
        }
        val after = bytes(buffer)
        assertNotEquals(before.toList(), after.toList())
        assertArrayEquals(copied.pixels, after)
    }

    @Test
    fun checkLeavesTheBufferAloneAndAllowsGrey() {
        val buffer = frame(8, 8, 32, Triple(128, 128, 128))
        val before = bytes(buffer)
        DirectFrameFilter(filter).use { direct ->
            assertEquals(Action.ALLOW, direct.check(buffer, 8, 8, 32).action)
            assertEquals(Action.BLOCK, direct.check(frame(8, 8, 32, Triple(255, 0, 0)), 8, 8, 32).action)
        }
        assertArrayEquals(before, bytes(buffer))
    }

    @Test
    fun malformedBuffersAreKotlinExceptionsNeverCrashes() {
        DirectFrameFilter(filter).use { direct ->
            val small = assertThrows(SafeFrameNativeException::class.java) {
                direct.filter(ByteBuffer.allocateDirect(100), 64, 48, 256)
            }
            assertEquals("InvalidFrame", small.kind)
            assertTrue(small.message, small.message!!.contains("100 bytes is too small"))
            val heap = assertThrows(SafeFrameNativeException::class.java) {
                direct.filter(ByteBuffer.allocate(64 * 48 * 4), 64, 48, 256)
            }
            assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
            val stride = assertThrows(SafeFrameNativeException::class.java) {
                direct.filter(ByteBuffer.allocateDirect(64 * 48 * 4), 64, 48, 255)
            }
            assertTrue(stride.message, stride.message!!.contains("stride 255"))
            assertThrows(SafeFrameNativeException::class.java) { direct.filter(ByteBuffer.allocateDirect(64), -1, 4, 16) }
            assertThrows(SafeFrameNativeException::class.java) { direct.filter(ByteBuffer.allocateDirect(64), 4, 4, -16) }
        }
    }

    @Test
    fun aClosedOrForgedHandleIsAnExceptionNotACrash() {
        val direct = DirectFrameFilter(filter)
        direct.close()
        val closed = assertThrows(SafeFrameNativeException::class.java) { direct.filter(ByteBuffer.allocateDirect(64), 4, 4, 16) }
        assertTrue(closed.message, closed.message!!.contains("closed"))
        direct.close() // closing twice is harmless
        val forged = assertThrows(SafeFrameNativeException::class.java) {
            NativeFrames.process(Long.MAX_VALUE, ByteBuffer.allocateDirect(64), 4, 4, 16, 0, true, null)
        }
        assertEquals("InvalidArgument", forged.kind)
        assertThrows(SafeFrameNativeException::class.java) { NativeFrames.release(Long.MAX_VALUE) }
    }

    @Test
    fun aFaultyModelBlocksTheBufferBeforeThrowing() {
        // The faulty-nan pack outputs NaN for a magenta top-left quadrant (oracle README).
        SafeFrameFilter.fromDirectory(OracleFixtures.pack("faulty-nan"), Policy.preset(Preset.ADULT), false, FilterOptions()).use { faulty ->
            DirectFrameFilter(faulty).use { direct ->
                val buffer = frame(32, 32, 128, Triple(255, 0, 255))
                val e = assertThrows(SafeFrameNativeException::class.java) { direct.filter(buffer, 32, 32, 128) }
                assertEquals("InvalidScores", e.kind)
                assertTrue(bytes(buffer).toList().chunked(4).all { it == listOf<Byte>(0, 0, 0, -1) })
            }
        }
    }
}
