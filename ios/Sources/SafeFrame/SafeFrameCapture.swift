// AVFoundation and ReplayKit adapters. Apple-only: they compile where AVFoundation exists (iOS,
// macOS); on Linux (where SafeFrame's CI runs Swift) this file is empty. Written against the
// public AVFoundation/CoreVideo/ReplayKit API; NOT compiled or run in SafeFrame's CI (no Apple
// SDK there).
#if canImport(AVFoundation) && canImport(CoreVideo)
import AVFoundation
import CoreVideo

/// Runs SafeFrame on every camera frame of an `AVCaptureVideoDataOutput`, in place: BGRA and
/// NV12 (`420YpCbCr8BiPlanar{Video,Full}Range`) pixel buffers are blurred or blocked where they
/// lie before `next` sees them (preview layers fed from the same session are not filtered:
/// show frames from `next`, e.g. through an `AVSampleBufferDisplayLayer`).
///
/// ```swift
/// let filter = try SafeFrameFilter.fromDirectory(packDir: dir, policy: .preset(preset: .child), failOpen: false, options: FilterOptions())
/// let delegate = try SafeFrameVideoDelegate(filter: filter) { buffer, verdict in display.enqueue(buffer) }
/// output.setSampleBufferDelegate(delegate, queue: DispatchQueue(label: "safeframe"))
/// ```
public final class SafeFrameVideoDelegate: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    private let direct: DirectFrameFilter
    private let rotationDegrees: () -> Int
    private let next: (CMSampleBuffer, Verdict) -> Void

    /// `rotationDegrees` tells the clockwise turn that makes the current frame upright (from the
    /// connection's orientation); `next` gets every frame after filtering, with its verdict.
    public init(filter: SafeFrameFilter, rotationDegrees: @escaping () -> Int = { 0 },
                next: @escaping (CMSampleBuffer, Verdict) -> Void) throws {
        self.direct = try DirectFrameFilter(filter)
        self.rotationDegrees = rotationDegrees
        self.next = next
    }

    public func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                              from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        // A frame that cannot be filtered is not passed on (fail closed).
        guard let verdict = try? filterPixelBuffer(direct, pixels, rotationDegrees: rotationDegrees()) else { return }
        next(sampleBuffer, verdict)
    }
}

/// Filters a `CVPixelBuffer` in place (BGRA or NV12) through `direct`. Throws for other pixel
/// formats and when the buffer cannot be locked.
public func filterPixelBuffer(_ direct: DirectFrameFilter, _ buffer: CVPixelBuffer, rotationDegrees: Int = 0) throws -> Verdict {
    guard CVPixelBufferLockBaseAddress(buffer, []) == kCVReturnSuccess else {
        throw SafeFrameError.InvalidFrame(message: "invalid frame: cannot lock the pixel buffer")
    }
    defer { CVPixelBufferUnlockBaseAddress(buffer, []) }
    let width = CVPixelBufferGetWidth(buffer), height = CVPixelBufferGetHeight(buffer)
    switch CVPixelBufferGetPixelFormatType(buffer) {
    case kCVPixelFormatType_32BGRA:
        let stride = CVPixelBufferGetBytesPerRow(buffer)
        guard let base = CVPixelBufferGetBaseAddress(buffer) else { break }
        let pixels = UnsafeMutableRawBufferPointer(start: base, count: stride * height)
        return try direct.filter(pixels: pixels, width: width, height: height, rowStride: stride, format: .bgra8)
    case kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange, kCVPixelFormatType_420YpCbCr8BiPlanarFullRange:
        let full = CVPixelBufferGetPixelFormatType(buffer) == kCVPixelFormatType_420YpCbCr8BiPlanarFullRange
        guard let y = CVPixelBufferGetBaseAddressOfPlane(buffer, 0),
              let uv = CVPixelBufferGetBaseAddressOfPlane(buffer, 1) else { break }
        let yStride = CVPixelBufferGetBytesPerRowOfPlane(buffer, 0)
        let uvStride = CVPixelBufferGetBytesPerRowOfPlane(buffer, 1)
        let yPlane = UnsafeMutableRawBufferPointer(start: y, count: yStride * CVPixelBufferGetHeightOfPlane(buffer, 0))
        let uvPlane = UnsafeMutableRawBufferPointer(start: uv, count: uvStride * CVPixelBufferGetHeightOfPlane(buffer, 1))
        return try direct.filterNV12(y: yPlane, yRowStride: yStride, uv: uvPlane, uvRowStride: uvStride,
                                     width: width, height: height, rotationDegrees: rotationDegrees, fullRange: full)
    default:
        break
    }
    throw SafeFrameError.InvalidFrame(
        message: "invalid frame: pixel format \(CVPixelBufferGetPixelFormatType(buffer)) is not BGRA or NV12; set the output's videoSettings to one of them")
}
#endif

#if canImport(ReplayKit) && canImport(CoreVideo)
import ReplayKit

/// For a ReplayKit broadcast upload extension: filters each screen frame in place before your
/// `RPBroadcastSampleHandler` sends it. Call from `processSampleBuffer(_:with:)` for
/// `.video` buffers; returns false when the frame must not be sent (blocked or unfilterable).
public final class SafeFrameBroadcastHelper: @unchecked Sendable {
    private let direct: DirectFrameFilter

    public init(filter: SafeFrameFilter) throws {
        self.direct = try DirectFrameFilter(filter)
    }

    /// Filters the video frame in place; returns whether it may be sent (false when blocked or
    /// when it could not be filtered: fail closed).
    public func filterForBroadcast(_ sampleBuffer: CMSampleBuffer) -> Bool {
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer),
              let verdict = try? filterPixelBuffer(direct, pixels) else { return false }
        return verdict.action != .block
    }
}
#endif
