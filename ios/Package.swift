// swift-tools-version:5.9
// SafeFrame for Swift: the generated uniffi bindings (Sources/SafeFrame/generated/SafeFrame.swift),
// the zero-copy methods over the C ABI (Sources/SafeFrame/ZeroCopy.swift: extensions of the
// generated SafeFrameFilter and SafeFrameStream), the AVFoundation/ReplayKit adapters
// (Sources/SafeFrame/SafeFrameCapture.swift) and the C headers
// (Sources/SafeFrameFFI/include/generated). Everything under generated/ is written by
// scripts/generate-bindings; do not edit it by hand.
//
// Linking the Rust library, two ways:
// - iOS apps (binary targets): scripts/package-ios, run on a Mac, writes
//   Frameworks/SafeFrameFFI.xcframework (the Rust static library for device + simulator). ONNX
//   Runtime is linked statically on iOS and is not redistributed here: put the official
//   onnxruntime.xcframework (CocoaPods `onnxruntime-c`, the version in core/src/runtime.rs) at
//   Frameworks/onnxruntime.xcframework — YOU SET THIS PATH by copying or symlinking it there —
//   and build the Rust library with ORT_IOS_XCFWK_LOCATION pointing at it. When both
//   XCFrameworks exist, this manifest links them as binary targets (SwiftPM caches manifests:
//   after adding them, `swift package reset` or `--manifest-cache none` makes it look again).
// - Local builds and the Linux CI tests: set SAFEFRAME_LIB_DIR to a directory holding
//   libsafeframe_ffi.a (scripts/test-swift does). ONNX Runtime is then loaded at run time.
// Checked here: `swift package dump-package` (Swift 6.2.3, Linux) evaluates both modes; only the
// SAFEFRAME_LIB_DIR mode is built and tested (no Apple SDK here).
import Foundation
import PackageDescription

var ffiLinker: [LinkerSetting] = [
    .linkedLibrary("safeframe_ffi"),
    .linkedLibrary("m", .when(platforms: [.linux])),
    .linkedLibrary("dl", .when(platforms: [.linux])),
    .linkedLibrary("pthread", .when(platforms: [.linux])),
]
let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let safeFrameXCFramework = "Frameworks/SafeFrameFFI.xcframework"
let onnxRuntimeXCFramework = "Frameworks/onnxruntime.xcframework"
let useBinaryTargets = ProcessInfo.processInfo.environment["SAFEFRAME_LIB_DIR"] == nil
    && FileManager.default.fileExists(atPath: packageDir + "/" + safeFrameXCFramework)
    && FileManager.default.fileExists(atPath: packageDir + "/" + onnxRuntimeXCFramework)

var ffiDependencies: [Target.Dependency] = []
var binaryTargets: [Target] = []
if useBinaryTargets {
    ffiDependencies = ["SafeFrameFFIBinary", "onnxruntime"]
    binaryTargets = [
        .binaryTarget(name: "SafeFrameFFIBinary", path: safeFrameXCFramework),
        .binaryTarget(name: "onnxruntime", path: onnxRuntimeXCFramework),
    ]
    // The static ONNX Runtime needs the C++ runtime and, with its CoreML execution provider, CoreML.
    ffiLinker = [
        .linkedLibrary("c++"),
        .linkedFramework("Foundation"),
        .linkedFramework("CoreML", .when(platforms: [.iOS, .macOS])),
    ]
} else if let libDir = ProcessInfo.processInfo.environment["SAFEFRAME_LIB_DIR"] {
    ffiLinker.append(.unsafeFlags(["-L", libDir]))
}

let package = Package(
    name: "SafeFrame",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "SafeFrame", targets: ["SafeFrame"]),
    ],
    targets: [
        .target(
            name: "SafeFrameFFI",
            dependencies: ffiDependencies,
            path: "Sources/SafeFrameFFI",
            linkerSettings: ffiLinker
        ),
        .target(
            name: "SafeFrame",
            dependencies: ["SafeFrameFFI"],
            path: "Sources/SafeFrame"
        ),
        .testTarget(
            name: "SafeFrameTests",
            dependencies: ["SafeFrame"],
            path: "Tests/SafeFrameTests"
        ),
    ] + binaryTargets
)
