// swift-tools-version:6.0
// Loom's libFuzzer harness: one executable, `loom-fuzz`, whose target is named by LOOM_FUZZ_TARGET.
// Built and run by scripts/fuzz.sh with `--sanitize=fuzzer --sanitize=address` and its own scratch path (.build-fuzz);
// it is a separate package so the main build and test suite never compile or link it.
import PackageDescription

let package = Package(
    name: "LoomFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Loom", path: ".."),
    ],
    targets: [
        .executableTarget(name: "loom-fuzz", dependencies: [
            .product(name: "Engine", package: "Loom"),
            .product(name: "Vision", package: "Loom"),
            .product(name: "Notebook", package: "Loom"),
            .product(name: "Experiments", package: "Loom"),
        ], swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)
