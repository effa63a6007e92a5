// Runner: `loom run` as a literal pipeline — parse → check → plan → execute → render.
import Engine
import Foundation
import Notebook
import Vision

/// What `runNotebook` should do.
public struct RunOptions {
    public var notebookPath: String
    public var outputDirectory = "output"
    /// Bindings whose runs execute again even when cached.
    public var force: Set<String> = []
    /// Train what is missing (`loom run`) or only render from the store (`loom render`).
    public var execute = true
    /// Exit 0 even when cells fail.
    public var keepGoing = false
    /// Threads for OpenBLAS and the engine; nil leaves them as they are (`LOOM_THREADS`, else all cores).
    public var threads: Int?
    public var stop = StopFlag()
    /// Step lines ("[1/5] parse …") and notes.
    public var log: (String) -> Void = { print($0) }
    /// Training progress of the run in flight: (experiment, seed index, run count, event).
    public var progress: (PlannedExperiment, Int, Int, TrainingEvent) -> Void = { _, _, _, _ in }
    /// Extra cell vocabulary (e.g. analyses) and how to build their outputs.
    public var extraCalls: [CallSchema] = []
    /// Progress of the analysis in flight: (call, analysed experiment, done, total).
    public var analysisProgress: (String, String, Int, Int) -> Void = { _, _, _, _ in }

    public init(notebookPath: String) { self.notebookPath = notebookPath }
}

/// What a run of the pipeline did.
public struct RunSummary {
    public var reportPath: String
    public var trained = 0
    public var cached = 0
    public var failed = 0
    /// Analysis results computed in this run.
    public var analysed = 0
    public var errors = 0
    public var interrupted = false
    /// Runs skipped because their dataset files are absent (reported, not failed).
    public var missingData = 0
    public var seconds = 0.0
    /// 0 when everything rendered; 1 when a cell failed (unless keep-going); 130 when interrupted.
    /// 130 when interrupted; else the first that applies of: 1 a cell had an error, 2 a run or analysis failed or
    /// diverged, 3 data was missing (nothing failed, but results are absent: a script must not mistake that for
    /// success); 0 otherwise. `keepGoing` turns 1, 2 and 3 into 0. The report is written in every case;
    /// `loom run --help` and the README list these.
    public func exitCode(keepGoing: Bool) -> Int32 {
        if interrupted { return 130 }
        if keepGoing { return 0 }
        if errors > 0 { return 1 }
        if failed > 0 { return Self.runFailedStatus }
        return missingData > 0 ? Self.dataMissingStatus : 0
    }

    /// The exit status of a run where a run or analysis failed or diverged and no cell had an error.
    public static let runFailedStatus: Int32 = 2

    /// The exit status of a run where a dataset was missing and nothing else went wrong.
    public static let dataMissingStatus: Int32 = 3
}

/// Runs the whole pipeline and writes `output/<name>.html`.
public func runNotebook(_ o: RunOptions) throws -> RunSummary {
    let t0 = Date()
    if let threads = o.threads { Threads.set(threads) }
    o.log("[1/5] parse   \(o.notebookPath)")
    let parsed = try parseNotebook(o.notebookPath, outputDirectory: o.outputDirectory)
    if o.execute { sweepAbandonedRuns(parsed.workspace, log: o.log) }
    o.log("[2/5] check   \(parsed.document.cells.count) cells")
    let checked = checkNotebook(parsed.document, in: parsed.workspace, registry: notebookRegistry(extra: o.extraCalls))
    let plan = try planNotebook(checked, force: o.force)
    try checkForced(o.force, in: plan, notebook: o.notebookPath)
    logPlan(plan, o.log)
    o.log(o.execute ? "[4/5] execute" : "[4/5] execute (skipped: rendering from the store)")
    let executed = o.execute ? executeNotebook(plan, parsed, o) : ExecutedNotebook(plan, parsed, executed: false)
    var summary = RunSummary(executed, errors: plan.errorCount,
                             reportPath: (o.outputDirectory as NSString).appendingPathComponent(parsed.name + ".html"))
    o.log("[5/5] render  \(summary.reportPath)")
    try writeReport(renderNotebook(executed), to: summary.reportPath, outputDirectory: o.outputDirectory)
    summary.seconds = Date().timeIntervalSince(t0)
    return summary
}

/// "~12.0 min", "~12.0 min + 3 on torch, time unknown" or "3 on torch, time unknown".
private func pendingTime(_ seconds: Double, embedded: Int, torch: Int) -> String {
    let unknown = "\(torch) on torch, time unknown"
    if torch == 0 { return "~" + formatSeconds(seconds) }
    return embedded == 0 ? unknown : "~\(formatSeconds(seconds)) + " + unknown
}

/// The checker's and planner's diagnostics, then step 3's line: runs and analysis results, how many execute, and
/// roughly how long they take.
func logPlan(_ plan: NotebookPlan, _ log: (String) -> Void) {
    for d in plan.check.diagnostics + plan.planningDiagnostics { log(d.rendered(in: plan.document.source)) }
    let pending = plan.experiments.flatMap { e in e.runs.filter { $0.state != .cached }.map { (e.backend, $0) } }
    // The estimate is the embedded engine's; torch runs are counted apart, with no time (`PlanListing.total`).
    let embedded = pending.filter { if case .embedded = $0.0 { return true }; return false }.map(\.1)
    let torch = pending.count - embedded.count
    log("[3/5] plan    \(plan.experiments.count) experiments, \(plan.experiments.reduce(0) { $0 + $1.runs.count }) runs: "
        + "\(pending.count) to run (\(pendingTime(embedded.reduce(0) { $0 + $1.estimate }, embedded: embedded.count, torch: torch))), rest cached")
    let pendingAnalyses = plan.analyses.flatMap { a in a.targets.filter { $0.state != .cached } }
    if !plan.analyses.isEmpty {
        log("        \(plan.analyses.count) analyses, \(plan.analyses.reduce(0) { $0 + $1.targets.count }) results: "
            + "\(pendingAnalyses.count) to compute (~\(formatSeconds(pendingAnalyses.reduce(0) { $0 + $1.estimate }))), rest cached")
    }
}

extension NotebookPlan {
    /// Cells' errors: the checker's and those found while planning.
    public var errorCount: Int {
        check.diagnostics.filter { $0.severity == .error }.count + planningDiagnostics.filter { $0.severity == .error }.count
    }

    /// Diagnostics found while planning (errors, and warnings such as a warmup above the lr): cells' and prose's
    /// inline results', in file order.
    public var planningDiagnostics: [Diagnostic] {
        (cellErrors.values.flatMap { $0 } + inlineErrors).sorted { $0.range.start < $1.range.start }
    }
}

extension RunSummary {
    /// The summary of an execution; runs cached are those of the plan that did not train now.
    init(_ x: ExecutedNotebook, errors: Int, reportPath: String) {
        self.init(reportPath: reportPath)
        self.errors = errors
        (trained, failed, analysed, missingData, interrupted) = (x.trained, x.failed, x.analysed, x.missingData, x.interrupted)
        cached = x.plan.experiments.reduce(0) { $0 + $1.runs.filter { $0.state == .cached }.count } - x.trained
    }
}

func formatSeconds(_ s: Double) -> String {
    if s < 60 { return String(format: "%.0f s", s) }
    if s < 3600 { return String(format: "%.0f min", s / 60) }
    return String(format: "%.1f h", s / 3600)
}
