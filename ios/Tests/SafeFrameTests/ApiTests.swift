import Foundation
import XCTest
@testable import SafeFrame
#if canImport(SafeFrameFFI)
import SafeFrameFFI
#endif

/// Typed errors, async checks, the zero-copy methods and the C ABI from Swift.
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

    func testSignedPacksAreCheckedAndEachRefusalIsItsOwnCase() throws {
        let dir = URL(fileURLWithPath: Fixtures.pack("oracle"))
        let manifest = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        let signature = try Data(contentsOf: dir.appendingPathComponent("signature.json"))
        let onnx = try Data(contentsOf: dir.appendingPathComponent("model.onnx"))
        func load(_ manifest: Data, _ signature: Data?, _ options: FilterOptions = FilterOptions()) throws -> SafeFrameFilter {
            try SafeFrameFilter.fromBytes(manifestJson: manifest, onnx: onnx, policy: Policy.preset(preset: .child),
                                          failOpen: false, options: options, signature: signature)
        }
        XCTAssertEqual(try load(manifest, signature).modelName(), "oracle")
        // The attack of issue #18: the labels reversed in a copied manifest.
        let reversed = String(decoding: manifest, as: UTF8.self)
            .replacingOccurrences(of: "\"Drawing\",\n    \"Hentai\",\n    \"Neutral\",\n    \"Porn\",\n    \"Sexy\"",
                                  with: "\"Sexy\",\n    \"Porn\",\n    \"Neutral\",\n    \"Hentai\",\n    \"Drawing\"")
        XCTAssertNotEqual(Data(reversed.utf8), manifest)
        XCTAssertThrowsError(try load(Data(reversed.utf8), signature)) {
            guard case SafeFrameError.ModelTampered = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try load(manifest, nil)) {
            guard case SafeFrameError.ModelUnsigned = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try load(manifest, signature, FilterOptions(minVersion: "1.0.1"))) {
            guard case SafeFrameError.ModelRolledBack = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try load(manifest, nil, FilterOptions(allowUnsigned: true)).modelName(), "oracle")
        // The C ABI: the same refusal, by its code.
        var options = safeframe_filter_options_default()
        options.allow_unsigned = false
        let made = "1.0.1".withCString { version in
            options.min_version = version
            return safeframe_filter_new_with_options(Fixtures.pack("oracle"), nil, "child", false, &options)
        }
        XCTAssertNil(made)
        XCTAssertEqual(safeframe_last_error_code(), SAFEFRAME_ERROR_MODEL_ROLLED_BACK)
    }

    func testBadFramesAreTypedErrorsWithUsefulMessages() throws {
        let filter = try oracle()
        XCTAssertThrowsError(try filter.checkFrame(frame: Fixtures.packed(4, 4, .rgba8, stride: 16), planes: [Data(count: 10)])) {
            guard case SafeFrameError.InvalidFrame(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("10 bytes is too small"), message)
        }
        XCTAssertThrowsError(try filter.checkFrame(frame: Fixtures.packed(-4, 4, .rgba8, stride: 16), planes: [Data(count: 64)])) {
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

    func testZeroCopyFilteringSharesTheModelAndBlocksInPlace() throws {
        let filter = try oracle()
        let (w, h, stride) = (64, 48, 64 * 4 + 12)
        var pixels = [UInt8](repeating: 0x5A, count: stride * h)
        for y in 0..<h { for x in 0..<w { pixels.replaceSubrange((y * stride + x * 4)..<(y * stride + x * 4 + 4), with: [0, 0, 255, 255]) } }
        let frame = Fixtures.packed(w, h, .bgra8, stride: stride)
        let verdict = try pixels.withUnsafeMutableBytes { try filter.filterFrameInPlace(frame, buffers: [$0]) }
        XCTAssertEqual(verdict.action, .block)
        XCTAssertEqual(verdict.category, .porn)
        for y in 0..<h {
            for x in 0..<w { XCTAssertEqual(Array(pixels[(y * stride + x * 4)..<(y * stride + x * 4 + 4)]), [0, 0, 0, 255]) }
            XCTAssertTrue(pixels[(y * stride + w * 4)..<((y + 1) * stride)].allSatisfy { $0 == 0x5A }, "padding untouched")
        }
        XCTAssertThrowsError(try pixels.withUnsafeMutableBytes {
            try filter.filterFrameInPlace(frame, buffers: [UnsafeMutableRawBufferPointer(rebasing: $0[0..<100])])
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
        var frame = SafeFrameFrame()
        (frame.width, frame.height, frame.format, frame.plane_count) = (4, 4, SAFEFRAME_FORMAT_RGBA8, 1)
        frame.planes.0 = SafeFramePlane(data: nil, len: 0, row_stride: 16, pixel_stride: 0)
        XCTAssertEqual(safeframe_check_frame(native, &frame, &out), SAFEFRAME_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(String(cString: safeframe_last_error()!).hasPrefix("planes[0].data is NULL"))
        XCTAssertEqual(out.action, SAFEFRAME_ACTION_BLOCK, "the verdict says block before the frame is checked")
        var grey = [UInt8](repeating: 128, count: 16 * 4)
        let status: (Int32) -> Int32 = { format in
            grey.withUnsafeMutableBufferPointer {
                frame.planes.0.data = $0.baseAddress
                frame.planes.0.len = $0.count
                frame.format = format
                return safeframe_check_frame(native, &frame, &out)
            }
        }
        XCTAssertEqual(status(7), SAFEFRAME_ERROR_INVALID_FRAME)
        XCTAssertTrue(String(cString: safeframe_last_error()!).contains("unknown pixel format code 7"))
        XCTAssertEqual(status(SAFEFRAME_FORMAT_RGBA8), SAFEFRAME_OK)
        XCTAssertEqual(out.action, SAFEFRAME_ACTION_ALLOW)
        XCTAssertEqual(out.category, SAFEFRAME_CATEGORY_NONE)
        XCTAssertEqual(String(cString: safeframe_version()), version())
        // The header's format codes are the uniffi enum's.
        XCTAssertEqual(pixelFormatCode(format: .nv21), SAFEFRAME_FORMAT_NV21)
        XCTAssertEqual(pixelFormatCode(format: .yuv420888), SAFEFRAME_FORMAT_YUV_420_888)
    }

    func testNV12PlanesAreBlockedInPlaceWithoutACopy() throws {
        let filter = try oracle()
        let (w, h, ys, cs) = (34, 22, 40, 36)
        // BT.601 video range red: Y 81, Cb 90, Cr 240; rows padded with 0x5A.
        var y = (0..<(ys * h)).map { $0 % ys < w ? UInt8(81) : 0x5A }
        var uv = (0..<(cs * h / 2)).map { $0 % cs < w ? ($0 % 2 == 0 ? UInt8(90) : 240) : 0x5A }
        let frame = Frame(width: Int32(w), height: Int32(h), format: .nv12,
                          planes: [FramePlane(rowStride: Int32(ys)), FramePlane(rowStride: Int32(cs))], rotationDegrees: 90)
        func run(_ y: inout [UInt8], _ uv: inout [UInt8]) throws -> Verdict {
            try y.withUnsafeMutableBytes { yp in
                try uv.withUnsafeMutableBytes { uvp in try filter.filterFrameInPlace(frame, buffers: [yp, uvp]) }
            }
        }
        let verdict = try run(&y, &uv)
        XCTAssertEqual(verdict.action, .block)
        XCTAssertEqual(verdict.category, .porn)
        XCTAssertTrue(y.enumerated().allSatisfy { $0.element == ($0.offset % ys < w ? 16 : 0x5A) })
        XCTAssertTrue(uv.enumerated().allSatisfy { $0.element == ($0.offset % cs < w ? 128 : 0x5A) })
        var short = [UInt8](repeating: 128, count: 10)
        XCTAssertThrowsError(try run(&y, &short)) { error in
            guard case SafeFrameError.InvalidFrame(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("too small"), message)
        }
    }

    /// NV21 and YUV_420_888 (chroma pixel stride 2) frames through the copying
    /// `checkFrame(frame:planes:)` and the zero-copy `checkFrame(_:buffers:)`: the verdict of the
    /// same image as RGB.
    func testNV21AndYUV420888FramesGetTheVerdictOfTheirRGBCopyThroughBothPaths() throws {
        let filter = try oracle()
        // Every fourth case keeps the run short (the C test takes all of them).
        let cases = Fixtures.yuvCases.enumerated().filter { $0.offset % 4 == 0 }.map { $0.element }
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        for c in cases {
            let name = c["name"] as! String
            let (w, h) = (Fixtures.int(c["width"]), Fixtures.int(c["height"]))
            let cw = (w + 1) / 2
            let rgb = try filter.checkFrame(
                frame: Fixtures.packed(w, h, .rgb8, stride: w * 3), planes: [Data(Fixtures.image(c, format: .rgb8, stride: w * 3))])
            let (y, u, v) = Fixtures.yuv(c)
            // NV21: Y, then V, U pairs.
            let vu: [UInt8] = zip(v, u).flatMap { [$0.0, $0.1] }
            let nv21 = Frame(width: Int32(w), height: Int32(h), format: .nv21,
                             planes: [FramePlane(rowStride: Int32(w)), FramePlane(rowStride: Int32(2 * cw), pixelStride: 2)],
                             fullRange: true)
            // YUV_420_888 with chroma pixel stride 2: each chroma sample followed by a spare byte.
            let spaced = { (p: [UInt8]) -> [UInt8] in p.flatMap { [$0, 0x5A] } }
            let yuv = Frame(width: Int32(w), height: Int32(h), format: .yuv420888,
                            planes: [FramePlane(rowStride: Int32(w), pixelStride: 1),
                                     FramePlane(rowStride: Int32(2 * cw), pixelStride: 2),
                                     FramePlane(rowStride: Int32(2 * cw), pixelStride: 2)],
                            fullRange: true)
            let frames: [(String, Frame, [[UInt8]])] = [("NV21", nv21, [y, vu]), ("YUV_420_888", yuv, [y, spaced(u), spaced(v)])]
            for (label, frame, planes) in frames {
                let copied = try filter.checkFrame(frame: frame, planes: planes.map { Data($0) })
                XCTAssertEqual(copied.action, rgb.action, "\(name) as \(label), copied")
                XCTAssertEqual(copied.category, rgb.category, "\(name) as \(label), copied")
                var mutable = planes
                let direct = try withBuffers(&mutable) { try filter.checkFrame(frame, buffers: $0.map { UnsafeRawBufferPointer($0) }) }
                XCTAssertEqual(direct, copied, "\(name) as \(label): zero-copy and copying paths agree")
                let filtered = try withBuffers(&mutable) { try filter.filterFrameInPlace(frame, buffers: $0) }
                XCTAssertEqual(filtered, copied, "\(name) as \(label), in place")
            }
        }
    }

    /// Runs `body` with every array of `planes` in memory it may write (copied back afterwards).
    private func withBuffers<T>(_ planes: inout [[UInt8]], _ body: ([UnsafeMutableRawBufferPointer]) throws -> T) throws -> T {
        let buffers = planes.map { plane -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: plane.count, alignment: 1)
            buffer.copyBytes(from: plane)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        let result = try body(buffers)
        planes = buffers.map { Array($0) }
        return result
    }

    /// C status codes come back as the `SafeFrameError` case of their kind, whichever door.
    func testZeroCopyErrorsAreSafeFrameErrorsOfTheRightCase() throws {
        let filter = try oracle()
        var pixels = [UInt8](repeating: 128, count: 8 * 8 * 4)
        let frame = Fixtures.packed(8, 8, .rgba8, stride: 32)
        XCTAssertThrowsError(try filter.checkFrame(frame, buffers: [])) {
            guard case SafeFrameError.InvalidArgument(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("planes[0].data is NULL"), message)
        }
        XCTAssertThrowsError(try pixels.withUnsafeMutableBytes {
            try filter.filterFrameInPlace(Fixtures.packed(8, 8, .rgba8, stride: 31), buffers: [$0])
        }) {
            guard case SafeFrameError.InvalidFrame(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("row stride 31"), message)
        }
        XCTAssertThrowsError(try pixels.withUnsafeMutableBytes {
            try filter.checkFrame(Fixtures.packed(100_000, 1, .rgba8, stride: 400_000), buffers: [UnsafeRawBufferPointer($0)])
        }) {
            guard case SafeFrameError.FrameTooLarge = $0 else { return XCTFail("\($0)") }
        }
        // Every code of the one table comes back as its own case.
        XCTAssertNoThrow(try throwCStatus(code: SAFEFRAME_OK, message: ""))
        XCTAssertThrowsError(try throwCStatus(code: SAFEFRAME_ERROR_INVALID_SCORES, message: "m")) {
            guard case SafeFrameError.InvalidScores("m") = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try throwCStatus(code: SAFEFRAME_ERROR_EXECUTION_PROVIDER_UNAVAILABLE, message: "m")) {
            guard case SafeFrameError.ExecutionProviderUnavailable = $0 else { return XCTFail("\($0)") }
        }
    }
}
