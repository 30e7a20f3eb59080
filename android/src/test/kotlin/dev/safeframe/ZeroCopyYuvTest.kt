package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.assertThrows
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer

/** The zero-copy path for Android `YUV_420_888` images: three planes redacted where they lie. */
class ZeroCopyYuvTest {
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

        const val PAD: Byte = 0x5A

        fun yuv(r: Int, g: Int, b: Int): Triple<Int, Int, Int> = TestFrames.yuv(r, g, b)

        /** A Y plane of one value with [stride]-byte rows, padding bytes [PAD]. */
        fun lumaPlane(w: Int, h: Int, stride: Int, value: Int): ByteBuffer {
            val b = ByteBuffer.allocateDirect(stride * h)
            for (i in 0 until stride * h) b.put(i, if (i % stride < w) value.toByte() else PAD)
            return b
        }

        /** Android's usual layout: one interleaved V,U block; V and U are views one byte apart. */
        fun interleavedVu(w: Int, h: Int, stride: Int, u: Int, v: Int): Pair<ByteBuffer, ByteBuffer> =
            TestFrames.interleavedVu(w, h, stride, u, v)

        fun bytes(buffer: ByteBuffer): ByteArray = TestFrames.bytes(buffer)
    }

    @Test
    fun blocksARedCameraFrameInItsInterleavedPlanesWithoutACopy() {
        val (w, h, yStride, cStride) = listOf(64, 48, 72, 72)
        val (yv, uv, vv) = yuv(255, 0, 0)
        val yBuf = lumaPlane(w, h, yStride, yv)
        val (u, v) = interleavedVu(w, h, cStride, uv, vv)
        val frame = TestFrames.yuv420888(w, h, yStride to 1, cStride to 2, cStride to 2, rotationDegrees = 90)
        val verdict = filter.filterFrameInPlace(frame, yBuf, u, v)
        assertEquals(Action.BLOCK, verdict.action)
        assertEquals(Category.PORN, verdict.category)
        // Kotlin reads the buffers it wrote: black in limited range (Y 16, U = V = 128) where
        // the picture is, padding bytes untouched.
        for (i in 0 until yBuf.capacity()) {
            assertEquals("Y byte $i", if (i % yStride < w) 16.toByte() else PAD, yBuf.get(i))
        }
        val chroma = bytes(v)
        for (i in chroma.indices) {
            assertEquals("VU byte $i", if (i % cStride < w) 128.toByte() else PAD, chroma[i])
        }
        assertEquals(128.toByte(), u.get(0))
    }

    @Test
    fun separatePlanesAreReadWithTheirOwnStridesAndCheckChangesNothing() {
        val (w, h) = Pair(33, 21) // odd sizes: chroma 17×11
        val (yv, uv, vv) = yuv(128, 128, 128)
        val yBuf = lumaPlane(w, h, 40, yv)
        val u = lumaPlane(17, 11, 24, uv)
        val v = lumaPlane(17, 11, 20, vv)
        val before = listOf(bytes(yBuf), bytes(u), bytes(v))
        for (rotation in listOf(0, 90, 180, 270)) {
            val frame = TestFrames.yuv420888(w, h, 40 to 1, 24 to 1, 20 to 1, rotation)
            assertEquals("rotation $rotation", Action.ALLOW, filter.checkFrame(frame, yBuf, u, v).action)
        }
        // filter on an allowed frame leaves it byte-identical too.
        val frame = TestFrames.yuv420888(w, h, 40 to 1, 24 to 1, 20 to 1)
        assertEquals(Action.ALLOW, filter.filterFrameInPlace(frame, yBuf, u, v).action)
        assertArrayEquals(before[0], bytes(yBuf))
        assertArrayEquals(before[1], bytes(u))
        assertArrayEquals(before[2], bytes(v))
    }

    @Test
    fun malformedPlanesAreKotlinExceptionsNeverCrashes() {
        val (w, h) = Pair(16, 8)
        val y = lumaPlane(w, h, w, 100)
        val (u, v) = interleavedVu(w, h, w, 128, 128)
        fun call(planes: List<Pair<ByteBuffer, Pair<Int, Int>>>, rotation: Int = 0) =
            assertThrows(SafeFrameException::class.java) {
                val (yp, up, vp) = planes
                val frame = TestFrames.yuv420888(w, h, yp.second, up.second, vp.second, rotation)
                filter.filterFrameInPlace(frame, yp.first, up.first, vp.first)
            }
        val small = call(listOf(ByteBuffer.allocateDirect(w * h - 1) to (w to 1), u to (w to 2), v to (w to 2)))
        assertEquals(ErrorKind.INVALID_FRAME, small.kind)
        val heap = call(listOf(ByteBuffer.allocate(w * h) to (w to 1), u to (w to 2), v to (w to 2)))
        assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
        val stride = call(listOf(y to (w to 1), u to (w to 1), v to (w to 2)))
        assertTrue(stride.message, stride.message!!.contains("pixel stride 2"))
        val block = ByteBuffer.allocateDirect(64)
        val twoApart = call(listOf(y to (w to 1), block.duplicate().also { it.position(2) }.slice() to (w to 2), block to (w to 2)))
        assertTrue(twoApart.message, twoApart.message!!.contains("not one interleaved chroma block"))
        val overlapY = call(listOf(y to (w to 1), y.duplicate().also { it.position(8) }.slice() to (w to 2), v to (w to 2)))
        assertTrue(overlapY.message, overlapY.message!!.contains("buffers 0 and 1 overlap"))
        val rotation = call(listOf(y to (w to 1), u to (w to 2), v to (w to 2)), rotation = 45)
        assertTrue(rotation.message, rotation.message!!.contains("45"))
        val yStride = call(listOf(y to (w to 2), u to (w to 2), v to (w to 2)))
        assertEquals(ErrorKind.INVALID_FRAME, yStride.kind)
    }
}
