// Trainer: epochs of SGD/AdamW/Lion with schedules, smoothing, Mixup/CutMix, distillation,
// gradient clipping; evaluation, per-epoch metrics, checkpoints and exact resume.
import Engine
import Foundation

/// Metrics of one finished epoch.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var testLoss: Double
    public var top1: Double
    public var top5: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double, testLoss: Double, top1: Double, top5: Double, learningRate: Double,
                imagesPerSecond: Double, seconds: Double) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.testLoss = testLoss; self.top1 = top1; self.top5 = top5
        self.learningRate = learningRate; self.imagesPerSecond = imagesPerSecond; self.seconds = seconds
    }
}

/// Knowledge distillation from a teacher (Hinton et al.): γ·CE + α·T²·KL.
public struct Distillation {
    public let teacher: Classifier
    public let temperature: Float, alpha: Float, gamma: Float
    public init(teacher: Classifier, temperature: Float = 4, alpha: Float = 0.9, gamma: Float = 0.1) {
        self.teacher = teacher; self.temperature = temperature; self.alpha = alpha; self.gamma = gamma
    }
}

/// Everything a training run needs.
public struct TrainingSetup {
    public var model: Classifier
    /// Training batches: decoded images (``DataLoader``) or files read per batch (``FolderLoader``).
    public var train: any BatchLoader
    public var test: any BatchLoader
    public var classes: Int
    public var optimizer: OptimizerKind
    public var schedule: Schedule
    public var labelSmoothing: Float = 0
    public var mixup: Mixup? = nil
    public var distillation: Distillation? = nil
    public var clipGradNorm: Float? = nil
    public var exemptOneDimensionalFromDecay = true
    public var checkpointDirectory: String? = nil
    /// Identifies the configuration; a checkpoint with another fingerprint is not resumed.
    public var fingerprint: String = ""

    public init(model: Classifier, train: any BatchLoader, test: any BatchLoader, classes: Int, optimizer: OptimizerKind, schedule: Schedule) {
        self.model = model; self.train = train; self.test = test; self.classes = classes
        self.optimizer = optimizer; self.schedule = schedule
    }
}

/// Why training stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(epoch: Int, batch: Int, loss: Float)
    case emptyData(String)

    public var description: String {
        switch self {
        case let .diverged(e, b, l):
            return "training diverged: loss \(l) at epoch \(e + 1), batch \(b + 1); try a lower learning rate, warmup, or gradient clipping"
        case let .emptyData(what):
            return "no \(what) images to train on"
        }
    }
}

/// Progress events for a progress bar or log.
public enum TrainingEvent {
    case resumed(epoch: Int, batch: Int)
    case batch(epoch: Int, batch: Int, of: Int, loss: Float, imagesPerSecond: Double)
    case epoch(EpochMetrics)
    case warning(String)
}

/// The outcome of `Trainer.run`.
public struct TrainingResult {
    public var history: [EpochMetrics]
    /// False when `shouldStop` ended the run early (a checkpoint was written).
    public var completed: Bool
}

public final class Trainer {
    public let setup: TrainingSetup
    public let optimizer: Optimizer

    public init(_ setup: TrainingSetup) {
        self.setup = setup
        optimizer = Optimizer(setup.optimizer, parameters: setup.model.namedParameters(), learningRate: setup.schedule.baseLR,
                              exemptOneDimensional: setup.exemptOneDimensionalFromDecay)
    }

    /// Trains to `schedule.epochs`, resuming from a checkpoint when one exists. `shouldStop`
    /// is polled between batches; when it returns true a checkpoint is written and the run
    /// returns with `completed == false`.
    public func run(events: (TrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> TrainingResult {
        let s = setup, model = s.model, loader = s.train
        guard loader.count > 0 else { throw TrainingError.emptyData("training") }
        var progress = TrainProgress()
        if let dir = s.checkpointDirectory,
           let p = Checkpoint.restore(directory: dir, model: model, optimizer: optimizer, fingerprint: s.fingerprint,
                                      warn: { events(.warning($0)) }) {
            progress = p
            events(.resumed(epoch: p.epoch, batch: p.batch))
        }
        s.distillation?.teacher.eval()
        while progress.epoch < s.schedule.epochs {
            let epoch = progress.epoch
            let lr = s.schedule.learningRate(epoch: epoch)
            optimizer.learningRate = lr
            model.train()
            let batches = loader.batchCount
            var t0 = DispatchTime.now().uptimeNanoseconds
            var stream = loader.stream(epoch: epoch, from: progress.batch)
            while let batch = try stream.next() {
                let b = progress.batch
                let loss = step(batch, epoch: epoch, index: b)
                guard loss.isFinite else { throw TrainingError.diverged(epoch: epoch, batch: b, loss: loss) }
                let now = DispatchTime.now().uptimeNanoseconds
                let dt = Double(now - t0) / 1e9
                t0 = now
                progress.seconds += dt
                progress.lossSum += Double(loss) * Double(batch.labels.count)
                progress.seen += batch.labels.count
                progress.batch += 1
                events(.batch(epoch: epoch, batch: b, of: batches, loss: loss, imagesPerSecond: Double(batch.labels.count) / max(dt, 1e-9)))
                if progress.batch < batches && shouldStop() {
                    try saveCheckpoint(progress)
                    return TrainingResult(history: progress.history, completed: false)
                }
            }
            let (testLoss, top1, top5) = try evaluate()
            let m = EpochMetrics(epoch: epoch, trainLoss: progress.lossSum / Double(max(progress.seen, 1)), testLoss: testLoss,
                                 top1: top1, top5: top5, learningRate: Double(lr),
                                 imagesPerSecond: Double(progress.seen) / max(progress.seconds, 1e-9), seconds: progress.seconds)
            progress = TrainProgress(epoch: epoch + 1, history: progress.history + [m])
            try saveCheckpoint(progress)
            events(.epoch(m))
            if progress.epoch < s.schedule.epochs && shouldStop() {
                return TrainingResult(history: progress.history, completed: false)
            }
        }
        return TrainingResult(history: progress.history, completed: true)
    }

    private func saveCheckpoint(_ p: TrainProgress) throws {
        guard let dir = setup.checkpointDirectory else { return }
        try Checkpoint.save(directory: dir, model: setup.model, optimizer: optimizer, progress: p, fingerprint: setup.fingerprint)
    }

    /// One optimisation step; returns the batch loss.
    func step(_ batch: Batch, epoch: Int, index: Int) -> Float {
        let s = setup
        var x = batch.images
        var targets: Tensor? = nil
        if let mix = s.mixup {
            var rng = SeededRNG(seed: s.train.seed, stream: 0x4D49_5800_0000_0000 ^ (UInt64(epoch) << 24) ^ UInt64(index))
            let (mixed, t, _) = mix.apply(x, labels: batch.labels, classes: s.classes, rng: &rng)
            x = mixed
            targets = t
        }
        optimizer.zeroGrad()
        let value = s.model.accumulateGradients(x) { logits, images, rows in
            var loss = targets.map { softTargetCrossEntropy(logits, targets: rows.count == $0.dim(0) ? $0 : $0.sliced(axis: 0, rows)) }
                ?? crossEntropy(logits, labels: Array(batch.labels[rows]), labelSmoothing: s.labelSmoothing)
            if let kd = s.distillation {
                let t = Autograd.noGrad { kd.teacher(images) }
                loss = loss * kd.gamma + distillationLoss(student: logits, teacher: t, temperature: kd.temperature) * kd.alpha
            }
            return loss
        }
        guard value.isFinite else { return value }
        if let maxNorm = s.clipGradNorm { clipGradients(maxNorm) }
        optimizer.step()
        return value
    }

    /// Scales all gradients so their global L2 norm is at most `maxNorm` (timm `--clip-grad`).
    func clipGradients(_ maxNorm: Float) {
        var total = 0.0
        for (_, p) in optimizer.parameters { if let g = p.grad { for i in 0..<g.count { total += Double(g.ptr[i] * g.ptr[i]) } } }
        let norm = Float(total.squareRoot())
        guard norm > maxNorm else { return }
        let scale = maxNorm / (norm + 1e-6)
        for (_, p) in optimizer.parameters {
            guard let g = p.grad else { continue }
            let owned = g.copy()
            for i in 0..<owned.count { owned.ptr[i] *= scale }
            p.grad = owned
        }
    }

    /// Test loss, top-1 and top-5 accuracy in evaluation mode.
    /// - Throws: the test loader's error for a file it cannot read.
    public func evaluate() throws -> (Double, Double, Double) {
        let model = setup.model, loader = setup.test
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, correct1 = 0, correct5 = 0, n = 0
        var stream = loader.stream(epoch: 0)
        while let batch = try stream.next() {
            let logits = Autograd.noGrad { model(batch.images) }
            lossSum += Double(crossEntropy(logits, labels: batch.labels).item) * Double(batch.labels.count)
            let k = logits.dim(1)
            for (i, label) in batch.labels.enumerated() {
                let row = logits.ptr + i * k
                let target = row[label]
                var rank = 0
                for j in 0..<k where row[j] > target || (row[j] == target && j < label) { rank += 1 }
                if rank == 0 { correct1 += 1 }
                if rank < 5 { correct5 += 1 }
            }
            n += batch.labels.count
        }
        guard n > 0 else { return (.nan, 0, 0) }
        return (lossSum / Double(n), Double(correct1) / Double(n), Double(correct5) / Double(n))
    }
}
