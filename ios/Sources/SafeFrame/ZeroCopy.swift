// The zero-copy paths of SafeFrameFilter and SafeFrameStream: frames in memory the caller owns
// (a locked CVPixelBuffer, a decoder's buffer) checked or redacted where they lie, through
// SafeFrame's C ABI. The copying methods (`checkFrame(frame:planes:)` and so on) are the
// generated ones in generated/SafeFrame.swift.
//
// Every rule about a frame is the core's: these methods only hand the `Frame` and the buffers'
// addresses to C, and a C status comes back as the same `SafeFrameError` the copying path
// throws (through `throwCStatus`, so the code→error table exists once, in Rust).
import Foundation
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

extension SafeFrameFilter {
    /// Classifies `frame` without copying its bytes or changing them.
    ///
    /// `buffers` holds the frame's bytes: one buffer per plane, in the format's plane order
    /// (`frame.planes`), or one buffer holding every plane one after another. They are read
    /// only during the call. Throws the `SafeFrameError` the copying `checkFrame(frame:planes:)`
    /// would.
    public func checkFrame(_ frame: Frame, buffers: [UnsafeRawBufferPointer]) throws -> Verdict {
        let raw = buffers.map { UnsafeMutableRawBufferPointer(mutating: $0) }
        return try withCFilter { filter in
            try callC(frame, raw) { safeframe_check_frame(filter, $0, $1) }
        }
    }

    /// Classifies `frame` and applies the verdict to its bytes in place (blur or block; the
    /// frame keeps its format), without copying them.
    ///
    /// `buffers` as for `checkFrame(_:buffers:)`; they must not overlap (Android's interleaved
    /// chroma is described as NV21 for this). If the frame cannot be classified, a fail-closed
    /// filter blocks it before throwing.
    public func filterFrameInPlace(_ frame: Frame, buffers: [UnsafeMutableRawBufferPointer]) throws -> Verdict {
        try withCFilter { filter in
            try callC(frame, buffers) { safeframe_filter_frame_in_place(filter, $0, $1) }
        }
    }

    /// Runs `body` with this filter's C handle (`directHandle()`), freed afterwards: the same
    /// loaded model, shared.
    private func withCFilter<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        guard let filter = safeframe_filter_from_handle(directHandle()) else { throw lastCError() }
        defer { safeframe_filter_free(filter) }
        return try body(filter)
    }
}

extension SafeFrameStream {
    /// Runs the stream on `frame` in place, without copying its bytes: classifies it when the
    /// cadence (or the change gate) says so and applies the verdict in force (blur or block),
    /// returning that verdict. `frame.timestampNs` drives `.minIntervalMs` cadences and the
    /// change gate's age.
    ///
    /// `buffers` as for `SafeFrameFilter.filterFrameInPlace(_:buffers:)`. A model failure does
    /// not throw: the stream counts it, tells the listener (on this thread, during the call)
    /// and blocks the frame unless it fails open. Errors mean a frame that cannot be described;
    /// then no byte was touched.
    public func processFrameInPlace(_ frame: Frame, buffers: [UnsafeMutableRawBufferPointer]) throws -> Verdict {
        guard let stream = safeframe_stream_from_handle(directHandle()) else { throw lastCError() }
        defer { safeframe_stream_free(stream) }
        return try callC(frame, buffers) { safeframe_stream_process_frame_in_place(stream, $0, $1) }
    }
}

/// Describes `frame` over `buffers` as a `SafeFrameFrame`, runs `call` on it and returns the
/// verdict it wrote, or throws its error.
private func callC(
    _ frame: Frame, _ buffers: [UnsafeMutableRawBufferPointer],
    _ call: (UnsafePointer<SafeFrameFrame>, UnsafeMutablePointer<SafeFrameVerdict>) -> Int32
) throws -> Verdict {
    var c = SafeFrameFrame()
    c.width = frame.width
    c.height = frame.height
    c.format = pixelFormatCode(format: frame.format)
    c.rotation_degrees = frame.rotationDegrees
    c.full_range = frame.fullRange
    if let timestamp = frame.timestampNs {
        c.timestamp_ns = timestamp
        c.has_timestamp = true
    }
    if let crop = frame.crop {
        (c.crop_x, c.crop_y, c.crop_width, c.crop_height) = (crop.x, crop.y, crop.width, crop.height)
    }
    // One buffer for several planes: it holds them all (the later planes' data stay NULL).
    // Otherwise as many planes as strides or buffers, whichever is more, so the core sees (and
    // names) a mismatch.
    let shared = buffers.count == 1
    let count = shared ? frame.planes.count : max(frame.planes.count, buffers.count)
    c.plane_count = Int32(clamping: count)
    withUnsafeMutableBytes(of: &c.planes) { raw in
        let planes = raw.bindMemory(to: SafeFramePlane.self)
        for i in 0..<min(count, planes.count) {
            let strides = i < frame.planes.count ? frame.planes[i] : FramePlane(rowStride: 0, pixelStride: 0)
            let buffer = i < buffers.count && !(shared && i > 0) ? buffers[i] : nil
            planes[i] = SafeFramePlane(
                data: buffer?.baseAddress?.assumingMemoryBound(to: UInt8.self), len: buffer?.count ?? 0,
                row_stride: strides.rowStride, pixel_stride: strides.pixelStride)
        }
    }
    var out = SafeFrameVerdict()
    let status = call(&c, &out)
    guard status == SAFEFRAME_OK else { throw lastCError(status) }
    return verdict(out)
}

/// The calling thread's last C ABI error as a `SafeFrameError` (`status`: the call's status;
/// nil: the last error's code, for calls that return NULL).
private func lastCError(_ status: Int32? = nil) -> Error {
    let message = safeframe_last_error().map { String(cString: $0) } ?? ""
    do {
        try throwCStatus(code: status ?? safeframe_last_error_code(), message: message)
    } catch {
        return error
    }
    return SafeFrameError.Internal(message: "a C ABI call failed without an error: \(message)")
}

/// A C verdict as the generated `Verdict`. The C verdict does not carry the matched blocklist
/// entry nor the second opinion's scores (a match shows as `.known`).
private func verdict(_ v: SafeFrameVerdict) -> Verdict {
    let actions: [Action] = [.allow, .warn, .blur, .block]
    let categories: [Category] = [.drawing, .hentai, .neutral, .porn, .sexy, .known]
    let category = v.category >= 0 && Int(v.category) < categories.count ? categories[Int(v.category)] : nil
    return Verdict(
        action: actions[Int(max(0, min(3, v.action)))],
        category: category,
        scores: Scores(drawing: v.scores.0, hentai: v.scores.1, neutral: v.scores.2, porn: v.scores.3, sexy: v.scores.4),
        known: nil,
        rule: v.rule >= 0 ? UInt32(v.rule) : nil,
        secondScores: nil)
}

#if canImport(CoreVideo)
import CoreVideo

extension SafeFrameFilter {
    /// Classifies a `CVPixelBuffer` (32BGRA, 32RGBA, or 420YpCbCr8BiPlanar Video/FullRange as
    /// NV12) without copying it. `rotationDegrees` is the clockwise turn that makes it upright.
    public func checkFrame(_ pixelBuffer: CVPixelBuffer, rotationDegrees: Int32 = 0) throws -> Verdict {
        try withPlanes(pixelBuffer, readOnly: true, rotationDegrees: rotationDegrees, timestampNs: nil) { frame, buffers in
            try checkFrame(frame, buffers: buffers.map { UnsafeRawBufferPointer($0) })
        }
    }

    /// Classifies a `CVPixelBuffer` and applies the verdict to it in place (formats as
    /// `checkFrame(_:rotationDegrees:)`); a fail-closed filter blocks it before throwing.
    public func filterFrameInPlace(_ pixelBuffer: CVPixelBuffer, rotationDegrees: Int32 = 0) throws -> Verdict {
        try withPlanes(pixelBuffer, readOnly: false, rotationDegrees: rotationDegrees, timestampNs: nil) { frame, buffers in
            try filterFrameInPlace(frame, buffers: buffers)
        }
    }
}

extension SafeFrameStream {
    /// Runs the stream on a `CVPixelBuffer` in place (formats as
    /// `SafeFrameFilter.checkFrame(_:rotationDegrees:)`); `timestampNs` is the frame's time.
    public func processFrameInPlace(
        _ pixelBuffer: CVPixelBuffer, rotationDegrees: Int32 = 0, timestampNs: Int64? = nil
    ) throws -> Verdict {
        try withPlanes(pixelBuffer, readOnly: false, rotationDegrees: rotationDegrees, timestampNs: timestampNs) {
            frame, buffers in try processFrameInPlace(frame, buffers: buffers)
        }
    }
}

/// `count` bytes at `base`; none without a base address (the C ABI then reports a NULL plane).
private func bytes(_ base: UnsafeMutableRawPointer?, _ count: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: base, count: base == nil ? 0 : count)
}

/// Locks `buffer` and hands its description and planes to `body`, unlocking afterwards.
private func withPlanes<T>(
    _ buffer: CVPixelBuffer, readOnly: Bool, rotationDegrees: Int32, timestampNs: Int64?,
    _ body: (Frame, [UnsafeMutableRawBufferPointer]) throws -> T
) throws -> T {
    let type = CVPixelBufferGetPixelFormatType(buffer)
    let format: PixelFormat
    switch type {
    case kCVPixelFormatType_32BGRA: format = .bgra8
    case kCVPixelFormatType_32RGBA: format = .rgba8
    case kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange, kCVPixelFormatType_420YpCbCr8BiPlanarFullRange: format = .nv12
    default:
        throw SafeFrameError.InvalidFrame(
            message: "pixel buffer format \(type) is not 32BGRA, 32RGBA or 420YpCbCr8BiPlanar; set the output's videoSettings to one of them")
    }
    let flags: CVPixelBufferLockFlags = readOnly ? .readOnly : []
    guard CVPixelBufferLockBaseAddress(buffer, flags) == kCVReturnSuccess else {
        throw SafeFrameError.InvalidFrame(message: "the pixel buffer cannot be locked")
    }
    defer { CVPixelBufferUnlockBaseAddress(buffer, flags) }
    var planes: [FramePlane] = []
    var buffers: [UnsafeMutableRawBufferPointer] = []
    if CVPixelBufferIsPlanar(buffer) {
        for i in 0..<CVPixelBufferGetPlaneCount(buffer) {
            let stride = CVPixelBufferGetBytesPerRowOfPlane(buffer, i)
            planes.append(FramePlane(rowStride: Int32(clamping: stride), pixelStride: 0))
            buffers.append(bytes(CVPixelBufferGetBaseAddressOfPlane(buffer, i), stride * CVPixelBufferGetHeightOfPlane(buffer, i)))
        }
    } else {
        let stride = CVPixelBufferGetBytesPerRow(buffer)
        planes.append(FramePlane(rowStride: Int32(clamping: stride), pixelStride: 0))
        buffers.append(bytes(CVPixelBufferGetBaseAddress(buffer), stride * CVPixelBufferGetHeight(buffer)))
    }
    let frame = Frame(
        width: Int32(clamping: CVPixelBufferGetWidth(buffer)), height: Int32(clamping: CVPixelBufferGetHeight(buffer)),
        format: format, planes: planes, rotationDegrees: rotationDegrees, crop: nil, timestampNs: timestampNs,
        fullRange: type == kCVPixelFormatType_420YpCbCr8BiPlanarFullRange)
    return try body(frame, buffers)
}
#endif
