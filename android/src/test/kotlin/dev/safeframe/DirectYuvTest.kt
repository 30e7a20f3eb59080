package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.assertThrows
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer

/** The JNI zero-copy path for Android `YUV_420_888` images: three planes redacted where they lie. */
class DirectYuvTest {
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

        /** BT.601 limited-range YUV of an RGB colour (the core's default colour). */
        fun yuv(r: Int, g: Int, b: Int): Triple<Int, Int, Int> {
            val y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
            val u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
            val v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
            return Triple(Math.round(y).toInt(), Math.round(u).toInt(), Math.round(v).toInt())
        }

        /** A Y plane of one value with [stride]-byte rows, padding bytes [PAD]. */
        fun lumaPlane(w: Int, h: Int, stride: Int, value: Int): ByteBuffer {
            val b = ByteBuffer.allocateDirect(stride * h)
            for (i in 0 until stride * h) b.put(i, if (i % stride < w) value.toByte() else PAD)
            return b
        }

        /** Android's usual layout: one interleaved V,U block; V and U are views one byte apart. */
        fun interleavedVu(w: Int, h: Int, stride: Int, u: Int, v: Int): Pair<ByteBuffer, ByteBuffer> {
            val (cw, ch) = Pair((w + 1) / 2, (h + 1) / 2)
            val block = ByteBuffer.allocateDirect(stride * (ch - 1) + cw * 2)
            for (i in 0 until block.capacity()) {
                val x = i % stride
                block.put(i, if (x >= cw * 2) PAD else if (x % 2 == 0) v.toByte() else u.toByte())
            }
            val vView = block.duplicate().also { it.position(0) }.slice()
            val uView = block.duplicate().also { it.position(1) }.slice()
            return Pair(uView, vView)
        }

        fun bytes(buffer: ByteBuffer): ByteArray = ByteArray(buffer.capacity()) { buffer.get(it) }
    }

    @Test
    fun blocksARedCameraFrameInItsInterleavedPlanesWithoutACopy() {
        val (w, h, yStride, cStride) = listOf(64, 48, 72, 72)
        val (yv, uv, vv) = yuv(255, 0, 0)
        val yBuf = lumaPlane(w, h, yStride, yv)
        val (u, v) = interleavedVu(w, h, cStride, uv, vv)
        DirectFrameFilter(filter).use { direct ->
            val verdict = direct.filterYuv420888(YuvPlane(yBuf, yStride, 1), YuvPlane(u, cStride, 2), YuvPlane(v, cStride, 2), w, h, rotationDegrees = 90)
            assertEquals(Action.BLOCK, verdict.action)
            assertEquals(Category.PORN, verdict.category)
        }
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
        DirectFrameFilter(filter).use { direct ->
            for (rotation in listOf(0, 90, 180, 270)) {
                val verdict = direct.checkYuv420888(YuvPlane(yBuf, 40, 1), YuvPlane(u, 24, 1), YuvPlane(v, 20, 1), w, h, rotation)
                assertEquals("rotation $rotation", Action.ALLOW, verdict.action)
            }
            // filter on an allowed frame leaves it byte-identical too.
            assertEquals(Action.ALLOW, direct.filterYuv420888(YuvPlane(yBuf, 40, 1), YuvPlane(u, 24, 1), YuvPlane(v, 20, 1), w, h).action)
        }
        assertArrayEquals(before[0], bytes(yBuf))
        assertArrayEquals(before[1], bytes(u))
        assertArrayEquals(before[2], bytes(v))
    }

    @Test
    fun malformedPlanesAreKotlinExceptionsNeverCrashes() {
        val (w, h) = Pair(16, 8)
        val y = lumaPlane(w, h, w, 100)
        val (u, v) = interleavedVu(w, h, w, 128, 128)
        DirectFrameFilter(filter).use { direct ->
            fun call(yp: YuvPlane, up: YuvPlane, vp: YuvPlane, rotation: Int = 0) =
                assertThrows(SafeFrameNativeException::class.java) { direct.filterYuv420888(yp, up, vp, w, h, rotation) }
            val small = call(YuvPlane(ByteBuffer.allocateDirect(w * h - 1), w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2))
            assertEquals("InvalidFrame", small.kind)
            val heap = call(YuvPlane(ByteBuffer.allocate(w * h), w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2))
            assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
            val stride = call(YuvPlane(y, w, 1), YuvPlane(u, w, 1), YuvPlane(v, w, 2))
            assertTrue(stride.message, stride.message!!.contains("pixel stride 2"))
            val block = ByteBuffer.allocateDirect(64)
            val twoApart = call(YuvPlane(y, w, 1), YuvPlane(block.duplicate().also { it.position(2) }.slice(), w, 2), YuvPlane(block, w, 2))
            assertTrue(twoApart.message, twoApart.message!!.contains("not one interleaved chroma block"))
            val overlapY = call(YuvPlane(y, w, 1), YuvPlane(y.duplicate().also { it.position(8) }.slice(), w, 2), YuvPlane(v, w, 2))
            assertTrue(overlapY.message, overlapY.message!!.contains("Y plane overlaps"))
            val rotation = call(YuvPlane(y, w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2), rotation = 45)
            assertTrue(rotation.message, rotation.message!!.contains("45"))
            val yStride = assertThrows(SafeFrameNativeException::class.java) {
                direct.filterYuv420888(YuvPlane(y, w, 2), YuvPlane(u, w, 2), YuvPlane(v, w, 2), w, h)
            }
            assertEquals("InvalidFrame", yStride.kind)
        }
    }
}
