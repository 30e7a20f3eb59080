// AVFoundation and ReplayKit adapters. Apple-only: they compile where AVFoundation exists (iOS,
// macOS); on Linux (where SafeFrame's CI runs Swift) this file is empty. Written against the
// public AVFoundation/CoreVideo/ReplayKit API; NOT compiled or run in SafeFrame's CI (no Apple
// SDK there).
#if canImport(AVFoundation) && canImport(CoreVideo)
import AVFoundation
import CoreMedia
import CoreVideo

/// Runs a SafeFrame stream on every camera frame of an `AVCaptureVideoDataOutput`, in place:
/// BGRA, RGBA and NV12 (`420YpCbCr8BiPlanar{Video,Full}Range`) pixel buffers are classified on the
/// stream's cadence and blurred or blocked where they lie (with hysteresis: no flicker) before
/// `next` sees them. Preview layers fed from the same session are not filtered: show frames from
/// `next`, e.g. through an `AVSampleBufferDisplayLayer`.
///
/// The stream's listener is called on the delegate queue, during `captureOutput`.
///
/// ```swift
/// let filter = try SafeFrameFilter.fromDirectory(packDir: dir, policy: .preset(preset: .child), failOpen: false, options: FilterOptions())
/// let delegate = try SafeFrameVideoDelegate(filter: filter, options: StreamOptions(cadence: .everyNth(k: 3))) { buffer, verdict in
///     display.enqueue(buffer)
/// }
/// output.setSampleBufferDelegate(delegate, queue: DispatchQueue(label: "safeframe"))
/// ```
public final class SafeFrameVideoDelegate: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    /// The stream (counters, and the listener given at init).
    public let stream: SafeFrameStream
    private let rotationDegrees: () -> Int32
    private let next: (CMSampleBuffer, Verdict) -> Void

    /// `options` and `listener` configure the stream; `rotationDegrees` tells the clockwise turn
    /// that makes the current frame upright (from the connection's orientation); `next` gets
    /// every frame after filtering, with its verdict.
    public init(filter: SafeFrameFilter, options: StreamOptions = StreamOptions(), listener: StreamListener? = nil,
                rotationDegrees: @escaping () -> Int32 = { 0 },
                next: @escaping (CMSampleBuffer, Verdict) -> Void) throws {
        self.stream = try SafeFrameStream(filter: filter, options: options, listener: listener)
        self.rotationDegrees = rotationDegrees
        self.next = next
    }

    public func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                              from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        // A frame that cannot be filtered is not passed on (fail closed).
        guard let verdict = try? stream.processFrameInPlace(pixels, rotationDegrees: rotationDegrees(),
                                                            timestampNs: nanoseconds(sampleBuffer)) else { return }
        next(sampleBuffer, verdict)
    }
}

/// The presentation time of `sampleBuffer` in nanoseconds; the host's uptime when it has no
/// numeric time (a constant timestamp would freeze a `minIntervalMs` cadence on its first verdict).
public func nanoseconds(_ sampleBuffer: CMSampleBuffer) -> Int64 {
    let pts = CMSampleBufferGetPresentationTimeStamp(sampleBuffer)
    guard pts.isNumeric else { return Int64(clamping: DispatchTime.now().uptimeNanoseconds) }
    return CMTimeConvertScale(pts, timescale: 1_000_000_000, method: .roundHalfAwayFromZero).value
}

#endif

#if canImport(ReplayKit) && canImport(AVFoundation) && canImport(CoreVideo)
import CoreMedia
import ReplayKit

/// For a ReplayKit broadcast upload extension: runs a SafeFrame stream on each screen frame in
/// place before your `RPBroadcastSampleHandler` sends it. Call from
/// `processSampleBuffer(_:with:)` for `.video` buffers; returns false when the frame must not be
/// sent (blocked, or unfilterable: fail closed). The listener is called on the calling thread.
public final class SafeFrameBroadcastHelper: @unchecked Sendable {
    /// The stream (counters, and the listener given at init).
    public let stream: SafeFrameStream

    /// Screen content changes less often than camera frames; a `.minIntervalMs(millis: 250)`
    /// cadence keeps the extension within its memory and CPU budget.
    public init(filter: SafeFrameFilter, options: StreamOptions = StreamOptions(), listener: StreamListener? = nil) throws {
        self.stream = try SafeFrameStream(filter: filter, options: options, listener: listener)
    }

    /// Filters the video frame in place; returns whether it may be sent.
    public func filterForBroadcast(_ sampleBuffer: CMSampleBuffer) -> Bool {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer),
              let verdict = try? stream.processFrameInPlace(pixels, timestampNs: nanoseconds(sampleBuffer))
        else { return false }
        return verdict.action != .block
    }
}
#endif
