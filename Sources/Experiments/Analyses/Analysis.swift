// Analyses: planning, caching and execution of the analysis cells (one cached result per analysed run).
import Engine
import Foundation
import Notebook
import Vision

/// One analysis statement, planned: the experiments it reads and one result per experiment.
///
/// Results are keyed per run, so adding a run to `FrequencyAnalysis(a, b)` computes only the new one, and
/// retraining `a` recomputes only `a`'s.
public struct PlannedAnalysis {
    /// The call, e.g. "FrequencyAnalysis".
    public let call: String
    public let cellIndex: Int
    public let range: SourceRange
    public let value: ResolvedValue
    public var targets: [AnalysisTarget]
}

/// One analysed run (one seed of an experiment): its experiment, the result key and whether it must be computed.
public struct AnalysisTarget {
    public let experiment: PlannedExperiment
    /// The analysed run: the trained model of seed ``seed``.
    public let runKey: String
    /// The seed of the analysed run.
    public let seed: Int
    /// Key of the analysis result in the store.
    public let key: String
    public var state: RunState
    /// Estimated seconds to compute.
    public var estimate: Double

    /// The experiment's name, with the seed when it has several: "base", "base (seed 1)".
    public var label: String { experiment.runs.count > 1 ? "\(experiment.name) (seed \(seed))" : experiment.name }
}

/// The version of the analysis algorithms; part of every analysis key. 2: Grad-CAM and shape bias normalise their inputs
/// as the other analyses and the evaluation pipeline do (x·(1/std) − mean/std), not (x − mean)/std.
let analysisNumericsVersion = "loom-analysis-2"

/// A computed result: JSON for the numbers, named PNGs for the pictures.
struct AnalysisPayload {
    var json: Data
    var artifacts: [NamedArtifact] = []
}

/// What an analysis computes from: one run's trained model and its test data.
struct AnalysisContext {
    let experiment: PlannedExperiment
    /// The experiment as its run executed it (``ExperimentSpec/asRun(_:in:)``: pretrained weights' normalisation and
    /// evaluation transform), whose test pipeline prepares the images.
    let spec: ExperimentSpec
    let model: Classifier
    let args: Arguments
    /// The test split as opened: decoded, or a folder's files of which ``pixels(_:count:)`` reads only the first ones.
    let test: ImageSplit
    let normalization: Normalization
    let classNames: [String]
    /// The folder relative data paths are read from (``DataSpec/path(_:root:)``).
    let dataRoot: String
    /// Progress within this analysis: (done, total).
    let progress: (Int, Int) -> Void

    /// The cell's `examples:` (nil for an analysis without it: every test image).
    var examples: Int? { args.optional("examples").map { Arguments.int($0, "examples") } }
    /// The cell's `seed:` of the analysis' random draws (0 for an analysis without it).
    var seed: UInt64 { UInt64(args.optional("seed").map { Arguments.int($0, "seed") } ?? 0) }

    /// The first `count` test images (all when nil) at the model's input size in [0, 1], not normalised:
    /// the evaluation pipeline (resizes included) with unit normalisation.
    func pixels(_ images: LabeledImages? = nil, count: Int? = nil) throws -> (pixels: Tensor, labels: [Int]) {
        let available = images?.count ?? test.count
        let n = min(count ?? available, available)
        guard n > 0 else { throw AnalysisError("\(experiment.name): the test split has no images to analyse") }
        let subset = try images.map { try ImageSplit.decoded($0).first(n) } ?? test.first(n)
        let loader = DataLoader(subset, pipeline: spec.testPipeline(normalization: .unit), batchSize: max(n, 1),
                                shuffle: false, seed: 0)
        let batch = loader.batch(0, epoch: 0, order: loader.order(epoch: 0))
        return (batch.images, batch.labels)
    }
}

extension NotebookPlan {
    /// The planned analysis of the statement at `range` in cell `cell`.
    func analysis(cell: Int, range: SourceRange) -> PlannedAnalysis? {
        analyses.first { $0.cellIndex == cell && $0.range == range }
    }
}

/// Plans every analysis statement of checked cells: one target per seed of each analysed experiment, with its key,
/// cache state and estimate. A seed's key is that of the analysis of its run alone (call, arguments, the run's key,
/// versions), so the first seed's result keeps the key it had when analyses read the first seed only
/// (docs/methods.md §12.3), and raising `seeds:` computes only the new seeds' results.
func planAnalyses(_ plan: inout NotebookPlan, store: ResultsStore, force: Set<String>, gflops: Double, dataRoot: String) {
    for cell in plan.check.cells where !cell.hasErrors {
        for st in cell.statements {
            guard let call = st.value.name, let kind = AnalysisKinds.kind(named: call) else { continue }
            let references: [ResolvedValue]
            if case let .array(items)? = st.value["runs"] { references = items } else { references = st.value["run"].map { [$0] } ?? [] }
            var params = st.value
            let omitted = kind.parametersKeyedWhenGiven
            if case let .call(n, args) = params {
                params = .call(n, args.filter { $0.label != "runs" && $0.label != "run" && !(omitted.contains($0.label) && $0.value == .null) })
            }
            let inputs = kind.inputFolders(Arguments(st.value, owner: call)).map { "input:" + folderManifest(DataSpec.path($0, root: dataRoot)) }
            var targets: [AnalysisTarget] = []
            for ref in references {
                guard case let .reference(name, _) = ref else { continue }
                for e in plan.runs(of: name) {
                    for run in e.runs {
                        let key = ContentHash.sha256Hex(Data(([call, params.canonicalJSON, run.key, engineNumericsVersion,
                                                               analysisNumericsVersion] + inputs).joined(separator: "|").utf8))
                        let done = ((try? store.result(key: key)) ?? nil) != nil
                        let forced = force.contains(st.binding ?? "") || force.contains(call)
                        let passes = Double(kind.forwardPasses(Arguments(st.value, owner: call), spec: e.spec))
                        let estimate = passes * Double(forwardFLOPs(e.spec.model, size: e.spec.estimatedImageSize)) / (gflops * 1e9)
                        targets.append(AnalysisTarget(experiment: e, runKey: run.key, seed: run.seed, key: key,
                                                      state: done && !forced ? .cached : .willRun, estimate: estimate))
                    }
                }
            }
            plan.analyses.append(PlannedAnalysis(call: call, cellIndex: cell.cell.index, range: st.range, value: st.value,
                                                 targets: targets))
        }
    }
}

/// Computes one analysis target from its run's final weights and stores the result.
func executeAnalysis(_ analysis: PlannedAnalysis, _ target: AnalysisTarget, notebook: String, workspace ws: Workspace,
                     data: DataCache, progress: @escaping (Int, Int) -> Void) throws {
    let e = target.experiment
    let weights = ws.finalWeights(target.runKey)
    guard FileManager.default.fileExists(atPath: weights) else {
        throw AnalysisError("\(target.label) has no trained weights (\(weights)); it must finish training first")
    }
    let model = e.spec.model.build(seed: 0)
    do { try model.load(safetensors: weights) } catch {
        throw AnalysisError("\(target.label): cannot load its weights \(weights): \(error)")
    }
    model.eval()
    let d = try data.load(e.spec.data, root: ws.dataRoot)
    let spec = try e.spec.asRun(target.runKey, in: ws)  // pretrained weights: the normalisation and transform their run used
    let context = AnalysisContext(experiment: e, spec: spec, model: model, args: Arguments(analysis.value, owner: analysis.call),
                                  test: d.test, normalization: spec.normalization(dataset: d.normalization), classNames: d.classNames,
                                  dataRoot: ws.dataRoot, progress: progress)
    let started = Date()
    var payload = try AnalysisKinds.compute(analysis.call, context)
    // Provenance rides along with the numbers.
    if var object = try JSONSerialization.jsonObject(with: payload.json) as? [String: Any] {
        object["_seconds"] = Date().timeIntervalSince(started)
        object["_run"] = target.runKey
        object["_machine"] = Workspace.environment.machineSummary
        payload.json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
    try ws.store.saveResult(ResultRecord(key: target.key, kind: analysis.call, notebook: notebook, cell: target.label,
                                         payload: String(decoding: payload.json, as: UTF8.self)),
                            artifacts: payload.artifacts)
}

/// A stored analysis result of one target, read back for the report.
struct StoredAnalysis {
    let target: AnalysisTarget
    let record: ResultRecord
    let store: ResultsStore
    var json: Data { Data(record.payload.utf8) }
    /// Seconds the computation took.
    var seconds: Double? { meta("_seconds") as? Double }
    /// The machine it was computed on, as recorded then.
    var machine: String? { meta("_machine") as? String }
    private func meta(_ name: String) -> Any? { (try? JSONSerialization.jsonObject(with: json) as? [String: Any])?[name] }
    /// A named PNG artifact of this result.
    func artifact(_ name: String) -> Data? { (try? store.artifact(named: name, of: record.key))??.bytes }
}
