// The analysis protocol: what one analysis cell declares — its schema, estimate, computation, payload and outputs.
import Foundation
import Notebook
import Vision

/// One kind of analysis cell, e.g. `FourierHeatmap(base, examples: 100)`: one type in its own file under
/// `Sources/Experiments/Analyses/`, listed once in ``AnalysisKinds/all``.
///
/// The vocabulary, the planner, the executor, the report and the registry tests all read the kinds through that
/// list, so adding an analysis is one new file and one registry line; nothing else switches on analysis names.
protocol AnalysisKind {
    /// The numbers one analysed run stores (sorted-key JSON in the results store); pictures go beside it as PNGs.
    associatedtype Payload: Codable
    /// The cell call: name, parameters with ranges and defaults, documentation. Its canonical arguments are part of
    /// every result key, so changing a default recomputes the results.
    static var schema: CallSchema { get }
    /// A small cell using the analysis on the trained experiment `base`, e.g. `GradCAM(base, images: 3)`: the
    /// registry tests check it, run it on a tiny trained model and render its outputs.
    static var example: String { get }
    /// Whether it reads class scores; false lets it analyse a headless feature extractor (`classes: 0`).
    static var needsClassScores: Bool { get }
    /// Forward passes of one image it makes for one run: `loom plan` turns them into seconds with the model's FLOPs.
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int
    /// Computes one run's result from its trained model and test data: the payload and its named PNG artifacts.
    static func compute(_ c: AnalysisContext) throws -> (payload: Payload, artifacts: [NamedArtifact])
    /// The report's outputs for one cell from the stored payloads of its runs, in the cell's order.
    static func outputs(_ results: [(StoredAnalysis, Payload)], args: Arguments) throws -> [ReportOutput]
}

extension AnalysisKind {
    /// The call's name, e.g. "FourierHeatmap": the result's `kind` in the store.
    static var name: String { schema.name }
    static var needsClassScores: Bool { true }

    /// The payload as stored: JSON with sorted keys.
    static func encode(_ payload: Payload) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(payload)
    }

    /// A stored payload read back; the provenance keys (`_seconds`, `_run`, `_machine`) are ignored.
    static func decode(_ json: Data) throws -> Payload { try JSONDecoder().decode(Payload.self, from: json) }

    /// ``compute(_:)`` encoded for the store.
    static func computePayload(_ c: AnalysisContext) throws -> AnalysisPayload {
        let result = try compute(c)
        return AnalysisPayload(json: try encode(result.payload), artifacts: result.artifacts)
    }

    /// ``outputs(_:args:)`` of the stored results, each decoded first.
    static func render(_ results: [StoredAnalysis], args: Arguments) throws -> [ReportOutput] {
        try outputs(results.map { ($0, try decode($0.json)) }, args: args)
    }

    /// The analysed experiment's name, for titles and table rows.
    static func name(_ r: StoredAnalysis) -> String { r.target.experiment.name }

    /// The cell's `examples:` for an estimate (0 for an analysis without it).
    static func exampleCount(_ a: Arguments) -> Int { a.optional("examples").map { Arguments.int($0, "examples") } ?? 0 }
}
