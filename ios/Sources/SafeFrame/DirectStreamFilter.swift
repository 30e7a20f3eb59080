// Zero-copy stream filtering through SafeFrame's C ABI. Platform-independent: the AVFoundation
// and ReplayKit adapters (SafeFrameCapture.swift) hand CVPixelBuffer planes to this class.
import Foundation
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// Runs a `SafeFrameStream` — cadence, hysteresis, fail-closed, listener — on frames in memory
/// the caller owns (a locked `CVPixelBuffer`), classifying when the cadence says so and blurring
/// or blocking in place, without copying a byte.
///
/// Made from a stream, whose state (frame count, verdict in force, counters, listener) it
/// shares; the stream's `StreamListener` is called on the thread that calls `process`/
/// `processNV12`, during the call. A stream is one sequence of frames: feed it from one serial
/// queue (the capture output's queue), in order. A model failure does not throw: the stream
/// counts it, tells the listener and blocks the frame (unless it fails open). Errors mean bad
/// arguments, and then no byte was touched.
///
/// ```swift
/// let stream = try SafeFrameStream(filter: filter, options: StreamOptions(cadence: .everyNth(k: 3)), listener: nil)
/// let direct = try DirectStreamFilter(stream)
/// let verdict = try direct.processNV12(y: yPlane, yRowStride: yStride, uv: uvPlane, uvRowStride: uvStride,
///                                      width: w, height: h, timestampNanos: ptsNanos)
/// ```
public final class DirectStreamFilter: @unchecked Sendable {
    private let native: OpaquePointer

    /// Shares `stream` (it stays alive while this object lives).
    public init(_ stream: SafeFrameStream) throws {
        guard let native = safeframe_stream_from_handle(stream.directHandle()) else {
            throw DirectFrameFilter.lastError(status: safeframe_last_error_code())
        }
        self.native = native
    }

    deinit {
        safeframe_stream_free(native)
    }

    /// Processes a packed frame (BGRA8 for a `kCVPixelFormatType_32BGRA` buffer) in place and
    /// returns the verdict in force. `rotationDegrees` is the clockwise turn that makes the image
    /// upright; `timestampNanos` is the frame's time (drives `.minIntervalMs` cadences).
    public func process(
        pixels: UnsafeMutableRawBufferPointer, width: Int, height: Int, rowStride: Int, format: PixelFormat = .bgra8,
        rotationDegrees: Int = 0, timestampNanos: Int64
    ) throws -> Verdict {
        let (w, h, rotation) = try DirectStreamFilter.geometry(width, height, [rowStride], rotationDegrees)
        var out = SafeFrameVerdict()
        let status = safeframe_stream_process_in_place(
            native, pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count,
            w, h, rowStride, DirectFrameFilter.code(format), rotation, timestampNanos, &out)
        return try DirectFrameFilter.verdict(status: status, out)
    }

    /// Processes an NV12 frame in two planes (a locked `CVPixelBuffer` of type
    /// `kCVPixelFormatType_420YpCbCr8BiPlanar{Video,Full}Range`: plane 0 is Y, plane 1 the CbCr
    /// pairs) in place; the frame stays NV12. `fullRange` is true for the FullRange format.
    public func processNV12(
        y: UnsafeMutableRawBufferPointer, yRowStride: Int, uv: UnsafeMutableRawBufferPointer, uvRowStride: Int,
        width: Int, height: Int, rotationDegrees: Int = 0, fullRange: Bool = false, timestampNanos: Int64
    ) throws -> Verdict {
        let (w, h, rotation) = try DirectStreamFilter.geometry(width, height, [yRowStride, uvRowStride], rotationDegrees)
        var out = SafeFrameVerdict()
        let status = safeframe_stream_process_nv12_in_place(
            native, y.baseAddress?.assumingMemoryBound(to: UInt8.self), y.count, yRowStride,
            uv.baseAddress?.assumingMemoryBound(to: UInt8.self), uv.count, uvRowStride,
            w, h, rotation, fullRange, timestampNanos, &out)
        return try DirectFrameFilter.verdict(status: status, out)
    }

    /// The stream's counters so far (the same numbers as `SafeFrameStream.counters()`).
    public var counters: StreamCounters {
        var c = SafeFrameStreamCounters()
        _ = safeframe_stream_counters(native, &c)
        let n = { (v: UInt64) in Int64(clamping: v) }
        return StreamCounters(
            frames: n(c.frames), classified: n(c.classified), blurred: n(c.blurred), blocked: n(c.blocked),
            errors: n(c.errors), samplesDropped: n(c.samples_dropped), hashed: n(c.hashed),
            knownMatches: n(c.known_matches), secondOpinions: n(c.second_opinions), held: n(c.held),
            reused: n(c.reused))
    }

    private static func geometry(_ width: Int, _ height: Int, _ strides: [Int], _ rotationDegrees: Int) throws
        -> (UInt32, UInt32, Int32)
    {
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height), strides.allSatisfy({ $0 >= 0 }),
            let rotation = Int32(exactly: rotationDegrees)
        else {
            throw SafeFrameError.InvalidFrame(
                message: "invalid frame: size \(width)x\(height), strides \(strides), rotation \(rotationDegrees) out of range")
        }
        return (w, h, rotation)
    }
}
