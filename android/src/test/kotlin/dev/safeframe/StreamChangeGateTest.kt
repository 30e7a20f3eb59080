package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test

/**
 * The stream's change gate from Kotlin: its options and their defaults, bad settings refused naming
 * the field, a static scene resting the model (through uniffi and the zero-copy path), a cut redacted
 * on its own frame whatever the cadence, and the cadence alone without the gate.
 */
class StreamChangeGateTest {
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

        const val FRAME_NANOS = 1_000_000_000L / 30

        /** The oracle case whose top-left quadrant is red (blocked, porn), 61×37, as RGB8. */
        val cut: ByteArray by lazy { OracleFixtures.image(StreamTest.case("tl-red-rest-grey-61x37"), PixelFormat.RGB8, 61 * 3) }

        /** The same size, all grey (allowed). */
        val grey: ByteArray = ByteArray(61 * 37 * 3) { 128.toByte() }

        fun SafeFrameStream.frame(pixels: ByteArray, i: Int): FilteredFrame =
            processFrame(TestFrames.packed(61, 37, 61 * 3, PixelFormat.RGB8, timestampNs = i * FRAME_NANOS), listOf(pixels))
    }

    @Test
    fun theGateIsOnByDefaultWithTheCoresSettings() {
        val options = StreamOptions()
        assertEquals(true, options.changeGate)
        assertEquals(0.10f, options.changeThreshold)
        assertEquals(4, options.changeTiles)
        assertEquals(1000L, options.maxAgeMs)
        assertEquals(null, options.hold) // blur
        val counters = StreamCounters(0, 0, 0, 0, 0, 0, 0, 0)
        assertEquals(Pair(0L, 0L), Pair(counters.held, counters.reused))
    }

    @Test
    fun badChangeGateOptionsAreInvalidArgumentsNamingTheField() {
        val bad = listOf(
            "change_gate.threshold" to StreamOptions(changeThreshold = -0.1f),
            "change_gate.threshold" to StreamOptions(changeThreshold = 1.5f),
            "change_gate.threshold" to StreamOptions(changeThreshold = Float.NaN),
            "change_gate.tiles" to StreamOptions(changeTiles = 0),
            "change_gate.tiles" to StreamOptions(changeTiles = -4),
            "change_gate.max_age" to StreamOptions(maxAgeMs = 0),
            "change_gate.max_age" to StreamOptions(maxAgeMs = -1000),
            "hold" to StreamOptions(hold = Action.ALLOW),
        )
        for ((field, options) in bad) {
            val error = assertThrows(SafeFrameException.InvalidArgument::class.java) { SafeFrameStream(filter, options) }
            assertTrue("$options: ${error.message}", error.message!!.contains("`$field`"))
        }
        // Without the gate its settings are not used, so not checked.
        SafeFrameStream(filter, StreamOptions(changeGate = false, changeTiles = 0)).close()
    }

    @Test
    fun aStaticSceneRestsTheModelAndCountsReusedFrames() {
        SafeFrameStream(filter, StreamOptions()).use { stream ->
            for (i in 0 until 30) assertEquals("frame $i", Action.ALLOW, stream.frame(grey, i).verdict.action)
            // The same scene through the zero-copy path, on the same stream.
            for (i in 30 until 60) {
                val buffer = ZeroCopyTest.frame(61, 37, 61 * 4, Triple(128, 128, 128))
                val frame = TestFrames.packed(61, 37, 61 * 4, timestampNs = i * FRAME_NANOS)
                assertEquals("frame $i", Action.ALLOW, stream.processFrameInPlace(frame, buffer).action)
            }
            val counters = stream.counters()
            // Two seconds of one scene: classified on frame 0 and on frame 30, when the verdict is 1 s old.
            assertEquals(60L, counters.frames)
            assertEquals(2L, counters.classified)
            assertEquals(58L, counters.reused)
            assertEquals(0L, counters.held)
        }
    }

    @Test
    fun aCutIsRedactedOnItsOwnFrameWhateverTheCadence() {
        SafeFrameStream(filter, StreamOptions(cadence = StreamCadence.EveryNth(10))).use { stream ->
            for (i in 0 until 5) assertEquals("frame $i", Action.ALLOW, stream.frame(grey, i).verdict.action)
            // Frame 5 is off the cadence (0, 10, …) but changed: classified now, never released unredacted.
            val out = stream.frame(cut, 5)
            assertEquals(Action.BLOCK, out.verdict.action)
            assertEquals(Category.PORN, out.verdict.category)
            assertTrue("the cut was released unredacted", out.planes[0].all { it == 0.toByte() })
            val counters = stream.counters()
            assertEquals(listOf(6L, 2L, 4L), listOf(counters.frames, counters.classified, counters.reused))
        }
    }

    @Test
    fun withoutTheGateTheCadenceAloneDecides() {
        val options = StreamOptions(cadence = StreamCadence.EveryNth(10), changeGate = false)
        SafeFrameStream(filter, options).use { stream ->
            val actions = (0 until 11).map { i ->
                val pixels = if (i < 5) grey else cut
                val out = stream.frame(pixels, i)
                if (out.verdict.action == Action.ALLOW) assertArrayEquals("frame $i untouched", pixels, out.planes[0])
                out.verdict.action
            }
            // As before the gate: frames 5–9 keep the allow in force; frame 10 is classified.
            assertEquals(List(10) { Action.ALLOW } + Action.BLOCK, actions)
            val counters = stream.counters()
            assertEquals(listOf(11L, 2L, 0L), listOf(counters.frames, counters.classified, counters.reused))
        }
    }

    @Test
    fun aChangedFrameIsHeldAsChosenWhileItsBackgroundVerdictIsPending() {
        for ((hold, want) in listOf(null to Action.BLUR, Action.BLOCK to Action.BLOCK)) {
            SafeFrameStream(filter, StreamOptions(background = true, hold = hold)).use { stream ->
                // Warm up until the worker's verdict for the grey scene is in force.
                var i = 0
                while (stream.frame(grey, i).verdict.action != Action.ALLOW) {
                    assertTrue("no verdict from the worker", i < 500)
                    Thread.sleep(10)
                    i++
                }
                val heldBefore = stream.counters().held
                // A cut (blocked content, but its verdict is pending): held as chosen.
                assertEquals("hold $hold", want, stream.frame(cut, i + 1).verdict.action)
                assertEquals(heldBefore + 1, stream.counters().held)
            }
        }
    }
}
