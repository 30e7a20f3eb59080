package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer
import java.util.Collections

/** The StreamFilter through uniffi (SafeFrameStream + StreamListener) and JNI (DirectStreamFilter). */
class StreamTest {
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

        @Suppress("UNCHECKED_CAST")
        fun case(name: String): Map<String, Any?> =
            (OracleFixtures.cases["cases"] as List<Map<String, Any?>>).first { it["name"] == name }

        /** The case's expected action and category under the child preset, from oracle-cases.json. */
        @Suppress("UNCHECKED_CAST")
        fun expected(case: Map<String, Any?>): Pair<Action, Category?> {
            val child = (case["expected"] as Map<String, Any?>)["child"] as Map<String, Any?>
            val action = Action.valueOf((child["action"] as String).uppercase())
            val category = (child["category"] as String?)?.let { Category.valueOf(it.uppercase()) }
            return Pair(action, category)
        }

        fun redacts(action: Action) = action == Action.BLUR || action == Action.BLOCK

        fun severity(action: Action) = action.ordinal
    }

    /** Records every listener call, in order. */
    class Recorder : StreamListener {
        val changes: MutableList<VerdictChange> = Collections.synchronizedList(mutableListOf())
        val failures: MutableList<StreamFailureInfo> = Collections.synchronizedList(mutableListOf())
        val threads: MutableList<Thread> = Collections.synchronizedList(mutableListOf())

        override fun onVerdictChange(change: VerdictChange) {
            threads.add(Thread.currentThread())
            changes.add(change)
        }

        override fun onFailure(failure: StreamFailureInfo) {
            failures.add(failure)
        }
    }

    @Test
    fun listenerReceivesVerdictChangesInOrderWithCounters() {
        val names = listOf(
            "solid-blue-64x48", "solid-red-64x48", "solid-blue-64x48", "solid-blue-64x48",
            "solid-yellow-64x48", "solid-blue-64x48", "solid-red-64x48", "solid-blue-64x48",
            "solid-blue-64x48", "solid-blue-64x48",
        )
        val clearAfter = 2
        // The documented rule, applied to the oracle's expected actions: one hit enters (a more
        // severe one replaces a milder one), leaving needs `clearAfter` clean classifications.
        data class Expect(val index: Long, val previous: Action?, val action: Action, val category: Category?)
        val expectedChanges = mutableListOf<Expect>()
        val expectedActions = mutableListOf<Action>()
        var inForce: Pair<Action, Category?>? = null
        var clean = 0
        for ((i, name) in names.withIndex()) {
            val raw = expected(case(name))
            val current = inForce
            val next = when {
                current == null -> raw
                redacts(raw.first) -> { clean = 0; if (severity(raw.first) >= severity(current.first)) raw else current }
                redacts(current.first) -> { clean++; if (clean >= clearAfter) { clean = 0; raw } else current }
                else -> raw
            }
            if (current?.first != next.first) expectedChanges.add(Expect(i.toLong(), current?.first, next.first, next.second))
            inForce = next
            expectedActions.add(next.first)
        }

        val recorder = Recorder()
        // Every frame is classified on purpose (repeated blue frames included): without the change
        // gate, which would let an unchanged frame reuse the verdict in force.
        SafeFrameStream(filter, StreamOptions(clearAfter = clearAfter, changeGate = false), recorder).use { stream ->
            for ((i, name) in names.withIndex()) {
                val c = case(name)
                val (w, h) = Pair((c["width"] as Number).toInt(), (c["height"] as Number).toInt())
                val pixels = OracleFixtures.image(c, PixelFormat.RGBA8, w * 4)
                val out = stream.processFrame(pixels, w, h, w * 4, PixelFormat.RGBA8, 0, i * 33_000_000L)
                assertEquals("frame $i ($name)", expectedActions[i], out.verdict.action)
                if (out.verdict.action == Action.ALLOW) assertArrayEquals("frame $i untouched", pixels, out.pixels)
                if (out.verdict.action == Action.BLOCK) {
                    assertTrue("frame $i blocked", out.pixels.withIndex().all { (j, b) -> b == (if (j % 4 == 3) (-1).toByte() else 0) })
                }
            }
            val counters = stream.counters()
            assertEquals(names.size.toLong(), counters.frames)
            assertEquals(names.size.toLong(), counters.classified)
            assertEquals(expectedActions.count { it == Action.BLOCK }.toLong(), counters.blocked)
            assertEquals(expectedActions.count { it == Action.BLUR }.toLong(), counters.blurred)
            assertEquals(0L, counters.errors)
        }
        assertEquals(expectedChanges.size, recorder.changes.size)
        for ((expect, change) in expectedChanges.zip(recorder.changes)) {
            assertEquals(expect.index, change.frameIndex)
            assertEquals(expect.previous, change.previous)
            assertEquals(expect.action, change.verdict.action)
            assertEquals(expect.category, change.verdict.category)
            assertEquals(ChangeCause.CLASSIFICATION, change.cause)
            assertEquals(expect.index * 33_000_000L, change.timestampNanos)
            assertEquals("counters after frame ${expect.index}", expect.index + 1, change.counters.frames)
            assertEquals(expect.index + 1, change.counters.classified)
            val upTo = expectedActions.subList(0, expect.index.toInt() + 1)
            assertEquals(upTo.count { it == Action.BLOCK }.toLong(), change.counters.blocked)
            assertEquals(upTo.count { it == Action.BLUR }.toLong(), change.counters.blurred)
        }
        assertTrue(recorder.failures.isEmpty())
        // Called on the thread that processed the frames.
        assertTrue(recorder.threads.all { it == Thread.currentThread() })
    }

    @Test
    fun everyKthFrameReusesTheVerdictInForce() {
        val red = case("solid-red-64x48")
        val blue = case("solid-blue-64x48")
        val sequence = listOf(red, blue, blue, blue, blue, blue, red, blue)
        // The cadence alone (no change gate): the gate would classify each changed frame at once.
        val options = StreamOptions(cadence = StreamCadence.EveryNth(3), clearAfter = 1, changeGate = false)
        SafeFrameStream(filter, options).use { stream ->
            val actions = sequence.mapIndexed { i, c ->
                val pixels = OracleFixtures.image(c, PixelFormat.RGB8, 64 * 3)
                stream.processFrame(pixels, 64, 48, 64 * 3, PixelFormat.RGB8, timestampNanos = i.toLong()).verdict.action
            }
            // Frames 0, 3, 6 are classified (red, blue, red); the others reuse the verdict.
            val b = Action.BLOCK
            val a = Action.ALLOW
            assertEquals(listOf(b, b, b, a, a, a, b, b), actions)
            assertEquals(3L, stream.counters().classified)
            assertEquals(8L, stream.counters().frames)
        }
    }

    @Test
    fun minIntervalCadenceFollowsTheFramesOwnTimestamps() {
        val grey = OracleFixtures.image(case("solid-blue-64x48"), PixelFormat.RGB8, 64 * 3)
        // The cadence alone (no change gate): the gate would let the unchanged frames reuse the verdict.
        SafeFrameStream(filter, StreamOptions(cadence = StreamCadence.MinIntervalMs(100), changeGate = false)).use { stream ->
            for (ms in listOf(0L, 40L, 99L, 100L, 150L, 250L)) {
                stream.processFrame(grey, 64, 48, 64 * 3, PixelFormat.RGB8, 0, ms * 1_000_000L)
            }
            // Classified at 0, 100 and 250 ms.
            assertEquals(3L, stream.counters().classified)
        }
    }

    @Test
    fun aThrowingListenerDoesNotBreakTheStream() {
        val listener = object : StreamListener {
            var calls = 0
            override fun onVerdictChange(change: VerdictChange) {
                calls++
                throw IllegalStateException("listener bug")
            }
            override fun onFailure(failure: StreamFailureInfo) = throw IllegalStateException("listener bug")
        }
        val red = OracleFixtures.image(case("solid-red-64x48"), PixelFormat.RGB8, 64 * 3)
        val blue = OracleFixtures.image(case("solid-blue-64x48"), PixelFormat.RGB8, 64 * 3)
        SafeFrameStream(filter, StreamOptions(clearAfter = 1), listener).use { stream ->
            assertEquals(Action.BLOCK, stream.processFrame(red, 64, 48, 64 * 3, PixelFormat.RGB8).verdict.action)
            assertEquals(Action.ALLOW, stream.processFrame(blue, 64, 48, 64 * 3, PixelFormat.RGB8).verdict.action)
            assertEquals(2L, stream.counters().frames)
        }
        assertEquals(2, listener.calls)
    }

    @Test
    fun badStreamOptionsAndFramesAreTypedErrors() {
        assertThrows(SafeFrameException.InvalidArgument::class.java) { SafeFrameStream(filter, StreamOptions(clearAfter = 0)) }
        assertThrows(SafeFrameException.InvalidArgument::class.java) {
            SafeFrameStream(filter, StreamOptions(cadence = StreamCadence.EveryNth(0)))
        }
        SafeFrameStream(filter, StreamOptions()).use { stream ->
            assertThrows(SafeFrameException.InvalidFrame::class.java) { stream.processFrame(ByteArray(10), 64, 48, 64 * 3, PixelFormat.RGB8) }
            assertThrows(SafeFrameException.InvalidFrame::class.java) { stream.processFrame(ByteArray(10), 2, 2, 6, PixelFormat.RGB8, rotationDegrees = 45) }
            assertEquals(0L, stream.counters().frames)
        }
    }

    @Test
    fun directStreamFilterRedactsYuvPlanesInPlaceWithoutACopy() {
        val (w, h, stride) = Triple(64, 48, 72)
        val recorder = Recorder()
        val stream = SafeFrameStream(filter, StreamOptions(clearAfter = 1), recorder)
        DirectStreamFilter(stream).use { direct ->
            // An allowed grey frame: every byte the same after the call.
            val (gy, gu, gv) = DirectYuvTest.yuv(128, 128, 128)
            val greyY = DirectYuvTest.lumaPlane(w, h, stride, gy)
            val (greyU, greyV) = DirectYuvTest.interleavedVu(w, h, stride, gu, gv)
            val before = listOf(DirectYuvTest.bytes(greyY), DirectYuvTest.bytes(greyV))
            val allowed = direct.processYuv420888(YuvPlane(greyY, stride, 1), YuvPlane(greyU, stride, 2), YuvPlane(greyV, stride, 2),
                w, h, rotationDegrees = 90, timestampNanos = 1_000L)
            assertEquals(Action.ALLOW, allowed.action)
            assertArrayEquals(before[0], DirectYuvTest.bytes(greyY))
            assertArrayEquals(before[1], DirectYuvTest.bytes(greyV))

            // A red frame: blocked where it lies; Kotlin reads its own buffers back.
            val (ry, ru, rv) = DirectYuvTest.yuv(255, 0, 0)
            val redY = DirectYuvTest.lumaPlane(w, h, stride, ry)
            val (redU, redV) = DirectYuvTest.interleavedVu(w, h, stride, ru, rv)
            val blocked = direct.processYuv420888(YuvPlane(redY, stride, 1), YuvPlane(redU, stride, 2), YuvPlane(redV, stride, 2),
                w, h, timestampNanos = 2_000L)
            assertEquals(Action.BLOCK, blocked.action)
            assertEquals(Category.PORN, blocked.category)
            for (i in 0 until redY.capacity()) {
                assertEquals("Y byte $i", if (i % stride < w) 16.toByte() else DirectYuvTest.PAD, redY.get(i))
            }
            val chroma = DirectYuvTest.bytes(redV)
            for (i in chroma.indices) {
                assertEquals("VU byte $i", if (i % stride < w) 128.toByte() else DirectYuvTest.PAD, chroma[i])
            }

            // Packed RGBA through the same stream: a grey frame is allowed again (clearAfter = 1).
            val rgba = DirectFrameFilterTest.frame(8, 6, 40, Triple(128, 128, 128))
            val rgbaBefore = DirectFrameFilterTest.bytes(rgba)
            assertEquals(Action.ALLOW, direct.process(rgba, 8, 6, 40, timestampNanos = 3_000L).action)
            assertArrayEquals(rgbaBefore, DirectFrameFilterTest.bytes(rgba))
            val red = DirectFrameFilterTest.frame(8, 6, 40, Triple(255, 0, 0))
            assertEquals(Action.BLOCK, direct.process(red, 8, 6, 40, PixelFormat.RGBA8, timestampNanos = 4_000L).action)
            for (i in 0 until red.capacity()) {
                val x = i % 40
                val want: Byte = if (x >= 32) 0x5A else if (x % 4 == 3) -1 else 0
                assertEquals("RGBA byte $i", want, red.get(i))
            }

            val counters = direct.counters
            assertEquals(stream.counters(), counters)
            assertEquals(4L, counters.frames)
            assertEquals(2L, counters.blocked)
        }
        stream.close()
        val seen = recorder.changes.map { Triple(it.frameIndex, it.verdict.action, it.timestampNanos) }
        assertEquals(
            listOf(Triple(0L, Action.ALLOW, 1_000L), Triple(1L, Action.BLOCK, 2_000L), Triple(2L, Action.ALLOW, 3_000L), Triple(3L, Action.BLOCK, 4_000L)),
            seen,
        )
    }

    @Test
    fun malformedPlanesAndClosedStreamsAreKotlinExceptions() {
        val (w, h) = Pair(16, 8)
        val y = DirectYuvTest.lumaPlane(w, h, w, 100)
        val (u, v) = DirectYuvTest.interleavedVu(w, h, w, 128, 128)
        SafeFrameStream(filter, StreamOptions()).use { stream ->
            val direct = DirectStreamFilter(stream)
            fun call(yp: YuvPlane, up: YuvPlane, vp: YuvPlane) =
                assertThrows(SafeFrameNativeException::class.java) { direct.processYuv420888(yp, up, vp, w, h, timestampNanos = 0L) }
            assertEquals("InvalidFrame", call(YuvPlane(ByteBuffer.allocateDirect(w * h - 1), w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2)).kind)
            val heap = call(YuvPlane(ByteBuffer.allocate(w * h), w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2))
            assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
            val stride = call(YuvPlane(y, w, 1), YuvPlane(u, w, 1), YuvPlane(v, w, 2))
            assertTrue(stride.message, stride.message!!.contains("pixel stride 2"))
            val negative = call(YuvPlane(y, -w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2))
            assertTrue(negative.message, negative.message!!.contains("negative"))
            val rotation = assertThrows(SafeFrameNativeException::class.java) {
                direct.processYuv420888(YuvPlane(y, w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2), w, h, rotationDegrees = 45, timestampNanos = 0L)
            }
            assertEquals("InvalidFrame", rotation.kind)
            val short = assertThrows(SafeFrameNativeException::class.java) {
                direct.process(ByteBuffer.allocateDirect(10), 4, 4, 16, timestampNanos = 0L)
            }
            assertEquals("InvalidFrame", short.kind)
            // None of these reached the stream.
            assertEquals(0L, direct.counters.frames)
            direct.close()
            direct.close() // idempotent
            val closed = assertThrows(SafeFrameNativeException::class.java) {
                direct.processYuv420888(YuvPlane(y, w, 1), YuvPlane(u, w, 2), YuvPlane(v, w, 2), w, h, timestampNanos = 0L)
            }
            assertTrue(closed.message, closed.message!!.contains("closed"))
            assertThrows(SafeFrameNativeException::class.java) { direct.counters }
        }
        // A forged or filter handle is not a stream.
        val forged = assertThrows(SafeFrameNativeException::class.java) {
            NativeFrames.processStream(987_654_321L, ByteBuffer.allocateDirect(64), 4, 4, 16, 0, 0, 0L, null)
        }
        assertTrue(forged.message, forged.message!!.contains("stream handle 987654321 is unknown"))
        val filterHandle = filter.directHandle()
        assertThrows(SafeFrameNativeException::class.java) {
            NativeFrames.processStream(filterHandle, ByteBuffer.allocateDirect(64), 4, 4, 16, 0, 0, 0L, null)
        }
        NativeFrames.release(filterHandle)
    }
}
