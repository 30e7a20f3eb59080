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

    private let rgbFrame = Fixtures.packed(16, 12, .rgb8, stride: 48)

    private func rgb(_ c: (UInt8, UInt8, UInt8), width: Int = 16, height: Int = 12) -> Data {
        var d = Data(capacity: width * height * 3)
        for _ in 0..<(width * height) { d.append(contentsOf: [c.0, c.1, c.2]) }
        return d
    }

    func testAFrameThePrimaryFlagsButTheSecondDoesNotReachIsAllowed() throws {
        let v = try cascade().checkFrame(frame: rgbFrame, planes: [rgb((170, 0, 0))])
        XCTAssertEqual(v.action, .allow)
        XCTAssertNil(v.rule)
        XCTAssertGreaterThanOrEqual(v.scores.porn, 0.3)
        let second = try XCTUnwrap(v.secondScores, "the second model ran")
        XCTAssertEqual(second[3], 0.73, accuracy: 0.01)
    }

    func testAFrameBothModelsFlagIsBlockedWithTheRuleAndTheSecondScores() throws {
        let filter = try cascade()
        let out = try filter.filterFrame(frame: rgbFrame, planes: [rgb((255, 0, 0))])
        XCTAssertEqual(out.verdict.action, .block)
        XCTAssertEqual(out.verdict.category, .porn)
        XCTAssertEqual(out.verdict.rule, 1)
        let second = try XCTUnwrap(out.verdict.secondScores)
        XCTAssertEqual(second.count, 5)
        XCTAssertEqual(second[3], 0.9503, accuracy: 0.001)
        XCTAssertTrue(out.planes[0].allSatisfy { $0 == 0 })
        XCTAssertEqual(filter.secondOpinionName(), "oracle")
        XCTAssertEqual(filter.secondOpinionLabels(), ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"])
        // Grey: the primary flags nothing, so the second model does not run.
        let grey = try filter.checkFrame(frame: rgbFrame, planes: [rgb((128, 128, 128))])
        XCTAssertEqual(grey.action, .allow)
        XCTAssertNil(grey.secondScores)
    }

    func testTheCAbiCarriesTheRuleThroughSharedAndLoadedFilters() throws {
        var pixels = [UInt8](repeating: 0, count: 16 * 12 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i + 2] = 255; pixels[i + 3] = 255 }  // BGRA red
        let frame = Fixtures.packed(16, 12, .bgra8, stride: 64)
        // Shared: the uniffi filter's zero-copy method.
        let v = try pixels.withUnsafeBytes { try cascade().checkFrame(frame, buffers: [$0]) }
        XCTAssertEqual(v.action, .block)
        XCTAssertEqual(v.rule, 1)
        // Loaded by the C ABI itself.
        let native = try XCTUnwrap(safeframe_filter_new_with_second_opinion(
            Fixtures.pack("oracle"), Fixtures.pack("oracle"), Self.twoModels, false, 1))
        defer { safeframe_filter_free(native) }
        var out = SafeFrameVerdict()
        let status = pixels.withUnsafeMutableBytes { p -> Int32 in
            var c = SafeFrameFrame()
            (c.width, c.height, c.format, c.plane_count) = (16, 12, SAFEFRAME_FORMAT_BGRA8, 1)
            c.planes.0 = SafeFramePlane(data: p.baseAddress?.assumingMemoryBound(to: UInt8.self), len: p.count, row_stride: 64,
                                        pixel_stride: 0)
            return safeframe_check_frame(native, &c, &out)
        }
        XCTAssertEqual(status, SAFEFRAME_OK)
        XCTAssertEqual(out.action, SAFEFRAME_ACTION_BLOCK)
        XCTAssertEqual(out.rule, 1)
    }

    func testAPolicyNamingTheSecondModelWithoutOneIsAnInvalidPolicy() throws {
        XCTAssertThrowsError(try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.fromJson(json: Self.twoModels), failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.InvalidPolicy(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("rules[1].when[1].model"), message)
        }
        XCTAssertNil(safeframe_filter_new(Fixtures.pack("oracle"), Self.twoModels, false, 1))
        XCTAssertEqual(safeframe_last_error_code(), SAFEFRAME_ERROR_INVALID_POLICY)
    }

    func testAMissingSecondPackIsAnIoErrorAtConstruction() throws {
        XCTAssertThrowsError(try SafeFrameFilter.withSecondOpinion(
            packDir: Fixtures.pack("oracle"), secondPackDir: "/nonexistent/second",
            policy: Policy.fromJson(json: Self.twoModels), failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.Io(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("/nonexistent/second"), message)
        }
        XCTAssertNil(safeframe_filter_new_with_second_opinion(
            Fixtures.pack("oracle"), "/nonexistent/second", Self.twoModels, false, 1))
        XCTAssertEqual(safeframe_last_error_code(), SAFEFRAME_ERROR_IO)
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
            try stream.processFrame(frame: rgbFrame, planes: [rgb(c)]).verdict
        }
        XCTAssertNil(try process((128, 128, 128)).secondScores)
        XCTAssertEqual(stream.counters().secondOpinions, 0)
        let red = try process((255, 0, 0))
        XCTAssertEqual(red.action, .block)
        XCTAssertEqual(red.rule, 1)
        XCTAssertNotNil(red.secondScores)
        XCTAssertEqual(stream.counters().secondOpinions, 1)
        var pixels = [UInt8](repeating: 0, count: 16 * 12 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i + 2] = 170; pixels[i + 3] = 255 }  // BGRA dark red
        let v = try pixels.withUnsafeMutableBytes {
            try stream.processFrameInPlace(Fixtures.packed(16, 12, .bgra8, stride: 64, timestampNs: 0), buffers: [$0])
        }
        XCTAssertEqual(v.action, .block, "hysteresis holds the block")
        let counters = Fixtures.cCounters(stream)
        XCTAssertEqual(counters.frames, 3)
        XCTAssertEqual(counters.secondOpinions, 2)
        XCTAssertEqual(counters, stream.counters())
    }
}
