import Foundation
import XCTest
@testable import SafeFrame
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// A second-opinion model through uniffi and the C ABI. The oracle pack is both the primary and
/// the second model, so the second model's porn score equals the primary's: solid red scores
/// 0.95, dark red (170, 0, 0) 0.73 (oracle README).
final class SecondOpinionTests: XCTestCase {
    /// Rule 0 never fires (the oracle's hentai tops out at 0.95); rule 1 blocks when the primary
    /// says porn >= 0.3 and the second model porn >= 0.9.
    static let twoModels = """
        {"name":"two-models","rules":[
          {"categories":["hentai"],"threshold":0.99,"action":"blur"},
          {"when":[{"model":"primary","labels":["porn"],"threshold":0.3},
                   {"model":"second","labels":["porn"],"threshold":0.9}],"action":"block"}]}
        """

    private func cascade() throws -> SafeFrameFilter {
        try SafeFrameFilter.withSecondOpinion(
            packDir: Fixtures.pack("oracle"), secondPackDir: Fixtures.pack("oracle"),
            policy: Policy.fromJson(json: Self.twoModels), failOpen: false, options: FilterOptions())
    }

    private func rgb(_ c: (UInt8, UInt8, UInt8), width: Int = 16, height: Int = 12) -> Data {
        var d = Data(capacity: width * height * 3)
        for _ in 0..<(width * height) { d.append(contentsOf: [c.0, c.1, c.2]) }
        return d
    }

    func testAFrameThePrimaryFlagsButTheSecondDoesNotReachIsAllowed() throws {
        let v = try cascade().checkFrame(pixels: rgb((170, 0, 0)), width: 16, height: 12, stride: 48, format: .rgb8)
        XCTAssertEqual(v.action, .allow)
        XCTAssertNil(v.rule)
        XCTAssertGreaterThanOrEqual(v.scores.porn, 0.3)
        let second = try XCTUnwrap(v.secondScores, "the second model ran")
        XCTAssertEqual(second[3], 0.73, accuracy: 0.01)
    }

    func testAFrameBothModelsFlagIsBlockedWithTheRuleAndTheSecondScores() throws {
        let filter = try cascade()
        let out = try filter.filterFrame(pixels: rgb((255, 0, 0)), width: 16, height: 12, stride: 48, format: .rgb8)
        XCTAssertEqual(out.verdict.action, .block)
        XCTAssertEqual(out.verdict.category, .porn)
        XCTAssertEqual(out.verdict.rule, 1)
        let second = try XCTUnwrap(out.verdict.secondScores)
        XCTAssertEqual(second.count, 5)
        XCTAssertEqual(second[3], 0.9503, accuracy: 0.001)
        XCTAssertTrue(out.pixels.allSatisfy { $0 == 0 })
        XCTAssertEqual(filter.secondOpinionName(), "oracle")
        XCTAssertEqual(filter.secondOpinionLabels(), ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"])
        // Grey: the primary flags nothing, so the second model does not run.
        let grey = try filter.checkFrame(pixels: rgb((128, 128, 128)), width: 16, height: 12, stride: 48, format: .rgb8)
        XCTAssertEqual(grey.action, .allow)
        XCTAssertNil(grey.secondScores)
    }

    func testTheCAbiCarriesTheRuleThroughSharedAndLoadedFilters() throws {
        var pixels = [UInt8](repeating: 0, count: 16 * 12 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i + 2] = 255; pixels[i + 3] = 255 }  // BGRA red
        for direct in [try DirectFrameFilter(try cascade()),
                       try DirectFrameFilter(packDirectory: Fixtures.pack("oracle"), secondPackDirectory: Fixtures.pack("oracle"),
                                             policy: Self.twoModels)] {
            let v = try pixels.withUnsafeBytes { try direct.check(pixels: $0, width: 16, height: 12, rowStride: 64, format: .bgra8) }
            XCTAssertEqual(v.action, .block)
            XCTAssertEqual(v.rule, 1)
        }
    }

    func testAPolicyNamingTheSecondModelWithoutOneIsAnInvalidPolicy() throws {
        XCTAssertThrowsError(try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.fromJson(json: Self.twoModels), failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.InvalidPolicy(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("rules[1].when[1].model"), message)
        }
        XCTAssertThrowsError(try DirectFrameFilter(packDirectory: Fixtures.pack("oracle"), policy: Self.twoModels)) {
            guard case SafeFrameError.InvalidPolicy = $0 else { return XCTFail("\($0)") }
        }
    }

    func testAMissingSecondPackIsAnIoErrorAtConstruction() throws {
        XCTAssertThrowsError(try SafeFrameFilter.withSecondOpinion(
            packDir: Fixtures.pack("oracle"), secondPackDir: "/nonexistent/second",
            policy: Policy.fromJson(json: Self.twoModels), failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.Io(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("/nonexistent/second"), message)
        }
        XCTAssertThrowsError(try DirectFrameFilter(
            packDirectory: Fixtures.pack("oracle"), secondPackDirectory: "/nonexistent/second", policy: Self.twoModels)) {
            guard case SafeFrameError.Io = $0 else { return XCTFail("\($0)") }
        }
    }

    func testPresetsPickTheirRulesForTheModelsLoaded() throws {
        XCTAssertTrue(Policy.presetForModels(preset: .child, secondOpinion: true).toJson().contains("\"second\""))
        XCTAssertEqual(Policy.presetForModels(preset: .teen, secondOpinion: false).toJson(), Policy.preset(preset: .teen).toJson())
        // The child preset's two-model rules read `nsfw`, which the oracle (as a second model) lacks.
        XCTAssertThrowsError(try SafeFrameFilter.withSecondOpinion(
            packDir: Fixtures.pack("oracle"), secondPackDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: .child),
            failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.InvalidPolicy(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("nsfw"), message)
        }
    }

    func testAStreamFromTheFilterRunsAndCountsTheSecondOpinion() throws {
        let stream = try SafeFrameStream(filter: try cascade(), options: StreamOptions())
        func process(_ c: (UInt8, UInt8, UInt8)) throws -> Verdict {
            try stream.processFrame(pixels: rgb(c), width: 16, height: 12, stride: 48, format: .rgb8).verdict
        }
        XCTAssertNil(try process((128, 128, 128)).secondScores)
        XCTAssertEqual(stream.counters().secondOpinions, 0)
        let red = try process((255, 0, 0))
        XCTAssertEqual(red.action, .block)
        XCTAssertEqual(red.rule, 1)
        XCTAssertNotNil(red.secondScores)
        XCTAssertEqual(stream.counters().secondOpinions, 1)
        let direct = try DirectStreamFilter(stream)
        var pixels = [UInt8](repeating: 0, count: 16 * 12 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i + 2] = 170; pixels[i + 3] = 255 }  // BGRA dark red
        let v = try pixels.withUnsafeMutableBytes {
            try direct.process(pixels: $0, width: 16, height: 12, rowStride: 64, format: .bgra8, timestampNanos: 0)
        }
        XCTAssertEqual(v.action, .block, "hysteresis holds the block")
        XCTAssertEqual(direct.counters.frames, 3)
        XCTAssertEqual(direct.counters.secondOpinions, 2)
        XCTAssertEqual(direct.counters, stream.counters())
    }
}
