// Kotlin call cost of SafeFrame on the desktop JVM (run by scripts/bench-jvm, not by the tests).
//
// One process, one loaded model shared by every SafeFrame variant, one benign synthetic 1080p
// frame; warm-up first, then the variants interleaved call by call so that machine load hits
// them alike. Reports median and p90 per variant.
package dev.safeframe.bench

import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.OrtSession
import com.sun.jna.Native
import com.sun.jna.Pointer
import com.sun.jna.Structure
import dev.safeframe.FilterOptions
import dev.safeframe.Frame
import dev.safeframe.FramePlane
import dev.safeframe.PixelFormat
import dev.safeframe.Policy
import dev.safeframe.Preset
import dev.safeframe.SafeFrameFilter
import dev.safeframe.checkFrame
import dev.safeframe.pixelFormatCode
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.FloatBuffer

/** The C ABI through JNA direct mapping: the Rust call with (almost) nothing around it. */
object CAbi {
    init {
        Native.register("safeframe_ffi")
    }

    @JvmStatic external fun safeframe_filter_from_handle(handle: Long): Pointer?

    @JvmStatic external fun safeframe_check_frame(filter: Pointer, frame: Pointer, out: Pointer): Int

    @JvmStatic external fun safeframe_filter_free(filter: Pointer?)
}

/** `SafeFramePlane` of safeframe.h (`size_t` as a 64-bit `long`). */
@Structure.FieldOrder("data", "len", "rowStride", "pixelStride")
open class CPlane : Structure() {
    @JvmField var data: Pointer? = null
    @JvmField var len: Long = 0
    @JvmField var rowStride: Int = 0
    @JvmField var pixelStride: Int = 0
}

/** `SafeFrameFrame` of safeframe.h (C `bool` as a byte). Written once, passed as a pointer. */
@Structure.FieldOrder(
    "width", "height", "format", "rotationDegrees", "planes", "planeCount",
    "cropX", "cropY", "cropWidth", "cropHeight", "timestampNs", "hasTimestamp", "fullRange",
)
class CFrame : Structure() {
    @JvmField var width: Int = 0
    @JvmField var height: Int = 0
    @JvmField var format: Int = 0
    @JvmField var rotationDegrees: Int = 0
    @Suppress("UNCHECKED_CAST")
    @JvmField var planes: Array<CPlane> = CPlane().toArray(3) as Array<CPlane>
    @JvmField var planeCount: Int = 0
    @JvmField var cropX: Int = 0
    @JvmField var cropY: Int = 0
    @JvmField var cropWidth: Int = 0
    @JvmField var cropHeight: Int = 0
    @JvmField var timestampNs: Long = 0
    @JvmField var hasTimestamp: Byte = 0
    @JvmField var fullRange: Byte = 0
}

const val W = 1920
const val H = 1080
const val SIDE = 224

/** A benign synthetic frame: smooth colour gradients with a few stripes. */
fun syntheticRgba(buf: ByteBuffer) {
    for (y in 0 until H) for (x in 0 until W) {
        val i = (y * W + x) * 4
        buf.put(i, ((x * 255) / W).toByte())
        buf.put(i + 1, ((y * 255) / H).toByte())
        buf.put(i + 2, (if ((x / 64) % 2 == 0) 200 else 60).toByte())
        buf.put(i + 3, 255.toByte())
    }
}

/**
 * What an app writes without SafeFrame: align-corners bilinear resize of the RGBA frame to
 * 224×224, RGB as float / 255, NHWC — the model pack's documented preprocessing.
 */
class KotlinPreprocessor {
    private val x0 = IntArray(SIDE)
    private val x1 = IntArray(SIDE)
    private val fx = FloatArray(SIDE)
    private val y0 = IntArray(SIDE)
    private val y1 = IntArray(SIDE)
    private val fy = FloatArray(SIDE)

    init {
        for (i in 0 until SIDE) {
            val sx = i * (W - 1).toFloat() / (SIDE - 1)
            x0[i] = sx.toInt(); x1[i] = minOf(x0[i] + 1, W - 1); fx[i] = sx - x0[i]
            val sy = i * (H - 1).toFloat() / (SIDE - 1)
            y0[i] = sy.toInt(); y1[i] = minOf(y0[i] + 1, H - 1); fy[i] = sy - y0[i]
        }
    }

    fun run(src: ByteBuffer, stride: Int, dst: FloatBuffer) {
        var o = 0
        for (j in 0 until SIDE) {
            val r0 = y0[j] * stride
            val r1 = y1[j] * stride
            val wy = fy[j]
            for (i in 0 until SIDE) {
                val a = x0[i] * 4
                val b = x1[i] * 4
                val wx = fx[i]
                for (c in 0 until 3) {
                    val p00 = src.get(r0 + a + c).toInt() and 0xFF
                    val p01 = src.get(r0 + b + c).toInt() and 0xFF
                    val p10 = src.get(r1 + a + c).toInt() and 0xFF
                    val p11 = src.get(r1 + b + c).toInt() and 0xFF
                    val top = p00 + (p01 - p00) * wx
                    val bottom = p10 + (p11 - p10) * wx
                    dst.put(o++, (top + (bottom - top) * wy) / 255f)
                }
            }
        }
    }
}

fun main(args: Array<String>) {
    val packDir = args[0]
    val ortLib = args[1]
    val warmup = args.getOrElse(2) { "200" }.toInt()
    val timed = args.getOrElse(3) { "1000" }.toInt()

    // Official ONNX Runtime Java API, same model file, one intra-op thread. Loaded first: its JNI
    // library binds to the libonnxruntime.so it ships (another version than SafeFrame's), which
    // must not find SafeFrame's copy already loaded under the same SONAME.
    val env = OrtEnvironment.getEnvironment()
    val opts = OrtSession.SessionOptions().apply {
        setIntraOpNumThreads(1)
        setInterOpNumThreads(1)
    }
    val session = env.createSession(File(packDir, "model.onnx").path, opts)
    val inputName = session.inputNames.first()

    val filter = SafeFrameFilter.fromDirectory(
        packDir, Policy.preset(Preset.CHILD), false, FilterOptions(intraThreads = 1, runtimeLibrary = ortLib),
    )
    val cFilter = CAbi.safeframe_filter_from_handle(filter.directHandle()) ?: error("safeframe_filter_from_handle failed")
    val verdictOut = com.sun.jna.Memory(32)

    val rgba = ByteBuffer.allocateDirect(W * H * 4)
    syntheticRgba(rgba)
    val rgbaFrame = Frame(W, H, PixelFormat.RGBA8, listOf(FramePlane(W * 4)))
    val cFrame = CFrame().apply {
        width = W
        height = H
        format = pixelFormatCode(PixelFormat.RGBA8)
        planes[0].data = Native.getDirectBufferPointer(rgba)
        planes[0].len = (W * H * 4).toLong()
        planes[0].rowStride = W * 4
        planeCount = 1
        write()
    }
    val bytes = ByteArray(W * H * 4).also { rgba.duplicate().get(it) }
    // YUV_420_888 as most phones deliver it: Y (stride 1920), V/U interleaved (pixel stride 2).
    val yPlane = ByteBuffer.allocateDirect(W * H)
    for (i in 0 until W * H) yPlane.put(i, (16 + (i % W) * 219 / W).toByte())
    val chroma = ByteBuffer.allocateDirect(W * H / 2)
    for (i in 0 until W * H / 2) chroma.put(i, (100 + (i % 40)).toByte())
    val v = chroma.duplicate()
    val u = chroma.duplicate().position(1).slice()
    val yuvFrame = Frame(W, H, PixelFormat.YUV420888, listOf(FramePlane(W, 1), FramePlane(W, 2), FramePlane(W, 2)))

    val tensorBuf = ByteBuffer.allocateDirect(SIDE * SIDE * 3 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer()
    val pre = KotlinPreprocessor()

    var sink = 0f
    val variants = linkedMapOf<String, () -> Unit>(
        "(a) Rust call via C ABI safeframe_check_frame (JNA direct)" to {
            val rc = CAbi.safeframe_check_frame(cFilter, cFrame.pointer, verdictOut)
            check(rc == 0) { "safeframe_check_frame returned $rc" }
            sink += verdictOut.getFloat(8)
        },
        "(c1) JNI checkFrame(frame, direct ByteBuffer) RGBA" to {
            sink += filter.checkFrame(rgbaFrame, rgba).scores.neutral
        },
        "(c2) JNI checkFrame(frame, y, u, v) YUV_420_888" to {
            sink += filter.checkFrame(yuvFrame, yPlane, u, v).scores.neutral
        },
        "(b) uniffi checkFrame(frame, listOf(ByteArray)) RGBA" to {
            sink += filter.checkFrame(rgbaFrame, listOf(bytes)).scores.neutral
        },
        "(d) ONNX Runtime Java 1.x + Kotlin preprocessing" to {
            pre.run(rgba, W * 4, tensorBuf)
            OnnxTensor.createTensor(env, tensorBuf, longArrayOf(1, SIDE.toLong(), SIDE.toLong(), 3)).use { t ->
                session.run(mapOf(inputName to t)).use { r ->
                    @Suppress("UNCHECKED_CAST")
                    sink += (r[0].value as Array<FloatArray>)[0][2]
                }
            }
        },
        "(d-pre) Kotlin preprocessing alone" to { pre.run(rgba, W * 4, tensorBuf); sink += tensorBuf.get(7) },
    )
    // Same verdict through every SafeFrame door.
    val viaJni = filter.checkFrame(rgbaFrame, rgba)
    val viaUniffi = filter.checkFrame(rgbaFrame, listOf(bytes))
    check(viaJni.scores == viaUniffi.scores) { "JNI and uniffi scores differ: ${viaJni.scores} vs ${viaUniffi.scores}" }
    // (The strict child preset may block this synthetic frame; check() never alters it.)
    System.err.println("frame verdict (child preset): ${viaJni.action}, neutral ${viaJni.scores.neutral}")

    System.err.println("warm-up: $warmup calls per variant")
    repeat(warmup) { variants.values.forEach { it() } }
    val samples = variants.keys.associateWith { LongArray(timed) }
    System.err.println("timed: $timed calls per variant, interleaved")
    // a and c1 run back to back, their order swapped every iteration, so that the paired
    // difference c1[i] - a[i] cancels machine-load drift and order effects.
    val entries = variants.entries.toList()
    for (i in 0 until timed) {
        val order = if (i % 2 == 0) entries else listOf(entries[1], entries[0]) + entries.drop(2)
        for ((name, f) in order) {
            val t0 = System.nanoTime()
            f()
            samples.getValue(name)[i] = System.nanoTime() - t0
        }
    }
    fun q(s: LongArray, p: Double): Double = s.sorted()[((s.size - 1) * p).toInt()] / 1e6
    println(String.format("%-58s %10s %10s", "variant (1920x1080, 1 thread)", "median ms", "p90 ms"))
    val med = HashMap<String, Double>()
    for ((name, s) in samples) {
        med[name] = q(s, 0.5)
        println(String.format("%-58s %10.3f %10.3f", name, q(s, 0.5), q(s, 0.9)))
    }
    val keys = variants.keys.toList() // a, c1, c2, b, d, d-pre
    val a = samples.getValue(keys[0])
    val c1 = samples.getValue(keys[1])
    val paired = LongArray(timed) { c1[it] - a[it] }
    println(String.format("direct RGBA overhead over the Rust call, paired c1[i]-a[i]: median %+.3f ms, IQR %+.3f..%+.3f ms (target <= 0.05)",
        q(paired, 0.5), q(paired, 0.25), q(paired, 0.75)))
    println(String.format("direct RGBA overhead, difference of medians (c1 - a): %+.3f ms", med[keys[1]]!! - med[keys[0]]!!))
    println(String.format("uniffi copy cost (b - c1): %+.3f ms", med[keys[3]]!! - med[keys[1]]!!))
    println(String.format("ONNX Runtime Java + Kotlin preprocessing vs JNI direct (d / c1): %.2fx", med[keys[4]]!! / med[keys[1]]!!))
    System.err.println("(sink $sink)")
    CAbi.safeframe_filter_free(cFilter)
    filter.close()
    session.close()
}
