// Differences between two resolved experiments in words, for a Table's `differs` column ("+SE; lr 0.1 → 0.05").
import Engine
import Vision

extension ExperimentSpec {
    /// The settings in which this experiment differs from `reference`, each a short phrase, in the order of
    /// `Experiment`'s arguments: "ResNet-18 → ResNet-50", "+SE", "augment +AA(v0)", "lr 0.1 → 0.05", "wd 5e-4 → 1e-4",
    /// "epochs 15 → 30", "batch 128 → 256". It compares the resolved specs (defaults filled in), never the cell text:
    /// writing out a default changes nothing, and a setting inherited through `with` from a different base shows.
    /// A difference that only follows from another (a model's classes or a ViT's image side from the data, the
    /// dataset's own statistics from the data) is left out. Empty when nothing differs.
    public func differences(from reference: ExperimentSpec) -> [String] {
        let r = reference
        var out = Differences.model(r, self)
        Differences.change(&out, "", r.dataLabel != dataLabel, r.dataLabel, dataLabel)
        out += Differences.dataDetails(r.data, data)
        let ownStatistics = r.normalizeLabel == r.data.statisticsLabel && normalizeLabel == data.statisticsLabel
        Differences.change(&out, "mean/std", r.normalizeLabel != normalizeLabel && !(r.data != data && ownStatistics),
                           r.normalizeLabel, normalizeLabel)
        out += Differences.augment(r.augment, augment)
        if r.mixLabel != mixLabel {
            out.append("mix \(r.mixLabel) → \(mixLabel)")
        } else if let a = r.mix, let b = mix {
            Differences.change(&out, "mix prob", a.probability, b.probability)
            Differences.change(&out, "mix switch prob", a.switchProbability, b.switchProbability)
        }
        out += Differences.optimizer(r, self)
        out += Differences.schedule(r.schedule, schedule)
        Differences.change(&out, "epochs", r.epochs != epochs, String(r.epochs), String(epochs))
        Differences.change(&out, "batch", r.batchSize != batchSize, String(r.batchSize), String(batchSize))
        if r.seeds != seeds {
            func text(_ s: [Int]) -> String { s.count == 1 ? String(s[0]) : "\(s[0])–\(s[s.count - 1])" }
            out.append((r.seeds.count == 1 && seeds.count == 1 ? "seed " : "seeds ") + text(r.seeds) + " → " + text(seeds))
        }
        Differences.change(&out, "smoothing", r.labelSmoothing, labelSmoothing)
        out += Differences.teacher(r.distillation, distillation)
        Differences.change(&out, "weights", r.weights != weights || r.pretrained != pretrained,
                           r.pretrained?.label ?? r.weights ?? "none", pretrained?.label ?? weights ?? "none")
        Differences.change(&out, "grad clip", r.clipGrad != clipGrad, r.clipGrad.map(Label.hyper) ?? "off",
                           clipGrad.map(Label.hyper) ?? "off")
        return out
    }
}

/// The phrases of ``ExperimentSpec/differences(from:)``, one function per part of an experiment.
enum Differences {
    /// Appends "name a → b" (or "a → b" for an empty name) when `differs`.
    static func change(_ out: inout [String], _ name: String, _ differs: Bool, _ a: String, _ b: String) {
        guard differs else { return }
        out.append((name.isEmpty ? "" : name + " ") + a + " → " + b)
    }

    /// Appends "name a → b" for two numbers, written as hyper-parameters are (0.1, 5e-4).
    static func change<T: BinaryFloatingPoint>(_ out: inout [String], _ name: String, _ a: T, _ b: T) {
        change(&out, name, a != b, Label.hyper(Double(a)), Label.hyper(Double(b)))
    }

    static func model(_ r: ExperimentSpec, _ s: ExperimentSpec) -> [String] {
        var out: [String] = []
        switch (r.model, s.model) {
        case let (.resnet(x), .resnet(y)):
            out += resnet(x, y)
        case let (.vit(x), .vit(y)):
            change(&out, "", x.dim != y.dim || x.depth != y.depth || x.heads != y.heads || x.patch != y.patch,
                   r.model.label, s.model.label)
            change(&out, "MLP ratio", x.mlpRatio, y.mlpRatio)
            if x.qkvBias != y.qkvBias { out.append(y.qkvBias ? "+qkv bias" : "−qkv bias") }
            let follows = x.image == Resolver.imageSize(data: r.data, augment: r.augment)
                && y.image == Resolver.imageSize(data: s.data, augment: s.augment)
            change(&out, "ViT image", x.image != y.image && !follows, String(x.image), String(y.image))
        default:
            out.append(r.model.label + " → " + s.model.label)
        }
        let follows = r.model.classes == r.data.classes && s.model.classes == s.data.classes
        change(&out, "classes", r.model.classes != s.model.classes && !follows, String(r.model.classes), String(s.model.classes))
        return out
    }

    /// Architecture ("ResNet-18 → ResNet-50"), stem width, stem and attention ("+SE", "−SE", "SE → CBAM") apart.
    static func resnet(_ x: ResNet.Config, _ y: ResNet.Config) -> [String] {
        func core(_ c: ResNet.Config) -> String {
            var plain = c
            plain.stem = .cifar; plain.attention = .none
            return ModelSpec.resnet(plain).label
        }
        func stem(_ k: StemKind) -> String { k == .cifar ? "CIFAR stem" : "ImageNet stem" }
        func attention(_ k: AttentionKind) -> String { k == .se ? "SE" : "CBAM" }
        var out: [String] = []
        change(&out, "", core(x) != core(y), core(x), core(y))
        change(&out, "stem width", core(x) == core(y) && x.stemWidth != y.stemWidth, String(x.stemWidth), String(y.stemWidth))
        change(&out, "", x.stem != y.stem, stem(x.stem), stem(y.stem))
        switch (x.attention, y.attention) {
        case (let a, let b) where a == b: break
        case (.none, let b): out.append("+" + attention(b))
        case (let a, .none): out.append("−" + attention(a))
        case (let a, let b): out.append(attention(a) + " → " + attention(b))
        }
        return out
    }

    /// Settings a dataset's label does not show: `.shapes`' size, split sizes and seed; a path.
    static func dataDetails(_ a: DataSpec, _ b: DataSpec) -> [String] {
        var out: [String] = []
        switch (a, b) {
        case let (.shapes(_, s1, tr1, te1, _, seed1), .shapes(_, s2, tr2, te2, _, seed2)):
            change(&out, "shapes size", s1 != s2, String(s1), String(s2))
            change(&out, "shapes train", tr1 != tr2, String(tr1), String(tr2))
            change(&out, "shapes test", te1 != te2, String(te1), String(te2))
            change(&out, "shapes seed", seed1 != seed2, String(seed1), String(seed2))
        case let (.cifar10(p1), .cifar10(p2)), let (.cifar100(p1), .cifar100(p2)):
            change(&out, "data path", p1 != p2, p1, p2)
        case let (.imageFolder(p1, t1), .imageFolder(p2, t2)) where p1 == p2:
            change(&out, "test folder", t1 != t2, t1 ?? p1 + "/val", t2 ?? p2 + "/val")
        default: break
        }
        return out
    }

    /// "augment +AA(v0), −flip, crop → crop(pad 8)": steps added, steps whose settings changed (the same kind of
    /// step on both sides), steps removed; "augment order …" when only the order differs.
    static func augment(_ a: [AugmentSpec], _ b: [AugmentSpec]) -> [String] {
        guard a != b else { return [] }
        var removed = a, added: [AugmentSpec] = []
        for step in b {
            if let i = removed.firstIndex(of: step) { removed.remove(at: i) } else { added.append(step) }
        }
        var parts: [String] = []
        for step in added {
            if let i = removed.firstIndex(where: { $0.kind == step.kind }) {
                parts.append(removed.remove(at: i).label + " → " + step.label)
            } else {
                parts.append("+" + step.label)
            }
        }
        parts += removed.map { "−" + $0.label }
        guard !parts.isEmpty else {
            return ["augment order " + a.map(\.label).joined(separator: "+") + " → " + b.map(\.label).joined(separator: "+")]
        }
        return ["augment " + parts.joined(separator: ", ")]
    }

    /// The rule ("SGD → AdamW", with the new rule's settings), then the learning rate, the rule's settings and the
    /// weight decay.
    static func optimizer(_ r: ExperimentSpec, _ s: ExperimentSpec) -> [String] {
        var out: [String] = []
        let (ruleA, _, _) = r.optimizerSettings, (ruleB, settingsB, flagB) = s.optimizerSettings
        let shown = settingsB + (flagB.map { [$0] } ?? [])
        if ruleA != ruleB { out.append(ruleA + " → " + ruleB + (shown.isEmpty ? "" : " (" + shown.joined(separator: ", ") + ")")) }
        change(&out, "lr", r.learningRate, s.learningRate)
        switch (r.optimizer, s.optimizer) {
        case let (.sgd(m1, _, n1), .sgd(m2, _, n2)):
            change(&out, "m", m1, m2)
            // Nesterov acts only with momentum: compare the flag as it takes effect.
            let (on1, on2) = (n1 && m1 != 0, n2 && m2 != 0)
            if on1 != on2 { out.append(on2 ? "+nesterov" : "−nesterov") }
        case let (.adamw(a1, b1, e1, _), .adamw(a2, b2, e2, _)):
            change(&out, "β1", a1, a2); change(&out, "β2", b1, b2); change(&out, "ε", e1, e2)
        case let (.lion(a1, b1, _), .lion(a2, b2, _)):
            change(&out, "β1", a1, a2); change(&out, "β2", b1, b2)
        default: break
        }
        change(&out, "wd", r.optimizer.weightDecay, s.optimizer.weightDecay)
        return out
    }

    /// The shape ("cosine → step(30, ×0.1)"), a cosine's floor, the warmup and (when either warms up) its start.
    static func schedule(_ a: Schedule, _ b: Schedule) -> [String] {
        var out: [String] = []
        change(&out, "", a.shape.label != b.shape.label, a.shape.label, b.shape.label)
        if case let (.cosine(m1), .cosine(m2)) = (a.shape, b.shape) { change(&out, "min lr", m1, m2) }
        change(&out, "warmup", a.warmupEpochs != b.warmupEpochs, String(a.warmupEpochs), String(b.warmupEpochs))
        if a.warmupEpochs > 0 || b.warmupEpochs > 0 { change(&out, "warmup lr", a.warmupLR, b.warmupLR) }
        return out
    }

    /// "+KD from t (T 4, α 0.9)", "−KD from t", or what changed in the distillation (the teacher is named by its
    /// binding; its own settings are its row's business).
    static func teacher(_ a: DistillationSpec?, _ b: DistillationSpec?) -> [String] {
        func name(_ d: DistillationSpec) -> String { d.teacherName ?? d.teacher.modelLabel }
        switch (a, b) {
        case (nil, nil): return []
        case let (nil, d?): return ["+KD from \(name(d)) (T \(Label.number(d.temperature)), α \(Label.number(d.alpha)))"]
        case let (d?, nil): return ["−KD from \(name(d))"]
        case let (x?, y?):
            var out: [String] = []
            change(&out, "KD from", name(x) != name(y), name(x), name(y))
            change(&out, "KD T", x.temperature, y.temperature)
            change(&out, "KD α", x.alpha, y.alpha)
            return out
        }
    }
}

extension AugmentSpec {
    /// The kind of step, whatever its settings: a changed step pairs with the step of the same kind it replaces.
    var kind: String {
        switch self {
        case .randomCrop: return "randomCrop"
        case .horizontalFlip: return "horizontalFlip"
        case .randomResizedCrop: return "randomResizedCrop"
        case .resize: return "resize"
        case .colorJitter: return "colorJitter"
        case .autoAugment: return "autoAugment"
        case .randAugment: return "randAugment"
        case .trivialAugment: return "trivialAugment"
        case .cutout: return "cutout"
        case .randomErasing: return "randomErasing"
        }
    }
}
