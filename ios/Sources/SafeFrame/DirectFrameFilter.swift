// Zero-copy frame filtering through SafeFrame's C ABI. Platform-independent: the AVFoundation
// adapter (SafeFrameCapture.swift) hands CVPixelBuffer base addresses to this class.
import Foundation
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// Checks and redacts frames in memory the caller owns (a locked `CVPixelBuffer`, a buffer
/// from a decoder), without copying a byte.
///
/// Make one from a `SafeFrameFilter` to share its loaded model, or from a model pack directory.
/// Thread-safe: calls from several threads run one inference at a time. Nothing else may touch
/// the pixels while a call is using them. Packed RGBA8/BGRA8/RGB8 frames ([`filter`]) and NV12
/// in two planes, the camera's native `420YpCbCr8BiPlanar` layout ([`filterNV12`]).
public final class DirectFrameFilter: @unchecked Sendable {
    private let native: OpaquePointer

    /// Shares the model of `filter` (it stays loaded while this object lives).
    public init(_ filter: SafeFrameFilter) throws {
        guard let native = safeframe_filter_from_handle(filter.directHandle()) else {
            throw DirectFrameFilter.lastError(status: safeframe_last_error_code())
        }
        self.native = native
    }

    /// Loads the model pack in `packDirectory` with a preset name (`"child"`, `"teen"`,
    /// `"adult"`) or a policy as JSON.
    public init(packDirectory: String, policy: String = "child", failOpen: Bool = false, intraThreads: Int32 = 1) throws {
        guard let native = safeframe_filter_new(packDirectory, policy, failOpen, intraThreads) else {
            throw DirectFrameFilter.lastError(status: safeframe_last_error_code())
        }
        self.native = native
    }

    /// Loads the model pack in `packDirectory` with a second-opinion model from the pack in
    /// `secondPackDirectory` (`safeframe_filter_new_with_second_opinion`; the uniffi API's
    /// `SafeFrameFilter.withSecondOpinion`). A preset name picks the preset's two-model rules.
    public init(
        packDirectory: String, secondPackDirectory: String, policy: String = "child", failOpen: Bool = false,
        intraThreads: Int32 = 1
    ) throws {
        guard
            let native = safeframe_filter_new_with_second_opinion(
                packDirectory, secondPackDirectory, policy, failOpen, intraThreads)
        else {
            throw DirectFrameFilter.lastError(status: safeframe_last_error_code())
        }
        self.native = native
    }

    deinit {
        safeframe_filter_free(native)
    }

    /// Classifies the frame in `pixels` and applies the verdict to it in place (blur or block).
    /// If the frame cannot be classified, a fail-closed filter blocks it before throwing.
    public func filter(
        pixels: UnsafeMutableRawBufferPointer, width: Int, height: Int, rowStride: Int, format: PixelFormat = .bgra8
    ) throws -> Verdict {
        var out = SafeFrameVerdict()
        let status = try withDimensions(width, height, rowStride) { w, h in
            safeframe_filter_in_place(
                native, pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count,
                w, h, rowStride, DirectFrameFilter.code(format), &out)
        }
        return try DirectFrameFilter.verdict(status: status, out)
    }

    /// Classifies an NV12 frame held in two planes (a locked `CVPixelBuffer` of type
    /// `kCVPixelFormatType_420YpCbCr8BiPlanar{Video,Full}Range`: plane 0 is Y, plane 1 the CbCr
    /// pairs) and applies the verdict to the planes in place; the frame stays NV12.
    /// `rotationDegrees` is the clockwise turn that makes the image upright; `fullRange` is
    /// true for the FullRange pixel format. A fail-closed filter blocks the planes before
    /// throwing.
    public func filterNV12(
        y: UnsafeMutableRawBufferPointer, yRowStride: Int, uv: UnsafeMutableRawBufferPointer, uvRowStride: Int,
        width: Int, height: Int, rotationDegrees: Int = 0, fullRange: Bool = false
    ) throws -> Verdict {
        var out = SafeFrameVerdict()
        guard yRowStride >= 0, uvRowStride >= 0, let rotation = Int32(exactly: rotationDegrees) else {
            throw SafeFrameError.InvalidFrame(message: "invalid frame: negative stride or rotation \(rotationDegrees) out of range")
        }
        let status = try withDimensions(width, height, yRowStride) { w, h in
            safeframe_filter_nv12_in_place(
                native, y.baseAddress?.assumingMemoryBound(to: UInt8.self), y.count, yRowStride,
                uv.baseAddress?.assumingMemoryBound(to: UInt8.self), uv.count, uvRowStride,
                w, h, rotation, fullRange, &out)
        }
        return try DirectFrameFilter.verdict(status: status, out)
    }

    /// Classifies the frame in `pixels` without changing it.
    public func check(
        pixels: UnsafeRawBufferPointer, width: Int, height: Int, rowStride: Int, format: PixelFormat = .bgra8
    ) throws -> Verdict {
        var out = SafeFrameVerdict()
        let status = try withDimensions(width, height, rowStride) { w, h in
            safeframe_check(
                native, pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count,
                w, h, rowStride, DirectFrameFilter.code(format), &out)
        }
        return try DirectFrameFilter.verdict(status: status, out)
    }

    private func withDimensions(_ width: Int, _ height: Int, _ rowStride: Int, _ body: (UInt32, UInt32) -> Int32) throws -> Int32 {
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height), rowStride >= 0 else {
            throw SafeFrameError.InvalidFrame(
                message: "invalid frame: size \(width)x\(height) with row stride \(rowStride) is negative or too large")
        }
        return body(w, h)
    }

    static func code(_ format: PixelFormat) -> Int32 {
        switch format {
        case .rgba8: return SAFEFRAME_FORMAT_RGBA8
        case .bgra8: return SAFEFRAME_FORMAT_BGRA8
        case .rgb8: return SAFEFRAME_FORMAT_RGB8
        }
    }

    static func verdict(status: Int32, _ v: SafeFrameVerdict) throws -> Verdict {
        guard status == SAFEFRAME_OK else { throw lastError(status: status) }
        let actions: [Action] = [.allow, .warn, .blur, .block]
        let categories: [Category] = [.drawing, .hentai, .neutral, .porn, .sexy, .known]
        let category = v.category >= 0 && Int(v.category) < categories.count ? categories[Int(v.category)] : nil
        return Verdict(
            action: actions[Int(max(0, min(3, v.action)))],
            category: category,
            scores: Scores(drawing: v.scores.0, hentai: v.scores.1, neutral: v.scores.2, porn: v.scores.3, sexy: v.scores.4),
            // The C verdict does not carry the matched blocklist entry nor the second opinion's
            // scores; a match shows as `.known`.
            known: nil,
            rule: v.rule >= 0 ? UInt32(v.rule) : nil,
            secondScores: nil)
    }

    /// The calling thread's last C ABI error as the same `SafeFrameError` the uniffi API throws.
    static func lastError(status: Int32) -> SafeFrameError {
        let message = safeframe_last_error().map { String(cString: $0) } ?? "SafeFrame error \(status)"
        switch status {
        case SAFEFRAME_ERROR_INVALID_FRAME: return .InvalidFrame(message: message)
        case SAFEFRAME_ERROR_FRAME_TOO_LARGE: return .FrameTooLarge(message: message)
        case SAFEFRAME_ERROR_INVALID_IMAGE: return .InvalidImage(message: message)
        case SAFEFRAME_ERROR_INVALID_MANIFEST: return .InvalidManifest(message: message)
        case SAFEFRAME_ERROR_CHECKSUM_MISMATCH: return .ChecksumMismatch(message: message)
        case SAFEFRAME_ERROR_IO: return .Io(message: message)
        case SAFEFRAME_ERROR_RUNTIME_NOT_FOUND: return .RuntimeNotFound(message: message)
        case SAFEFRAME_ERROR_RUNTIME_LOAD: return .RuntimeLoad(message: message)
        case SAFEFRAME_ERROR_MODEL_LOAD: return .ModelLoad(message: message)
        case SAFEFRAME_ERROR_MODEL_INTERFACE: return .ModelInterface(message: message)
        case SAFEFRAME_ERROR_INFERENCE: return .Inference(message: message)
        case SAFEFRAME_ERROR_INVALID_SCORES: return .InvalidScores(message: message)
        case SAFEFRAME_ERROR_INVALID_POLICY: return .InvalidPolicy(message: message)
        case SAFEFRAME_ERROR_UNKNOWN_PRESET: return .UnknownPreset(message: message)
        case SAFEFRAME_ERROR_INTERNAL: return .Internal(message: message)
        case SAFEFRAME_ERROR_INVALID_BLOCKLIST: return .InvalidBlocklist(message: message)
        case SAFEFRAME_ERROR_EXECUTION_PROVIDER_UNAVAILABLE: return .ExecutionProviderUnavailable(message: message)
        default: return .InvalidArgument(message: message)
        }
    }
}
