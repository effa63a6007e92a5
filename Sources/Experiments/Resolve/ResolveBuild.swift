// Building from specs: datasets, augmentation pipelines, Mixup, optimiser and distillation objects for training.
import Engine
import Foundation
import Vision

extension DataSpec {
    /// `path` under `root` (the notebook's data root), unless it is absolute or `root` is empty.
    public static func path(_ path: String, root: String) -> String {
        path.hasPrefix("/") || root.isEmpty ? path : (root.hasSuffix("/") ? root + path : root + "/" + path)
    }

    /// The generator of `.shapes` data with these settings (all its splits, the cue-conflict one included); nil for
    /// file-backed datasets.
    public var shapesDataset: ShapesDataset? {
        guard case let .shapes(classes, size, train, test, textureCue, seed) = self else { return nil }
        return ShapesDataset(ShapesConfig(classes: classes, size: size, trainCount: train, testCount: test,
                                          textureCue: textureCue, seed: UInt64(seed)))
    }

    /// Reads (or, for `.shapes`, generates) both splits.
    ///
    /// Normalisation: CIFAR's published per-channel statistics; ImageNet's for image folders (timm's default);
    /// for `.shapes`, the training split's own mean and standard deviation (rounded to 4 decimals).
    /// - Throws: `CIFARError` naming the missing or truncated file, `ImageFolderError`, or PNG errors.
    public func load(root: String) throws -> (train: LabeledImages, test: LabeledImages, normalization: Normalization,
                                             classNames: [String]) {
        switch self {
        case .shapes:
            let set = shapesDataset!  // non-nil for .shapes
            let trainImages = set.load(.train)
            return (trainImages, set.load(.test), Self.statistics(of: trainImages.images), set.classNames)
        case .cifar10(let path):
            let dir = Self.path(path, root: root)
            let train = try CIFAR.load10(directory: dir, split: .train)
            return (train, try CIFAR.load10(directory: dir, split: .test), fixedNormalization!, train.classNames)
        case .cifar100(let path):
            let dir = Self.path(path, root: root)
            let train = try CIFAR.load100(directory: dir, split: .train)
            return (train, try CIFAR.load100(directory: dir, split: .test), fixedNormalization!, train.classNames)
        case let .imageFolder(path, test):
            let (trainDir, testDir) = Self.folders(path: path, test: test, root: root)
            let train = try ImageFolder.load(root: trainDir)
            let testSet = try ImageFolder.load(root: testDir)
            guard testSet.classNames == train.classNames else {
                throw ResolveError("image folders \(trainDir) and \(testDir) hold different classes")
            }
            return (train, testSet, fixedNormalization!, train.classNames)
        }
    }

    /// Both splits as training and the analyses read them: CIFAR and `.shapes` decoded in memory (``load(root:)``),
    /// an image folder as its file lists, read per batch (nothing is decoded here; docs/methods.md §1.2).
    /// - Throws: as ``load(root:)``; for a folder, only layout errors (a file that cannot be read fails its batch).
    public func open(root: String) throws -> (train: ImageSplit, test: ImageSplit, normalization: Normalization,
                                             classNames: [String]) {
        guard case let .imageFolder(path, test) = self else {
            let d = try load(root: root)
            return (.decoded(d.train), .decoded(d.test), d.normalization, d.classNames)
        }
        let (trainDir, testDir) = Self.folders(path: path, test: test, root: root)
        let train = try ImageSplit.folder(root: trainDir), testSplit = try ImageSplit.folder(root: testDir)
        guard testSplit.classNames == train.classNames else {
            throw ResolveError("image folders \(trainDir) and \(testDir) hold different classes")
        }
        return (train, testSplit, fixedNormalization!, train.classNames)
    }

    /// An image folder's training and test roots: `path/train` and `path/val`, or `path` and `test` when given.
    static func folders(path: String, test: String?, root: String) -> (train: String, test: String) {
        (Self.path(test == nil ? path + "/train" : path, root: root), Self.path(test ?? path + "/val", root: root))
    }

    /// The dataset's own statistics when they are fixed (CIFAR's published ones, ImageNet's for image folders); nil
    /// for `.shapes`, whose statistics are computed from its training split.
    public var fixedNormalization: Normalization? {
        switch self {
        case .shapes: return nil
        case .cifar10: return .cifar10
        case .cifar100: return .cifar100
        case .imageFolder: return .imagenet
        }
    }

    /// Per-channel mean and standard deviation of 8-bit images, on the 0…1 scale.
    static func statistics(of images: [Image]) -> Normalization {
        var sum = [Double](repeating: 0, count: 3), sq = [Double](repeating: 0, count: 3), n = 0.0
        for image in images {
            for (i, p) in image.pixels.enumerated() {
                let x = Double(p) / 255
                sum[i % 3] += x; sq[i % 3] += x * x
            }
            n += Double(image.width * image.height)
        }
        guard n > 0 else { return .unit }
        func round4(_ x: Double) -> Float { Float((x * 10_000).rounded() / 10_000) }
        let mean = sum.map { $0 / n }
        let std = (0..<3).map { max((sq[$0] / n - mean[$0] * mean[$0]).squareRoot(), 1e-3) }
        return Normalization(mean: mean.map(round4), std: std.map(round4))
    }
}

extension ExperimentSpec {
    /// The statistics that normalise this experiment's inputs, given the dataset's own (from ``DataSpec/load(root:)``):
    /// the `normalize:` choice, else the dataset's. Training, evaluation, every analysis, samples and the torch side's
    /// `config.json` all take their statistics from here (docs/methods.md §1.4).
    public func normalization(dataset: Normalization) -> Normalization { normalize?.normalization ?? dataset }

    /// The explicit choice as the run key sees it: nil when the inputs are normalised with the dataset's own statistics
    /// (nothing written, `.dataset`, or a choice equal to the dataset's fixed statistics, such as `.imagenet` on an image
    /// folder), so those experiments keep the keys they had before `normalize:` existed.
    public var keyedNormalization: NormalizeSpec? {
        guard let normalize, normalize.normalization != data.fixedNormalization else { return nil }
        return normalize
    }

    /// The side of the training images after the augmentations (nil when unknown before reading an image folder).
    public var imageSize: Int? { Resolver.imageSize(data: data, augment: augment) }

    /// The image side for `loom plan`'s estimates: ``imageSize``, else for pretrained weights evaluated with their
    /// `pretrained_cfg` its input size (timm's 224 for every family Loom maps, until the weights are converted),
    /// else 32.
    public var estimatedImageSize: Int {
        if let s = imageSize { return s }
        if evaluatesWithPretrainedCfg { return pretrainedEval?.size ?? 224 }
        return 32
    }

    /// Whether both pipelines bring every image to one size (a `.resize` or a sized `.randomResizedCrop`), so the
    /// files may differ in size.
    public var resizesImages: Bool {
        epochs == 0 && evaluatesWithPretrainedCfg || augment.contains { step in
            switch step {
            case .resize, .randomResizedCrop(_?): return true
            default: return false
            }
        }
    }

    /// Whether evaluation follows the `pretrained_cfg` of `weights: .timm(...)` (docs/methods.md §2.3, §6.6): when no
    /// `.resize(size:)` is written and either a sized `.randomResizedCrop` gives the size (timm's `--img-size`) or the
    /// run only evaluates (`epochs: 0`: the cfg's `input_size`). A `.resize` keeps its square resize, and a run that
    /// trains at the data's own size evaluates at it, as before.
    public var evaluatesWithPretrainedCfg: Bool {
        guard pretrained != nil else { return false }
        var sizedCrop = false
        for step in augment {
            switch step {
            case .resize: return false
            case .randomResizedCrop(_?): sizedCrop = true
            default: break
            }
        }
        return sizedCrop || epochs == 0
    }

    /// The side a sized `.randomResizedCrop` gives (the last one), which the `pretrained_cfg` transform then keeps.
    public var randomResizedCropSize: Int? {
        augment.reduce(nil) { size, step in
            if case .randomResizedCrop(let s?) = step { return s }
            return size
        }
    }

    /// The training pipeline in timm's order: the image steps (geometry, colour, policies) as written, then
    /// `Normalize`, then Random Erasing and Cutout on the normalised image (timm `transforms_imagenet_train`).
    /// `.colorJitter` is applied as written even next to a policy, unlike timm's CLI, which drops
    /// `--color-jitter` whenever `--aa` is set (docs/methods.md §2.4).
    /// - Throws: ``ResolveError`` when a crop needs an image size the spec cannot know (an image folder without a
    ///   resize first), or a bad RandAugment string.
    public func trainPipeline(normalization: Normalization) throws -> AugmentPipeline {
        var steps: [AugmentStep] = [], planar: [AugmentStep] = []
        var size = data.imageSize
        func knownSize(_ what: String) throws -> Int {
            guard let size else {
                throw ResolveError("`\(what)` needs the image size; put `.resize(size:)` before it for `.imageFolder` data")
            }
            return size
        }
        for step in augment {
            switch step {
            case .randomCrop(let padding):
                steps.append(.image(RandomCrop(size: try knownSize(".randomCrop"), padding: padding)))
            case .horizontalFlip:
                steps.append(.image(HorizontalFlip()))
            case .randomResizedCrop(let s):
                let side = try s ?? knownSize(".randomResizedCrop")
                steps.append(.image(RandomResizedCrop(size: side)))
                size = side
            case .resize(let s):
                steps.append(.image(Resize(width: s, height: s)))
                size = s
            case let .colorJitter(b, c, s, h):
                steps.append(.image(ColorJitter(brightness: b, contrast: c, saturation: s, hue: h)))
            case .autoAugment(let policy):
                steps.append(.image(AutoAugment(policy: AutoAugment.Policy(rawValue: policy)!)))
            case .randAugment(let config):
                do { steps.append(.image(try RandAugment(config))) } catch let error as AugmentConfigError {
                    throw ResolveError("`.randAugment`: \(error.description)")
                }
            case .trivialAugment:
                steps.append(.image(TrivialAugmentWide()))
            case .cutout(let s):
                planar.append(.planar(Cutout(size: s)))
            case let .randomErasing(p, mode, count):
                planar.append(.planar(RandomErasing(probability: p, mode: RandomErasing.Mode(rawValue: mode)!, minCount: count)))
            }
        }
        return AugmentPipeline(steps + [.normalize(normalization)] + planar)
    }

    /// The evaluation pipeline: normalisation only, after resizing to the training size when `augment` resizes.
    /// After `.randomResizedCrop(size: s)`, timm's eval transform (`transforms_imagenet_eval`, crop_pct 0.875): the
    /// shorter side to ⌊s / 0.875⌋ (aspect kept, bilinear, antialiased), then the centre `s × s` crop — for square
    /// images (CIFAR, `.shapes`) the same pixels as a square resize. After `.resize`, that square resize, as in
    /// training (docs/methods.md §2.3). Pretrained weights' `pretrained_cfg` transform (``pretrainedEval``) replaces
    /// the resize and crop when it is set.
    public func testPipeline(normalization: Normalization) -> AugmentPipeline {
        if let t = pretrainedEval { return AugmentPipeline(t.steps.map { .image($0) } + [.normalize(normalization)]) }
        var resize: [AugmentStep] = []
        for step in augment {
            switch step {
            case .resize(let s): resize = [.image(Resize(width: s, height: s))]
            case .randomResizedCrop(let s?):
                resize = ResizeShorterSide.timmEval(size: s).map { .image($0) }
            default: break
            }
        }
        return AugmentPipeline(resize + [.normalize(normalization)])
    }

    /// timm's `Mixup` when mixing is on, carrying the label smoothing: timm folds `--smoothing` into the mixed
    /// soft targets (off = ε/K, on = 1 − ε + ε/K) and then trains with soft-target cross-entropy (docs/methods.md §3.1).
    public var mixup: Mixup? {
        mix.map { Mixup(mixupAlpha: $0.mixupAlpha, cutmixAlpha: $0.cutmixAlpha, probability: $0.probability,
                        switchProbability: $0.switchProbability, labelSmoothing: labelSmoothing) }
    }

    /// The smoothing the plain cross-entropy applies: ``labelSmoothing`` without mixing, 0 with it (then
    /// ``mixup`` carries it). Validation always uses plain cross-entropy (docs/methods.md §3.2).
    public var lossLabelSmoothing: Double { mix == nil ? labelSmoothing : 0 }

    /// Whether biases and norm weights (parameters of rank ≤ 1) skip weight decay: always, as timm's optimizer
    /// factory does for every optimiser (docs/methods.md §4.4).
    public var exemptOneDimensionalFromDecay: Bool { true }
}

extension DistillationSpec {
    /// The trainer's distillation term for a trained `teacher` model: α·T²·KL plus (1 − α)·label loss.
    public func distillation(teacher model: Classifier) -> Distillation {
        Distillation(teacher: model, temperature: Float(temperature), alpha: Float(alpha), gamma: Float(1 - alpha))
    }
}
