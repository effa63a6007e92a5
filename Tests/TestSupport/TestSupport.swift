// What several test targets share: the repository's root folder and a `swiftc -parse` check of a source text.
import Foundation

/// The repository's root folder (found from this file's path: Tests/TestSupport/TestSupport.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The `swiftc` on PATH, if any: tests that need it are enabled only where it exists.
public let swiftcOnPath: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
    .split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swiftc") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// Writes `source` to a temporary `.swift` file and returns `swiftc -parse`'s exit status and
/// diagnostics: the cell language must stay valid Swift so editors and formatters accept it.
public func swiftcParse(_ source: String) throws -> (status: Int32, output: String) {
    guard let swiftc = swiftcOnPath else { return (127, "swiftc is not on PATH") }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cell-\(UUID().uuidString).swift")
    try source.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = swiftc
    process.arguments = ["-parse", file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
