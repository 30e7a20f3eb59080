import Foundation
import XCTest
@testable import SafeFrame

/// The stream filter from Swift: SafeFrameStream with a StreamListener, and its zero-copy
/// `processFrameInPlace` (C ABI) processing NV12 planes in place.
final class StreamTests: XCTestCase {
    private func oracle() throws -> SafeFrameFilter {
        try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: .child), failOpen: false, options: FilterOptions())
    }

    /// Records listener calls (the stream calls it on the processing thread).
    final class Recorder: StreamListener, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var changes: [VerdictChange] = []
        private(set) var failures: [StreamFailureInfo] = []
        func onVerdictChange(change: VerdictChange) { lock.lock(); changes.append(change); lock.unlock() }
        func onFailure(failure: StreamFailureInfo) { lock.lock(); failures.append(failure); lock.unlock() }
    }

    private func solid(_ rgb: (UInt8, UInt8, UInt8), width: Int, height: Int) -> Data {
        var d = Data(capacity: width * height * 3)
        for _ in 0..<(width * height) { d.append(contentsOf: [rgb.0, rgb.1, rgb.2]) }
        return d
    }

    func testListenerGetsVerdictChangesInOrderWithCounters() throws {
        let recorder = Recorder()
        // Every frame is classified on purpose (repeated blue frames included): without the change
        // gate, which would let an unchanged frame reuse the verdict in force.
        let stream = try SafeFrameStream(
            filter: try oracle(), options: StreamOptions(clearAfter: 2, changeGate: false), listener: recorder)
        let blue = solid((0, 0, 255), width: 16, height: 12), red = solid((255, 0, 0), width: 16, height: 12)
        var actions: [Action] = []
        for (i, frame) in [blue, red, blue, blue, blue].enumerated() {
            let out = try stream.processFrame(
                frame: Fixtures.packed(16, 12, .rgb8, stride: 48, timestampNs: Int64(i) * 1_000), planes: [frame])
            actions.append(out.verdict.action)
            if out.verdict.action == .block { XCTAssertTrue(out.planes[0].allSatisfy { $0 == 0 }) }
        }
        XCTAssertEqual(actions, [.allow, .block, .block, .allow, .allow])
        let seen = recorder.changes.map { [$0.frameIndex, $0.counters.frames, $0.counters.blocked, $0.timestampNanos ?? -1] }
        XCTAssertEqual(seen, [[0, 1, 0, 0], [1, 2, 1, 1_000], [3, 4, 2, 3_000]])
        XCTAssertEqual(recorder.changes.map { $0.previous }, [nil, .allow, .block])
        XCTAssertEqual(recorder.changes[1].verdict.category, .porn)
        XCTAssertEqual(recorder.changes[1].cause, .classification)
        XCTAssertEqual(stream.counters().classified, 5)
        XCTAssertTrue(recorder.failures.isEmpty)
    }

    func testEveryKthFrameReusesTheVerdict() throws {
        // The cadence alone (no change gate): the gate would classify each changed frame at once.
        let stream = try SafeFrameStream(
            filter: try oracle(), options: StreamOptions(cadence: .everyNth(k: 2), clearAfter: 1, changeGate: false))
        let blue = solid((0, 0, 255), width: 8, height: 8), red = solid((255, 0, 0), width: 8, height: 8)
        let actions = try [red, blue, blue, red].map {
            try stream.processFrame(frame: Fixtures.packed(8, 8, .rgb8, stride: 24), planes: [$0]).verdict.action
        }
        XCTAssertEqual(actions, [.block, .block, .allow, .allow])
        XCTAssertEqual(stream.counters().classified, 2)
        XCTAssertThrowsError(try SafeFrameStream(filter: try oracle(), options: StreamOptions(cadence: .everyNth(k: 0)))) {
            guard case SafeFrameError.InvalidArgument = $0 else { return XCTFail("\($0)") }
        }
    }

    func testProcessFrameInPlaceProcessesNV12PlanesWithoutACopy() throws {
        let (w, h, ys, cs, pad): (Int, Int, Int, Int, UInt8) = (34, 22, 40, 36, 0x5A)
        let recorder = Recorder()
        let stream = try SafeFrameStream(filter: try oracle(), options: StreamOptions(clearAfter: 1), listener: recorder)
        // BT.601 video range: grey 128 is (126, 128, 128), red is (81, 90, 240).
        func planes(_ yv: UInt8, _ cb: UInt8, _ cr: UInt8) -> ([UInt8], [UInt8]) {
            let y = (0..<(ys * h)).map { $0 % ys < w ? yv : pad }
            let uv = (0..<(cs * h / 2)).map { $0 % cs < w ? ($0 % 2 == 0 ? cb : cr) : pad }
            return (y, uv)
        }
        func run(_ y: inout [UInt8], _ uv: inout [UInt8], _ t: Int64) throws -> Verdict {
            try y.withUnsafeMutableBytes { yp in
                try uv.withUnsafeMutableBytes { uvp in
                    let frame = Frame(width: Int32(w), height: Int32(h), format: .nv12,
                                      planes: [FramePlane(rowStride: Int32(ys)), FramePlane(rowStride: Int32(cs))],
                                      rotationDegrees: 90, timestampNs: t)
                    return try stream.processFrameInPlace(frame, buffers: [yp, uvp])
                }
            }
        }
        var (greyY, greyUV) = planes(126, 128, 128)
        let (greyY0, greyUV0) = (greyY, greyUV)
        XCTAssertEqual(try run(&greyY, &greyUV, 10).action, .allow)
        XCTAssertEqual(greyY, greyY0)
        XCTAssertEqual(greyUV, greyUV0)
        var (redY, redUV) = planes(81, 90, 240)
        let blocked = try run(&redY, &redUV, 20)
        XCTAssertEqual(blocked.action, .block)
        XCTAssertEqual(blocked.category, .porn)
        XCTAssertEqual(redY, (0..<(ys * h)).map { $0 % ys < w ? 16 : pad })
        XCTAssertEqual(redUV, (0..<(cs * h / 2)).map { $0 % cs < w ? 128 : pad })
        XCTAssertEqual(Fixtures.cCounters(stream), stream.counters())
        XCTAssertEqual(stream.counters().frames, 2)
        XCTAssertEqual(recorder.changes.map { $0.verdict.action }, [.allow, .block])
        XCTAssertEqual(recorder.changes.map { $0.timestampNanos }, [10, 20])
        // Bad planes: a typed error, nothing counted.
        var short = [UInt8](repeating: 0, count: 10)
        XCTAssertThrowsError(try run(&greyY, &short, 30)) {
            guard case SafeFrameError.InvalidFrame(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("too small"), message)
        }
        XCTAssertEqual(stream.counters().frames, 2)
    }
}
