import Foundation
import XCTest
@testable import SafeFrame

/// The stream's change gate from Swift: its options and their defaults, bad settings refused
/// naming the field, a static scene resting the model (through uniffi and the C ABI counters), a
/// cut redacted on its own frame whatever the cadence, and the cadence alone without the gate.
final class StreamChangeGateTests: XCTestCase {
    private let frameNanos: Int64 = 1_000_000_000 / 30

    private func oracle() throws -> SafeFrameFilter {
        try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: .child), failOpen: false, options: FilterOptions())
    }

    /// The oracle case whose top-left quadrant is red (blocked, porn), 61×37, as RGB8.
    private var cut: Data {
        let c = Fixtures.oracleCases.first { $0["name"] as? String == "tl-red-rest-grey-61x37" }!
        return Data(Fixtures.image(c, format: .rgb8, stride: 61 * 3))
    }

    /// The same size, all grey (allowed).
    private let grey = Data(repeating: 128, count: 61 * 37 * 3)

    private func frame(_ stream: SafeFrameStream, _ pixels: Data, _ i: Int) throws -> FilteredFrame {
        try stream.processFrame(frame: Fixtures.packed(61, 37, .rgb8, stride: 61 * 3, timestampNs: Int64(i) * frameNanos),
                                planes: [pixels])
    }

    func testTheGateIsOnByDefaultWithTheCoresSettings() {
        let options = StreamOptions()
        XCTAssertTrue(options.changeGate)
        XCTAssertEqual(options.changeThreshold, 0.10)
        XCTAssertEqual(options.changeTiles, 4)
        XCTAssertEqual(options.maxAgeMs, 1000)
        XCTAssertNil(options.hold)  // blur
    }

    func testBadChangeGateOptionsAreInvalidArgumentsNamingTheField() throws {
        let bad: [(String, StreamOptions)] = [
            ("change_gate.threshold", StreamOptions(changeThreshold: -0.1)),
            ("change_gate.threshold", StreamOptions(changeThreshold: 1.5)),
            ("change_gate.threshold", StreamOptions(changeThreshold: .nan)),
            ("change_gate.tiles", StreamOptions(changeTiles: 0)),
            ("change_gate.max_age", StreamOptions(maxAgeMs: 0)),
            ("change_gate.max_age", StreamOptions(maxAgeMs: -1000)),
            ("hold", StreamOptions(hold: .warn)),
        ]
        for (field, options) in bad {
            XCTAssertThrowsError(try SafeFrameStream(filter: try oracle(), options: options)) {
                guard case SafeFrameError.InvalidArgument(let message) = $0 else { return XCTFail("\(field): \($0)") }
                XCTAssertTrue(message.contains("`\(field)`"), message)
            }
        }
        // Without the gate its settings are not used, so not checked.
        XCTAssertNoThrow(try SafeFrameStream(filter: try oracle(), options: StreamOptions(changeGate: false, changeTiles: 0)))
    }

    func testAStaticSceneRestsTheModelAndCountsReusedFrames() throws {
        let stream = try SafeFrameStream(filter: try oracle(), options: StreamOptions())
        for i in 0..<30 { XCTAssertEqual(try frame(stream, grey, i).verdict.action, .allow, "frame \(i)") }
        // The same scene through the C ABI: its counters carry held and reused.
        for i in 30..<60 {
            var pixels = [UInt8](repeating: 128, count: 61 * 37 * 4)
            let frame = Fixtures.packed(61, 37, .bgra8, stride: 61 * 4, timestampNs: Int64(i) * frameNanos)
            let v = try pixels.withUnsafeMutableBytes { try stream.processFrameInPlace(frame, buffers: [$0]) }
            XCTAssertEqual(v.action, .allow, "frame \(i)")
        }
        let counters = Fixtures.cCounters(stream)
        XCTAssertEqual(counters, stream.counters())
        // Two seconds of one scene: classified on frame 0 and on frame 30, when the verdict is 1 s old.
        XCTAssertEqual([counters.frames, counters.classified, counters.reused, counters.held], [60, 2, 58, 0])
    }

    func testACutIsRedactedOnItsOwnFrameWhateverTheCadence() throws {
        let stream = try SafeFrameStream(filter: try oracle(), options: StreamOptions(cadence: .everyNth(k: 10)))
        for i in 0..<5 { XCTAssertEqual(try frame(stream, grey, i).verdict.action, .allow, "frame \(i)") }
        // Frame 5 is off the cadence (0, 10, …) but changed: classified now, never released unredacted.
        let out = try frame(stream, cut, 5)
        XCTAssertEqual(out.verdict.action, .block)
        XCTAssertEqual(out.verdict.category, .porn)
        XCTAssertTrue(out.planes[0].allSatisfy { $0 == 0 }, "the cut was released unredacted")
        let c = stream.counters()
        XCTAssertEqual([c.frames, c.classified, c.reused], [6, 2, 4])
    }

    func testWithoutTheGateTheCadenceAloneDecides() throws {
        let stream = try SafeFrameStream(
            filter: try oracle(), options: StreamOptions(cadence: .everyNth(k: 10), changeGate: false))
        var actions: [Action] = []
        for i in 0..<11 {
            let pixels = i < 5 ? grey : cut
            let out = try frame(stream, pixels, i)
            if out.verdict.action == .allow { XCTAssertEqual(out.planes, [pixels], "frame \(i) untouched") }
            actions.append(out.verdict.action)
        }
        // As before the gate: frames 5–9 keep the allow in force; frame 10 is classified.
        XCTAssertEqual(actions, Array(repeating: .allow, count: 10) + [.block])
        let c = stream.counters()
        XCTAssertEqual([c.frames, c.classified, c.reused], [11, 2, 0])
    }
}
