// Launching the torch side: the torchrun command line and the Slurm batch script for one run.
import Foundation

/// How one torch run is started: the command for a local `torchrun`, or the batch script for Slurm.
public struct TorchLaunch: Sendable {
    public let backend: TorchBackend
    public let files: TorchRunFiles

    public init(backend: TorchBackend, files: TorchRunFiles) {
        self.backend = backend; self.files = files
    }

    /// `python -m torch.distributed.run` (torchrun, from the same interpreter) for one node; `resume` is the
    /// checkpoint to continue from. Locally it is `--standalone`; under Slurm it meets the other nodes through a
    /// c10d rendezvous on the first node.
    public func torchrunArguments(resume: String?, slurm: Bool = false) -> [String] {
        var args = [backend.python, "-m", "torch.distributed.run"]
        if slurm {
            args += ["--nnodes=\(backend.nodes)", "--nproc_per_node=\(backend.processes)", "--rdzv_id=$SLURM_JOB_ID",
                     "--rdzv_backend=c10d", "--rdzv_endpoint=$MASTER_ADDR:$MASTER_PORT"]
        } else {
            args += ["--standalone", "--nnodes=1", "--nproc_per_node=\(backend.processes)"]
        }
        args += [files.trainer, "--config", files.config]
        if let resume { args += ["--resume", resume] }
        return args
    }

    /// The batch script `slurm.sh`: one task per node running torchrun with `processes` workers, output to
    /// `slurm-<job>.log` beside the trainer's files.
    public func slurmScript(resume: String?) -> String {
        guard case .slurm(let o) = backend.launcher else { return "" }
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=loom-\(URL(fileURLWithPath: files.directory).deletingLastPathComponent().lastPathComponent.prefix(12))",
                     "#SBATCH --nodes=\(backend.nodes)",
                     "#SBATCH --ntasks-per-node=1",
                     "#SBATCH --output=\(files.directory)/slurm-%j.log"]
        let gpus = o.gpusPerNode ?? backend.processes
        if gpus > 0 { lines.append("#SBATCH --gpus-per-node=\(gpus)") }
        if let c = o.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(c)") }
        if let p = o.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = o.time { lines.append("#SBATCH --time=\(t)") }
        if let a = o.account { lines.append("#SBATCH --account=\(a)") }
        lines += o.options.map { "#SBATCH \($0)" }
        lines += ["# Written by Loom; `loom run` follows \(files.summary) and ingests each epoch.",
                  "set -uo pipefail",
                  "MASTER_ADDR=$(scontrol show hostnames \"${SLURM_JOB_NODELIST:-}\" 2>/dev/null | head -n 1)",
                  "export MASTER_ADDR=${MASTER_ADDR:-localhost}",
                  "export MASTER_PORT=${MASTER_PORT:-29500}",
                  "srun --kill-on-bad-exit=1 " + torchrunArguments(resume: resume, slurm: true).map(Self.shellQuote).joined(separator: " ")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A word for bash: single-quoted unless it is plain, with `$VARIABLE` references left for the shell (in double
    /// quotes) so the rendezvous settings expand on the node.
    static func shellQuote(_ word: String) -> String {
        if word.contains("$") { return "\"" + word.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The trainer shipped with Loom: `$LOOM_TORCH_TRAINER`, else `python/loom_train.py` of the source tree this
    /// binary was built from, else of the current directory.
    /// - Throws: ``ExecuteError`` naming the places looked at.
    public static func trainerScript(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        var candidates: [String] = []
        if let e = environment["LOOM_TORCH_TRAINER"], !e.isEmpty { candidates.append(e) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(source.appendingPathComponent("python/loom_train.py").path)
        candidates.append(FileManager.default.currentDirectoryPath + "/python/loom_train.py")
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ExecuteError("cannot find the torch trainer loom_train.py (looked at \(candidates.joined(separator: ", "))); "
                               + "set LOOM_TORCH_TRAINER to python/loom_train.py of the Loom checkout")
        }
        return found
    }
}
