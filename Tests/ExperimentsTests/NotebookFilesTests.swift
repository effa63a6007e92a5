// The notebooks in notebooks/: every cell checks against the real vocabulary and is valid Swift.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

private let notebooksFolder = repositoryRoot.appendingPathComponent("notebooks")

private let notebookFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: notebooksFolder.path)) ?? [])
    .filter { $0.hasSuffix(".md") }.sorted()

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

    @Test(.enabled(if: swiftcOnPath != nil, "swiftc is not on PATH"), arguments: notebookFiles)
    func cellsAreValidSwift(file: String) throws {
        let doc = try Document(contentsOf: notebooksFolder.appendingPathComponent(file), fileName: file)
        for cell in doc.cells {
            let (status, out) = try swiftcParse(cell.source)
            #expect(status == 0, "\(file) line \(cell.line): swiftc -parse rejected the cell:\n\(out)")
        }
    }
}
