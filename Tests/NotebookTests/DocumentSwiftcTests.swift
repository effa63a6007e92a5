// Keeps the cell language valid Swift: every cell of the sample notebook must pass `swiftc -parse`.
import Foundation
import Testing
@testable import Notebook

/// The `swiftc` on PATH, if any.
let swiftcOnPath: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
    .split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swiftc") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

@Suite(.enabled(if: swiftcOnPath != nil, "swiftc is not on PATH"))
struct DocumentSwiftcTests {
    /// Writes `source` to a temporary `.swift` file and returns swiftc's exit status and diagnostics.
    func swiftcParse(_ source: String) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cell-\(UUID().uuidString).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = swiftcOnPath
        process.arguments = ["-parse", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// Every construct of the cell language in one cell, beyond what the sample notebook uses.
    static let constructs = """
    // line comment
    /* block /* nested */ comment */
    let a = Experiment(model: .vit(patch: 4, dim: 192), seeds: [0, 1, 2,], labelSmoothing: 0.1,
                       data: .cifar100(path: "data/cifar-100 \\"binary\\"\\n"), seed: -3, batchSize: 1_024)
    let b = a
        .with(optimizer: .adamw(lr: 5e-4, betas: [0.9, 0.999]), schedule: .step(milestones: [30, 60], gamma: 0.2))
    Table(a, b, columns: [.top1]); Sweep(a, lr: [0.1, 1e-2, 1.5E-3])
    """

    @Test func sampleNotebookCellsAreValidSwift() throws {
        let document = Document(text: SampleNotebook.text, fileName: "study.md")
        #expect(document.cells.count == 2)
        for source in document.cells.map(\.source) + [Self.constructs] {
            let (status, output) = try swiftcParse(source)
            #expect(status == 0, "swiftc -parse rejected:\n\(source)\n\(output)")
        }
    }

    @Test func constructsCellAlsoChecks() {
        let result = check(Self.constructs)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.cells[0].statements.count == 4)
    }

    @Test func harnessDetectsInvalidSwift() throws {
        #expect(try swiftcParse("let a = Experiment(model: .resnet(depth: 18)").status != 0)
    }
}
