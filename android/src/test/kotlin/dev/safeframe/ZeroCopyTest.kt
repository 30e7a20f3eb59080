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

/** The zero-copy path (JNI): direct ByteBuffers checked and redacted where they lie. */
class ZeroCopyTest {
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

        fun bytes(buffer: ByteBuffer): ByteArray = TestFrames.bytes(buffer)

        fun rgba(width: Int, height: Int, stride: Int) = TestFrames.packed(width, height, stride)
    }

    @Test
    fun blocksARedFrameInPlaceWithoutACopy() {
        val (w, h, stride) = Triple(64, 48, 64 * 4 + 12)
        val buffer = frame(w, h, stride, Triple(255, 0, 0))
        val verdict = filter.filterFrameInPlace(rgba(w, h, stride), buffer)
        assertEquals(Action.BLOCK, verdict.action)
        assertEquals(Category.PORN, verdict.category)
        assertTrue(verdict.scores.porn > 0.9f)
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
        val copied = filter.filterFrame(rgba(w, h, stride), listOf(before))
        assertEquals(Action.BLUR, copied.verdict.action)
        val verdict = filter.filterFrameInPlace(rgba(w, h, stride), buffer)
        assertEquals(copied.verdict, verdict)
        val after = bytes(buffer)
        assertNotEquals(before.toList(), after.toList())
        assertArrayEquals(copied.planes[0], after)
    }

    @Test
    fun checkLeavesTheBufferAloneAndAllowsGrey() {
        val buffer = frame(8, 8, 32, Triple(128, 128, 128))
        val before = bytes(buffer)
        assertEquals(Action.ALLOW, filter.checkFrame(rgba(8, 8, 32), buffer).action)
        assertEquals(Action.BLOCK, filter.checkFrame(rgba(8, 8, 32), frame(8, 8, 32, Triple(255, 0, 0))).action)
        assertArrayEquals(before, bytes(buffer))
    }

    @Test
    fun malformedBuffersAreKotlinExceptionsNeverCrashes() {
        val small = assertThrows(SafeFrameException::class.java) {
            filter.filterFrameInPlace(rgba(64, 48, 256), ByteBuffer.allocateDirect(100))
        }
        assertEquals(ErrorKind.INVALID_FRAME, small.kind)
        assertTrue(small.message, small.message!!.contains("100 bytes is too small"))
        val heap = assertThrows(SafeFrameException::class.java) {
            filter.filterFrameInPlace(rgba(64, 48, 256), ByteBuffer.allocate(64 * 48 * 4))
        }
        assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
        val stride = assertThrows(SafeFrameException::class.java) {
            filter.filterFrameInPlace(rgba(64, 48, 255), ByteBuffer.allocateDirect(64 * 48 * 4))
        }
        assertTrue(stride.message, stride.message!!.contains("stride 255"))
        assertThrows(SafeFrameException::class.java) { filter.filterFrameInPlace(rgba(-1, 4, 16), ByteBuffer.allocateDirect(64)) }
        assertThrows(SafeFrameException::class.java) { filter.filterFrameInPlace(rgba(4, 4, -16), ByteBuffer.allocateDirect(64)) }
    }

    @Test
    fun aClosedOrForgedHandleIsAnExceptionNotACrash() {
        val other = OracleFixtures.childFilter()
        val handle = other.directHandle()
        assertEquals("one number for the object's life", handle, other.directHandle())
        val frame = NativeFrames.encode(rgba(4, 4, 16))
        other.close()
        val closed = assertThrows(SafeFrameException::class.java) {
            NativeFrames.filterFrame(handle, frame, arrayOf(ByteBuffer.allocateDirect(64)), true)
        }
        assertEquals(ErrorKind.INVALID_ARGUMENT, closed.kind)
        // The closed object itself refuses the zero-copy call as it refuses the copying one.
        val copying = assertThrows(Exception::class.java) { other.checkFrame(rgba(4, 4, 16), listOf(ByteArray(64))) }
        val zeroCopy = assertThrows(Exception::class.java) { other.checkFrame(rgba(4, 4, 16), ByteBuffer.allocateDirect(64)) }
        assertEquals(copying.javaClass, zeroCopy.javaClass)
        other.close() // closing twice is harmless
        val forged = assertThrows(SafeFrameException::class.java) {
            NativeFrames.filterFrame(Long.MAX_VALUE, frame, arrayOf(ByteBuffer.allocateDirect(64)), true)
        }
        assertEquals(ErrorKind.INVALID_ARGUMENT, forged.kind)
    }

    @Test
    fun aFaultyModelBlocksTheBufferBeforeThrowing() {
        // The faulty-nan pack outputs NaN for a magenta top-left quadrant (oracle README).
        SafeFrameFilter.fromDirectory(OracleFixtures.pack("faulty-nan"), Policy.preset(Preset.ADULT), false, FilterOptions()).use { faulty ->
            val buffer = frame(32, 32, 128, Triple(255, 0, 255))
            val e = assertThrows(SafeFrameException::class.java) { faulty.filterFrameInPlace(rgba(32, 32, 128), buffer) }
            assertEquals(ErrorKind.INVALID_SCORES, e.kind)
            assertTrue(e is SafeFrameException.InvalidScores)
            assertTrue(bytes(buffer).toList().chunked(4).all { it == listOf<Byte>(0, 0, 0, -1) })
        }
    }
}
