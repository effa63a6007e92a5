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

    /// Opens the notebook's store read-only (creating nothing) and plans the notebook.
    public init(notebook path: String, outputDirectory: String) throws {
        let (document, ws) = try openNotebook(path, outputDirectory: outputDirectory, readOnly: true)
        let plan = try makePlan(document: document, registry: notebookRegistry(), workspace: ws)
        diagnostics = (plan.check.diagnostics + plan.planningErrors).map { $0.rendered(in: document.source) }
        let line = { (index: Int) in String(document.cells.first { $0.index == index }?.line ?? 0) }
        var total = 0.0, torchRuns = Set<String>()
        for e in plan.experiments {
            for r in e.runs {
                let est = r.state == .cached ? "-" : Self.estimate(r.estimate, on: e.backend)
                if r.state != .cached { if case .torch = e.backend { torchRuns.insert(r.key) } else { total += r.estimate } }
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
        totals = [Self.total(total, torchRuns: torchRuns.count),
                  "\(plan.experiments.count) experiments, \(plan.analyses.count) analyses, \(outputs) other outputs; backends: "
                      + (backends.isEmpty ? "none" : backends.joined(separator: ", "))]
        hasErrors = plan.check.hasErrors || plan.planningErrors.contains { $0.severity == .error }
    }

    /// The total line: the embedded engine's estimate, plus the count of distinct torch runs whose time is unknown.
    static func total(_ seconds: Double, torchRuns: Int) -> String {
        let embedded = "~\(duration(seconds)) (estimated from FLOPs, data size, epochs and measured throughput)"
        let torch = "\(torchRuns) torch run\(torchRuns == 1 ? "" : "s") of unknown time"
        if torchRuns == 0 { return "to run: " + embedded }
        return "to run: " + (seconds > 0 ? embedded + " + " + torch : torch)
    }

    /// The plan's estimate comes from the embedded engine's measured throughput; it says nothing about a torch run
    /// (other hardware, other kernels), so such a run's time is shown as unknown rather than as the CPU figure.
    static func estimate(_ seconds: Double, on backend: Backend) -> String {
        if case .torch = backend { return "unknown" }
        return duration(seconds)
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.0f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
}
