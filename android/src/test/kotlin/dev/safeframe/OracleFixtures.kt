package dev.safeframe

import java.io.File

/** Test helpers: the repository's fixture paths and `oracle-cases.json`, read with a tiny JSON parser. */
object OracleFixtures {
    /** The repository root: `-Dsafeframe.root=…` (scripts/test-kotlin sets it). */
    val root: File = File(System.getProperty("safeframe.root") ?: error("set -Dsafeframe.root to the repository root"))
    val oracleDir: File = File(root, "tests/fixtures/oracle")

    fun pack(name: String): String = File(oracleDir, name).path

    /** A fail-closed filter on the oracle pack with the child preset (close it when done). */
    fun childFilter(): SafeFrameFilter =
        SafeFrameFilter.fromDirectory(pack("oracle"), Policy.preset(Preset.CHILD), false, FilterOptions())

    val cases: Map<String, Any?> by lazy {
        @Suppress("UNCHECKED_CAST")
        Json.parse(File(oracleDir, "oracle-cases.json").readText()) as Map<String, Any?>
    }

    /** A case's image as packed pixels of [format], rows [stride] bytes apart (padding filled with 0x5A). */
    fun image(case: Map<String, Any?>, format: PixelFormat, stride: Int): ByteArray {
        val width = (case["width"] as Number).toInt()
        val height = (case["height"] as Number).toInt()
        @Suppress("UNCHECKED_CAST")
        val image = case["image"] as Map<String, Any?>
        val bpp = if (format == PixelFormat.RGB8) 3 else 4
        val out = ByteArray(stride * (height - 1) + width * bpp) { 0x5A }
        for (y in 0 until height) for (x in 0 until width) {
            val rgb = pixel(image, x, y, width, height)
            val o = y * stride + x * bpp
            when (format) {
                PixelFormat.RGBA8 -> { out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2]; out[o + 3] = -1 }
                PixelFormat.BGRA8 -> { out[o] = rgb[2]; out[o + 1] = rgb[1]; out[o + 2] = rgb[0]; out[o + 3] = -1 }
                PixelFormat.RGB8 -> { out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2] }
                else -> error("image() writes packed RGB formats, not $format")
            }
        }
        return out
    }

    private fun pixel(image: Map<String, Any?>, x: Int, y: Int, width: Int, height: Int): ByteArray {
        val key = when (image["kind"]) {
            "solid" -> "rgb"
            "quadrants" -> when {
                x < width / 2 && y < height / 2 -> "top_left"
                y < height / 2 -> "top_right"
                x < width / 2 -> "bottom_left"
                else -> "bottom_right"
            }
            else -> error("unknown image kind ${image["kind"]}")
        }
        @Suppress("UNCHECKED_CAST")
        val rgb = image[key] as List<Number>
        return ByteArray(3) { rgb[it].toInt().toByte() }
    }

    fun scoresOf(map: Map<String, Any?>): Scores = Scores(
        drawing = (map["drawing"] as Number).toFloat(),
        hentai = (map["hentai"] as Number).toFloat(),
        neutral = (map["neutral"] as Number).toFloat(),
        porn = (map["porn"] as Number).toFloat(),
        sexy = (map["sexy"] as Number).toFloat(),
    )
}

/** A minimal JSON reader for the fixtures: objects, arrays, strings, numbers, booleans, null. */
object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val value = p.value()
        p.skipSpace()
        require(p.i == text.length) { "trailing characters at ${p.i}" }
        return value
    }

    private class Parser(val s: String) {
        var i = 0

        fun skipSpace() {
            while (i < s.length && s[i].isWhitespace()) i++
        }

        fun value(): Any? {
            skipSpace()
            return when (val c = s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> word("true", true)
                'f' -> word("false", false)
                'n' -> word("null", null)
                else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $i")
            }
        }

        fun word(w: String, v: Any?): Any? {
            require(s.startsWith(w, i)) { "bad literal at $i" }
            i += w.length
            return v
        }

        fun num(): Double {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            return s.substring(start, i).toDouble()
        }

        fun str(): String {
            val sb = StringBuilder()
            i++
            while (s[i] != '"') {
                if (s[i] == '\\') {
                    i++
                    when (val e = s[i]) {
                        'n' -> sb.append('\n')
                        't' -> sb.append('\t')
                        'u' -> { sb.append(s.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                        else -> sb.append(e)
                    }
                } else sb.append(s[i])
                i++
            }
            i++
            return sb.toString()
        }

        fun arr(): List<Any?> {
            val out = mutableListOf<Any?>()
            i++
            skipSpace()
            if (s[i] == ']') { i++; return out }
            while (true) {
                out.add(value())
                skipSpace()
                if (s[i++] == ']') return out
            }
        }

        fun obj(): Map<String, Any?> {
            val out = linkedMapOf<String, Any?>()
            i++
            skipSpace()
            if (s[i] == '}') { i++; return out }
            while (true) {
                skipSpace()
                val k = str()
                skipSpace()
                require(s[i++] == ':') { "expected ':' at $i" }
                out[k] = value()
                skipSpace()
                if (s[i++] == '}') return out
            }
        }
    }
}
