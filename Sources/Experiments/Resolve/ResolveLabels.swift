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
    /// E.g. "SGD(0.1, Nesterov)", "AdamW(0.001)", "Lion(0.0001)".
    public var optimizerLabel: String {
        let lr = Label.number(learningRate)
        switch optimizer {
        case let .sgd(momentum, _, nesterov):
            if momentum == 0 { return "SGD(\(lr))" }
            return nesterov ? "SGD(\(lr), Nesterov)" : "SGD(\(lr), momentum \(Label.number(Double(momentum))))"
        case .adamw: return "AdamW(\(lr))"
        case .lion: return "Lion(\(lr))"
        }
    }
    /// E.g. "cosine", "cosine, warmup 5", "step(30, ×0.1)", "multiStep([60, 120, 160], ×0.2)".
    public var scheduleLabel: String {
        let base: String
        switch schedule.shape {
        case .constant: base = "constant"
        case .cosine: base = "cosine"
        case let .step(e, r): base = "step(\(e), ×\(Label.number(Double(r))))"
        case let .multiStep(m, r): base = "multiStep(\(m), ×\(Label.number(Double(r))))"
        }
        return schedule.warmupEpochs > 0 ? base + ", warmup \(schedule.warmupEpochs)" : base
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
}
