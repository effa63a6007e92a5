// Keeps the cell language valid Swift: every cell of the sample notebook must pass `swiftc -parse`.
import Foundation
import Testing
import TestSupport
@testable import Notebook

@Suite(.enabled(if: swiftcOnPath != nil, "swiftc is not on PATH"))
struct DocumentSwiftcTests {
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
