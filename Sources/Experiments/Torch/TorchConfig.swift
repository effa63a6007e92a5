// The torch side's input: a resolved Experiment as `config.json` for python/loom_train.py, and its data on disk
// (CIFAR's binary files as they are, image folders as they are, `.shapes` exported once as PNG folders).
import Engine
import Foundation
import Notebook
import Vision

/// The files of one torch run, all under `checkpoints/<key>/torch/` (final weights beside Loom's own).
public struct TorchRunFiles: Sendable {
    /// The trainer's output folder.
    public let directory: String
    /// `checkpoints/<key>/final.safetensors`, where every run's weights live.
    public let finalWeights: String

    public init(workspace: Workspace, key: String) {
        directory = workspace.checkpointDirectory(key) + "/torch"
        finalWeights = workspace.finalWeights(key)
    }

    public init(directory: String, finalWeights: String) {
        self.directory = directory; self.finalWeights = finalWeights
    }

    public var config: String { directory + "/config.json" }
    public var summary: String { directory + "/summary.csv" }
    public var progress: String { directory + "/progress.jsonl" }
    public var status: String { directory + "/status.json" }
    public var checkpoint: String { directory + "/last.pth.tar" }
    public var probe: String { directory + "/probe.safetensors" }
    public var argsYAML: String { directory + "/args.yaml" }
    /// stdout and stderr of a local `torchrun`.
    public var log: String { directory + "/train.log" }
    /// The copy of `loom_train.py` this run used.
    public var trainer: String { directory + "/loom_train.py" }
    public var slurmScript: String { directory + "/slurm.sh" }
    /// The submitted Slurm job's id.
    public var slurmJob: String { directory + "/slurm.job" }
    public func slurmLog(job: String) -> String { directory + "/slurm-\(job).log" }
}

/// Where the torch side reads an experiment's images, and the dataset's own statistics (``TorchConfig`` applies the
/// experiment's `normalize:` choice over them).
public struct TorchData: Equatable, Sendable {
    /// `cifar10`, `cifar100` or `imageFolder`.
    public var kind: String
    public var train: String
    public var test: String
    public var normalization: Normalization

    public init(kind: String, train: String, test: String, normalization: Normalization) {
        self.kind = kind; self.train = train; self.test = test; self.normalization = normalization
    }

    /// The data of `spec` for the torch side. CIFAR and image folders are read in place (normalised with CIFAR's
    /// published statistics, or ImageNet's, as the embedded engine does); `.shapes` is generated once and exported
    /// as `<output>/data/shapes-<hash>/{train,val}/<NN_class>/<index>.png`, normalised with its training split's
    /// statistics like the embedded run.
    /// - Throws: ``DataMissing`` when CIFAR's files or an image folder are absent; PNG write errors.
    public static func prepare(_ spec: DataSpec, root: String, outputDirectory: String,
                               shapes: (DataSpec) throws -> (train: LabeledImages, test: LabeledImages, normalization: Normalization))
        throws -> TorchData {
        let fm = FileManager.default
        switch spec {
        case .cifar10(let path), .cifar100(let path):
            let dir = DataSpec.path(path, root: root)
            let hundred: Bool
            if case .cifar100 = spec { hundred = true } else { hundred = false }
            let files = hundred ? ["train.bin", "test.bin"] : (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]
            for f in files where !fm.fileExists(atPath: dir + "/" + f) {
                throw DataMissing(message: "\(dir)/\(f) is missing: download the binary version from "
                                  + "https://www.cs.toronto.edu/~kriz/cifar.html and unpack it under \(dir)")
            }
            return TorchData(kind: hundred ? "cifar100" : "cifar10", train: dir, test: dir, normalization: spec.fixedNormalization!)
        case let .imageFolder(path, test):
            let trainDir = DataSpec.path(test == nil ? path + "/train" : path, root: root)
            let testDir = DataSpec.path(test ?? path + "/val", root: root)
            for d in [trainDir, testDir] where !fm.fileExists(atPath: d) {
                throw DataMissing(message: "image folder \(d) does not exist (expected <class>/<JPEG or PNG images> inside)")
            }
            return TorchData(kind: "imageFolder", train: trainDir, test: testDir, normalization: spec.fixedNormalization!)
        case .shapes:
            let name = "shapes-" + String(ContentHash.sha256Hex(Data(String(describing: spec).utf8)).prefix(16))
            let dir = (outputDirectory as NSString).appendingPathComponent("data/" + name)
            let marker = dir + "/normalization.json"
            if let data = fm.contents(atPath: marker),
               let n = try? JSONDecoder().decode([String: [Float]].self, from: data), let mean = n["mean"], let std = n["std"] {
                return TorchData(kind: "imageFolder", train: dir + "/train", test: dir + "/val",
                                 normalization: Normalization(mean: mean, std: std))
            }
            let d = try shapes(spec)
            try? fm.removeItem(atPath: dir)
            for (split, images) in [("train", d.train), ("val", d.test)] {
                let width = max(2, String(images.classNames.count - 1).count)
                for (label, className) in images.classNames.enumerated() {
                    let padded = String(repeating: "0", count: max(0, width - String(label).count)) + String(label)
                    try fm.createDirectory(atPath: "\(dir)/\(split)/\(padded)_\(className)", withIntermediateDirectories: true)
                }
                for (i, (image, label)) in zip(images.images, images.labels).enumerated() {
                    let padded = String(repeating: "0", count: max(0, width - String(label).count)) + String(label)
                    let number = String(i), file = String(repeating: "0", count: max(0, 6 - number.count)) + number
                    try PNG.write(image, to: "\(dir)/\(split)/\(padded)_\(images.classNames[label])/\(file).png")
                }
            }
            let json = try JSONEncoder().encode(["mean": d.normalization.mean, "std": d.normalization.std])
            try json.write(to: URL(fileURLWithPath: marker), options: .atomic)  // written last: the export is complete
            return TorchData(kind: "imageFolder", train: dir + "/train", test: dir + "/val", normalization: d.normalization)
        }
    }
}

/// A field the torch side cannot express.
public struct TorchConfigError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// `config.json` for python/loom_train.py (format `loom-torch-1`).
public enum TorchConfig {
    public static let format = "loom-torch-1"

    /// The trainer's configuration for one seed of `spec`: every Experiment field made explicit (image sizes of the
    /// crops, the eval transform, Loom's learning rate per epoch, which timm checks its scheduler against).
    /// - Parameters:
    ///   - weights: `spec.weights` resolved against the data root, if any.
    ///   - teacherWeights: the teacher run's final weights when distilling.
    /// - Throws: ``TorchConfigError`` naming the field when a size is unknown (an image folder without a resize).
    public static func json(spec: ExperimentSpec, key: String, binding: String, seed: Int, backend: TorchBackend,
                            data: TorchData, files: TorchRunFiles, weights: String?, teacherWeights: String?) throws -> Data {
        var config: [String: Any] = [
            "format": format,
            "run": ["key": key, "binding": binding],
            "seed": seed,
            "model": model(spec.model),
            "data": ["kind": data.kind, "train": data.train, "test": data.test],
            "normalize": normalize(spec, data),
            "augment": try augment(spec),
            "eval": eval(spec),
            "labelSmoothing": spec.labelSmoothing,
            "optimizer": optimizer(spec),
            "schedule": schedule(spec.schedule),
            "lrPerEpoch": (0..<spec.epochs).map { Double(spec.schedule.learningRate(epoch: $0)) },
            "epochs": spec.epochs,
            "batchSize": spec.batchSize,
            "processes": backend.processes,
            "nodes": backend.nodes,
            // As the embedded trainer: drop the last partial batch only when mixing (Mixup pairs a batch with its reverse).
            "dropLast": spec.mix != nil,
            "output": ["dir": files.directory, "finalWeights": files.finalWeights],
        ]
        config["mix"] = spec.mix.map { ["mixupAlpha": $0.mixupAlpha, "cutmixAlpha": $0.cutmixAlpha,
                                         "prob": $0.probability, "switchProb": $0.switchProbability] } ?? NSNull()
        config["clipGrad"] = spec.clipGrad ?? NSNull()
        config["weights"] = weights ?? NSNull()
        if let kd = spec.distillation {
            guard let teacherWeights else { throw TorchConfigError(message: "the teacher has no trained weights") }
            config["distillation"] = ["teacher": model(kd.teacher.model), "weights": teacherWeights,
                                      "temperature": kd.temperature, "alpha": kd.alpha]
        } else {
            config["distillation"] = NSNull()
        }
        return try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
    }

    /// The mean and std of torchvision's `Normalize`: the experiment's `normalize:` choice, else the dataset's own
    /// statistics, as Float values widened to Double, so both backends normalise with the same numbers.
    static func normalize(_ spec: ExperimentSpec, _ data: TorchData) -> [String: [Double]] {
        let n = spec.normalization(dataset: data.normalization)
        return ["mean": n.mean.map(Double.init), "std": n.std.map(Double.init)]
    }

    static func model(_ m: ModelSpec) -> [String: Any] {
        switch m {
        case .resnet(let c):
            return ["arch": "resnet", "block": c.block.rawValue, "layers": c.layers, "channels": c.channels,
                    "stem": c.stem.rawValue, "stemWidth": c.stemWidth, "attention": c.attention.rawValue, "classes": c.classes]
        case .vit(let c):
            return ["arch": "vit", "image": c.image, "patch": c.patch, "dim": c.dim, "depth": c.depth, "heads": c.heads,
                    "mlpRatio": c.mlpRatio, "qkvBias": c.qkvBias, "classes": c.classes]
        }
    }

    /// The training ops in order, each with the image side it works at (as ``ExperimentSpec/trainPipeline``).
    static func augment(_ spec: ExperimentSpec) throws -> [[String: Any]] {
        var size = spec.data.imageSize
        func known(_ what: String) throws -> Int {
            guard let size else {
                throw TorchConfigError(message: "`\(what)` needs the image size; put `.resize(size:)` before it for `.imageFolder` data")
            }
            return size
        }
        var ops: [[String: Any]] = []
        for step in spec.augment {
            switch step {
            case .randomCrop(let padding): ops.append(["op": "randomCrop", "size": try known(".randomCrop"), "padding": padding])
            case .horizontalFlip: ops.append(["op": "horizontalFlip"])
            case .randomResizedCrop(let s):
                let side = try s ?? known(".randomResizedCrop")
                ops.append(["op": "randomResizedCrop", "size": side])
                size = side
            case .resize(let s):
                ops.append(["op": "resize", "size": s])
                size = s
            case let .colorJitter(b, c, s, h):
                ops.append(["op": "colorJitter", "brightness": b, "contrast": c, "saturation": s, "hue": h])
            case .autoAugment(let policy):
                ops.append(["op": "autoAugment", "policy": policy, "size": try known(".autoAugment")])
            case .randAugment(let config):
                ops.append(["op": "randAugment", "config": config, "size": try known(".randAugment")])
            case .trivialAugment: ops.append(["op": "trivialAugment"])
            case .cutout(let s): ops.append(["op": "cutout", "size": s])
            case let .randomErasing(p, mode, count): ops.append(["op": "randomErasing", "p": p, "mode": mode, "count": count])
            }
        }
        return ops
    }

    /// The eval transform before normalisation, as ``ExperimentSpec/testPipeline``: pretrained weights' own
    /// `pretrained_cfg` transform (``ExperimentSpec/pretrainedEval``: resize to ⌊size / crop_pct⌋ with its
    /// interpolation, centre crop), else the last `.resize`, or after `.randomResizedCrop(size: s)` timm's: the
    /// shorter side to ⌊s / 0.875⌋ and a centre crop of `s`.
    static func eval(_ spec: ExperimentSpec) -> [[String: Any]] {
        if let t = spec.pretrainedEval {
            let resize = t.cropMode == .center ? "resizeShorter" : "resize"
            return [["op": resize, "size": t.scaleSize, "interpolation": t.interpolation.rawValue],
                    ["op": "centerCrop", "size": t.size]]
        }
        var ops: [[String: Any]] = []
        for step in spec.augment {
            switch step {
            case .resize(let s): ops = [["op": "resize", "size": s]]
            case .randomResizedCrop(let s?):
                ops = [["op": "resizeShorter", "size": Int(floor(Double(s) / 0.875))], ["op": "centerCrop", "size": s]]
            default: break
            }
        }
        return ops
    }

    static func optimizer(_ spec: ExperimentSpec) -> [String: Any] {
        let lr = spec.learningRate
        switch spec.optimizer {
        case let .sgd(momentum, weightDecay, nesterov):
            return ["name": "sgd", "lr": lr, "momentum": Double(momentum), "weightDecay": Double(weightDecay), "nesterov": nesterov]
        case let .adamw(beta1, beta2, eps, weightDecay):
            return ["name": "adamw", "lr": lr, "beta1": Double(beta1), "beta2": Double(beta2), "eps": Double(eps),
                    "weightDecay": Double(weightDecay)]
        case let .lion(beta1, beta2, weightDecay):
            return ["name": "lion", "lr": lr, "beta1": Double(beta1), "beta2": Double(beta2), "weightDecay": Double(weightDecay)]
        }
    }

    static func schedule(_ s: Schedule) -> [String: Any] {
        var out: [String: Any] = ["warmupEpochs": s.warmupEpochs, "warmupLR": Double(s.warmupLR)]
        switch s.shape {
        case .constant: out["name"] = "constant"
        case .cosine(let minLR): out["name"] = "cosine"; out["minLR"] = Double(minLR)
        case let .step(decayEpochs, rate): out["name"] = "step"; out["decayEpochs"] = decayEpochs; out["decayRate"] = Double(rate)
        case let .multiStep(milestones, rate): out["name"] = "multiStep"; out["milestones"] = milestones; out["decayRate"] = Double(rate)
        }
        return out
    }
}
