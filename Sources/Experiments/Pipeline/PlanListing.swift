// Plan listing: what `loom plan` shows — the checker's diagnostics, one row per run and analysis result, and totals.
import Foundation
import Notebook

/// `loom plan`'s content, computed from the notebook and its store without writing anything.
public struct PlanListing {
    /// The checker's and planner's diagnostics, rendered with their source lines.
    public private(set) var diagnostics: [String] = []
    /// cell line, run, seed, state, estimate, backend, key (its first 12 characters).
    public private(set) var rows: [[String]] = []
    /// The estimated time to run and the counts of experiments, analyses, other outputs and backends.
    public private(set) var totals: [String] = []
    /// Whether a cell has an error (`loom plan` then exits 1).
    public private(set) var hasErrors = false

    /// What `loom plan --probe` could not time, one line per torch experiment (no Python, no torch, a crash).
    public private(set) var probeMessages: [String] = []

    /// Opens the notebook's store read-only (creating nothing) and plans the notebook. A torch run's estimate comes from
    /// a cached timing probe (`<output>/probes/`, ``TorchProbe``); with `probe`, the missing probes run first (this
    /// starts Python, and writes only under `<output>/probes/`), each announced through `log`.
    public init(notebook path: String, outputDirectory: String, probe: Bool = false,
                environment: [String: String] = ProcessInfo.processInfo.environment, log: (String) -> Void = { _ in }) throws {
        let (document, ws) = try openNotebook(path, outputDirectory: outputDirectory, readOnly: true)
        let plan = try makePlan(document: document, registry: notebookRegistry(), workspace: ws)
        diagnostics = (plan.check.diagnostics + plan.planningDiagnostics).map { $0.rendered(in: document.source) }
        let line = { (index: Int) in String(document.cells.first { $0.index == index }?.line ?? 0) }
        if probe { runProbes(plan, outputDirectory: outputDirectory, environment: environment, log: log) }
        var total = 0.0, torchTotal = 0.0, probedRuns = Set<String>(), unknownRuns = Set<String>()
        for e in plan.experiments {
            let torchSeconds = torchEstimate(e, outputDirectory: outputDirectory, dataRoot: plan.dataRoot)
            for r in e.runs {
                var est = r.state == .cached ? "-" : Self.duration(r.estimate)
                if case .torch = e.backend, r.state != .cached {
                    est = torchSeconds.map { "~" + Self.duration($0) + " (probe)" } ?? "unknown"
                    if let torchSeconds { if probedRuns.insert(r.key).inserted { torchTotal += torchSeconds } } else { unknownRuns.insert(r.key) }
                } else if r.state != .cached {
                    total += r.estimate
                }
                rows.append([line(e.cellIndex), e.name, String(r.seed), r.state.rawValue, est, e.backend.label, String(r.key.prefix(12))])
            }
        }
        for a in plan.analyses {
            for t in a.targets {
                if t.state != .cached { total += t.estimate }
                rows.append([line(a.cellIndex), "\(a.call)(\(t.experiment.name))", String(t.seed), t.state == .cached ? "cached" : "will compute",
                             t.state == .cached ? "-" : Self.duration(t.estimate), "embedded", String(t.key.prefix(12))])
            }
        }
        let outputs = plan.check.cells.flatMap { $0.statements }.filter { $0.binding == nil }.count - plan.analyses.count
        let backends = Dictionary(grouping: plan.experiments, by: { $0.backend.label }).map { "\($0.value.count) \($0.key)" }.sorted()
        totals = [Self.total(total, probed: torchTotal, probedRuns: probedRuns.count, torchRuns: unknownRuns.count),
                  "\(plan.experiments.count) experiments, \(plan.analyses.count) analyses, \(outputs) other outputs; backends: "
                      + (backends.isEmpty ? "none" : backends.joined(separator: ", "))]
        if !unknownRuns.isEmpty && !probe {
            totals.append("torch runs: `loom plan --probe` times a few training steps of each model on this machine for an estimate")
        }
        hasErrors = plan.check.hasErrors || plan.planningDiagnostics.contains { $0.severity == .error }
    }

    /// Seconds to train one run of a torch experiment from its cached probe (epochs × steps per epoch × seconds per
    /// step), or nil when there is no probe result or the number of training images is unknown. Reads files only.
    func torchEstimate(_ e: PlannedExperiment, outputDirectory: String, dataRoot: String) -> Double? {
        guard case .torch(let torch) = e.backend, let key = TorchProbeKey.of(e.spec, backend: torch),
              let result = TorchProbe.cached(key, outputDirectory: outputDirectory),
              let images = TorchProbe.trainImages(e.spec.data, dataRoot: dataRoot) else { return nil }
        return TorchProbe.estimate(e.spec, trainImages: images, world: torch.worldSize, secondsPerStep: result.secondsPerStep)
    }

    /// Runs the timing probe of every torch experiment that has a run to do and no cached probe, once per probe key;
    /// a probe that fails becomes a line of ``probeMessages`` and its runs stay "unknown".
    mutating func runProbes(_ plan: NotebookPlan, outputDirectory: String, environment: [String: String], log: (String) -> Void) {
        var tried = Set<String>()
        for e in plan.experiments where e.runs.contains(where: { $0.state != .cached }) {
            guard case .torch(let torch) = e.backend else { continue }
            guard let key = TorchProbeKey.of(e.spec, backend: torch) else {
                probeMessages.append("timing probe for \(e.name): the image size is unknown before reading the data")
                continue
            }
            guard TorchProbe.cached(key, outputDirectory: outputDirectory) == nil, tried.insert(key.id).inserted else { continue }
            log("timing probe for \(e.name): \(e.spec.modelLabel), batch \(e.spec.batchSize), \(key.imageSize) px, "
                + "\(torch.processes)×\(torch.nodes) processes …")
            do {
                let r = try TorchProbe.run(e.spec, backend: torch, outputDirectory: outputDirectory, environment: environment)
                log(String(format: "timing probe for %@: %.3f s per step on %@", e.name, r.secondsPerStep,
                           Set(r.devices).sorted().joined(separator: ", ")))
            } catch {
                probeMessages.append("timing probe for \(e.name): \(error)")
            }
        }
    }

    /// The total line: the embedded engine's estimate, the probed torch runs' estimate, and the count of distinct
    /// torch runs whose time is unknown (no probe result).
    static func total(_ seconds: Double, probed: Double = 0, probedRuns: Int = 0, torchRuns: Int) -> String {
        var parts: [String] = []
        if seconds > 0 || (probedRuns == 0 && torchRuns == 0) {
            parts.append("~\(duration(seconds)) (estimated from FLOPs, data size, epochs and measured throughput)")
        }
        if probedRuns > 0 {
            parts.append("~\(duration(probed)) for \(probedRuns) torch run\(probedRuns == 1 ? "" : "s") "
                         + "(timing probe: epochs × steps × seconds per step, training only)")
        }
        if torchRuns > 0 { parts.append("\(torchRuns) torch run\(torchRuns == 1 ? "" : "s") of unknown time") }
        return "to run: " + parts.joined(separator: " + ")
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.0f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
}
