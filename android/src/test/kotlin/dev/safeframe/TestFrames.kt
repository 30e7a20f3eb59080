package dev.safeframe

import java.nio.ByteBuffer

/** Test helpers: frame descriptions and their bytes in every format, direct buffers. */
object TestFrames {
    /** A packed frame (RGBA8 unless told) with rows [stride] bytes apart. */
    fun packed(
        width: Int,
        height: Int,
        stride: Int,
        format: PixelFormat = PixelFormat.RGBA8,
        rotationDegrees: Int = 0,
        timestampNs: Long? = null,
    ): Frame = Frame(width, height, format, listOf(FramePlane(stride)), rotationDegrees, timestampNs = timestampNs)

    /** A `YUV_420_888` frame whose planes have these (row stride, pixel stride) pairs. */
    fun yuv420888(
        width: Int,
        height: Int,
        y: Pair<Int, Int>,
        u: Pair<Int, Int>,
        v: Pair<Int, Int>,
        rotationDegrees: Int = 0,
        timestampNs: Long? = null,
    ): Frame = Frame(
        width, height, PixelFormat.YUV420888,
        listOf(y, u, v).map { (row, pixel) -> FramePlane(row, pixel) },
        rotationDegrees, timestampNs = timestampNs,
    )

    /** A direct buffer holding a copy of [bytes]. */
    fun direct(bytes: ByteArray): ByteBuffer = ByteBuffer.allocateDirect(bytes.size).also { b ->
        for (i in bytes.indices) b.put(i, bytes[i])
    }

    /** The whole capacity of [buffer] (whatever its position), as bytes. */
    fun bytes(buffer: ByteBuffer): ByteArray = ByteArray(buffer.capacity()) { buffer.get(it) }

    /** BT.601 limited-range YUV of an RGB colour (the core's default colour). */
    fun yuv(r: Int, g: Int, b: Int): Triple<Int, Int, Int> {
        val y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
        val u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
        val v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
        return Triple(Math.round(y).toInt(), Math.round(u).toInt(), Math.round(v).toInt())
    }

    /**
     * A [width]×[height] frame of one colour in [format], rows padded by 3 bytes (filled with
     * 0x5A), and its planes' bytes: one array per plane, in the format's plane order.
     * `YUV_420_888` gets separate U and V planes with pixel stride 2, as on some phones.
     */
    fun solid(format: PixelFormat, width: Int, height: Int, rgb: Triple<Int, Int, Int>): Pair<Frame, List<ByteArray>> {
        val (r, g, b) = rgb
        val (y, u, v) = yuv(r, g, b)
        val (cw, ch) = Pair((width + 1) / 2, (height + 1) / 2)
        fun plane(samples: Int, rows: Int, stride: Int, sample: (Int) -> List<Int>): ByteArray {
            val out = ByteArray(stride * rows) { 0x5A }
            for (row in 0 until rows) for (x in 0 until samples) {
                sample(x).forEachIndexed { i, value -> out[row * stride + x * sample(x).size + i] = value.toByte() }
            }
            return out
        }
        fun spaced(samples: Int, rows: Int, stride: Int, value: Int): ByteArray {
            val out = ByteArray(stride * rows) { 0x5A }
            for (row in 0 until rows) for (x in 0 until samples) out[row * stride + x * 2] = value.toByte()
            return out
        }
        val pad = 3
        return when (format) {
            PixelFormat.RGBA8 -> frameOf(width, height, format, listOf(width * 4 + pad to 0),
                listOf(plane(width, height, width * 4 + pad) { listOf(r, g, b, 255) }))
            PixelFormat.BGRA8 -> frameOf(width, height, format, listOf(width * 4 + pad to 0),
                listOf(plane(width, height, width * 4 + pad) { listOf(b, g, r, 255) }))
            PixelFormat.RGB8 -> frameOf(width, height, format, listOf(width * 3 + pad to 0),
                listOf(plane(width, height, width * 3 + pad) { listOf(r, g, b) }))
            PixelFormat.NV12, PixelFormat.NV21 -> frameOf(width, height, format, listOf(width + pad to 1, cw * 2 + pad to 2),
                listOf(
                    plane(width, height, width + pad) { listOf(y) },
                    plane(cw, ch, cw * 2 + pad) { if (format == PixelFormat.NV12) listOf(u, v) else listOf(v, u) },
                ))
            PixelFormat.I420 -> frameOf(width, height, format, listOf(width + pad to 1, cw + pad to 1, cw + pad to 1),
                listOf(
                    plane(width, height, width + pad) { listOf(y) },
                    plane(cw, ch, cw + pad) { listOf(u) },
                    plane(cw, ch, cw + pad) { listOf(v) },
                ))
            PixelFormat.YUV420888 -> frameOf(width, height, format, listOf(width + pad to 1, cw * 2 + pad to 2, cw * 2 + pad to 2),
                listOf(
                    plane(width, height, width + pad) { listOf(y) },
                    spaced(cw, ch, cw * 2 + pad, u),
                    spaced(cw, ch, cw * 2 + pad, v),
                ))
        }
    }

    private fun frameOf(
        width: Int,
        height: Int,
        format: PixelFormat,
        strides: List<Pair<Int, Int>>,
        planes: List<ByteArray>,
    ): Pair<Frame, List<ByteArray>> = Pair(Frame(width, height, format, strides.map { (row, pixel) -> FramePlane(row, pixel) }), planes)

    /**
     * Android's usual chroma layout for a [width]×[height] `YUV_420_888` frame: one interleaved
     * V,U block with rows [stride] bytes apart (padding 0x5A); returns the U and V views, one
     * byte apart, as CameraX hands them out.
     */
    fun interleavedVu(width: Int, height: Int, stride: Int, u: Int, v: Int): Pair<ByteBuffer, ByteBuffer> {
        val (cw, ch) = Pair((width + 1) / 2, (height + 1) / 2)
        val block = ByteBuffer.allocateDirect(stride * (ch - 1) + cw * 2)
        for (i in 0 until block.capacity()) {
            val x = i % stride
            block.put(i, if (x >= cw * 2) 0x5A else if (x % 2 == 0) v.toByte() else u.toByte())
        }
        val vView = block.duplicate().also { it.position(0) }.slice()
        val uView = block.duplicate().also { it.position(1) }.slice()
        return Pair(uView, vView)
    }
}
