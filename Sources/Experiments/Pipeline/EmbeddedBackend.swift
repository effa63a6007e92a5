// Embedded backend: trains (or evaluates) one seed of an experiment with Loom's own engine, recording everything in
// the store.
import Engine
import Foundation
import Notebook
import Vision

/// Loom's own engine, in this process.
struct EmbeddedBackend: RunBackend {
    /// Trains one seed of `job.spec` under `job.key`, writing the run, its epochs and its summary to the
    /// store; the final weights go to `checkpoints/<key>/final.safetensors`.
    func execute(_ job: RunJob, in context: RunContext, progress: (RunProgress) -> Void) throws {
        let ws = context.workspace, store = ws.store, key = job.key
        let started = Date()
        let d = try Self.load(job.spec, context)
        let lock = RunLock.acquire(ws, key: key)  // released when this function returns, or by the kernel if the process dies
        defer { lock?.release() }
        try store.beginRun(RunRecord(key: key, notebook: job.notebook, cell: job.binding, config: job.config, seeds: [job.seed],
                                     environment: Workspace.environment, startedAt: started))
        do {
            let model = job.spec.model.build(seed: UInt64(job.seed))
            if let w = job.spec.weights {
                try model.load(safetensors: w.hasPrefix("/") ? w : (ws.dataRoot as NSString).appendingPathComponent(w))
            }
            let history = try Self.train(model, job, d, context, progress: progress)
            try Self.finish(model, job, d, history, workspace: ws, started: started)
        } catch let e as Interrupted {
            try? store.finishRun(key: key, outcome: .interrupted(e.description), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            throw e
        } catch let e as TrainingError {
            try? store.finishRun(key: key, outcome: .diverged(e.description), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            throw ExecuteError(e.description)
        } catch {
            try? store.finishRun(key: key, outcome: .failed("\(error)"), endedAt: Date(), wallSeconds: Date().timeIntervalSince(started))
            throw ExecuteError("\(error)")
        }
    }

    /// The job's dataset, through the shared cache.
    /// - Throws: ``DataMissing`` when its files are absent (not a failed run: the report says how to get them and
    ///   nothing is stored), else ``ExecuteError``.
    static func load(_ spec: ExperimentSpec, _ context: RunContext) throws -> DataCache.Loaded {
        do {
            let d = try context.data.load(spec.data, root: context.workspace.dataRoot)
            // Checked before the run is recorded: a batch of mixed sizes cannot be stacked, and would stop the process.
            if case .imageFolder = spec.data, !spec.resizesImages {
                try context.data.checkUniformSize(spec.data, root: context.workspace.dataRoot)
            }
            return d
        } catch {
            if case CIFARError.missingFile = error { throw DataMissing(message: "\(error)") }
            if case ImageFolderError.missingRoot = error { throw DataMissing(message: "\(error)") }
            throw ExecuteError("\(error)")
        }
    }

    /// The epochs' metrics: trained (each epoch stored as it ends), or one evaluation for `epochs: 0`.
    /// - Throws: ``Interrupted`` when a stop was requested.
    static func train(_ model: Classifier, _ job: RunJob, _ d: DataCache.Loaded, _ context: RunContext,
                      progress: (RunProgress) -> Void) throws -> [EpochMetrics] {
        let spec = job.spec, store = context.workspace.store
        let trainer = Trainer(try setup(model, job, d, workspace: context.workspace))
        if spec.epochs == 0 && spec.classes == 0 {
            // A feature extractor (no head): nothing to score; the run provides weights for analyses.
            return [EpochMetrics(epoch: 0, trainLoss: .nan, testLoss: .nan, top1: .nan, top5: .nan,
                                 learningRate: 0, imagesPerSecond: 0, seconds: 0)]
        }
        if spec.epochs == 0 {
            let (loss, top1, top5) = try trainer.evaluate()
            return [EpochMetrics(epoch: 0, trainLoss: .nan, testLoss: loss, top1: top1, top5: top5,
                                 learningRate: 0, imagesPerSecond: 0, seconds: 0)]
        }
        let result = try trainer.run(events: { event in
            if case let .epoch(m) = event {
                try? store.appendEpoch(EpochRecord(runKey: job.key, seed: job.seed, epoch: m.epoch, trainLoss: m.trainLoss,
                                                   testLoss: m.testLoss, top1: m.top1, top5: m.top5,
                                                   lr: m.learningRate, imagesPerSecond: m.imagesPerSecond,
                                                   wallSeconds: m.seconds))
            }
            progress(RunProgress(label: job.binding, seed: job.seed, event: event))
        }, shouldStop: { context.stop.isSet })
        guard result.completed else { throw Interrupted() }
        return result.history
    }

    /// The trainer's setup: loaders, optimiser, schedule, regularisers, checkpoints and the teacher when distilling.
    static func setup(_ model: Classifier, _ job: RunJob, _ d: DataCache.Loaded, workspace ws: Workspace) throws -> TrainingSetup {
        let spec = job.spec, seed = job.seed, normalization = spec.normalization(dataset: d.normalization)
        // Decoded images for CIFAR and .shapes; an image folder's files read per batch (the same batches either way).
        let train = d.train.loader(pipeline: try spec.trainPipeline(normalization: normalization),
                                   batchSize: spec.batchSize, shuffle: true,
                                   // timm drops the last partial batch; Mixup pairs a batch with its reverse and needs it even.
                                   dropLast: spec.mix != nil && d.train.count >= spec.batchSize, seed: UInt64(seed))
        let test = d.test.loader(pipeline: spec.testPipeline(normalization: normalization),
                                 batchSize: max(spec.batchSize, 100), shuffle: false, seed: 0)
        var setup = TrainingSetup(model: model, train: train, test: test, classes: spec.classes,
                                  optimizer: spec.optimizer, schedule: spec.schedule)
        setup.labelSmoothing = Float(spec.lossLabelSmoothing)
        setup.mixup = spec.mixup
        setup.clipGradNorm = spec.clipGrad.map(Float.init)
        setup.checkpointDirectory = ws.checkpointDirectory(job.key)
        setup.fingerprint = job.key
        if let kd = spec.distillation {
            let teacher = kd.teacher.model.build(seed: 0)
            guard let tw = job.teacherWeights else { throw ExecuteError("the teacher has no trained weights") }
            try teacher.load(safetensors: tw)
            setup.distillation = Distillation(teacher: teacher, temperature: Float(kd.temperature),
                                              alpha: Float(kd.alpha), gamma: Float(1 - kd.alpha))
        }
        return setup
    }

    /// Writes the final weights, measures params and FLOPs, and stores the run as succeeded with its summary.
    static func finish(_ model: Classifier, _ job: RunJob, _ d: DataCache.Loaded, _ history: [EpochMetrics],
                       workspace ws: Workspace, started: Date) throws {
        let key = job.key
        // An evaluation-only run (epochs: 0) wrote no checkpoint, so its folder may not exist yet.
        try FileManager.default.createDirectory(atPath: ws.checkpointDirectory(key), withIntermediateDirectories: true)
        try SafeTensors.write(model.stateDict(), metadata: ["run": key, "engine": engineNumericsVersion], to: ws.finalWeights(key))
        // The model's input size is the evaluation pipeline's output (a resize may change the files' size).
        var probeRNG = AugmentPipeline.rng(seed: 0, epoch: 0, index: 0)
        let sized = job.spec.testPipeline(normalization: job.spec.normalization(dataset: d.normalization))(try d.test.first(1).images[0], rng: &probeRNG)
        let probe = Tensor.zeros([1, 3, sized.height, sized.width])
        model.eval()
        let (_, flops) = FLOPCounter.measure { Autograd.noGrad { model(probe) } }
        let last = history.last!
        var summary: [String: Double] = ["top1": last.top1, "top5": last.top5, "testLoss": last.testLoss,
                                         "params": Double(model.parameterCount), "flops": Double(flops / 2),
                                         "trainTime": history.reduce(0) { $0 + $1.seconds },
                                         "imagesPerSecond": last.imagesPerSecond, "trainLoss": last.trainLoss]
        summary = summary.filter { $0.value.isFinite }  // e.g. no accuracy for a headless feature extractor
        try ws.store.finishRun(key: key, outcome: .succeeded, summary: summary, endedAt: Date(),
                               wallSeconds: Date().timeIntervalSince(started))
    }
}
