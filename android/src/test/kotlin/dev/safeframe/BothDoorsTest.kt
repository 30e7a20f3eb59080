package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer

/**
 * One [Frame] description, two doors: the copying methods (uniffi, ByteArrays) and the
 * zero-copy ones (JNI, direct ByteBuffers) give the same verdict and the same redacted bytes
 * for every pixel format, and fail with the same [SafeFrameException] and [kind].
 */
class BothDoorsTest {
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

        val RED = Triple(255, 0, 0)
        val GREY = Triple(128, 128, 128)

        fun directs(planes: List<ByteArray>): Array<ByteBuffer> = planes.map { TestFrames.direct(it) }.toTypedArray()
    }

    @Test
    fun everyPixelFormatGetsTheSameVerdictThroughBothDoors() {
        assertEquals(7, PixelFormat.entries.size)
        for (format in PixelFormat.entries) {
            for ((colour, want) in listOf(RED to Action.BLOCK, GREY to Action.ALLOW)) {
                val (frame, planes) = TestFrames.solid(format, 20, 14, colour)
                val copied = filter.checkFrame(frame, planes)
                val direct = filter.checkFrame(frame, *directs(planes))
                assertEquals("$format $colour", want, copied.action)
                assertEquals("$format $colour", copied, direct)
            }
        }
    }

    @Test
    fun everyPixelFormatIsRedactedAlikeInPlaceAndInTheCopy() {
        for (format in PixelFormat.entries) {
            val (frame, planes) = TestFrames.solid(format, 20, 14, RED)
            val copied = filter.filterFrame(frame, planes)
            val buffers = directs(planes)
            val verdict = filter.filterFrameInPlace(frame, *buffers)
            assertEquals("$format", Action.BLOCK, verdict.action)
            assertEquals("$format", copied.verdict, verdict)
            for ((i, buffer) in buffers.withIndex()) {
                assertArrayEquals("$format plane $i", copied.planes[i], TestFrames.bytes(buffer))
            }
        }
    }

    @Test
    fun anNv21FrameGoesThroughBothDoorsAndTheStream() {
        val (frame, planes) = TestFrames.solid(PixelFormat.NV21, 32, 24, RED)
        assertEquals(PixelFormat.NV21, frame.format)
        val copied = filter.checkFrame(frame, planes)
        assertEquals(Action.BLOCK, copied.action)
        assertEquals(Category.PORN, copied.category)
        assertEquals(copied, filter.checkFrame(frame, *directs(planes)))
        // One buffer holding both planes, one after another, is the same frame.
        assertEquals(copied, filter.checkFrame(frame, TestFrames.direct(planes[0] + planes[1])))
        assertEquals(copied, filter.checkFrame(frame, listOf(planes[0] + planes[1])))
        // Through a stream, copying and in place: blocked in its own format (Y 16, VU 128).
        SafeFrameStream(filter, StreamOptions()).use { stream ->
            val out = stream.processFrame(frame.copy(timestampNs = 0L), planes)
            val buffers = directs(planes)
            val inPlace = stream.processFrameInPlace(frame.copy(timestampNs = 1L), *buffers)
            assertEquals(out.verdict.action, inPlace.action)
            assertEquals(Action.BLOCK, inPlace.action)
            for ((i, buffer) in buffers.withIndex()) assertArrayEquals("plane $i", out.planes[i], TestFrames.bytes(buffer))
            assertEquals(16.toByte(), buffers[0].get(0))
            assertEquals(128.toByte(), buffers[1].get(0))
        }
    }

    @Test
    fun aYuv420888FrameWithInterleavedChromaGoesThroughBothDoors() {
        // Android's layout: U and V are views one byte apart of one interleaved V,U block
        // (pixel stride 2). The copying door gets the views' bytes as two arrays.
        val (w, h, stride) = Triple(32, 24, 40)
        val (y, u, v) = TestFrames.yuv(255, 0, 0)
        val luma = ZeroCopyYuvTest.lumaPlane(w, h, stride, y)
        val (uView, vView) = TestFrames.interleavedVu(w, h, stride, u, v)
        val frame = TestFrames.yuv420888(w, h, stride to 1, stride to 2, stride to 2)
        val arrays = listOf(TestFrames.bytes(luma), TestFrames.bytes(uView), TestFrames.bytes(vView))
        val copied = filter.checkFrame(frame, arrays)
        assertEquals(Action.BLOCK, copied.action)
        assertEquals(copied, filter.checkFrame(frame, luma, uView, vView))
        // In place: the interleaved block is redacted as one; the copy's U and V agree sample by sample.
        val filtered = filter.filterFrame(frame, arrays)
        val verdict = filter.filterFrameInPlace(frame, luma, uView, vView)
        assertEquals(filtered.verdict, verdict)
        assertArrayEquals(filtered.planes[0], TestFrames.bytes(luma))
        for (row in 0 until h / 2) for (x in 0 until w / 2) {
            val i = row * stride + x * 2
            assertEquals(filtered.planes[1][i], uView.get(i))
            assertEquals(filtered.planes[2][i], vView.get(i))
        }
    }

    @Test
    fun zeroCopyErrorsAreTheGeneratedExceptionsWithTheirKind() {
        val (frame, planes) = TestFrames.solid(PixelFormat.NV21, 32, 24, RED)
        val short = listOf(planes[0], planes[1].copyOf(10))
        val copying = assertThrows(SafeFrameException::class.java) { filter.checkFrame(frame, short) }
        val zeroCopy = assertThrows(SafeFrameException::class.java) { filter.checkFrame(frame, *directs(short)) }
        assertTrue(zeroCopy is SafeFrameException.InvalidFrame)
        assertEquals(ErrorKind.INVALID_FRAME, zeroCopy.kind)
        assertEquals(copying.javaClass, zeroCopy.javaClass)
        assertEquals(copying.message, zeroCopy.message)
        // Wrong number of buffers, a heap buffer, a forged handle.
        assertEquals(ErrorKind.INVALID_FRAME, assertThrows(SafeFrameException::class.java) { filter.checkFrame(frame) }.kind)
        val heap = assertThrows(SafeFrameException::class.java) {
            filter.filterFrameInPlace(frame, ByteBuffer.wrap(planes[0]), TestFrames.direct(planes[1]))
        }
        assertTrue(heap is SafeFrameException.InvalidArgument)
        assertEquals(ErrorKind.INVALID_ARGUMENT, heap.kind)
        val forged = assertThrows(SafeFrameException::class.java) {
            NativeFrames.filterFrame(-5L, NativeFrames.encode(frame), directs(planes), false)
        }
        assertEquals(ErrorKind.INVALID_ARGUMENT, forged.kind)
    }

    @Test
    fun everyExceptionCaseHasTheKindOfItsName() {
        val cases = SafeFrameException::class.java.declaredClasses
            .filter { SafeFrameException::class.java.isAssignableFrom(it) && it != SafeFrameException::class.java }
        assertEquals(ErrorKind.entries.size, cases.size)
        for (case in cases) {
            val e = case.getConstructor(String::class.java).newInstance("m") as SafeFrameException
            val expected = case.simpleName.replace(Regex("([a-z])([A-Z])"), "$1_$2").uppercase()
            assertNotNull(e.kind)
            assertEquals(expected, e.kind.name)
        }
    }
}
