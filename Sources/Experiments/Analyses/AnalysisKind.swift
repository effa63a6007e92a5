// The analysis protocol: what one analysis cell declares — its schema, estimate, computation, payload and outputs — and SeedResults, its per-seed results with their mean and spread.
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
    /// Parameters added after results were stored: left out of the result key while the cell omits them, so
    /// existing results keep their keys. Default: none.
    static var parametersKeyedWhenGiven: Set<String> { get }
    /// Folders (paths as written, relative to the data root) the analysis reads besides the run's own data: their
    /// contents enter the result key, as a dataset's do a run's. Default: none.
    static func inputFolders(_ a: Arguments) -> [String]
    /// Numbers of one run's payload that prose may quote (`= base.shapeBias`, docs/design.md §3.4). Default: none.
    static var inlineResults: [AnalysisInlineResult<Payload>] { get }
    /// Computes one run's result from its trained model and test data: the payload and its named PNG artifacts.
    static func compute(_ c: AnalysisContext) throws -> (payload: Payload, artifacts: [NamedArtifact])
    /// The report's outputs for one cell from the stored payloads of its experiments, in the cell's order: each
    /// experiment's per-seed results, shown as their mean with the spread (``SeedResults``, docs/methods.md §12.3).
    static func outputs(_ results: [SeedResults<Payload>], args: Arguments) throws -> [ReportOutput]
}

extension AnalysisKind {
    /// The call's name, e.g. "FourierHeatmap": the result's `kind` in the store.
    static var name: String { schema.name }
    static var needsClassScores: Bool { true }
    static var parametersKeyedWhenGiven: Set<String> { [] }
    static func inputFolders(_ a: Arguments) -> [String] { [] }

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

    /// ``outputs(_:args:)`` of the stored results, each decoded first and grouped per experiment (its seeds in order).
    static func render(_ results: [StoredAnalysis], args: Arguments) throws -> [ReportOutput] {
        var groups: [SeedResults<Payload>] = []
        for r in results {
            let payload = try decode(r.json)
            if let last = groups.indices.last, groups[last].experiment.key == r.target.experiment.key {
                groups[last].seeds.append((r, payload))
            } else {
                groups.append(SeedResults(seeds: [(r, payload)]))
            }
        }
        return try outputs(groups, args: args)
    }

    /// The analysed experiment's name, for titles and table rows.
    static func name(_ r: StoredAnalysis) -> String { r.target.experiment.name }

    /// The analysed experiment's name, for titles and table rows.
    static func name(_ r: SeedResults<Payload>) -> String { r.name }

    /// The cell's `examples:` for an estimate (0 for an analysis without it).
    static func exampleCount(_ a: Arguments) -> Int { a.optional("examples").map { Arguments.int($0, "examples") } ?? 0 }
}

/// One analysed experiment's stored results, one per seed in seed order, and their summary over seeds: the pointwise
/// mean and standard deviation of any numbers read from the payloads (docs/methods.md §12.3). Every analysis shows
/// its numbers through these, so a one-seed experiment shows plain values and a several-seed one the spread.
struct SeedResults<Payload> {
    var seeds: [(stored: StoredAnalysis, payload: Payload)]

    var experiment: PlannedExperiment { seeds[0].stored.target.experiment }
    var name: String { experiment.name }
    /// The first seed's result: its pictures stand for the experiment (averaging pictures of different models is
    /// meaningless).
    var first: (stored: StoredAnalysis, payload: Payload) { seeds[0] }
    var payloads: [Payload] { seeds.map(\.payload) }
    /// "" for one seed, else " (mean of 3 seeds)", for titles.
    var meanOf: String { seeds.count > 1 ? " (mean of \(seeds.count) seeds)" : "" }

    /// Mean over seeds of a number of each payload, with its standard deviation (nil for one seed).
    func spread(_ value: (Payload) -> Double) -> (mean: Double, std: Double?) {
        SeedSpread.of(payloads.map(value))
    }

    /// Pointwise mean over seeds of a series of each payload, with its standard deviation (nil for one seed).
    func spread(_ series: (Payload) -> [Double]) -> (mean: [Double], std: [Double]?) {
        SeedSpread.pointwise(payloads.map(series))
    }

    /// A table cell of a number over seeds: the value for one seed, mean ± std for several, missing when no seed has one.
    func cell(_ value: (Payload) -> Double?) -> TableValue {
        let (mean, std) = SeedSpread.of(payloads.map { value($0) ?? .nan })
        guard mean.isFinite else { return .missing }
        return std.map { .meanStd(mean: mean, std: $0) } ?? .number(mean)
    }

    /// A table row's cells of a series over seeds, one per point.
    func cells(_ series: (Payload) -> [Double]) -> [TableValue] {
        let (mean, std) = spread(series)
        return mean.indices.map { i in std.map { .meanStd(mean: mean[i], std: $0[i]) } ?? .number(mean[i]) }
    }
}
