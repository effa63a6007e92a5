// Human labels of specs for table cells, legends and sweep points ("ResNet-18 w16 +SE", "crop+flip+AA(cifar10)").
import Engine
import Vision

extension ExperimentSpec {
    /// E.g. "ResNet-18 w16 +SE", "ResNet-50 ImageNet-stem", "ViT d192×12 h3 p4".
    public var modelLabel: String { model.label }
    /// E.g. "shapes(10)", "CIFAR-100".
    public var dataLabel: String { data.label }
    /// The augmentations joined by "+", e.g. "crop+flip+AA(cifar10)"; "none" when empty.
    public var augmentLabel: String { augment.isEmpty ? "none" : augment.map(\.label).joined(separator: "+") }
    /// The input normalisation, for a table column: "dataset" (the dataset's own statistics), "ImageNet", "0.5", or
    /// "mean 0.4914, 0.4822, 0.4465 std 0.247, 0.2435, 0.2616" for `.custom` values.
    public var normalizationLabel: String { normalize?.label ?? "dataset" }
    /// E.g. "mixup(0.8)", "cutmix(1)", "mixup(0.8)|cutmix(1)"; "none".
    public var mixLabel: String {
        guard let m = mix else { return "none" }
        switch (m.mixupAlpha > 0, m.cutmixAlpha > 0) {
        case (true, false): return "mixup(\(Label.number(m.mixupAlpha)))"
        case (false, true): return "cutmix(\(Label.number(m.cutmixAlpha)))"
        default: return "mixup(\(Label.number(m.mixupAlpha)))|cutmix(\(Label.number(m.cutmixAlpha)))"
        }
    }
    /// E.g. "SGD 0.1, m 0.9, wd 5e-4, nesterov", "AdamW 1e-3, β 0.9/0.95, wd 0.05", "Lion 1e-4, wd 1e-3": the rule
    /// with the learning rate, its settings (``optimizerSettings``), the weight decay and SGD's Nesterov flag, so rows
    /// that differ in any of them read differently.
    public var optimizerLabel: String {
        let (rule, settings, flag) = optimizerSettings
        return ([rule + " " + Label.hyper(learningRate)] + settings + ["wd " + Label.hyper(Double(optimizer.weightDecay))]
                + (flag.map { [$0] } ?? [])).joined(separator: ", ")
    }
    /// The optimiser's name ("SGD", "AdamW", "Lion"), its settings other than the learning rate and weight decay
    /// (SGD's momentum; β and ε only where they differ from the engine's defaults, PyTorch's for AdamW and timm's for
    /// Lion, which almost every recipe keeps) and SGD's "nesterov".
    var optimizerSettings: (rule: String, settings: [String], flag: String?) {
        switch optimizer {
        case let .sgd(momentum, _, nesterov):
            if momentum == 0 { return ("SGD", [], nil) }
            return ("SGD", ["m " + Label.hyper(Double(momentum))], nesterov ? "nesterov" : nil)
        case let .adamw(beta1, beta2, eps, _):
            guard case let .adamw(b1, b2, e, _) = OptimizerKind.adamw() else { preconditionFailure("adamw defaults") }
            return ("AdamW", Label.betas(beta1, beta2, defaults: (b1, b2)) + (eps == e ? [] : ["ε " + Label.hyper(Double(eps))]), nil)
        case let .lion(beta1, beta2, _):
            guard case let .lion(b1, b2, _) = OptimizerKind.lion() else { preconditionFailure("lion defaults") }
            return ("Lion", Label.betas(beta1, beta2, defaults: (b1, b2)), nil)
        }
    }
    /// The normalisation the pipelines apply, for the `.normalize` column and `.differs`: the dataset's statistics
    /// (``DataSpec/statisticsLabel``, e.g. "CIFAR-100 stats") unless `normalize:` chose other values ("0.5",
    /// "ImageNet", "mean … std …"); a choice equal to the dataset's own reads as the dataset's, as its run key does.
    /// `weights: .timm(...)` without `normalize:` reads "pretrained_cfg" (their mean/std, known once converted).
    public var normalizeLabel: String {
        if normalizeFromPretrained && normalize == nil { return "pretrained_cfg" }
        return keyedNormalization?.label ?? data.statisticsLabel
    }
    /// The side of the images the model sees (the last resize or resized crop, else the data's; a ViT's `image:`), or
    /// "native" for an image folder that is not resized; "pretrained_cfg" for pretrained weights evaluated at their
    /// cfg's `input_size` (known once converted).
    public var imageSizeLabel: String {
        if evaluatesWithPretrainedCfg && randomResizedCropSize == nil { return "pretrained_cfg" }
        if let s = Resolver.imageSize(data: data, augment: augment) { return String(s) }
        if case let .vit(c) = model { return String(c.image) }
        return "native"
    }
    /// E.g. "cosine", "cosine, warmup 5", "step(30, ×0.1)", "multiStep([60, 120, 160], ×0.2)".
    public var scheduleLabel: String {
        let base = schedule.shape.label
        return schedule.warmupEpochs > 0 ? base + ", warmup \(schedule.warmupEpochs)" : base
    }
}

extension Schedule.Shape {
    /// E.g. "cosine", "step(30, ×0.1)", "multiStep([60, 120, 160], ×0.2)" (a cosine's floor is not shown).
    var label: String {
        switch self {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case let .step(e, r): return "step(\(e), ×\(Label.number(Double(r))))"
        case let .multiStep(m, r): return "multiStep(\(m), ×\(Label.number(Double(r))))"
        }
    }
}

extension ModelSpec {
    /// "ResNet-18" for a standard depth (with " w<width>" when not 64, " ImageNet-stem", " +SE"/" +CBAM"),
    /// "ResNet basic[2,2] 16-32" for the `layers:` form, "ViT d192×12 h3 p4" for a ViT.
    public var label: String {
        switch self {
        case .resnet(let c):
            var name: String
            let standard = [18, 34, 50, 101, 152].first {
                ResNet.Config.depth($0, width: Double(c.stemWidth) / 64, stem: c.stem, attention: c.attention,
                                    classes: c.classes) == c
            }
            if let d = standard {
                name = "ResNet-\(d)" + (c.stemWidth == 64 ? "" : " w\(c.stemWidth)")
            } else {
                name = "ResNet \(c.block.rawValue)[" + c.layers.map(String.init).joined(separator: ",") + "] "
                    + c.channels.map(String.init).joined(separator: "-")
            }
            if c.stem == .imagenet { name += " ImageNet-stem" }
            switch c.attention {
            case .none: break
            case .se: name += " +SE"
            case .cbam: name += " +CBAM"
            }
            return name
        case .vit(let c):
            return "ViT d\(c.dim)×\(c.depth) h\(c.heads) p\(c.patch)"
        }
    }
}

extension DataSpec {
    public var label: String {
        switch self {
        case .shapes(let classes, _, _, _, let cue, _): return "shapes(\(classes))" + (cue > 0 ? " cue \(Label.number(cue))" : "")
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        case .imageFolder(let path, _): return "folder(\(path))"
        }
    }
}

extension NormalizeSpec {
    /// "ImageNet", "0.5", or "mean 0.4914, 0.4822, 0.4465 std 0.247, 0.2435, 0.2616".
    public var label: String {
        switch self {
        case .imagenet: return "ImageNet"
        case .half: return "0.5"
        case let .custom(mean, std):
            return "mean " + mean.map(Label.number).joined(separator: ", ") + " std " + std.map(Label.number).joined(separator: ", ")
        }
    }
}

extension DataSpec {
    /// The name of the per-channel mean and standard deviation its images are normalised with: the published CIFAR
    /// statistics, ImageNet's for image folders (timm's default), the training split's own for `.shapes`.
    public var statisticsLabel: String {
        switch self {
        case .shapes: return "shapes stats"
        case .cifar10: return "CIFAR-10 stats"
        case .cifar100: return "CIFAR-100 stats"
        case .imageFolder: return "ImageNet stats"
        }
    }
}

extension AugmentSpec {
    /// A short name: "crop", "flip", "RRC(224)", "CJ(0.4)", "AA(cifar10)", "RA(rand-m9-mstd0.5)", "TA",
    /// "cutout(16)", "RE(0.25)".
    public var label: String {
        switch self {
        case .randomCrop(let p): return p == 4 ? "crop" : "crop(pad \(p))"
        case .horizontalFlip: return "flip"
        case .randomResizedCrop(let s): return s.map { "RRC(\($0))" } ?? "RRC"
        case .resize(let s): return "resize(\(s))"
        case let .colorJitter(b, c, s, h):
            let parts = b == c && c == s ? [Label.number(b)] : [b, c, s].map(Label.number)
            return "CJ(" + (parts + (h > 0 ? ["hue \(Label.number(h))"] : [])).joined(separator: ", ") + ")"
        case .autoAugment(let policy): return "AA(\(policy))"
        case .randAugment(let config): return "RA(\(config))"
        case .trivialAugment: return "TA"
        case .cutout(let s): return "cutout(\(s))"
        case let .randomErasing(p, mode, count):
            return "RE(\(Label.number(p))" + (mode == "pixel" ? "" : ", \(mode)") + (count == 1 ? "" : ", ×\(count)") + ")"
        }
    }
}

enum Label {
    /// A number in its shortest form: 0.1, 1, 0.0001, 5e-05.
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return String(Float(x))  // labels show Float precision: 0.9, not 0.8999999761581421
    }

    /// A hyper-parameter as papers write it: below 0.01 in scientific notation with a bare exponent (5e-4, 1.5e-5,
    /// 1e-8), else as ``number(_:)`` (0.1, 0.05, 1).
    static func hyper(_ x: Double) -> String {
        guard x != 0, abs(x) < 0.01, x.isFinite else { return number(x) }
        let text = String(Float(abs(x)))  // the shortest form: "0.0005" or "5e-05"
        var mantissa: String, exponent: Int
        if let e = text.firstIndex(of: "e"), let power = Int(text[text.index(after: e)...]) {
            mantissa = String(text[..<e]); exponent = power
        } else if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...]
            let zeros = fraction.prefix { $0 == "0" }.count
            let digits = fraction.dropFirst(zeros)
            mantissa = String(digits.prefix(1)) + (digits.count > 1 ? "." + digits.dropFirst() : "")
            exponent = -(zeros + 1)
        } else {
            return number(x)
        }
        if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
        return (x < 0 ? "-" : "") + mantissa + "e" + String(exponent)
    }

    /// "β 0.9/0.95" when either β differs from the optimiser's default, else nothing.
    static func betas(_ beta1: Float, _ beta2: Float, defaults: (Float, Float)) -> [String] {
        beta1 == defaults.0 && beta2 == defaults.1 ? [] : ["β " + hyper(Double(beta1)) + "/" + hyper(Double(beta2))]
    }
}
