// Run jobs: one seed of one experiment as a value, and the backends that execute it (embedded, torch local, torch
// Slurm) behind one protocol, chosen by the job's own `backend:`.
import Foundation
import Notebook

/// One seed of one experiment to execute: what trains, where its results go, and on which engine.
struct RunJob {
    /// The run key: its row in the store and its folder under `checkpoints/`.
    let key: String
    /// The experiment's name (a binding, or `sweep[i]`), stored as the run's cell.
    let binding: String
    /// The notebook's name, stored with the run.
    let notebook: String
    /// The resolved value as canonical JSON, stored with the run.
    let config: String
    let spec: ExperimentSpec
    let seed: Int
    /// The teacher's final weights when distilling.
    let teacherWeights: String?
    /// The engine that trains it.
    let backend: Backend
}

extension RunJob {
    /// The job of `run`, one seed of the planned experiment `e`.
    init(_ e: PlannedExperiment, _ run: PlannedRun, notebook: String, teacherWeights: String?) {
        self.init(key: run.key, binding: e.name, notebook: notebook, config: e.value.canonicalJSON, spec: e.spec,
                  seed: run.seed, teacherWeights: teacherWeights, backend: e.backend)
    }

    /// The backend that executes this job, chosen by its `backend:` (and a torch backend's launcher).
    var runner: any RunBackend {
        switch backend {
        case .embedded: return EmbeddedBackend()
        case .torch(let torch):
            switch torch.launcher {
            case .local: return TorchLocalBackend(torch: torch)
            case .slurm: return TorchSlurmBackend(torch: torch)
            }
        }
    }

    /// Executes the job on its backend.
    func execute(in context: RunContext, progress: (RunProgress) -> Void) throws {
        try runner.execute(self, in: context, progress: progress)
    }
}

/// What the jobs of one `loom run` share.
struct RunContext {
    let workspace: Workspace
    /// Datasets loaded by earlier jobs.
    let data: DataCache
    let stop: StopFlag
    /// The torch side's surroundings (child environment, poll intervals); tests replace it.
    var torch = TorchExecution()
}

/// An engine that executes a job: trains (or only evaluates) it, writing the run, its epochs and its summary to the
/// store and the final weights to `checkpoints/<key>/final.safetensors`.
protocol RunBackend {
    /// - Throws: ``DataMissing`` (nothing is stored), ``Interrupted`` (stored as interrupted; the next `loom run`
    ///   resumes it), or ``ExecuteError`` (stored as failed or diverged, with the message the report shows).
    func execute(_ job: RunJob, in context: RunContext, progress: (RunProgress) -> Void) throws
}
