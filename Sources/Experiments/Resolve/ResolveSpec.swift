// Resolved experiment specs: the typed, defaults-filled meaning of an `Experiment` cell, ready to build from.
import Engine
import Vision

/// Everything one `Experiment` determines, with every default and dataset-derived value filled in. Built by
/// ``Resolver/experiment(_:)`` from a checked cell value; stored as JSON with each run.
public struct ExperimentSpec: Codable, Equatable, Sendable {
    /// The network, with `classes` (and ViT's `image`) taken from the data when not written.
    public var model: ModelSpec
    public var data: DataSpec
    /// Training augmentations in the order written (see ``trainPipeline(normalization:)`` for the applied order).
    public var augment: [AugmentSpec]
    /// The statistics that normalise every model input; nil (the default, `normalize:` omitted or `.dataset`): the
    /// dataset's own. Read through ``normalization(dataset:)`` by everything that feeds a model.
    public var normalize: NormalizeSpec? = nil
    /// Batch mixing; nil for `.none`.
    public var mix: MixSpec?
    /// The optimiser's update rule and hyper-parameters (without the learning rate).
    public var optimizer: OptimizerKind
    /// The base learning rate, used as written: timm's batch-size scaling applies only when `--lr` is unset
    /// (docs/methods.md §4.6), and a notebook always writes it.
    public var learningRate: Double
    /// The per-epoch schedule, with `baseLR` = ``learningRate`` and `epochs` = ``epochs``.
    public var schedule: Schedule
    public var epochs: Int
    public var batchSize: Int
    /// One run per seed: `seed ..< seed + seeds`.
    public var seeds: [Int]
    /// Label smoothing ε (folded into ``mixup`` when mixing is on, as timm does).
    public var labelSmoothing: Double
    /// Knowledge distillation from another experiment's trained model.
    public var distillation: DistillationSpec?
    /// A safetensors file (timm names) to initialise from, relative to the data root. For `weights: .timm(...)` the
    /// execute step fills it with the converted file under `output/weights/` (``pretrained`` says where it came from).
    public var weights: String?
    /// `weights: .timm(name, file:)`: timm's pretrained weights, converted when the run executes (docs/methods.md §6.6).
    public var pretrained: PretrainedWeights? = nil
    /// Whether the inputs are normalised with ``pretrained``'s `pretrained_cfg` mean/std: `weights: .timm(...)` without
    /// `normalize:` (the execute step sets ``normalize`` from them; `normalize: .dataset` keeps the dataset's).
    public var normalizeFromPretrained: Bool = false
    /// timm's evaluation transform from ``pretrained``'s `pretrained_cfg` (resize, crop, interpolation), filled by the
    /// execute step once the weights are converted when ``evaluatesWithPretrainedCfg``; nil before and otherwise.
    public var pretrainedEval: TimmEvalTransform? = nil
    /// Global gradient-norm clip.
    public var clipGrad: Double?

    /// The number of classes the model predicts.
    public var classes: Int { model.classes }
}

/// timm's pretrained weights by name, optionally from a local checkpoint instead of timm's download.
public struct PretrainedWeights: Codable, Equatable, Sendable {
    /// timm's name with its pretrained tag, e.g. `resnet50.a1_in1k`.
    public var name: String
    /// A local checkpoint (relative to the data root) that timm loads instead of downloading.
    public var file: String?

    public init(name: String, file: String? = nil) { self.name = name; self.file = file }

    /// The architecture part of ``name`` (before the first `.`).
    public var architecture: String { String(name.split(separator: ".", maxSplits: 1).first ?? "") }

    /// As written in a cell.
    public var label: String { ".timm(\"\(name)\"" + (file.map { ", file: \"\($0)\"" } ?? "") + ")" }
}

/// The network of an experiment.
public enum ModelSpec: Codable, Equatable, Sendable {
    case resnet(ResNet.Config)
    case vit(ViT.Config)

    public var classes: Int {
        switch self {
        case .resnet(let c): return c.classes
        case .vit(let c): return c.classes
        }
    }

    /// A freshly initialised model (timm initialisation, seeded).
    public func build(seed: UInt64) -> Classifier {
        switch self {
        case .resnet(let c): return ResNet(c, seed: seed)
        case .vit(let c): return ViT(c, seed: seed)
        }
    }
}

/// Where the images come from. Paths are relative to the notebook's data root unless absolute.
public enum DataSpec: Codable, Equatable, Sendable {
    case shapes(classes: Int, size: Int, train: Int, test: Int, textureCue: Double, seed: Int)
    case cifar10(path: String)
    case cifar100(path: String)
    /// `test` nil: `path/train` and `path/val`.
    case imageFolder(path: String, test: String?)

    /// The class count known without reading files (nil for an image folder).
    public var classes: Int? {
        switch self {
        case .shapes(let classes, _, _, _, _, _): return classes
        case .cifar10: return 10
        case .cifar100: return 100
        case .imageFolder: return nil
        }
    }

    /// The image side known without reading files (nil for an image folder).
    public var imageSize: Int? {
        switch self {
        case .shapes(_, let size, _, _, _, _): return size
        case .cifar10, .cifar100: return 32
        case .imageFolder: return nil
        }
    }
}

/// Explicit input statistics chosen with `normalize:` (docs/methods.md §1.4). The dataset's own statistics, the
/// default, are no case: ``ExperimentSpec/normalize`` is nil then.
public enum NormalizeSpec: Codable, Equatable, Sendable {
    /// ImageNet's, timm's `IMAGENET_DEFAULT_MEAN/STD`.
    case imagenet
    /// mean = std = 0.5 per channel (timm's `--mean 0.5 0.5 0.5 --std 0.5 0.5 0.5`), inputs in [−1, 1].
    case half
    /// Per-channel R, G, B values on the [0, 1] scale, three each, std > 0 (the checker enforces both).
    case custom(mean: [Double], std: [Double])

    /// The per-channel statistics as written (run keys and labels carry these decimals, not their Float roundings).
    public var statistics: (mean: [Double], std: [Double]) {
        switch self {
        case .imagenet: return ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        case .half: return ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
        case let .custom(mean, std): return (mean, std)
        }
    }

    /// The statistics in the form the image pipelines apply.
    public var normalization: Normalization {
        let s = statistics
        return Normalization(mean: s.mean.map(Float.init), std: s.std.map(Float.init))
    }
}

/// One training augmentation as written.
public enum AugmentSpec: Codable, Equatable, Sendable {
    case randomCrop(padding: Int)
    case horizontalFlip
    /// `size` nil: the image's own side.
    case randomResizedCrop(size: Int?)
    case resize(size: Int)
    case colorJitter(brightness: Double, contrast: Double, saturation: Double, hue: Double)
    /// `policy` is `cifar10`, `v0` or `v0r`.
    case autoAugment(policy: String)
    /// A timm RandAugment string, validated at resolution.
    case randAugment(config: String)
    case trivialAugment
    case cutout(size: Int)
    /// `mode` is `pixel`, `const` or `rand`.
    case randomErasing(p: Double, mode: String, count: Int)

    /// Whether it runs on the normalised Float image (after `Normalize`), as timm applies Random Erasing.
    public var isPlanar: Bool {
        switch self {
        case .cutout, .randomErasing: return true
        default: return false
        }
    }
}

/// timm `Mixup` settings (batch mode); a disabled side has α = 0.
public struct MixSpec: Codable, Equatable, Sendable {
    public var mixupAlpha: Double
    public var cutmixAlpha: Double
    /// Probability a batch is mixed at all.
    public var probability: Double
    /// Probability of CutMix when both are on.
    public var switchProbability: Double

    public init(mixupAlpha: Double, cutmixAlpha: Double, probability: Double, switchProbability: Double) {
        self.mixupAlpha = mixupAlpha; self.cutmixAlpha = cutmixAlpha
        self.probability = probability; self.switchProbability = switchProbability
    }
}

/// Distillation from a teacher experiment, itself fully resolved.
public struct DistillationSpec: Codable, Equatable, Sendable {
    /// The binding the teacher was referenced by, or nil when written inline.
    public var teacherName: String?
    public var temperature: Double
    /// Weight of the KL term; the label loss gets 1 − α.
    public var alpha: Double
    // An array breaks the recursion of a value type containing itself; it always holds one element.
    private var teacherBox: [ExperimentSpec]

    public var teacher: ExperimentSpec { teacherBox[0] }

    public init(teacher: ExperimentSpec, teacherName: String?, temperature: Double, alpha: Double) {
        teacherBox = [teacher]; self.teacherName = teacherName; self.temperature = temperature; self.alpha = alpha
    }

    private enum CodingKeys: String, CodingKey { case teacher, teacherName, temperature, alpha }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        teacherBox = [try c.decode(ExperimentSpec.self, forKey: .teacher)]
        teacherName = try c.decodeIfPresent(String.self, forKey: .teacherName)
        temperature = try c.decode(Double.self, forKey: .temperature)
        alpha = try c.decode(Double.self, forKey: .alpha)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(teacher, forKey: .teacher)
        try c.encodeIfPresent(teacherName, forKey: .teacherName)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(alpha, forKey: .alpha)
    }
}

/// A cell value that checks but means nothing buildable (e.g. `.resnet` with neither `depth:` nor `layers:`).
public struct ResolveError: Error, Equatable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
