import Foundation
import XCTest
@testable import SafeFrame

/// Every case of `oracle-cases.json` through the copying methods and the zero-copy ones (C ABI).
final class OracleCasesTests: XCTestCase {
    func testEveryOracleCaseScoresAndDecidesAsExpectedUnderEveryPreset() throws {
        XCTAssertGreaterThanOrEqual(Fixtures.oracleCases.count, 20)
        for (presetName, preset) in Fixtures.presets {
            let filter = try SafeFrameFilter.fromDirectory(
                packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: preset), failOpen: false, options: FilterOptions())
            for c in Fixtures.oracleCases {
                let name = c["name"] as! String
                let (w, h) = (Fixtures.int(c["width"]), Fixtures.int(c["height"]))
                let stride = w * 4 + 8
                let pixels = Data(Fixtures.image(c, format: .bgra8, stride: stride))
                let verdict = try filter.checkFrame(frame: Fixtures.packed(w, h, .bgra8, stride: stride), planes: [pixels])
                XCTAssertLessThanOrEqual(
                    Fixtures.maxDiff(verdict.scores, Fixtures.scores(c["expected_scores"])), Fixtures.tolerance, name)
                let want = (c["expected"] as! [String: [String: Any]])[presetName]!
                XCTAssertEqual(Fixtures.name(verdict.action), want["action"] as? String, "\(name) under \(presetName)")
                XCTAssertEqual(Fixtures.name(verdict.category), want["category"] as? String, "\(name) under \(presetName)")
            }
        }
    }

    func testEveryOracleCaseWithoutACopyInPlace() throws {
        let direct = try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: .child), failOpen: false, options: FilterOptions())
        for c in Fixtures.oracleCases {
            let name = c["name"] as! String
            let (w, h) = (Fixtures.int(c["width"]), Fixtures.int(c["height"]))
            let stride = w * 3 + 3
            var pixels = Fixtures.image(c, format: .rgb8, stride: stride)
            let frame = Fixtures.packed(w, h, .rgb8, stride: stride)
            let checked = try pixels.withUnsafeBytes { try direct.checkFrame(frame, buffers: [$0]) }
            XCTAssertLessThanOrEqual(
                Fixtures.maxDiff(checked.scores, Fixtures.scores(c["expected_scores"])), Fixtures.tolerance, name)
            let want = (c["expected"] as! [String: [String: Any]])["child"]!
            XCTAssertEqual(Fixtures.name(checked.action), want["action"] as? String, name)
            XCTAssertEqual(Fixtures.name(checked.category), want["category"] as? String, name)
            let filtered = try pixels.withUnsafeMutableBytes { try direct.filterFrameInPlace(frame, buffers: [$0]) }
            XCTAssertEqual(filtered, checked, name)
            if checked.action == .block {
                for y in 0..<h {
                    XCTAssertTrue(pixels[(y * stride)..<(y * stride + w * 3)].allSatisfy { $0 == 0 }, "\(name) row \(y) blocked")
                }
            }
        }
    }

    func testFaultyModelsEndInAnErrorNeverAnAllow() throws {
        XCTAssertTrue(Fixtures.faultyCases.contains { $0["expect"] as! String == "error" })
        for c in Fixtures.faultyCases {
            let name = "\(c["pack"]!)/\(c["name"]!)"
            let expect = c["expect"] as! String
            let (w, h) = (Fixtures.int(c["width"]), Fixtures.int(c["height"]))
            let pixels = Data(Fixtures.image(c, format: .rgba8, stride: w * 4))
            let filter: SafeFrameFilter
            do {
                filter = try SafeFrameFilter.fromDirectory(
                    packDir: Fixtures.pack(c["pack"] as! String), policy: Policy.preset(preset: .child), failOpen: false,
                    options: FilterOptions())
            } catch {
                XCTAssertEqual(expect, "error", "\(name): load failed: \(error)")
                continue
            }
            do {
                let verdict = try filter.checkFrame(frame: Fixtures.packed(w, h, .rgba8, stride: w * 4), planes: [pixels])
                XCTAssertEqual(expect, "ok", "\(name) gave \(verdict)")
            } catch SafeFrameError.InvalidScores(let message) {
                XCTAssertEqual(expect, "error", "\(name): \(message)")
            }
        }
    }
}
