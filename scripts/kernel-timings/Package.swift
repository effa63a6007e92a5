// swift-tools-version:6.0
// kernel-timings: best-of-N timings of Loom's own kernels on each ISA path this CPU runs (release
// build of the Engine library from this repository; not part of the Loom package).
import PackageDescription

let package = Package(
    name: "kernel-timings",
    dependencies: [.package(name: "Loom", path: "../..")],
    targets: [
        .executableTarget(name: "kernel-timings", dependencies: [.product(name: "Engine", package: "Loom")],
                          swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
    ],
    swiftLanguageModes: [.v5]
)
