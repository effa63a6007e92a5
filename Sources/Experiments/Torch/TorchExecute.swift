// Executing a run on the torch backend: launch (torchrun or Slurm), follow summary.csv and progress.jsonl for the
// progress bar, ingest each epoch into the store, resume from last.pth.tar, and load the weights back into Loom.
import Engine
import Foundation
import Notebook
import Vision

/// What the torch execution takes from its surroundings; tests replace the environment (a fake `sbatch` on PATH).
public struct TorchExecution: Sendable {
    /// Environment of every child process (python, sbatch, squeue).
    public var environment: [String: String] = BLASCore.childEnvironment()
    /// Seconds between looks at the trainer's files.
    public var pollInterval: Double = 0.5
    /// Seconds between `squeue` checks of a Slurm job.
    public var squeueInterval: Double = 15
    /// Largest |Loom − torch| logit difference accepted on the probe images, relative to max(1, max |logit|).
    public var parityTolerance: Double = 1e-3

    public init() {}
}

/// One row of a timm `summary.csv` (accuracies in percent, as timm writes them).
public struct TimmSummaryRow: Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var evalLoss: Double
    public var evalTop1: Double
    public var evalTop5: Double
    public var lr: Double

    /// Rows of a `summary.csv` text; lines that do not parse (a partial last line) are skipped.
    public static func parse(_ text: String) -> [TimmSummaryRow] {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        guard let e = column("epoch"), let tl = column("train_loss"), let el = column("eval_loss"),
              let t1 = column("eval_top1"), let t5 = column("eval_top5") else { return [] }
        let lrColumn = column("lr")
        return lines.dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == header.count, let epoch = Int(f[e]), let evalLoss = Double(f[el]), let top1 = Double(f[t1]),
                  let top5 = Double(f[t5]) else { return nil }
            return TimmSummaryRow(epoch: epoch, trainLoss: Double(f[tl]) ?? .nan, evalLoss: evalLoss, evalTop1: top1,
                                  evalTop5: top5, lr: lrColumn.flatMap { Double(f[$0]) } ?? .nan)
        }
    }
}

/// Follows a torch run's files: new batch lines of `progress.jsonl` become progress events, and each new
/// `summary.csv` row (once its throughput line is there, or at the end) is stored as an epoch.
final class TorchFollower {
    let files: TorchRunFiles
    let key: String
    let seed: Int
    let store: ResultsStore
    private var offset: UInt64 = 0
    private var partial = Data()
    private var stats: [Int: (imagesPerSecond: Double, seconds: Double)] = [:]
    private var ingested: [Int: TimmSummaryRow] = [:]
    private(set) var history: [Int: EpochMetrics] = [:]

    init(files: TorchRunFiles, key: String, seed: Int, store: ResultsStore) {
        self.files = files; self.key = key; self.seed = seed; self.store = store
    }

    /// Reads what is new; `final` ingests rows even without their throughput line.
    func poll(final: Bool = false, emit: (TrainingEvent) -> Void) throws {
        for line in newProgressLines() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let event = object["event"] as? String else { continue }
            let epoch = (object["epoch"] as? NSNumber)?.intValue ?? 0
            switch event {
            case "batch":
                emit(.batch(epoch: epoch, batch: (object["batch"] as? NSNumber)?.intValue ?? 0,
                            of: (object["of"] as? NSNumber)?.intValue ?? 1, loss: (object["loss"] as? NSNumber)?.floatValue ?? .nan,
                            imagesPerSecond: (object["images_per_second"] as? NSNumber)?.doubleValue ?? 0))
            case "epoch":
                stats[epoch] = ((object["images_per_second"] as? NSNumber)?.doubleValue ?? 0,
                                (object["seconds"] as? NSNumber)?.doubleValue ?? 0)
            case "resumed":
                emit(.resumed(epoch: epoch, batch: 0))
            default: break
            }
        }
        guard let data = FileManager.default.contents(atPath: files.summary), let text = String(data: data, encoding: .utf8) else {
            return
        }
        for row in TimmSummaryRow.parse(text) where ingested[row.epoch] != row {
            guard let s = stats[row.epoch] ?? (final ? (0, 0) : nil) else { continue }
            let m = EpochMetrics(epoch: row.epoch, trainLoss: row.trainLoss, testLoss: row.evalLoss, top1: row.evalTop1 / 100,
                                 top5: row.evalTop5 / 100, learningRate: row.lr, imagesPerSecond: s.imagesPerSecond,
                                 seconds: s.seconds)
            try store.appendEpoch(EpochRecord(runKey: key, seed: seed, epoch: m.epoch,
                                              trainLoss: m.trainLoss.isFinite ? m.trainLoss : nil, testLoss: m.testLoss,
                                              top1: m.top1, top5: m.top5, lr: m.learningRate,
                                              imagesPerSecond: m.imagesPerSecond, wallSeconds: m.seconds))
            ingested[row.epoch] = row
            history[row.epoch] = m
            emit(.epoch(m))
        }
    }

    private func newProgressLines() -> [String] {
        guard let h = FileHandle(forReadingAtPath: files.progress) else { return [] }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        if size < offset { offset = 0; partial = Data() }  // rewritten from scratch
        guard size > offset else { return [] }
        try? h.seek(toOffset: offset)
        let chunk = (try? h.readToEnd()) ?? Data()
        offset += UInt64(chunk.count)
        partial.append(chunk)
        guard let last = partial.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = partial[partial.startIndex...last]
        partial = Data(partial[(last + 1)...])
        return String(decoding: complete, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

/// The trainer's `status.json`.
struct TorchStatus {
    var succeeded: Bool
    var kind: String
    var message: String
    var versions: String?
    /// The devices the trainer ran on, as it named them ("2× NVIDIA H100 80GB HBM3", "cpu").
    var devices: String?

    static func read(_ path: String) -> TorchStatus? {
        guard let data = FileManager.default.contents(atPath: path),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let status = o["status"] as? String else {
            return nil
        }
        let versions = (o["torch"] as? String).map { "torch \($0), timm \(o["timm"] as? String ?? "?")" }
        return TorchStatus(succeeded: status == "succeeded", kind: o["kind"] as? String ?? "", message: o["message"] as? String ?? "",
                           versions: versions, devices: deviceSummary(o["devices"] as? [String]))
    }

    /// "2× NVIDIA H100" for two equal devices, "A100, V100" for unequal ones, nil for none.
    static func deviceSummary(_ names: [String]?) -> String? {
        guard let names, !names.isEmpty else { return nil }
        let distinct = names.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if distinct.count == 1 { return names.count == 1 ? names[0] : "\(names.count)× \(names[0])" }
        return names.joined(separator: ", ")
    }
}

/// The last `lines` lines of a text file ("" when absent).
func tail(of path: String, lines: Int = 30) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "" }
    return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .suffix(lines).joined(separator: "\n")
}

/// The torch backends (`launcher: .local` and `.slurm(...)`): the same steps around a launcher's own `launch`.
protocol TorchRunBackend: RunBackend {
    var torch: TorchBackend { get }

    /// Starts the trainer (or re-attaches to the one already started) and follows it until it ends.
    /// - Returns: nil when it succeeded, else what went wrong (with the log's tail).
    /// - Throws: ``Interrupted`` when a stop was requested.
    func launch(_ launch: TorchLaunch, resume: String?, follower: TorchFollower, stop: StopFlag, execution: TorchExecution,
                emit: (TrainingEvent) -> Void) throws -> String?
}

extension TorchRunBackend {
    /// Trains one seed of `job.spec` on the torch backend under `job.key`: the same store rows, epochs, summary and
    /// `final.safetensors` as ``EmbeddedBackend``, checked by loading the weights into Loom's model and comparing its
    /// logits with the torch side's on probe images.
    func execute(_ job: RunJob, in context: RunContext, progress: (RunProgress) -> Void) throws {
        let ws = context.workspace, store = ws.store, key = job.key, started = Date()
        // A backend built in code (not resolved from a cell) gets the same checks before anything is written or started.
        do { try torch.validate() } catch let e as ResolveError { throw ExecuteError(e.message) }
        let files = TorchRunFiles(workspace: ws, key: key)
        let torchData = try prepareData(job.spec, context)
        // A run that already succeeded is executed again only when forced: start it from scratch.
        if (try? store.run(key: key))??.status == .succeeded {
            for f in [files.checkpoint, files.summary, files.progress, files.slurmJob] { try? FileManager.default.removeItem(atPath: f) }
        }
        let lock = RunLock.acquire(ws, key: key)
        defer { lock?.release() }
        try store.beginRun(RunRecord(key: key, notebook: job.notebook, cell: job.binding, config: job.config, seeds: [job.seed],
                                     environment: runEnvironment, startedAt: started))
        let follower = TorchFollower(files: files, key: key, seed: job.seed, store: store)
        let emit: (TrainingEvent) -> Void = { progress(RunProgress(label: job.binding, seed: job.seed, event: $0)) }
        do {
            let resume = try writeTrainerFiles(job, torchData, files: files, workspace: ws, execution: context.torch)
            if let failure = try launch(TorchLaunch(backend: torch, files: files), resume: resume, follower: follower,
                                        stop: context.stop, execution: context.torch, emit: emit) {
                throw failed(failure, files: files, key: key, store: store, started: started)
            }
            try finishTorchRun(key: key, spec: job.spec, seed: job.seed, files: files, follower: follower, store: store,
                               started: started, tolerance: context.torch.parityTolerance)
        } catch let e as Interrupted {
            try? store.finishRun(key: key, outcome: .interrupted(e.description), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            throw e
        } catch let e as ExecuteError {
            if (try? store.run(key: key))??.status == .running {
                try? store.finishRun(key: key, outcome: .failed(e.message), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            }
            throw e
        } catch {
            try? store.finishRun(key: key, outcome: .failed("\(error)"), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            throw ExecuteError("\(error)")
        }
    }

    /// The dataset as folders the trainer reads (CIFAR as is, `.shapes` exported once as PNG).
    /// - Throws: ``DataMissing`` when its files are absent, else ``ExecuteError``.
    func prepareData(_ spec: ExperimentSpec, _ context: RunContext) throws -> TorchData {
        let ws = context.workspace
        do {
            return try TorchData.prepare(spec.data, root: ws.dataRoot, outputDirectory: ws.outputDirectory) { d in
                let loaded = try context.data.load(d, root: ws.dataRoot)
                // Called for .shapes only (exported as PNG), which is held decoded.
                guard let train = loaded.train.inMemory, let test = loaded.test.inMemory else {
                    throw ExecuteError("\(d) is read from files; the torch trainer reads its folder as it is")
                }
                return (train, test, loaded.normalization)
            }
        } catch let e as DataMissing { throw e } catch { throw ExecuteError("\(error)") }
    }

    /// This process's provenance with the torch side's engine and DDP world in place of Loom's.
    var runEnvironment: RunEnvironment {
        var environment = Workspace.environment
        environment.engineVersion = "torch (timm), world \(torch.worldSize)"
        environment.blasConfig = nil
        environment.threads = torch.worldSize
        environment.isa = nil
        environment.blasCore = nil
        environment.worldSize = torch.worldSize
        return environment
    }

    /// Copies the trainer script and writes `config.json` into the run's folder, clearing an earlier attempt's status
    /// and probe; returns the checkpoint to resume from, if any.
    func writeTrainerFiles(_ job: RunJob, _ torchData: TorchData, files: TorchRunFiles, workspace ws: Workspace,
                           execution: TorchExecution) throws -> String? {
        let fm = FileManager.default
        try fm.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let trainer = try TorchLaunch.trainerScript(environment: execution.environment)
        try? fm.removeItem(atPath: files.trainer)
        try fm.copyItem(atPath: trainer, toPath: files.trainer)
        let weights = job.spec.weights.map { DataSpec.path($0, root: ws.dataRoot) }
        try TorchConfig.json(spec: job.spec, key: job.key, binding: job.binding, seed: job.seed, backend: torch, data: torchData,
                             files: files, weights: weights, teacherWeights: job.teacherWeights)
            .write(to: URL(fileURLWithPath: files.config), options: .atomic)
        for f in [files.status, files.probe] { try? fm.removeItem(atPath: f) }
        return fm.fileExists(atPath: files.checkpoint) ? files.checkpoint : nil
    }

    /// The error of a launch that did not succeed, with the trainer's own message; a diverged run is stored as such
    /// here (any other failure is stored as failed by the caller).
    func failed(_ failure: String, files: TorchRunFiles, key: String, store: ResultsStore, started: Date) -> ExecuteError {
        let status = TorchStatus.read(files.status)
        let resumable = FileManager.default.fileExists(atPath: files.checkpoint) ? "; `loom run` again resumes from \(files.checkpoint)" : ""
        let message = "torch run failed: \(failure)\(status.map { ": " + $0.message } ?? "")\(resumable)"
        if status?.kind == "diverged" {
            try? store.finishRun(key: key, outcome: .diverged(message), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
        }
        return ExecuteError(message)
    }
}

/// The torch run ended well: load its weights into Loom's model, check Loom's logits against the torch side's on
/// the probe images, measure params and FLOPs, and store the summary with `summary.csv` and `args.yaml` attached.
func finishTorchRun(key: String, spec: ExperimentSpec, seed: Int, files: TorchRunFiles, follower: TorchFollower,
                    store: ResultsStore, started: Date, tolerance: Double) throws {
    let history = follower.history.values.sorted { $0.epoch < $1.epoch }
    guard let last = history.last else { throw ExecuteError("the torch run wrote no epochs to \(files.summary)") }
    let model = spec.model.build(seed: UInt64(seed))
    do { try model.load(safetensors: files.finalWeights) } catch {
        throw ExecuteError("the torch side's final weights \(files.finalWeights) do not load into Loom's model: \(error)")
    }
    let parity = try probeParity(model: model, probe: files.probe)
    guard parity.difference <= tolerance * max(1, parity.scale) else {
        throw ExecuteError("Loom's logits differ from the torch side's by \(parity.difference) on the probe images "
                           + "(\(files.probe)); the weights do not mean the same in both engines")
    }
    model.eval()
    let probeInput = Tensor.zeros([1, 3, parity.height, parity.width])
    let (_, flops) = FLOPCounter.measure { Autograd.noGrad { model(probeInput) } }
    var summary: [String: Double] = ["top1": last.top1, "top5": last.top5, "testLoss": last.testLoss,
                                     "params": Double(model.parameterCount), "flops": Double(flops / 2),
                                     "trainTime": history.reduce(0) { $0 + $1.seconds },
                                     "imagesPerSecond": last.imagesPerSecond, "parityMaxAbsDiff": parity.difference]
    if last.trainLoss.isFinite { summary["trainLoss"] = last.trainLoss }
    var artifacts: [NamedArtifact] = []
    for (name, path, mime) in [("summary.csv", files.summary, "text/csv"), ("args.yaml", files.argsYAML, "application/yaml")] {
        if let bytes = FileManager.default.contents(atPath: path) { artifacts.append(NamedArtifact(name: name, mime: mime, bytes: bytes)) }
    }
    try store.finishRun(key: key, outcome: .succeeded, summary: summary, artifacts: artifacts, endedAt: Date(),
                        wallSeconds: Date().timeIntervalSince(started))
    if let devices = TorchStatus.read(files.status)?.devices { try store.setDevices(devices, forRun: key) }
}

/// Loom's eval-mode logits on the trainer's probe images against the torch side's (float64 on the CPU).
/// - Returns: the largest absolute difference, the largest |logit|, and the probe images' size.
public func probeParity(model: Classifier, probe path: String) throws -> (difference: Double, scale: Double, height: Int, width: Int) {
    let file: SafeTensors
    do { file = try SafeTensors.read(path) } catch { throw ExecuteError("the torch side wrote no usable probe: \(error)") }
    let input = try file.tensor("input"), reference = try file.tensor("logits")
    model.eval()
    let logits = Autograd.noGrad { model(input) }
    guard logits.shape == reference.shape else {
        throw ExecuteError("Loom's logits have shape \(logits.shape), the torch side's \(reference.shape)")
    }
    var difference = 0.0, scale = 0.0
    for i in 0..<logits.count {
        difference = max(difference, Double(abs(logits.ptr[i] - reference.ptr[i])))
        scale = max(scale, Double(abs(reference.ptr[i])))
    }
    return (difference, scale, input.dim(2), input.dim(3))
}
