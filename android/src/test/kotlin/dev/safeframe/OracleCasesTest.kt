package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.Test
import kotlin.math.abs

/** Every case of `oracle-cases.json`, through the uniffi bindings, under every preset. */
class OracleCasesTest {
    companion object {
        private lateinit var filters: Map<Preset, SafeFrameFilter>

        @BeforeClass
        @JvmStatic
        fun load() {
            filters = Preset.entries.associateWith {
                SafeFrameFilter.fromDirectory(OracleFixtures.pack("oracle"), Policy.preset(it), false, FilterOptions())
            }
        }

        @AfterClass
        @JvmStatic
        fun close() = filters.values.forEach { it.close() }

        @Suppress("UNCHECKED_CAST")
        val cases: List<Map<String, Any?>> get() = OracleFixtures.cases["cases"] as List<Map<String, Any?>>
        val tolerance: Float get() = (OracleFixtures.cases["score_tolerance"] as Number).toFloat()
    }

    private fun assertScores(name: String, want: Scores, got: Scores) {
        val diffs = listOf(
            want.drawing - got.drawing, want.hentai - got.hentai, want.neutral - got.neutral,
            want.porn - got.porn, want.sexy - got.sexy,
        ).map { abs(it) }
        assertTrue("$name: scores $got differ from $want", diffs.all { it <= tolerance })
    }

    @Test
    fun everyOracleCaseScoresAndDecidesAsExpectedUnderEveryPreset() {
        assertTrue(cases.size >= 20)
        for (case in cases) {
            val name = case["name"] as String
            val width = (case["width"] as Number).toInt()
            val height = (case["height"] as Number).toInt()
            val stride = width * 4 + 8 // padded rows: strides must be honoured
            val pixels = OracleFixtures.image(case, PixelFormat.RGBA8, stride)
            @Suppress("UNCHECKED_CAST")
            val expected = case["expected"] as Map<String, Map<String, Any?>>
            @Suppress("UNCHECKED_CAST")
            val wantScores = OracleFixtures.scoresOf(case["expected_scores"] as Map<String, Any?>)
            for ((preset, filter) in filters) {
                val verdict = filter.checkFrame(TestFrames.packed(width, height, stride), listOf(pixels))
                assertScores(name, wantScores, verdict.scores)
                val want = expected[preset.name.lowercase()]!!
                assertEquals("$name under $preset", want["action"], verdict.action.name.lowercase())
                assertEquals("$name under $preset", want["category"], verdict.category?.name?.lowercase())
            }
        }
    }

    @Test
    fun bgraAndRgbFramesScoreLikeRgba() {
        val filter = filters.getValue(Preset.CHILD)
        for (case in cases.filter { (it["width"] as Number).toInt() > 2 }) {
            val width = (case["width"] as Number).toInt()
            val height = (case["height"] as Number).toInt()
            @Suppress("UNCHECKED_CAST")
            val want = OracleFixtures.scoresOf(case["expected_scores"] as Map<String, Any?>)
            for ((format, bpp) in listOf(PixelFormat.BGRA8 to 4, PixelFormat.RGB8 to 3)) {
                val stride = width * bpp + 5
                val verdict = filter.checkFrame(TestFrames.packed(width, height, stride, format), listOf(OracleFixtures.image(case, format, stride)))
                assertScores("${case["name"]} as $format", want, verdict.scores)
            }
        }
    }

    @Test
    fun faultyModelsEndInAnErrorNeverAnAllow() {
        @Suppress("UNCHECKED_CAST")
        val faulty = OracleFixtures.cases["faulty"] as List<Map<String, Any?>>
        assertTrue(faulty.any { it["expect"] == "error" })
        for (case in faulty) {
            val name = "${case["pack"]}/${case["name"]}"
            val width = (case["width"] as Number).toInt()
            val height = (case["height"] as Number).toInt()
            val pixels = OracleFixtures.image(case, PixelFormat.RGBA8, width * 4)
            val filter = try {
                SafeFrameFilter.fromDirectory(OracleFixtures.pack(case["pack"] as String), Policy.preset(Preset.CHILD), false, FilterOptions())
            } catch (e: SafeFrameException) {
                assertEquals("$name: load failed: ${e.message}", "error", case["expect"])
                continue
            }
            filter.use {
                var checked: Verdict? = null
                try {
                    checked = it.checkFrame(TestFrames.packed(width, height, width * 4), listOf(pixels))
                    assertEquals("$name gave $checked", "ok", case["expect"])
                    @Suppress("UNCHECKED_CAST")
                    assertScores(name, OracleFixtures.scoresOf(case["expected_scores"] as Map<String, Any?>), checked.scores)
                } catch (e: SafeFrameException) {
                    assertEquals("$name: ${e.message}", "error", case["expect"])
                    assertTrue("$name: ${e::class.simpleName}", e is SafeFrameException.InvalidScores || e is SafeFrameException.Inference)
                }
                // filterFrame agrees: the same verdict, or the same error (never an allow).
                try {
                    val out = it.filterFrame(TestFrames.packed(width, height, width * 4), listOf(pixels))
                    assertEquals(name, checked, out.verdict)
                } catch (e: SafeFrameException) {
                    if (case["expect"] != "error") fail("$name: unexpected ${e.message}")
                }
            }
        }
    }

    @Test
    fun presetsInTheCasesFileMatchTheBuiltInPresets() {
        @Suppress("UNCHECKED_CAST")
        val presets = OracleFixtures.cases["presets"] as Map<String, Any?>
        assertEquals(presets.keys.toList(), presetNames())
        for (preset in Preset.entries) {
            val builtIn = Json.parse(Policy.preset(preset).toJson()) as Map<*, *>
            assertEquals(preset.name, presets[preset.name.lowercase()], builtIn["rules"])
        }
    }
}
