// Launching the torch side: the torchrun command line and the Slurm batch script for one run.
import Foundation

/// How one torch run is started: the command for a local `torchrun`, or the batch script for Slurm.
public struct TorchLaunch: Sendable {
    public let backend: TorchBackend
    public let files: TorchRunFiles

    public init(backend: TorchBackend, files: TorchRunFiles) {
        self.backend = backend; self.files = files
    }

    /// `python -m torch.distributed.run` (torchrun, from the same interpreter) on this machine, `--standalone`, as an
    /// argv array; `resume` is the checkpoint to continue from. (Under Slurm, ``slurmScript(resume:)`` writes the
    /// multi-node form, with a c10d rendezvous on the first node, into the batch script.)
    public func torchrunArguments(resume: String?) -> [String] {
        var args = [backend.python, "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
                    "--nproc_per_node=\(backend.processes)", files.trainer, "--config", files.config]
        if let resume { args += ["--resume", resume] }
        return args
    }

    /// The batch script `slurm.sh`: one task per node running torchrun with `processes` workers, output to
    /// `slurm-<job>.log` beside the trainer's files. Every value from the notebook or the file system is validated
    /// (``TorchBackend/validate()``) and quoted: for Slurm's `#SBATCH` reader (which strips quotes and honours
    /// backslashes) and for bash on the srun line (single quotes), so no value can end a line or run a command.
    /// - Throws: ``ResolveError`` naming the field whose value cannot be written safely.
    public func slurmScript(resume: String?) throws -> String {
        guard case .slurm(let o) = backend.launcher else { return "" }
        try backend.validate()
        for (what, path) in [("the run folder", files.directory), ("the trainer", files.trainer), ("the config", files.config)]
            + (resume.map { [("the checkpoint", $0)] } ?? []) {
            try TorchBackend.checkPrintable(path, field: what)
        }
        let jobName = "loom-" + URL(fileURLWithPath: files.directory).deletingLastPathComponent().lastPathComponent.prefix(12)
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=\(Self.slurmQuote(String(jobName)))",
                     "#SBATCH --nodes=\(backend.nodes)",
                     "#SBATCH --ntasks-per-node=1",
                     "#SBATCH --output=\(Self.slurmQuote(files.directory + "/slurm-%j.log"))"]
        let gpus = o.gpusPerNode ?? backend.processes
        if gpus > 0 { lines.append("#SBATCH --gpus-per-node=\(gpus)") }
        if let c = o.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(c)") }
        if let p = o.partition { lines.append("#SBATCH --partition=\(Self.slurmQuote(p))") }
        if let t = o.time { lines.append("#SBATCH --time=\(Self.slurmQuote(t))") }
        if let a = o.account { lines.append("#SBATCH --account=\(Self.slurmQuote(a))") }
        lines += o.options.map { "#SBATCH \(Self.slurmQuote($0))" }
        // Only these two words are left for bash to expand, and they are Loom's own text.
        let rendezvous = ["\"--rdzv_id=${SLURM_JOB_ID}\"", "--rdzv_backend=c10d", "\"--rdzv_endpoint=${MASTER_ADDR}:${MASTER_PORT}\""]
        var words = [backend.python, "-m", "torch.distributed.run", "--nnodes=\(backend.nodes)",
                     "--nproc_per_node=\(backend.processes)"].map(Self.shellQuote) + rendezvous
        words += ([files.trainer, "--config", files.config] + (resume.map { ["--resume", $0] } ?? [])).map(Self.shellQuote)
        lines += ["# Written by Loom; `loom run` follows the trainer's summary.csv in this folder and ingests each epoch.",
                  "set -uo pipefail",
                  "MASTER_ADDR=$(scontrol show hostnames \"${SLURM_JOB_NODELIST:-}\" 2>/dev/null | head -n 1)",
                  "export MASTER_ADDR=${MASTER_ADDR:-localhost}",
                  "export MASTER_PORT=${MASTER_PORT:-29500}",
                  "srun --kill-on-bad-exit=1 " + words.joined(separator: " ")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A word for bash, always single-quoted (a `'` inside becomes `'\''`): nothing in it is expanded.
    static func shellQuote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A value for an `#SBATCH` line, single-quoted for sbatch's own reader, which strips quotes, ends the argument at
    /// white space or `#` outside them, and treats `\\` as an escape even inside them.
    static func slurmQuote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The torch side's Python when none is written: `$LOOM_TORCH_PYTHON` when set and not empty, else `python3`.
    static func defaultPython(environment: [String: String]) -> String {
        environment["LOOM_TORCH_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    }

    /// Runs `python/loom_weights.py` (beside the trainer) on `job`, written as JSON to a temporary folder that is
    /// removed afterwards; the Python gets an argv array, never a shell.
    static func runWeightsConverter(job: [String: Any], python: String, environment: [String: String]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let script = URL(fileURLWithPath: try trainerScript(environment: environment))
            .deletingLastPathComponent().appendingPathComponent("loom_weights.py").path
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("loom-weights-\(UUID().uuidString)")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        let jobPath = work.appendingPathComponent("job.json")
        try JSONSerialization.data(withJSONObject: job, options: [.sortedKeys]).write(to: jobPath)
        return try ChildProcess.run(python, [script, "--job", jobPath.path], environment: environment)
    }

    /// The executable of `python` for a local launch, found without a shell: a path with a `/` as given, else the
    /// first match on the child environment's PATH. The arguments then go to it as an argv array.
    /// - Throws: ``ExecuteError`` when there is no such executable.
    static func executable(_ python: String, environment: [String: String]) throws -> String {
        let fm = FileManager.default
        if python.contains("/") {
            guard fm.isExecutableFile(atPath: python) else {
                throw ExecuteError("the torch backend's python \(python) is not an executable file; set `python:` or $LOOM_TORCH_PYTHON")
            }
            return python
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + python
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExecuteError("cannot find \(python) on PATH (\(path)) for the torch backend; set `python:` or $LOOM_TORCH_PYTHON "
                           + "to the Python with torch, timm and safetensors")
    }

    /// `python/loom_train.py` of the source tree this binary was built from (this file is
    /// Sources/Experiments/Torch/TorchLaunch.swift: four levels up is the tree's root).
    static let sourceTreeTrainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("python/loom_train.py").path

    /// The trainer shipped with Loom: `$LOOM_TORCH_TRAINER`, else `python/loom_train.py` of the source tree this
    /// binary was built from, else of the current directory.
    /// - Throws: ``ExecuteError`` naming the places looked at.
    public static func trainerScript(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        var candidates: [String] = []
        if let e = environment["LOOM_TORCH_TRAINER"], !e.isEmpty { candidates.append(e) }
        candidates.append(sourceTreeTrainer)
        candidates.append(FileManager.default.currentDirectoryPath + "/python/loom_train.py")
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ExecuteError("cannot find the torch trainer loom_train.py (looked at \(candidates.joined(separator: ", "))); "
                               + "set LOOM_TORCH_TRAINER to python/loom_train.py of the Loom checkout")
        }
        return found
    }
}
