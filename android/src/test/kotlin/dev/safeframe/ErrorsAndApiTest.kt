package dev.safeframe

import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.assertThrows
import org.junit.BeforeClass
import org.junit.Test
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import javax.imageio.ImageIO

/** Typed errors for bad input, policies, encoded images and the suspend API. */
class ErrorsAndApiTest {
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

        fun png(width: Int, height: Int, rgb: Int): ByteArray {
            val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
            for (y in 0 until height) for (x in 0 until width) image.setRGB(x, y, rgb)
            return ByteArrayOutputStream().also { ImageIO.write(image, "png", it) }.toByteArray()
        }

        fun rgba(width: Int, height: Int, stride: Int) = TestFrames.packed(width, height, stride)
    }

    @Test
    fun aShortBufferIsAnInvalidFrameThatSaysWhy() {
        val e = assertThrows(SafeFrameException.InvalidFrame::class.java) {
            filter.checkFrame(rgba(4, 4, 16), listOf(ByteArray(10)))
        }
        assertTrue(e.message, e.message!!.contains("10 bytes is too small"))
    }

    @Test
    fun aStrideShorterThanARowIsAnInvalidFrame() {
        val e = assertThrows(SafeFrameException.InvalidFrame::class.java) {
            filter.checkFrame(rgba(4, 4, 15), listOf(ByteArray(64)))
        }
        assertTrue(e.message, e.message!!.contains("stride 15"))
    }

    @Test
    fun negativeAndZeroSizesAreInvalidFrames() {
        assertThrows(SafeFrameException.InvalidFrame::class.java) { filter.checkFrame(rgba(-4, 4, 16), listOf(ByteArray(64))) }
        assertThrows(SafeFrameException.InvalidFrame::class.java) { filter.checkFrame(rgba(4, 4, -16), listOf(ByteArray(64))) }
        assertThrows(SafeFrameException.InvalidFrame::class.java) { filter.checkFrame(rgba(0, 0, 0), listOf(ByteArray(0))) }
    }

    @Test
    fun aHugeFrameIsFrameTooLarge() {
        assertThrows(SafeFrameException.FrameTooLarge::class.java) {
            filter.checkFrame(rgba(100_000, 1, 400_000), listOf(ByteArray(16)))
        }
    }

    @Test
    fun policiesAreTypedAndNameTheBadField() {
        assertThrows(SafeFrameException.UnknownPreset::class.java) { Policy.fromPresetName("toddler") }
        val e = assertThrows(SafeFrameException.InvalidPolicy::class.java) {
            Policy.fromJson("""{"rules":[{"categories":["porn"],"threshold":1.5,"action":"blur"}]}""")
        }
        assertTrue(e.message, e.message!!.contains("rules[0].threshold"))
        val custom = Policy.fromJson("""{"name":"strict","rules":[{"categories":["sexy"],"threshold":0.2,"action":"block"}]}""")
        assertEquals("strict", custom.name())
        val verdict = custom.evaluate(Scores(0f, 0f, 0.7f, 0f, 0.3f))
        assertEquals(Action.BLOCK, verdict.action)
        assertEquals(Category.SEXY, verdict.category)
        assertEquals("teen", Policy.fromPresetName("teen").name())
    }

    @Test
    fun missingPacksAndBadOptionsAreTypedErrors() {
        assertThrows(SafeFrameException.Io::class.java) {
            SafeFrameFilter.fromDirectory("/nonexistent/pack", Policy.preset(Preset.CHILD), false, FilterOptions())
        }
        assertThrows(SafeFrameException.InvalidArgument::class.java) {
            SafeFrameFilter.fromDirectory(OracleFixtures.pack("oracle"), Policy.preset(Preset.CHILD), false, FilterOptions(intraThreads = 0))
        }
    }

    @Test
    fun aPackFromBytesLoadsAndABadChecksumIsRefused() {
        val dir = File(OracleFixtures.pack("oracle"))
        val manifest = File(dir, "manifest.json").readBytes()
        val signature = File(dir, "signature.json").readBytes()
        val onnx = File(dir, "model.onnx").readBytes()
        SafeFrameFilter.fromBytes(manifest, onnx, Policy.preset(Preset.TEEN), false, FilterOptions(), signature).use {
            assertEquals("oracle", it.modelName())
        }
        val tampered = onnx.copyOf().also { it[it.size - 1] = (it[it.size - 1] + 1).toByte() }
        val e = assertThrows(SafeFrameException.ChecksumMismatch::class.java) {
            SafeFrameFilter.fromBytes(manifest, tampered, Policy.preset(Preset.TEEN), false, FilterOptions(), signature)
        }
        assertTrue(e.message, e.message!!.contains("sha256"))
    }

    @Test
    fun signedPacksAreCheckedAndEachRefusalIsItsOwnException() {
        val dir = File(OracleFixtures.pack("oracle"))
        val manifest = File(dir, "manifest.json").readBytes()
        val signature = File(dir, "signature.json").readBytes()
        val onnx = File(dir, "model.onnx").readBytes()
        fun load(manifest: ByteArray, signature: ByteArray?, options: FilterOptions = FilterOptions()) =
            SafeFrameFilter.fromBytes(manifest, onnx, Policy.preset(Preset.CHILD), false, options, signature)
        // The attack of issue #18: the labels reversed in a copied manifest.
        val reversed = String(manifest).replace(
            "\"Drawing\", \"Hentai\", \"Neutral\", \"Porn\", \"Sexy\"",
            "\"Sexy\", \"Porn\", \"Neutral\", \"Hentai\", \"Drawing\"",
        ).replace(
            "\"Drawing\",\n    \"Hentai\",\n    \"Neutral\",\n    \"Porn\",\n    \"Sexy\"",
            "\"Sexy\",\n    \"Porn\",\n    \"Neutral\",\n    \"Hentai\",\n    \"Drawing\"",
        ).toByteArray()
        assertTrue("the labels were reversed", !reversed.contentEquals(manifest))
        val tampered = assertThrows(SafeFrameException.ModelTampered::class.java) { load(reversed, signature) }
        assertEquals(ErrorKind.MODEL_TAMPERED, tampered.kind)
        assertThrows(SafeFrameException.ModelUnsigned::class.java) { load(manifest, null) }
        load(manifest, null, FilterOptions(allowUnsigned = true)).use { assertEquals("oracle", it.modelName()) }
        val keyId = Regex("\"key_id\": \"([0-9a-f]{16})\"").find(String(signature))!!.groupValues[1]
        assertThrows(SafeFrameException.ModelKeyRevoked::class.java) {
            load(manifest, signature, FilterOptions(revokedKeys = listOf(keyId)))
        }
        assertThrows(SafeFrameException.ModelRolledBack::class.java) {
            load(manifest, signature, FilterOptions(minVersion = "1.0.1"))
        }
        val otherKey = "ed25519:" + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        assertThrows(SafeFrameException.ModelUntrusted::class.java) {
            load(manifest, signature, FilterOptions(trustedKeys = listOf(otherKey), replaceShippedKeys = true))
        }
    }

    @Test
    fun encodedImagesAreCheckedAndGarbageIsInvalidImage() {
        // Solid red: the oracle's porn colour, blocked under child (oracle README).
        val red = filter.checkEncodedImage(png(40, 30, 0xFF0000))
        assertEquals(Action.BLOCK, red.action)
        assertEquals(Category.PORN, red.category)
        val grey = filter.checkEncodedImage(png(40, 30, 0x808080))
        assertEquals(Action.ALLOW, grey.action)
        val e = assertThrows(SafeFrameException.InvalidImage::class.java) { filter.checkEncodedImage("not an image".toByteArray()) }
        assertTrue(e.message, e.message!!.contains("unrecognised image format"))
    }

    @Test
    fun theSuspendCheckGivesTheSameVerdictOffTheCallersThread() = runBlocking {
        val image = png(40, 30, 0xFF0000)
        val verdict = filter.checkEncodedImageAsync(image)
        assertEquals(filter.checkEncodedImage(image), verdict)
        assertThrows(SafeFrameException.InvalidImage::class.java) {
            runBlocking { filter.checkEncodedImageAsync(byteArrayOf(1, 2, 3)) }
        }
        Unit
    }

    @Test
    fun filterFrameReturnsRedactedPixels() {
        val (w, h) = 16 to 12
        val red = ByteArray(w * h * 4) { if (it % 4 == 0 || it % 4 == 3) -1 else 0 }
        val out = filter.filterFrame(rgba(w, h, w * 4), listOf(red))
        assertEquals(Action.BLOCK, out.verdict.action)
        assertTrue(out.planes[0].toList().chunked(4).all { it == listOf<Byte>(0, 0, 0, -1) })
        val grey = ByteArray(w * h * 4) { 0x80.toByte() }
        val kept = filter.filterFrame(rgba(w, h, w * 4), listOf(grey))
        assertEquals(Action.ALLOW, kept.verdict.action)
        assertTrue(kept.planes[0].contentEquals(grey))
    }

    @Test
    fun versionAndPresetsAreExposed() {
        assertNotEquals("", version())
        assertEquals(listOf("child", "teen", "adult"), presetNames())
    }
}
