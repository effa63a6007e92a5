// Embedded backend: trains (or evaluates) one seed of an experiment with Loom's own engine, recording everything in
// the store.
import Engine
import Foundation
import Notebook
import Vision

/// Trains one seed of `spec` under `key`, writing the run, its epochs and its summary to the
/// store; the final weights go to `checkpoints/<key>/final.safetensors`.
func executeRun(key: String, binding: String, notebook: String, config: String, spec: ExperimentSpec, seed: Int,
                teacherWeights: String?, workspace ws: Workspace, data: DataCache, stop: StopFlag,
                progress: (RunProgress) -> Void) throws {
    let store = ws.store
    let started = Date()
    // Missing data is not a failed run: the report says how to get it and nothing is stored.
    let d: (train: LabeledImages, test: LabeledImages, normalization: Normalization, classNames: [String])
    do {
        d = try data.load(spec.data, root: ws.dataRoot)
        // Checked before the run is recorded: a batch of mixed sizes cannot be stacked, and would stop the process.
        if case .imageFolder = spec.data, !spec.resizesImages {
            try ImageFolder.checkUniformSize(d.train)
            try ImageFolder.checkUniformSize(d.test)
        }
    } catch {
        if case CIFARError.missingFile = error { throw DataMissing(message: "\(error)") }
        if case ImageFolderError.missingRoot = error { throw DataMissing(message: "\(error)") }
        throw ExecuteError("\(error)")
    }
    let lock = RunLock.acquire(ws, key: key)  // released when this function returns, or by the kernel if the process dies
    defer { lock?.release() }
    try store.beginRun(RunRecord(key: key, notebook: notebook, cell: binding, config: config, seeds: [seed],
                                 environment: Workspace.environment, startedAt: started))
    do {
        let model = spec.model.build(seed: UInt64(seed))
        if let w = spec.weights {
            try model.load(safetensors: w.hasPrefix("/") ? w : (ws.dataRoot as NSString).appendingPathComponent(w))
        }
        let train = DataLoader(d.train, pipeline: try spec.trainPipeline(normalization: d.normalization),
                               batchSize: spec.batchSize, shuffle: true,
                               // timm drops the last partial batch; Mixup pairs a batch with its reverse and needs it even.
                               dropLast: spec.mix != nil && d.train.count >= spec.batchSize, seed: UInt64(seed))
        let test = DataLoader(d.test, pipeline: spec.testPipeline(normalization: d.normalization),
                              batchSize: max(spec.batchSize, 100), shuffle: false, seed: 0)
        var setup = TrainingSetup(model: model, train: train, test: test, classes: spec.classes,
                                  optimizer: spec.optimizer, schedule: spec.schedule)
        setup.labelSmoothing = Float(spec.lossLabelSmoothing)
        setup.mixup = spec.mixup
        setup.clipGradNorm = spec.clipGrad.map(Float.init)
        setup.checkpointDirectory = ws.checkpointDirectory(key)
        setup.fingerprint = key
        if let kd = spec.distillation {
            let teacher = kd.teacher.model.build(seed: 0)
            guard let tw = teacherWeights else { throw ExecuteError("the teacher has no trained weights") }
            try teacher.load(safetensors: tw)
            setup.distillation = Distillation(teacher: teacher, temperature: Float(kd.temperature),
                                              alpha: Float(kd.alpha), gamma: Float(1 - kd.alpha))
        }
        let trainer = Trainer(setup)
        var history: [EpochMetrics] = []
        if spec.epochs == 0 && spec.classes == 0 {
            // A feature extractor (no head): nothing to score; the run provides weights for analyses.
            history = [EpochMetrics(epoch: 0, trainLoss: .nan, testLoss: .nan, top1: .nan, top5: .nan,
                                    learningRate: 0, imagesPerSecond: 0, seconds: 0)]
        } else if spec.epochs == 0 {
            let (loss, top1, top5) = trainer.evaluate()
            history = [EpochMetrics(epoch: 0, trainLoss: .nan, testLoss: loss, top1: top1, top5: top5,
                                    learningRate: 0, imagesPerSecond: 0, seconds: 0)]
        } else {
            let result = try trainer.run(events: { event in
                if case let .epoch(m) = event {
                    try? store.appendEpoch(EpochRecord(runKey: key, seed: seed, epoch: m.epoch, trainLoss: m.trainLoss,
                                                       testLoss: m.testLoss, top1: m.top1, top5: m.top5,
                                                       lr: m.learningRate, imagesPerSecond: m.imagesPerSecond,
                                                       wallSeconds: m.seconds))
                }
                progress(RunProgress(label: binding, seed: seed, event: event))
            }, shouldStop: { stop.isSet })
            guard result.completed else { throw Interrupted() }
            history = result.history
        }
        // An evaluation-only run (epochs: 0) wrote no checkpoint, so its folder may not exist yet.
        try FileManager.default.createDirectory(atPath: ws.checkpointDirectory(key), withIntermediateDirectories: true)
        try SafeTensors.write(model.stateDict(), metadata: ["run": key, "engine": engineNumericsVersion], to: ws.finalWeights(key))
        // The model's input size is the evaluation pipeline's output (a resize may change the files' size).
        var probeRNG = AugmentPipeline.rng(seed: 0, epoch: 0, index: 0)
        let sized = spec.testPipeline(normalization: d.normalization)(d.test.images[0], rng: &probeRNG)
        let probe = Tensor.zeros([1, 3, sized.height, sized.width])
        model.eval()
        let (_, flops) = FLOPCounter.measure { Autograd.noGrad { model(probe) } }
        let last = history.last!
        var summary: [String: Double] = ["top1": last.top1, "top5": last.top5, "testLoss": last.testLoss,
                                         "params": Double(model.parameterCount), "flops": Double(flops / 2),
                                         "trainTime": history.reduce(0) { $0 + $1.seconds },
                                         "imagesPerSecond": last.imagesPerSecond, "trainLoss": last.trainLoss]
        summary = summary.filter { $0.value.isFinite }  // e.g. no accuracy for a headless feature extractor
        try store.finishRun(key: key, outcome: .succeeded, summary: summary, endedAt: Date(),
                            wallSeconds: Date().timeIntervalSince(started))
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
