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
    let name = URL(fileURLWithPath: o.notebookPath).deletingPathExtension().lastPathComponent
    o.log("[1/5] parse   \(o.notebookPath)")
    let (document, ws) = try openNotebook(o.notebookPath, outputDirectory: o.outputDirectory)
    if o.execute { sweepAbandonedRuns(ws, log: o.log) }
    o.log("[2/5] check   \(document.cells.count) cells")
    var plan = try makePlan(document: document, registry: notebookRegistry(extra: o.extraCalls), workspace: ws, force: o.force)
    try checkForced(o.force, in: plan, notebook: o.notebookPath)
    let diagnostics = plan.check.diagnostics.filter { $0.severity == .error } + plan.cellErrors.values.flatMap { $0 }
    for d in plan.check.diagnostics + plan.cellErrors.values.flatMap({ $0 }) { o.log(d.rendered(in: document.source)) }
    let pending = plan.experiments.flatMap { e in e.runs.filter { $0.state != .cached } }
    o.log("[3/5] plan    \(plan.experiments.count) experiments, \(plan.experiments.reduce(0) { $0 + $1.runs.count }) runs: "
          + "\(pending.count) to run (~\(formatSeconds(pending.reduce(0) { $0 + $1.estimate }))), rest cached")
    var summary = RunSummary(reportPath: (o.outputDirectory as NSString).appendingPathComponent(name + ".html"))
    summary.errors = diagnostics.count
    let pendingAnalyses = plan.analyses.flatMap { a in a.targets.filter { $0.state != .cached } }
    if !plan.analyses.isEmpty {
        o.log("        \(plan.analyses.count) analyses, \(plan.analyses.reduce(0) { $0 + $1.targets.count }) results: "
              + "\(pendingAnalyses.count) to compute (~\(formatSeconds(pendingAnalyses.reduce(0) { $0 + $1.estimate }))), rest cached")
    }
    var failures: [String: String] = [:], missing: [String: String] = [:]
    let data = DataCache()
    if o.execute {
        o.log("[4/5] execute")
        outer: for (ei, e) in plan.experiments.enumerated() {
            seeds: for (ri, run) in e.runs.enumerated() where run.state != .cached {
                if let t = e.teacher, let failure = teacherProblem(plan: plan, teacher: t, failures: failures) {
                    failures[run.key] = failure
                    continue
                }
                if run.state == .resume, o.force.contains(e.name) || plan.members.contains(where: { o.force.contains($0.key) && $0.value.contains(e.name) }),
                   (try? ws.store.run(key: run.key))??.status == .succeeded {
                    // Forced re-run of a finished run: train from scratch, not "resume" its last checkpoint.
                    for f in ["checkpoint.safetensors", "checkpoint.prev.safetensors"] {
                        try? FileManager.default.removeItem(atPath: ws.checkpointDirectory(run.key) + "/" + f)
                    }
                }
                let teacherWeights = e.teacher.flatMap { plan.runs(of: $0).first?.runs.first.map { ws.finalWeights($0.key) } }
                do {
                    if case .torch(let torch) = e.backend {
                        try executeTorchRun(key: run.key, binding: e.name, notebook: name, config: e.value.canonicalJSON,
                                            spec: e.spec, seed: run.seed, teacherWeights: teacherWeights, backend: torch,
                                            workspace: ws, data: data, stop: o.stop,
                                            progress: { p in o.progress(e, ri, e.runs.count, p.event) })
                    } else {
                        try executeRun(key: run.key, binding: e.name, notebook: name, config: e.value.canonicalJSON, spec: e.spec,
                                       seed: run.seed, teacherWeights: teacherWeights, workspace: ws, data: data, stop: o.stop,
                                       progress: { p in o.progress(e, ri, e.runs.count, p.event) })
                    }
                    plan.experiments[ei].runs[ri].state = .cached
                    summary.trained += 1
                } catch let error as DataMissing {
                    for r in e.runs { missing[r.key] = error.message }
                    summary.missingData += e.runs.count
                    o.log("data missing for \(e.name): \(error.message)")
                    break seeds
                } catch is Interrupted {
                    summary.interrupted = true
                    o.log("stopped: \(e.name) seed \(run.seed) keeps its checkpoint; `loom run` resumes it")
                    break outer
                } catch {
                    failures[run.key] = "\(error)"
                    summary.failed += 1
                    o.log("error: \(e.name) (seed \(run.seed)) failed: \(error)")
                }
            }
        }
        if !summary.interrupted {
            for (ai, a) in plan.analyses.enumerated() {
                for (ti, t) in a.targets.enumerated() where t.state != .cached {
                    guard !o.stop.isSet else { summary.interrupted = true; break }
                    // The state as of now: the run may have trained earlier in this invocation.
                    let state = plan.experiments.lazy.flatMap(\.runs).first { $0.key == t.runKey }?.state
                    if state != .cached {
                        if let m = missing[t.runKey] { missing[t.key] = m; continue }
                        failures[t.key] = failures[t.runKey].map { "\(t.experiment.name) failed: \($0)" }
                            ?? "\(t.experiment.name) has not finished training"
                        summary.failed += 1
                        continue
                    }
                    o.log("analysis \(a.call)(\(t.experiment.name))")
                    let started = Date()
                    do {
                        try executeAnalysis(a, t, notebook: name, workspace: ws, data: data,
                                            progress: { done, total in o.analysisProgress(a.call, t.experiment.name, done, total) })
                        plan.analyses[ai].targets[ti].state = .cached
                        summary.analysed += 1
                        o.log(String(format: "analysis \(a.call)(\(t.experiment.name)) done in %.1f s", Date().timeIntervalSince(started)))
                    } catch {
                        failures[t.key] = "\(error)"
                        summary.failed += 1
                        o.log("error: \(a.call)(\(t.experiment.name)) failed: \(error)")
                    }
                }
            }
        }
    } else {
        o.log("[4/5] execute (skipped: rendering from the store)")
    }
    summary.cached = plan.experiments.reduce(0) { $0 + $1.runs.filter { $0.state == .cached }.count } - summary.trained
    o.log("[5/5] render  \(summary.reportPath)")
    let html = ReportAssembler(plan: plan, workspace: ws, notebook: name, failures: failures, missing: missing, data: data,
                               executed: o.execute).html()
    try FileManager.default.createDirectory(atPath: o.outputDirectory, withIntermediateDirectories: true)
    try Data(html.utf8).write(to: URL(fileURLWithPath: summary.reportPath), options: .atomic)
    summary.seconds = Date().timeIntervalSince(t0)
    return summary
}

/// Why a teacher cannot be used yet (failed or missing), or nil.
func teacherProblem(plan: NotebookPlan, teacher: String, failures: [String: String]) -> String? {
    guard let t = plan.runs(of: teacher).first, let run = t.runs.first else { return "teacher \(teacher) is not a planned experiment" }
    if let f = failures[run.key] { return "teacher \(teacher) failed: \(f)" }
    return run.state == .cached ? nil : "teacher \(teacher) has not finished training"
}

func formatSeconds(_ s: Double) -> String {
    if s < 60 { return String(format: "%.0f s", s) }
    if s < 3600 { return String(format: "%.0f min", s / 60) }
    return String(format: "%.1f h", s / 3600)
}
