package dev.safeframe

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.io.File
import java.nio.ByteBuffer
import javax.imageio.ImageIO

/**
 * Known-content blocklists through the bindings, with a benign fixture: a bridge photo from
 * tests/fixtures/pdq-vectors, whose PDQ hash Meta's reference hasher printed (vectors.tsv).
 */
class BlocklistTest {
    companion object {
        private lateinit var filter: SafeFrameFilter
        private val vectors = File(OracleFixtures.root, "tests/fixtures/pdq-vectors")

        @BeforeClass
        @JvmStatic
        fun load() {
            filter = OracleFixtures.childFilter()
        }

        @AfterClass
        @JvmStatic
        fun close() = filter.close()

        /** The reference hash of a fixture file, from vectors.tsv. */
        fun hashOf(file: String): String =
            File(vectors, "vectors.tsv").readLines().map { it.split('\t') }.first { it[0] == file }[3]

        /** A fixture PNG as packed RGBA8 rows (no padding). */
        fun rgba(file: String): Triple<ByteArray, Int, Int> {
            val image = ImageIO.read(File(vectors, file))
            val (w, h) = Pair(image.width, image.height)
            val out = ByteArray(w * h * 4)
            for (y in 0 until h) for (x in 0 until w) {
                val argb = image.getRGB(x, y)
                val o = (y * w + x) * 4
                out[o] = (argb shr 16).toByte(); out[o + 1] = (argb shr 8).toByte(); out[o + 2] = argb.toByte(); out[o + 3] = -1
            }
            return Triple(out, w, h)
        }

        const val BRIDGE = "bridge-mods-square-128x128.png"
    }

    @Test
    fun aListedImageIsKnownThroughTheFilter() {
        val list = Blocklist.fromBytes("# test list\n${hashOf(BRIDGE)} bridge square\n".toByteArray(), BlocklistOptions())
        assertEquals(1L, list.len())
        assertEquals("bridge square", list.label(0u))
        val (pixels, w, h) = rgba(BRIDGE)
        val plain = filter.checkFrame(TestFrames.packed(w, h, w * 4), listOf(pixels))
        assertNotEquals(Category.KNOWN, plain.category)
        filter.withBlocklist(list).use { guarded ->
            val verdict = guarded.checkFrame(TestFrames.packed(w, h, w * 4), listOf(pixels))
            assertEquals(Action.BLOCK, verdict.action)
            assertEquals(Category.KNOWN, verdict.category)
            assertEquals(0u, verdict.known!!.entry)
            assertTrue("distance ${verdict.known!!.distance}", verdict.known!!.distance <= 31u)
            // The same scores: the model is shared, only the blocklist was added.
            assertEquals(plain.scores, verdict.scores)
        }
        // Another image's hash does not match.
        val other = Blocklist.fromBytes("${hashOf("labelme-q0122.png")}\n".toByteArray(), BlocklistOptions())
        filter.withBlocklist(other).use { guarded ->
            val verdict = guarded.checkFrame(TestFrames.packed(w, h, w * 4), listOf(pixels))
            assertNotEquals(Category.KNOWN, verdict.category)
            assertNull(verdict.known)
        }
    }

    @Test
    fun streamsFromAGuardedFilterBlockKnownContent() {
        val file = File.createTempFile("safeframe-blocklist", ".txt")
        try {
            file.writeText("${hashOf(BRIDGE)} bridge\n")
            val list = Blocklist.fromFile(file.path, BlocklistOptions())
            val recorder = StreamTest.Recorder()
            val (pixels, w, h) = rgba(BRIDGE)
            filter.withBlocklist(list).use { guarded ->
                SafeFrameStream(guarded, StreamOptions(), recorder).use { stream ->
                    val out = stream.processFrame(TestFrames.packed(w, h, w * 4, timestampNs = 0L), listOf(pixels))
                    assertEquals(Category.KNOWN, out.verdict.category)
                    assertEquals(Action.BLOCK, out.verdict.action)
                    val buffer = ByteBuffer.allocateDirect(pixels.size).put(pixels)
                    val verdict = stream.processFrameInPlace(TestFrames.packed(w, h, w * 4, timestampNs = 1L), buffer)
                    assertEquals(Category.KNOWN, verdict.category)
                    assertTrue((0 until buffer.capacity()).all { buffer.get(it) == (if (it % 4 == 3) (-1).toByte() else 0) })
                    assertEquals(2L, stream.counters().knownMatches)
                    assertEquals(2L, stream.counters().hashed)
                }
            }
            assertEquals(ChangeCause.KNOWN_CONTENT, recorder.changes.first().cause)
            assertEquals(Category.KNOWN, recorder.changes.first().verdict.category)
        } finally {
            file.delete()
        }
    }

    @Test
    fun malformedListsAndOptionsAreTypedErrors() {
        val bad = assertThrows(SafeFrameException.InvalidBlocklist::class.java) {
            Blocklist.fromBytes("# ok\nnot-a-hash\n".toByteArray(), BlocklistOptions())
        }
        assertTrue(bad.message, bad.message!!.contains("line 2"))
        assertThrows(SafeFrameException.InvalidBlocklist::class.java) { Blocklist.fromFile("/nonexistent/list.txt", BlocklistOptions()) }
        assertThrows(SafeFrameException.InvalidArgument::class.java) {
            Blocklist.fromBytes(ByteArray(0), BlocklistOptions(maxDistance = 300))
        }
    }
}
