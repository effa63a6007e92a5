// libFuzzer entry points: LLVMFuzzerInitialize picks the target from LOOM_FUZZ_TARGET, LLVMFuzzerTestOneInput runs it.
import Foundation

/// The target chosen at start-up; libFuzzer calls ``testOneInput`` from one thread only.
nonisolated(unsafe) private var selected: FuzzTarget?

/// Reads `LOOM_FUZZ_TARGET` (or, with `LOOM_FUZZ_WRITE_SEEDS=DIR`, writes the generated seed corpora and exits).
/// The target is chosen by environment rather than by flag so libFuzzer's own argument parsing stays untouched.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let env = ProcessInfo.processInfo.environment
    if let dir = env["LOOM_FUZZ_WRITE_SEEDS"] {
        do {
            try Seeds.write(to: dir, repository: env["LOOM_FUZZ_REPO"] ?? FileManager.default.currentDirectoryPath)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("loom-fuzz: cannot write seeds: \(error)\n".utf8))
            exit(1)
        }
    }
    let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
    guard let name = env["LOOM_FUZZ_TARGET"], let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("loom-fuzz: set LOOM_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected?.run(bytes)
    return 0
}
