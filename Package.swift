// swift-tools-version:6.0
// Loom: a literate experiment runner for image-recognition research.
// Module layering (one way): Engine <- Vision <- Experiments -> Notebook, loom on top.
import PackageDescription

// AVX2/FMA code generation for release builds only (debug/test builds stay portable).
let fastMath: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release))]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "loom", targets: ["loom"]),
        .library(name: "Engine", targets: ["Engine"]),
        // For the libFuzzer harness in Fuzz/, a separate package that depends on this one by path.
        .library(name: "Vision", targets: ["Vision"]),
        .library(name: "Notebook", targets: ["Notebook"]),
        .library(name: "Experiments", targets: ["Experiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMarkGFM", pkgConfig: "libcmark-gfm",
                       providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "CCPU"),
        // AVX-512 (and one AVX2) kernels: each function carries its own target attribute, so no build
        // flag is needed and the same binary runs on AVX2-only CPUs (Engine calls them where cpuid allows).
        .target(name: "CKernels"),
        .target(name: "Engine", dependencies: ["CBLAS", "CCPU", "CKernels"], swiftSettings: fastMath),
        .target(name: "Vision", dependencies: ["Engine", "CPNG", "CTurboJPEG"], swiftSettings: fastMath),
        .target(name: "Notebook", dependencies: [
            "CMarkGFM",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "Experiments", dependencies: ["Vision", "Notebook"], swiftSettings: fastMath),
        .executableTarget(name: "loom", dependencies: [
            "Experiments", "Vision", "Engine", "Notebook",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fastMath),

        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "Engine"]),
        // Helpers shared by test targets (repository root, `swiftc -parse`); not part of any product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "TestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Notebook", "Vision", "Engine", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
