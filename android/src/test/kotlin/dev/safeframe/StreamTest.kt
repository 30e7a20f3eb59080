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

/** The StreamFilter through uniffi (SafeFrameStream + StreamListener) and JNI (processFrameInPlace). */
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

        /** A packed RGB8 frame without row padding. */
        fun rgb(width: Int, height: Int, timestampNs: Long? = null) =
            TestFrames.packed(width, height, width * 3, PixelFormat.RGB8, timestampNs = timestampNs)
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
                val out = stream.processFrame(TestFrames.packed(w, h, w * 4, timestampNs = i * 33_000_000L), listOf(pixels))
                assertEquals("frame $i ($name)", expectedActions[i], out.verdict.action)
                if (out.verdict.action == Action.ALLOW) assertArrayEquals("frame $i untouched", pixels, out.planes[0])
                if (out.verdict.action == Action.BLOCK) {
                    assertTrue("frame $i blocked", out.planes[0].withIndex().all { (j, b) -> b == (if (j % 4 == 3) (-1).toByte() else 0) })
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
                stream.processFrame(rgb(64, 48, timestampNs = i.toLong()), listOf(pixels)).verdict.action
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
                stream.processFrame(rgb(64, 48, timestampNs = ms * 1_000_000L), listOf(grey))
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
            assertEquals(Action.BLOCK, stream.processFrame(rgb(64, 48), listOf(red)).verdict.action)
            assertEquals(Action.ALLOW, stream.processFrame(rgb(64, 48), listOf(blue)).verdict.action)
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
            assertThrows(SafeFrameException.InvalidFrame::class.java) { stream.processFrame(rgb(64, 48), listOf(ByteArray(10))) }
            assertThrows(SafeFrameException.InvalidFrame::class.java) { stream.processFrame(TestFrames.packed(2, 2, 6, PixelFormat.RGB8, rotationDegrees = 45), listOf(ByteArray(10))) }
            assertEquals(0L, stream.counters().frames)
        }
    }

    @Test
    fun processFrameInPlaceRedactsYuvPlanesWithoutACopy() {
        val (w, h, stride) = Triple(64, 48, 72)
        val recorder = Recorder()
        val stream = SafeFrameStream(filter, StreamOptions(clearAfter = 1), recorder)
        fun yuvFrame(rotation: Int, ts: Long) = TestFrames.yuv420888(w, h, stride to 1, stride to 2, stride to 2, rotation, ts)
        // An allowed grey frame: every byte the same after the call.
        val (gy, gu, gv) = TestFrames.yuv(128, 128, 128)
        val greyY = ZeroCopyYuvTest.lumaPlane(w, h, stride, gy)
        val (greyU, greyV) = TestFrames.interleavedVu(w, h, stride, gu, gv)
        val before = listOf(TestFrames.bytes(greyY), TestFrames.bytes(greyV))
        val allowed = stream.processFrameInPlace(yuvFrame(90, 1_000L), greyY, greyU, greyV)
        assertEquals(Action.ALLOW, allowed.action)
        assertArrayEquals(before[0], TestFrames.bytes(greyY))
        assertArrayEquals(before[1], TestFrames.bytes(greyV))

        // A red frame: blocked where it lies; Kotlin reads its own buffers back.
        val (ry, ru, rv) = TestFrames.yuv(255, 0, 0)
        val redY = ZeroCopyYuvTest.lumaPlane(w, h, stride, ry)
        val (redU, redV) = TestFrames.interleavedVu(w, h, stride, ru, rv)
        val blocked = stream.processFrameInPlace(yuvFrame(0, 2_000L), redY, redU, redV)
        assertEquals(Action.BLOCK, blocked.action)
        assertEquals(Category.PORN, blocked.category)
        for (i in 0 until redY.capacity()) {
            assertEquals("Y byte $i", if (i % stride < w) 16.toByte() else ZeroCopyYuvTest.PAD, redY.get(i))
        }
        val chroma = TestFrames.bytes(redV)
        for (i in chroma.indices) {
            assertEquals("VU byte $i", if (i % stride < w) 128.toByte() else ZeroCopyYuvTest.PAD, chroma[i])
        }

        // Packed RGBA through the same stream: a grey frame is allowed again (clearAfter = 1).
        val rgba = ZeroCopyTest.frame(8, 6, 40, Triple(128, 128, 128))
        val rgbaBefore = TestFrames.bytes(rgba)
        assertEquals(Action.ALLOW, stream.processFrameInPlace(TestFrames.packed(8, 6, 40, timestampNs = 3_000L), rgba).action)
        assertArrayEquals(rgbaBefore, TestFrames.bytes(rgba))
        val red = ZeroCopyTest.frame(8, 6, 40, Triple(255, 0, 0))
        assertEquals(Action.BLOCK, stream.processFrameInPlace(TestFrames.packed(8, 6, 40, PixelFormat.RGBA8, timestampNs = 4_000L), red).action)
        for (i in 0 until red.capacity()) {
            val x = i % 40
            val want: Byte = if (x >= 32) 0x5A else if (x % 4 == 3) -1 else 0
            assertEquals("RGBA byte $i", want, red.get(i))
        }

        val counters = stream.counters()
        assertEquals(4L, counters.frames)
        assertEquals(2L, counters.blocked)
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
        val y = ZeroCopyYuvTest.lumaPlane(w, h, w, 100)
        val (u, v) = TestFrames.interleavedVu(w, h, w, 128, 128)
        val closedHandle = SafeFrameStream(filter, StreamOptions()).use { stream ->
            fun call(planes: List<Pair<ByteBuffer, Pair<Int, Int>>>, rotation: Int = 0) =
                assertThrows(SafeFrameException::class.java) {
                    val (yp, up, vp) = planes
                    val frame = TestFrames.yuv420888(w, h, yp.second, up.second, vp.second, rotation, timestampNs = 0L)
                    stream.processFrameInPlace(frame, yp.first, up.first, vp.first)
                }
            assertEquals(ErrorKind.INVALID_FRAME, call(listOf(ByteBuffer.allocateDirect(w * h - 1) to (w to 1), u to (w to 2), v to (w to 2))).kind)
            val heap = call(listOf(ByteBuffer.allocate(w * h) to (w to 1), u to (w to 2), v to (w to 2)))
            assertTrue(heap.message, heap.message!!.contains("not a direct ByteBuffer"))
            val stride = call(listOf(y to (w to 1), u to (w to 1), v to (w to 2)))
            assertTrue(stride.message, stride.message!!.contains("pixel stride 2"))
            val negative = call(listOf(y to (-w to 1), u to (w to 2), v to (w to 2)))
            assertTrue(negative.message, negative.message!!.contains("negative"))
            val rotation = call(listOf(y to (w to 1), u to (w to 2), v to (w to 2)), rotation = 45)
            assertEquals(ErrorKind.INVALID_FRAME, rotation.kind)
            val short = assertThrows(SafeFrameException::class.java) {
                stream.processFrameInPlace(TestFrames.packed(4, 4, 16, timestampNs = 0L), ByteBuffer.allocateDirect(10))
            }
            assertEquals(ErrorKind.INVALID_FRAME, short.kind)
            // None of these reached the stream.
            assertEquals(0L, stream.counters().frames)
            stream.directHandle()
        }
        // A closed stream's handle is refused.
        val frame = NativeFrames.encode(TestFrames.yuv420888(w, h, w to 1, w to 2, w to 2, timestampNs = 0L))
        val closed = assertThrows(SafeFrameException::class.java) { NativeFrames.processFrame(closedHandle, frame, arrayOf(y, u, v)) }
        assertEquals(ErrorKind.INVALID_ARGUMENT, closed.kind)
        // A forged or filter handle is not a stream.
        val packed = NativeFrames.encode(TestFrames.packed(4, 4, 16))
        val forged = assertThrows(SafeFrameException::class.java) {
            NativeFrames.processFrame(987_654_321L, packed, arrayOf(ByteBuffer.allocateDirect(64)))
        }
        assertTrue(forged.message, forged.message!!.contains("stream handle 987654321 is unknown"))
        assertThrows(SafeFrameException.InvalidArgument::class.java) {
            NativeFrames.processFrame(filter.directHandle(), packed, arrayOf(ByteBuffer.allocateDirect(64)))
        }
    }
}
