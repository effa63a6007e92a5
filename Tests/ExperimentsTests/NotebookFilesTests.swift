// The notebooks in notebooks/: every cell checks against the real vocabulary and is valid Swift.
import Experiments
import Foundation
import Notebook
import Testing

private let notebooksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("notebooks")

private let notebookFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: notebooksFolder.path)) ?? [])
    .filter { $0.hasSuffix(".md") }.sorted()

private let swiftc: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swiftc") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

@Suite struct NotebookFilesTests {
    @Test func notebooksExist() {
        #expect(notebookFiles.contains("study.md") && notebookFiles.contains("cifar100.md"), "\(notebookFiles)")
    }

    @Test(arguments: notebookFiles)
    func cellsCheckCleanly(file: String) throws {
        let doc = try Document(contentsOf: notebooksFolder.appendingPathComponent(file), fileName: file)
        let check = Checker(registry: notebookRegistry()).check(doc)
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics.rendered(in: doc.source))")
        #expect(!doc.cells.isEmpty)
    }

    @Test(.enabled(if: swiftc != nil, "swiftc is not on PATH"), arguments: notebookFiles)
    func cellsAreValidSwift(file: String) throws {
        let doc = try Document(contentsOf: notebooksFolder.appendingPathComponent(file), fileName: file)
        for cell in doc.cells {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-nb-\(UUID().uuidString).swift")
            try cell.source.write(to: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: path) }
            let p = Process()
            p.executableURL = swiftc
            p.arguments = ["-parse", path.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(file) line \(cell.line): swiftc -parse rejected the cell:\n\(out)")
        }
    }
}
