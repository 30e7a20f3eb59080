import Foundation
@testable import SafeFrame

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
                }
            }
        }
        return out
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

    static let presets: [(String, Preset)] = [("child", .child), ("teen", .teen), ("adult", .adult)]
}
