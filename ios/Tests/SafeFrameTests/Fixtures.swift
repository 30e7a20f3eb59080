import Foundation
@testable import SafeFrame
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// The repository's oracle fixtures, found from this file's path.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let oracleDir = root.appendingPathComponent("tests/fixtures/oracle")

    static func pack(_ name: String) -> String { oracleDir.appendingPathComponent(name).path }

    static let cases: [String: Any] = {
        let data = try! Data(contentsOf: oracleDir.appendingPathComponent("oracle-cases.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static var oracleCases: [[String: Any]] { cases["cases"] as! [[String: Any]] }
    static var faultyCases: [[String: Any]] { cases["faulty"] as! [[String: Any]] }
    static var tolerance: Float { (cases["score_tolerance"] as! NSNumber).floatValue }

    static func int(_ value: Any?) -> Int { (value as! NSNumber).intValue }

    /// A case's image as packed pixels, rows `stride` bytes apart, padding filled with 0x5A.
    static func image(_ c: [String: Any], format: PixelFormat, stride: Int) -> [UInt8] {
        let (width, height) = (int(c["width"]), int(c["height"]))
        let spec = c["image"] as! [String: Any]
        let bpp = format == .rgb8 ? 3 : 4
        var out = [UInt8](repeating: 0x5A, count: stride * (height - 1) + width * bpp)
        for y in 0..<height {
            for x in 0..<width {
                let key: String
                if spec["kind"] as! String == "solid" {
                    key = "rgb"
                } else if x < width / 2 && y < height / 2 {
                    key = "top_left"
                } else if y < height / 2 {
                    key = "top_right"
                } else if x < width / 2 {
                    key = "bottom_left"
                } else {
                    key = "bottom_right"
                }
                let rgb = (spec[key] as! [NSNumber]).map { UInt8($0.intValue) }
                let o = y * stride + x * bpp
                switch format {
                case .rgba8: out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2]; out[o + 3] = 255
                case .bgra8: out[o] = rgb[2]; out[o + 1] = rgb[1]; out[o + 2] = rgb[0]; out[o + 3] = 255
                case .rgb8: out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2]
                default: fatalError("image() paints packed RGB formats; use yuv() for the others")
                }
            }
        }
        return out
    }

    /// The colour of a case at (x, y), as `image` paints it.
    static func rgb(_ c: [String: Any], _ x: Int, _ y: Int) -> [Double] {
        let (width, height) = (int(c["width"]), int(c["height"]))
        let spec = c["image"] as! [String: Any]
        let key = spec["kind"] as! String == "solid" ? "rgb"
            : (y < height / 2 ? (x < width / 2 ? "top_left" : "top_right") : (x < width / 2 ? "bottom_left" : "bottom_right"))
        return (spec[key] as! [NSNumber]).map { $0.doubleValue }
    }

    /// A case as full-range BT.601 4:2:0 planes, tightly packed: Y (`width` per row), and U and
    /// V (`(width + 1) / 2` samples per row, each the mean of its 2x2 block).
    static func yuv(_ c: [String: Any]) -> (y: [UInt8], u: [UInt8], v: [UInt8]) {
        let (w, h) = (int(c["width"]), int(c["height"]))
        let (cw, ch) = ((w + 1) / 2, (h + 1) / 2)
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v + 0.5))) }
        func convert(_ p: [Double]) -> (Double, Double, Double) {
            let y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
            return (y, 128 + (p[2] - y) / 1.772, 128 + (p[0] - y) / 1.402)
        }
        var luma = [UInt8](repeating: 0, count: w * h), u = [UInt8](repeating: 0, count: cw * ch), v = u
        for y in 0..<h { for x in 0..<w { luma[y * w + x] = byte(convert(rgb(c, x, y)).0) } }
        for row in 0..<ch {
            for col in 0..<cw {
                let block = [(0, 0), (1, 0), (0, 1), (1, 1)].map { (col * 2 + $0.0, row * 2 + $0.1) }.filter { $0.0 < w && $0.1 < h }
                let samples = block.map { convert(rgb(c, $0.0, $0.1)) }
                u[row * cw + col] = byte(samples.map { $0.1 }.reduce(0, +) / Double(samples.count))
                v[row * cw + col] = byte(samples.map { $0.2 }.reduce(0, +) / Double(samples.count))
            }
        }
        return (luma, u, v)
    }

    /// Cases whose 2x2 chroma blocks each lie inside one quadrant (or solid ones): 4:2:0 chroma
    /// carries the same image.
    static var yuvCases: [[String: Any]] {
        oracleCases.filter {
            let spec = $0["image"] as! [String: Any]
            return spec["kind"] as! String == "solid" || (int($0["width"]) / 2 % 2 == 0 && int($0["height"]) / 2 % 2 == 0)
        }
    }

    /// A packed frame's description, one plane `stride` bytes per row.
    static func packed(_ width: Int, _ height: Int, _ format: PixelFormat, stride: Int, timestampNs: Int64? = nil) -> Frame {
        Frame(width: Int32(width), height: Int32(height), format: format, planes: [FramePlane(rowStride: Int32(stride))],
              timestampNs: timestampNs)
    }

    static func scores(_ m: Any?) -> Scores {
        let m = m as! [String: NSNumber]
        return Scores(
            drawing: m["drawing"]!.floatValue, hentai: m["hentai"]!.floatValue, neutral: m["neutral"]!.floatValue,
            porn: m["porn"]!.floatValue, sexy: m["sexy"]!.floatValue)
    }

    static func maxDiff(_ a: Scores, _ b: Scores) -> Float {
        [a.drawing - b.drawing, a.hentai - b.hentai, a.neutral - b.neutral, a.porn - b.porn, a.sexy - b.sexy]
            .map { abs($0) }.max()!
    }

    static func name(_ a: Action) -> String {
        switch a {
        case .allow: return "allow"
        case .warn: return "warn"
        case .blur: return "blur"
        case .block: return "block"
        }
    }

    static func name(_ c: Category?) -> String? {
        guard let c else { return nil }
        switch c {
        case .drawing: return "drawing"
        case .hentai: return "hentai"
        case .neutral: return "neutral"
        case .porn: return "porn"
        case .sexy: return "sexy"
        case .known: return "known"
        }
    }

    /// The counters of `stream` as the C ABI reports them (`safeframe_stream_counters`).
    static func cCounters(_ stream: SafeFrameStream) -> StreamCounters {
        let native = safeframe_stream_from_handle(stream.directHandle())!
        defer { safeframe_stream_free(native) }
        var c = SafeFrameStreamCounters()
        _ = safeframe_stream_counters(native, &c)
        let n = { (v: UInt64) in Int64(clamping: v) }
        return StreamCounters(
            frames: n(c.frames), classified: n(c.classified), blurred: n(c.blurred), blocked: n(c.blocked),
            errors: n(c.errors), samplesDropped: n(c.samples_dropped), hashed: n(c.hashed),
            knownMatches: n(c.known_matches), secondOpinions: n(c.second_opinions), held: n(c.held),
            reused: n(c.reused))
    }

    static let presets: [(String, Preset)] = [("child", .child), ("teen", .teen), ("adult", .adult)]
}
