// Execute: the pipeline's fourth step — each pending run as a job on its backend, then each pending analysis result.
import Foundation
import Notebook

/// What the execute step leaves for the report: the plan with what finished marked cached, why the rest has no
/// result, and the counts of the summary.
struct ExecutedNotebook {
    var plan: NotebookPlan
    let workspace: Workspace
    /// The notebook's name, stored with each run and result.
    let notebook: String
    /// Datasets loaded while executing (the report's samples and confusion matrices reuse them).
    let data = DataCache()
    /// Whether the step ran at all (`loom render` skips it).
    let executed: Bool
    /// Failure messages by run or analysis key (this invocation).
    var failures: [String: String] = [:]
    /// Data-missing notes by run or analysis key (this invocation).
    var missing: [String: String] = [:]
    var trained = 0, failed = 0, analysed = 0
    /// Runs skipped because their dataset files are absent.
    var missingData = 0
    var interrupted = false

    init(_ plan: NotebookPlan, _ parsed: ParsedNotebook, executed: Bool) {
        self.plan = plan; self.workspace = parsed.workspace; self.notebook = parsed.name; self.executed = executed
    }
}

/// Step 4: trains every run that is not cached, in notebook order, then computes every analysis result whose run
/// has trained. A failed run is recorded and the rest go on; a missing dataset skips its experiment's seeds; a stop
/// request ends the step (the interrupted run keeps its checkpoint).
func executeNotebook(_ plan: NotebookPlan, _ parsed: ParsedNotebook, _ o: RunOptions) -> ExecutedNotebook {
    var execution = Execution(outcome: ExecutedNotebook(plan, parsed, executed: true), options: o)
    for ei in plan.experiments.indices where !execution.outcome.interrupted {
        execution.runExperiment(ei)
    }
    if !execution.outcome.interrupted { execution.runAnalyses() }
    return execution.outcome
}

/// The execute step in progress.
private struct Execution {
    var outcome: ExecutedNotebook
    let options: RunOptions

    var context: RunContext { RunContext(workspace: outcome.workspace, data: outcome.data, stop: options.stop) }

    /// Trains the pending seeds of experiment `ei`, each as a job on the experiment's backend.
    mutating func runExperiment(_ ei: Int) {
        let e = outcome.plan.experiments[ei], progress = options.progress
        if let t = e.teacher, let teacherRun = outcome.plan.runs(of: t).first?.runs.first,
           let missing = outcome.missing[teacherRun.key] {
            // The student cannot train before its teacher, and the reason is the teacher's data, not a failure.
            let pending = e.runs.filter { $0.state != .cached }
            for r in pending { outcome.missing[r.key] = "teacher \(t): \(missing)" }
            outcome.missingData += pending.count
            options.log("data missing for \(e.name): its teacher \(t) has no data: \(missing)")
            return
        }
        for (ri, run) in e.runs.enumerated() where run.state != .cached {
            if let t = e.teacher, let failure = teacherProblem(plan: outcome.plan, teacher: t, failures: outcome.failures) {
                outcome.failures[run.key] = failure
                continue
            }
            startForcedRunAfresh(e, run)
            let teacherWeights = e.teacher.flatMap { outcome.plan.runs(of: $0).first?.runs.first.map { outcome.workspace.finalWeights($0.key) } }
            do {
                try RunJob(e, run, notebook: outcome.notebook, teacherWeights: teacherWeights)
                    .preparingPretrained(in: context).execute(in: context, progress: { p in progress(e, ri, e.runs.count, p.event) })
                outcome.plan.experiments[ei].runs[ri].state = .cached
                outcome.trained += 1
            } catch let error as DataMissing {
                for r in e.runs { outcome.missing[r.key] = error.message }
                outcome.missingData += e.runs.count
                options.log("data missing for \(e.name): \(error.message)")
                return
            } catch is Interrupted {
                outcome.interrupted = true
                options.log("stopped: \(e.name) seed \(run.seed) keeps its checkpoint; `loom run` resumes it")
                return
            } catch {
                outcome.failures[run.key] = "\(error)"
                outcome.failed += 1
                options.log("error: \(e.name) (seed \(run.seed)) failed: \(error)")
            }
        }
    }

    /// A forced re-run of a finished run trains from scratch, not "resume" its last checkpoint.
    func startForcedRunAfresh(_ e: PlannedExperiment, _ run: PlannedRun) {
        let force = options.force, plan = outcome.plan, ws = outcome.workspace
        guard run.state == .resume,
              force.contains(e.name) || plan.members.contains(where: { force.contains($0.key) && $0.value.contains(e.name) }),
              (try? ws.store.run(key: run.key))??.status == .succeeded else { return }
        for f in ["checkpoint.safetensors", "checkpoint.prev.safetensors"] {
            try? FileManager.default.removeItem(atPath: ws.checkpointDirectory(run.key) + "/" + f)
        }
    }

    /// Computes every pending analysis result whose run is trained; one whose run failed or is missing says why.
    mutating func runAnalyses() {
        for (ai, a) in outcome.plan.analyses.enumerated() {
            for (ti, t) in a.targets.enumerated() where t.state != .cached {
                guard !options.stop.isSet else { outcome.interrupted = true; break }
                // The state as of now: the run may have trained earlier in this invocation.
                let state = outcome.plan.experiments.lazy.flatMap(\.runs).first { $0.key == t.runKey }?.state
                if state != .cached {
                    if let m = outcome.missing[t.runKey] { outcome.missing[t.key] = m; continue }
                    outcome.failures[t.key] = outcome.failures[t.runKey].map { "\(t.label) failed: \($0)" }
                        ?? "\(t.label) has not finished training"
                    outcome.failed += 1
                    continue
                }
                runAnalysis(a, t, at: (ai, ti))
            }
        }
    }

    /// Computes one analysis result and stores it.
    mutating func runAnalysis(_ a: PlannedAnalysis, _ t: AnalysisTarget, at index: (analysis: Int, target: Int)) {
        let analysisProgress = options.analysisProgress
        options.log("analysis \(a.call)(\(t.label))")
        let started = Date()
        do {
            try executeAnalysis(a, t, notebook: outcome.notebook, workspace: outcome.workspace, data: outcome.data,
                                progress: { done, total in analysisProgress(a.call, t.label, done, total) })
            outcome.plan.analyses[index.analysis].targets[index.target].state = .cached
            outcome.analysed += 1
            options.log(String(format: "analysis \(a.call)(\(t.label)) done in %.1f s", Date().timeIntervalSince(started)))
        } catch {
            outcome.failures[t.key] = "\(error)"
            outcome.failed += 1
            options.log("error: \(a.call)(\(t.label)) failed: \(error)")
        }
    }
}

/// Why a teacher cannot be used yet (failed or missing), or nil.
func teacherProblem(plan: NotebookPlan, teacher: String, failures: [String: String]) -> String? {
    guard let t = plan.runs(of: teacher).first, let run = t.runs.first else { return "teacher \(teacher) is not a planned experiment" }
    if let f = failures[run.key] { return "teacher \(teacher) failed: \(f)" }
    return run.state == .cached ? nil : "teacher \(teacher) has not finished training"
}
