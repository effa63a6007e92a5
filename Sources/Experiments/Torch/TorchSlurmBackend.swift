// Torch, Slurm launcher: the batch script submitted with sbatch (or the job already submitted re-attached), followed
// until the trainer writes its status; squeue says whether the job still runs.
import Foundation
import Vision

/// The torch backend with `launcher: .slurm(...)`: a batch script submitted with sbatch.
struct TorchSlurmBackend: TorchRunBackend {
    let torch: TorchBackend

    /// Submits the batch script (or re-attaches to the job already submitted) and follows it until the trainer writes
    /// its status; nil when it succeeded.
    func launch(_ launch: TorchLaunch, resume: String?, follower: TorchFollower, stop: StopFlag, execution: TorchExecution,
                emit: (TrainingEvent) -> Void) throws -> String? {
        let files = launch.files
        var job = (try? String(contentsOfFile: files.slurmJob, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let j = job, !isSlurmJobID(j) { job = nil }  // a damaged slurm.job is not passed to squeue: submit afresh
        if let j = job, !j.isEmpty, slurmJobActive(j, execution: execution) == true {
            // Still queued or running from an earlier `loom run`: follow it rather than submitting twice.
        } else {
            let script: String
            do { script = try launch.slurmScript(resume: resume) } catch let e as ResolveError { throw ExecuteError(e.message) }
            try Data(script.utf8).write(to: URL(fileURLWithPath: files.slurmScript), options: .atomic)
            let (status, out, err) = try runTool(["sbatch", "--parsable", files.slurmScript], execution: execution)
            let id = out.split(whereSeparator: \.isNewline).last.map { String($0.split(separator: ";").first ?? "") }?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard status == 0, !id.isEmpty else {
                throw ExecuteError("sbatch \(files.slurmScript) failed (exit status \(status)): \(err.isEmpty ? out : err)")
            }
            guard isSlurmJobID(id) else {
                throw ExecuteError("sbatch answered \(id.debugDescription), not a job id (digits, or digits_digits for an array job)")
            }
            job = id
            try Data((id + "\n").utf8).write(to: URL(fileURLWithPath: files.slurmJob), options: .atomic)
        }
        let id = job ?? ""
        var lastCheck = Date()
        while true {
            try follower.poll(emit: emit)
            if let status = TorchStatus.read(files.status) {
                try follower.poll(final: true, emit: emit)
                try? FileManager.default.removeItem(atPath: files.slurmJob)
                return status.succeeded ? nil : "Slurm job \(id) failed\n--- last lines of \(files.slurmLog(job: id)) ---\n"
                    + tail(of: files.slurmLog(job: id))
            }
            if stop.isSet {
                // The job keeps running on the cluster; the next `loom run` re-attaches to it (`scancel` stops it).
                throw Interrupted()
            }
            if Date().timeIntervalSince(lastCheck) >= execution.squeueInterval {
                lastCheck = Date()
                if slurmJobActive(id, execution: execution) == false, TorchStatus.read(files.status) == nil {
                    try? FileManager.default.removeItem(atPath: files.slurmJob)
                    return "Slurm job \(id) ended without the trainer's status.json (cancelled, out of time or out of memory?)\n"
                        + "--- last lines of \(files.slurmLog(job: id)) ---\n" + tail(of: files.slurmLog(job: id))
                }
            }
            Thread.sleep(forTimeInterval: execution.pollInterval)
        }
    }
}

/// Whether `id` is a Slurm job id as sbatch prints it (`1234` or `1234_5`), safe to pass on to squeue.
func isSlurmJobID(_ id: String) -> Bool {
    id.range(of: "^[0-9]{1,20}(_[0-9]{1,10})?$", options: .regularExpression) != nil
}

/// Whether `squeue` still lists the job; nil when squeue cannot say (not installed).
func slurmJobActive(_ job: String, execution: TorchExecution) -> Bool? {
    guard let (status, out, _) = try? runTool(["squeue", "-h", "-j", job, "-o", "%T"], execution: execution),
          status != 127 else { return nil }
    return !out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
}

/// Runs a tool found on the child environment's PATH; returns exit status, stdout and stderr.
func runTool(_ arguments: [String], execution: TorchExecution) throws -> (Int32, String, String) {
    let r = try ChildProcess.run("/usr/bin/env", arguments, environment: execution.environment)
    return (r.status, r.stdout, r.stderr)
}
