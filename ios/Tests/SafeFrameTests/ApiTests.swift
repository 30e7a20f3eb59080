import Foundation
import XCTest
@testable import SafeFrame
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// Typed errors, async checks and the C ABI from Swift.
final class ApiTests: XCTestCase {
    private func oracle(_ preset: Preset = .child) throws -> SafeFrameFilter {
        try SafeFrameFilter.fromDirectory(
            packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: preset), failOpen: false, options: FilterOptions())
    }

    /// A 24-bit BMP of one colour, written by hand so the test needs no image library.
    private func bmp(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) -> Data {
        let rowBytes = (width * 3 + 3) / 4 * 4
        let size = 54 + rowBytes * height
        var d = Data()
        func le32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func le16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: [0x42, 0x4D]); le32(size); le32(0); le32(54)
        le32(40); le32(width); le32(height); le16(1); le16(24); le32(0); le32(rowBytes * height); le32(2835); le32(2835); le32(0); le32(0)
        for _ in 0..<height {
            for _ in 0..<width { d.append(contentsOf: [rgb.2, rgb.1, rgb.0]) }
            d.append(contentsOf: [UInt8](repeating: 0, count: rowBytes - width * 3))
        }
        return d
    }

    func testBadFramesAreTypedErrorsWithUsefulMessages() throws {
        let filter = try oracle()
        XCTAssertThrowsError(try filter.checkFrame(pixels: Data(count: 10), width: 4, height: 4, stride: 16, format: .rgba8)) {
            guard case SafeFrameError.InvalidFrame(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("10 bytes is too small"), message)
        }
        XCTAssertThrowsError(try filter.checkFrame(pixels: Data(count: 64), width: -4, height: 4, stride: 16, format: .rgba8)) {
            guard case SafeFrameError.InvalidFrame = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Policy.fromPresetName(name: "toddler")) {
            guard case SafeFrameError.UnknownPreset = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Policy.fromJson(json: #"{"rules":[{"categories":["porn"],"threshold":2,"action":"blur"}]}"#)) {
            guard case SafeFrameError.InvalidPolicy(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("rules[0].threshold"), message)
        }
        XCTAssertThrowsError(try SafeFrameFilter.fromDirectory(
            packDir: "/nonexistent/pack", policy: Policy.preset(preset: .child), failOpen: false, options: FilterOptions())) {
            guard case SafeFrameError.Io = $0 else { return XCTFail("\($0)") }
        }
    }

    func testEncodedImagesSyncAndAsync() async throws {
        let filter = try oracle()
        let red = try filter.checkEncodedImage(image: bmp(width: 30, height: 20, rgb: (255, 0, 0)))
        XCTAssertEqual(red.action, .block)
        XCTAssertEqual(red.category, .porn)
        let asyncRed = try await filter.checkEncodedImageAsync(image: bmp(width: 30, height: 20, rgb: (255, 0, 0)))
        XCTAssertEqual(asyncRed, red)
        let grey = try await filter.checkEncodedImageAsync(image: bmp(width: 30, height: 20, rgb: (128, 128, 128)))
        XCTAssertEqual(grey.action, .allow)
        do {
            _ = try await filter.checkEncodedImageAsync(image: Data([1, 2, 3]))
            XCTFail("garbage decoded")
        } catch SafeFrameError.InvalidImage(let message) {
            XCTAssertTrue(message.contains("unrecognised image format"), message)
        }
    }

    func testDirectFilterSharesTheModelAndBlocksInPlace() throws {
        let filter = try oracle()
        let direct = try DirectFrameFilter(filter)
        let (w, h, stride) = (64, 48, 64 * 4 + 12)
        var pixels = [UInt8](repeating: 0x5A, count: stride * h)
        for y in 0..<h { for x in 0..<w { pixels.replaceSubrange((y * stride + x * 4)..<(y * stride + x * 4 + 4), with: [0, 0, 255, 255]) } }
        let verdict = try pixels.withUnsafeMutableBytes { try direct.filter(pixels: $0, width: w, height: h, rowStride: stride, format: .bgra8) }
        XCTAssertEqual(verdict.action, .block)
        XCTAssertEqual(verdict.category, .porn)
        for y in 0..<h {
            for x in 0..<w { XCTAssertEqual(Array(pixels[(y * stride + x * 4)..<(y * stride + x * 4 + 4)]), [0, 0, 0, 255]) }
            XCTAssertTrue(pixels[(y * stride + w * 4)..<((y + 1) * stride)].allSatisfy { $0 == 0x5A }, "padding untouched")
        }
        XCTAssertThrowsError(try pixels.withUnsafeMutableBytes {
            try direct.filter(pixels: UnsafeMutableRawBufferPointer(rebasing: $0[0..<100]), width: w, height: h, rowStride: stride)
        }) {
            guard case SafeFrameError.InvalidFrame(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("100 bytes is too small"), message)
        }
    }

    func testCABIReportsBadArgumentsThroughTheLastError() throws {
        XCTAssertNil(safeframe_filter_new(nil, "child", false, 1))
        XCTAssertEqual(String(cString: safeframe_last_error()!), "pack_dir is NULL")
        XCTAssertNil(safeframe_filter_new(Fixtures.pack("oracle"), "toddler", false, 1))
        XCTAssertTrue(String(cString: safeframe_last_error()!).contains("unknown policy preset `toddler`"))
        XCTAssertNil(safeframe_filter_from_handle(Int64.max))
        XCTAssertTrue(String(cString: safeframe_last_error()!).contains("unknown or already released"))
        let native = try XCTUnwrap(safeframe_filter_new(Fixtures.pack("oracle"), "teen", false, 1))
        defer { safeframe_filter_free(native) }
        XCTAssertNil(safeframe_last_error(), "a successful call clears the last error")
        var out = SafeFrameVerdict()
        XCTAssertEqual(safeframe_check(native, nil, 0, 4, 4, 16, SAFEFRAME_FORMAT_RGBA8, &out), SAFEFRAME_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(String(cString: safeframe_last_error()!), "pixels is NULL")
        let grey = [UInt8](repeating: 128, count: 16 * 4)
        XCTAssertEqual(grey.withUnsafeBufferPointer { safeframe_check(native, $0.baseAddress, $0.count, 4, 4, 16, 7, &out) },
                       SAFEFRAME_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(String(cString: safeframe_last_error()!).contains("unknown pixel format 7"))
        XCTAssertEqual(grey.withUnsafeBufferPointer { safeframe_check(native, $0.baseAddress, $0.count, 4, 4, 16, SAFEFRAME_FORMAT_RGBA8, &out) },
                       SAFEFRAME_OK)
        XCTAssertEqual(out.action, SAFEFRAME_ACTION_ALLOW)
        XCTAssertEqual(out.category, SAFEFRAME_CATEGORY_NONE)
        XCTAssertEqual(String(cString: safeframe_version()), version())
    }

    func testNV12PlanesAreBlockedInPlaceThroughTheCABI() throws {
        let filter = try SafeFrameFilter.fromDirectory(packDir: Fixtures.pack("oracle"), policy: Policy.preset(preset: .child),
                                                       failOpen: false, options: FilterOptions())
        let direct = try DirectFrameFilter(filter)
        let (w, h, ys, cs) = (34, 22, 40, 36)
        // BT.601 video range red: Y 81, Cb 90, Cr 240; rows padded with 0x5A.
        var y = (0..<(ys * h)).map { $0 % ys < w ? UInt8(81) : 0x5A }
        var uv = (0..<(cs * h / 2)).map { $0 % cs < w ? ($0 % 2 == 0 ? UInt8(90) : 240) : 0x5A }
        let verdict = try y.withUnsafeMutableBytes { yp in
            try uv.withUnsafeMutableBytes { uvp in
                try direct.filterNV12(y: yp, yRowStride: ys, uv: uvp, uvRowStride: cs, width: w, height: h, rotationDegrees: 90)
            }
        }
        XCTAssertEqual(verdict.action, .block)
        XCTAssertEqual(verdict.category, .porn)
        XCTAssertTrue(y.enumerated().allSatisfy { $0.element == ($0.offset % ys < w ? 16 : 0x5A) })
        XCTAssertTrue(uv.enumerated().allSatisfy { $0.element == ($0.offset % cs < w ? 128 : 0x5A) })
        var short = [UInt8](repeating: 128, count: 10)
        XCTAssertThrowsError(try y.withUnsafeMutableBytes { yp in
            try short.withUnsafeMutableBytes { uvp in
                try direct.filterNV12(y: yp, yRowStride: ys, uv: uvp, uvRowStride: cs, width: w, height: h)
            }
        }) { error in
            guard case SafeFrameError.InvalidFrame(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("too small"), message)
        }
    }
}
