// Plan: resolves checked cells into experiments and runs, keyed, with cache status and estimates.
import Engine
import Foundation
import Notebook
import Vision

/// Whether a run's result can be reused.
public enum RunState: String, Sendable {
    /// Succeeded before with the same key: nothing to do.
    case cached
    /// Started or failed before with this key: runs again (resuming from its checkpoint).
    case resume = "will resume"
    /// Never run with this key (new, or its meaning changed).
    case willRun = "will run"
}

/// One seed of one experiment.
public struct PlannedRun {
    public let key: String
    public let seed: Int
    public var state: RunState
    /// Estimated seconds to train and evaluate.
    public var estimate: Double
}

/// An experiment as planned: a binding (or one point of a sweep), its spec and its runs.
public struct PlannedExperiment {
    /// Binding name, or `sweep[i]` for a sweep point.
    public let name: String
    public let cellIndex: Int
    public let value: ResolvedValue
    public let spec: ExperimentSpec
    public let key: String
    public var runs: [PlannedRun]
    /// Human label for tables and legends.
    public let label: String
    /// The teacher's planned experiment name, when distilling.
    public let teacher: String?
    /// The engine that trains it (`backend:`, else the front matter's, else embedded).
    public var backend: Backend = .embedded
}

/// The notebook, checked and planned: every experiment with its runs, and per-cell errors.
public struct NotebookPlan {
    public let document: Document
    public let check: NotebookCheck
    /// Experiments in notebook order (sweeps expanded).
    public var experiments: [PlannedExperiment]
    /// Experiment names for each binding (one for an Experiment, the points of a Sweep).
    public var members: [String: [String]]
    /// Diagnostics found while resolving, by cell index (in addition to the checker's): errors, and warnings such as a
    /// warmup above the lr (only errors stop a cell).
    public var cellErrors: [Int: [Diagnostic]]
    /// Data root for file-backed datasets.
    public let dataRoot: String
    /// Analysis statements in notebook order, each with one result per analysed run.
    public var analyses: [PlannedAnalysis] = []
    /// Published values by experiment binding, from `Published(...)` statements (never runs, never in a key).
    public var published: [String: PublishedValues] = [:]
    /// Errors in prose's inline results found while planning (an analysis result no cell computes).
    public var inlineErrors: [Diagnostic] = []

    public func experiment(_ name: String) -> PlannedExperiment? { experiments.first { $0.name == name } }

    /// Planned experiments behind a binding name.
    public func runs(of binding: String) -> [PlannedExperiment] {
        (members[binding] ?? []).compactMap(experiment)
    }
}

/// Checks and plans `document` (steps 2 and 3, as `loom plan` shows them). `force` names bindings whose runs execute
/// again even when cached.
public func makePlan(document: Document, registry: SchemaRegistry, workspace ws: Workspace, force: Set<String> = [],
                     throughput: Double? = nil) throws -> NotebookPlan {
    try planNotebook(checkNotebook(document, in: ws, registry: registry), force: force, throughput: throughput)
}

/// Step 3: resolves the checked cells into experiments and runs, each keyed and marked cached, to resume or to run,
/// and the analyses into their results. `force` names bindings whose runs execute again even when cached;
/// `throughput` (GFLOP/s) replaces the one measured from the store's earlier runs.
public func planNotebook(_ checked: CheckedNotebook, force: Set<String> = [], throughput: Double? = nil) throws -> NotebookPlan {
    let document = checked.document, check = checked.check, ws = checked.workspace
    var plan = NotebookPlan(document: document, check: check, experiments: [], members: [:], cellErrors: [:], dataRoot: ws.dataRoot)
    let resolver = Resolver(bindings: check.bindings)
    var keys = RunKeys(manifest: { dataManifest($0.data, root: ws.dataRoot) + inputsManifest($0, root: ws.dataRoot) })
    let trainer = Backend.trainerHash()
    let gflops = throughput ?? measuredThroughput(ws.store)
    let defaultBackend = Result { try NotebookBackend.value(document.frontMatter) }
    for cell in check.cells where !cell.hasErrors {
        for st in cell.statements {
            guard let binding = st.binding else { continue }
            var points: [(String, ResolvedValue)] = []
            switch st.kind {
            case Vocabulary.Kind.experiment: points = [(binding, st.value)]
            case Vocabulary.Kind.sweep:
                do {
                    points = try resolver.sweep(st.value).enumerated().map { ("\(binding)[\($0.offset)]", $0.element.value) }
                } catch {
                    plan.cellErrors[cell.cell.index, default: []].append(Diagnostic(.error, "\(binding): \(error)", at: st.range))
                }
            default: continue
            }
            var names: [String] = []
            for (name, value) in points {
                do {
                    let spec = try resolver.experiment(value)
                    let backend = try Backend.resolve(value["backend"], notebookDefault: defaultBackend.get())
                    try backend.validate(spec)
                    let keyValue = backend.keyValue(normalizationKeyValue(value, spec: spec), trainer: trainer)
                    let key = keys.experimentKey(binding: name, value: keyValue, spec: spec)
                    var runs: [PlannedRun] = []
                    for seed in spec.seeds {
                        let rk = keys.runKey(value: keyValue, spec: spec, seed: seed)
                        let prior = try ws.store.run(key: rk)
                        var state: RunState = prior == nil ? .willRun : (prior!.status == .succeeded ? .cached : .resume)
                        if force.contains(binding) || force.contains(name) { state = prior == nil ? .willRun : .resume }
                        runs.append(PlannedRun(key: rk, seed: seed, state: state, estimate: estimateSeconds(spec, gflops: gflops)))
                    }
                    let teacher = value["teacher"].flatMap { t -> String? in
                        if case let .reference(n, _) = t { return n }
                        if case let .reference(n, _)? = t["teacher"] { return n }
                        return nil
                    }
                    if let warning = warmupWarning(spec, name: name, at: st.range) {
                        plan.cellErrors[cell.cell.index, default: []].append(warning)
                    }
                    plan.experiments.append(PlannedExperiment(name: name, cellIndex: cell.cell.index, value: value, spec: spec,
                                                              key: key, runs: runs, label: spec.modelLabel, teacher: teacher,
                                                              backend: backend))
                    names.append(name)
                } catch {
                    plan.cellErrors[cell.cell.index, default: []].append(
                        Diagnostic(.error, "\(name): \(error)", at: st.range))
                }
            }
            plan.members[binding] = names
        }
    }
    planAnalyses(&plan, store: ws.store, force: force, gflops: gflops, dataRoot: ws.dataRoot)
    planPublished(&plan)
    planInlineResults(&plan)
    return plan
}

/// A warmup that starts above the learning rate it warms up to: usually a `.with(optimizer:)` that kept a schedule
/// written for another optimiser (SGD's warmup from 0.01 under Lion's 1e-3), so the first epoch runs at up to that
/// many times the intended rate. A warning, not an error: it may be meant.
func warmupWarning(_ spec: ExperimentSpec, name: String, at range: SourceRange) -> Diagnostic? {
    let s = spec.schedule
    guard s.warmupEpochs > 0, s.warmupLR > s.baseLR else { return nil }
    let f = NumberFormat.automatic
    return Diagnostic(.warning, "\(name): the warmup starts at lr \(f.format(Double(s.warmupLR))), above the optimizer's lr "
                      + "\(f.format(Double(s.baseLR))), so it ramps down to it over \(s.warmupEpochs) epoch\(s.warmupEpochs == 1 ? "" : "s"); "
                      + "give the schedule a `warmupLR:` below the lr (timm's default is 1e-5)", at: range)
}

/// Refuses a `--force` name that is not a binding, sweep point or analysis call of the notebook: a typo would
/// otherwise re-run nothing, silently.
func checkForced(_ force: Set<String>, in plan: NotebookPlan, notebook: String) throws {
    let known = plan.check.bindings.ordered.map(\.name.text) + plan.experiments.map(\.name) + plan.analyses.map(\.call)
    for name in force.sorted() where !known.contains(name) {
        let near = Suggestion.nearest(to: name, in: known)
        let listed = Array(NSOrderedSet(array: plan.check.bindings.ordered.map(\.name.text))) as? [String] ?? []
        throw NotebookError(message: Suggestion.message("--force \(name): \(notebook) has no binding named `\(name)`", nearest: near)
                            + " (bindings: " + (listed.isEmpty ? "none" : listed.joined(separator: ", ")) + ")")
    }
}

/// Achieved training GFLOP/s on this machine: from earlier runs in the store, else a default.
func measuredThroughput(_ store: ResultsStore) -> Double {
    let done = ((try? store.runs(RunFilter(status: .succeeded))) ?? []).suffix(20)
    let rates = done.compactMap { r -> Double? in
        guard let ips = r.summary["imagesPerSecond"], let flops = r.summary["flops"], ips > 0, flops > 0 else { return nil }
        return ips * flops * 2 * 3 / 1e9
    }
    return rates.isEmpty ? 20 : rates.reduce(0, +) / Double(rates.count)
}

/// Seconds to train and evaluate: 3× forward FLOPs per training image, 1× per test image.
func estimateSeconds(_ spec: ExperimentSpec, gflops: Double) -> Double {
    let flops = forwardFLOPs(spec.model, size: spec.estimatedImageSize)
    let (train, test): (Int, Int)
    switch spec.data {
    case let .shapes(_, _, tr, te, _, _): (train, test) = (tr, te)
    case .cifar10, .cifar100: (train, test) = (50_000, 10_000)
    case .imageFolder: (train, test) = (10_000, 2_000)
    }
    // Each epoch trains and evaluates; an evaluation-only run (`epochs: 0`) still evaluates once.
    let total = Double(flops) * (Double(spec.epochs) * (3 * Double(train) + Double(test)) + (spec.epochs == 0 ? Double(test) : 0))
    return total / (gflops * 1e9)
}

/// FLOPs (2 per multiply-add) of one forward pass at `size` px, computed analytically from the model's config.
func forwardFLOPs(_ model: ModelSpec, size: Int) -> Int {
    switch model {
    case let .resnet(c): return c.forwardFLOPs(imageSize: size)
    case let .vit(c): return c.forwardFLOPs
    }
}
