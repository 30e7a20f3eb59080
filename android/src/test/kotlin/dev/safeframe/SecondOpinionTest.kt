package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.nio.ByteBuffer

/**
 * A second-opinion model through uniffi and JNI. The oracle pack is both the primary and the
 * second model, so the second model's porn score equals the primary's: solid red scores 0.95,
 * dark red (170, 0, 0) 0.73 (oracle README).
 */
class SecondOpinionTest {
    companion object {
        /** Rule 0 never fires (the oracle's hentai tops out at 0.95); rule 1 blocks when the
         *  primary says porn >= 0.3 and the second model porn >= 0.9. */
        const val TWO_MODELS = """{"name":"two-models","rules":[
            {"categories":["hentai"],"threshold":0.99,"action":"blur"},
            {"when":[{"model":"primary","labels":["porn"],"threshold":0.3},
                     {"model":"second","labels":["porn"],"threshold":0.9}],"action":"block"}]}"""

        private lateinit var filter: SafeFrameFilter

        fun cascade(): SafeFrameFilter = SafeFrameFilter.withSecondOpinion(
            OracleFixtures.pack("oracle"), OracleFixtures.pack("oracle"), Policy.fromJson(TWO_MODELS), false, FilterOptions(),
        )

        @BeforeClass
        @JvmStatic
        fun load() {
            filter = cascade()
        }

        @AfterClass
        @JvmStatic
        fun close() = filter.close()

        fun rgba(w: Int, h: Int, r: Int, g: Int, b: Int): ByteArray =
            ByteArray(w * h * 4) { i -> when (i % 4) { 0 -> r; 1 -> g; 2 -> b; else -> 255 }.toByte() }

        /** The 16×12 RGBA frames of these tests. */
        val frame = TestFrames.packed(16, 12, 64)
    }

    @Test
    fun aFrameThePrimaryFlagsButTheSecondDoesNotReachIsAllowed() {
        val v = filter.checkFrame(frame, listOf(rgba(16, 12, 170, 0, 0)))
        assertEquals(Action.ALLOW, v.action)
        assertNull(v.rule)
        assertTrue("porn ${v.scores.porn}", v.scores.porn >= 0.3f)
        assertNotNull("the second model ran", v.secondScores)
        assertEquals(0.73f, v.secondScores!![3], 0.01f)
    }

    @Test
    fun aFrameBothModelsFlagIsBlockedWithTheRuleAndTheSecondScores() {
        val out = filter.filterFrame(frame, listOf(rgba(16, 12, 255, 0, 0)))
        val v = out.verdict
        assertEquals(Action.BLOCK, v.action)
        assertEquals(Category.PORN, v.category)
        assertEquals(1u, v.rule)
        val second = v.secondScores!!
        assertEquals(5, second.size)
        assertEquals(0.9503f, second[3], 0.001f)
        assertEquals(listOf("Drawing", "Hentai", "Neutral", "Porn", "Sexy"), filter.secondOpinionLabels())
        assertEquals("oracle", filter.secondOpinionName())
        assertTrue(out.planes[0].toList().chunked(4).all { it == listOf<Byte>(0, 0, 0, -1) })
        // Grey: the primary flags nothing, so the second model does not run.
        val grey = filter.checkFrame(frame, listOf(rgba(16, 12, 128, 128, 128)))
        assertEquals(Action.ALLOW, grey.action)
        assertNull(grey.secondScores)
    }

    @Test
    fun theZeroCopyPathCarriesTheRule() {
        val buffer = ByteBuffer.allocateDirect(16 * 12 * 4).put(rgba(16, 12, 255, 0, 0))
        val v = filter.checkFrame(frame, buffer)
        assertEquals(Action.BLOCK, v.action)
        assertEquals(1u, v.rule)
        // The whole verdict crosses the zero-copy path: the second model's scores too.
        assertEquals(filter.checkFrame(frame, listOf(rgba(16, 12, 255, 0, 0))), v)
        buffer.clear()
        buffer.put(rgba(16, 12, 170, 0, 0))
        assertNull(filter.checkFrame(frame, buffer).rule)
    }

    @Test
    fun aPolicyNamingTheSecondModelWithoutOneIsAnInvalidPolicy() {
        val e = assertThrows(SafeFrameException.InvalidPolicy::class.java) {
            SafeFrameFilter.fromDirectory(OracleFixtures.pack("oracle"), Policy.fromJson(TWO_MODELS), false, FilterOptions())
        }
        assertTrue(e.message, e.message!!.contains("rules[1].when[1].model"))
        assertThrows(SafeFrameException.InvalidPolicy::class.java) {
            SafeFrameFilter.fromDirectory(OracleFixtures.pack("oracle"), Policy.presetForModels(Preset.CHILD, true), false, FilterOptions())
        }
    }

    @Test
    fun aMissingSecondPackIsAnIoErrorAtConstruction() {
        val e = assertThrows(SafeFrameException.Io::class.java) {
            SafeFrameFilter.withSecondOpinion(
                OracleFixtures.pack("oracle"), "/nonexistent/second", Policy.fromJson(TWO_MODELS), false, FilterOptions(),
            )
        }
        assertTrue(e.message, e.message!!.contains("/nonexistent/second"))
    }

    @Test
    fun presetsPickTheirRulesForTheModelsLoaded() {
        OracleFixtures.childFilter().use { assertFalse(it.policyJson().contains("second")) }
        assertTrue(Policy.presetForModels(Preset.CHILD, true).toJson().contains("\"second\""))
        assertEquals(Policy.preset(Preset.TEEN).toJson(), Policy.presetForModels(Preset.TEEN, false).toJson())
        // The child preset's two-model rules read `nsfw`, which the oracle (as a second model) lacks.
        val e = assertThrows(SafeFrameException.InvalidPolicy::class.java) {
            SafeFrameFilter.withSecondOpinion(
                OracleFixtures.pack("oracle"), OracleFixtures.pack("oracle"), Policy.preset(Preset.CHILD), false, FilterOptions(),
            )
        }
        assertTrue(e.message, e.message!!.contains("nsfw"))
    }

    @Test
    fun aStreamFromTheFilterRunsAndCountsTheSecondOpinion() {
        SafeFrameStream(filter, StreamOptions(), null).use { stream ->
            fun process(r: Int, g: Int, b: Int) =
                stream.processFrame(frame, listOf(rgba(16, 12, r, g, b))).verdict
            assertNull(process(128, 128, 128).secondScores)
            assertEquals(0L, stream.counters().secondOpinions)
            val red = process(255, 0, 0)
            assertEquals(Action.BLOCK, red.action)
            assertEquals(1u, red.rule)
            assertNotNull(red.secondScores)
            assertEquals(1L, stream.counters().secondOpinions)
            val buffer = ByteBuffer.allocateDirect(16 * 12 * 4).put(rgba(16, 12, 170, 0, 0))
            val timed = TestFrames.packed(16, 12, 64, timestampNs = 0L)
            assertEquals(Action.BLOCK, stream.processFrameInPlace(timed, buffer).action) // hysteresis
            val counters = stream.counters()
            assertEquals(3L, counters.frames)
            assertEquals(2L, counters.secondOpinions)
        }
    }
}
