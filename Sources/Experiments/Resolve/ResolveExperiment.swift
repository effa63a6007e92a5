// Resolution: checked `Experiment` values (ResolvedValue) to typed ExperimentSpecs, pure and without I/O.
import Engine
import Notebook
import Vision

/// Turns checked cell values into specs. References (`teacher: base`, `Sweep(base, ...)`, `Table(base)`) are
/// looked up among the notebook's bindings, so resolution sees exactly what the checker bound.
///
/// The values must have passed the ``Checker`` with ``Vocabulary/registry(adding:)``; a value of the wrong shape
/// is a programmer error. What the checker cannot see (both `depth:` and `layers:`, a patch that does not divide
/// the image, …) is a ``ResolveError``.
public struct Resolver {
    let lookup: (String) -> ResolvedValue?

    /// A resolver over the bindings of a checked notebook.
    public init(bindings: Bindings) {
        lookup = { bindings[$0]?.value }
    }

    /// A resolver whose bindings come from `lookup` (binding name → value).
    public init(lookup: @escaping (String) -> ResolvedValue?) {
        self.lookup = lookup
    }

    /// The value behind a reference (followed through chains), or the value itself.
    func dereference(_ value: ResolvedValue) throws -> ResolvedValue {
        var value = value, hops = 0
        while case .reference(let name, let path) = value, path.isEmpty {
            guard let target = lookup(name) else { throw ResolveError("unknown binding `\(name)`") }
            value = target
            hops += 1
            guard hops < 100 else { throw ResolveError("`\(name)` refers to itself") }
        }
        return value
    }

    /// The spec of an `Experiment(...)` value, or of a reference to one.
    public func experiment(_ value: ResolvedValue) throws -> ExperimentSpec {
        try experiment(value, depth: 0)
    }

    func experiment(_ value: ResolvedValue, depth: Int) throws -> ExperimentSpec {
        guard depth < 32 else { throw ResolveError("teachers nest more than 32 deep") }
        let call = try dereference(value)
        guard case .call("Experiment", _) = call else { preconditionFailure("not an Experiment value: \(call)") }
        let a = Arguments(call, owner: "Experiment")

        let data = try Self.data(a.value("data"))
        let augment = try a.array("augment").map(Self.augment)
        let (weights, pretrained) = Self.weights(a.optional("weights"))
        let model = try Self.model(a.optional("model"), pretrained: pretrained, data: data, augment: augment)
        let epochs = a.int("epochs")
        let (optimizer, lr) = Self.optimizer(a.value("optimizer"))
        let schedule = try Self.schedule(a.value("schedule"), baseLR: lr, epochs: epochs)
        let seed = a.int("seed")
        guard epochs > 0 || weights != nil || pretrained != nil else {
            throw ResolveError("`epochs: 0` only evaluates, so it needs `weights:` (a safetensors file or "
                               + "`.timm(\"name\")`) to evaluate")
        }
        guard model.classes > 0 || epochs == 0 else {
            throw ResolveError("a model with `classes: 0` has no classifier head and cannot train; use it with "
                               + "`epochs: 0, weights:` for analyses of its features (FrequencyAnalysis)")
        }
        let normalize = a.optional("normalize").flatMap(Self.normalize)
        var distillation: DistillationSpec?
        if let teacher = a.optional("teacher") {
            distillation = try self.distillation(teacher, depth: depth)
            guard distillation!.teacher.classes == model.classes else {
                throw ResolveError("the teacher predicts \(distillation!.teacher.classes) classes and the student "
                                   + "\(model.classes); distillation needs the same classes")
            }
            try Self.checkTeacherInputs(distillation!.teacher, studentNormalize: normalize, studentData: data)
        }
        return ExperimentSpec(
            model: model, data: data, augment: augment, normalize: normalize, mix: Self.mix(a.value("mix")), optimizer: optimizer,
            learningRate: lr, schedule: schedule, epochs: epochs, batchSize: a.int("batchSize"),
            seeds: Array(seed ..< seed + a.int("seeds")), labelSmoothing: a.double("labelSmoothing"),
            distillation: distillation, weights: weights, pretrained: pretrained,
            normalizeFromPretrained: pretrained != nil && a.optional("normalize") == nil, clipGrad: a.optionalDouble("clipGrad"))
    }

    /// `weights:` as a path (the string form) or as timm's pretrained weights (`.timm(name, file:)`).
    static func weights(_ value: ResolvedValue?) -> (String?, PretrainedWeights?) {
        guard let value else { return (nil, nil) }
        if case .string(let path) = value { return (path, nil) }
        let a = Arguments(value, owner: ".timm")
        return (nil, PretrainedWeights(name: a.string("name"), file: a.optionalString("file")))
    }

    /// The model as written, or, omitted, the architecture of `weights: .timm(...)`. A `.timm` model must name the
    /// weights' architecture (their tensors are checked against it when they are converted).
    static func model(_ value: ResolvedValue?, pretrained: PretrainedWeights?, data: DataSpec,
                      augment: [AugmentSpec]) throws -> ModelSpec {
        guard let value else {
            guard let pretrained else {
                throw ResolveError("`Experiment` needs `model:` (e.g. `.resnet(depth: 18)` or `.timm(\"resnet50\")`) "
                                   + "unless `weights: .timm(...)` names the architecture")
            }
            return try TimmModels.spec(pretrained.name, classes: nil)
        }
        if let pretrained, value.name == "timm" {
            let arch = String(Arguments(value, owner: ".timm").string("name").split(separator: ".").first ?? "")
            guard arch == pretrained.architecture else {
                throw ResolveError("`model: .timm(\"\(arch)\")` does not fit `weights: \(pretrained.label)` (architecture "
                                   + "`\(pretrained.architecture)`); name the same architecture, or leave `model:` out")
            }
        }
        return try model(value, data: data, augment: augment)
    }

    /// `teacher: base` (T = 4, α = 0.9) or `teacher: .distill(teacher: base, temperature:, alpha:)`.
    func distillation(_ value: ResolvedValue, depth: Int) throws -> DistillationSpec {
        func name(_ v: ResolvedValue) -> String? {
            if case .reference(let n, _) = v { return n }
            return nil
        }
        if case .enumCase("distill", _) = value {
            let d = Arguments(value, owner: ".distill")
            return DistillationSpec(teacher: try experiment(d.value("teacher"), depth: depth + 1),
                                    teacherName: name(d.value("teacher")),
                                    temperature: d.double("temperature"), alpha: d.double("alpha"))
        }
        return DistillationSpec(teacher: try experiment(value, depth: depth + 1), teacherName: name(value),
                                temperature: 4, alpha: 0.9)
    }

    // MARK: - Parts

    static func data(_ value: ResolvedValue) throws -> DataSpec {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        switch value.name {
        case "shapes":
            return .shapes(classes: a.int("classes"), size: a.int("size"), train: a.int("train"), test: a.int("test"),
                           textureCue: a.double("textureCue"), seed: a.int("seed"))
        case "cifar10": return .cifar10(path: a.string("path"))
        case "cifar100": return .cifar100(path: a.string("path"))
        case "imageFolder": return .imageFolder(path: a.string("path"), test: a.optionalString("test"))
        default: preconditionFailure("unknown data case \(value)")
        }
    }

    /// `normalize:` as a spec; nil for `.dataset` (the dataset's own statistics, as when it is omitted).
    static func normalize(_ value: ResolvedValue) -> NormalizeSpec? {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        switch value.name {
        case "dataset": return nil
        case "imagenet": return .imagenet
        case "half": return .half
        case "custom":
            return .custom(mean: a.array("mean").map { Arguments.double($0, ".custom.mean") },
                           std: a.array("std").map { Arguments.double($0, ".custom.std") })
        default: preconditionFailure("unknown normalize case \(value)")
        }
    }

    /// A teacher sees the student's inputs, so when either writes `normalize:` both must normalise alike (a teacher fed
    /// inputs scaled differently from its training computes something else). Notebooks without `normalize:` are not
    /// affected.
    static func checkTeacherInputs(_ teacher: ExperimentSpec, studentNormalize: NormalizeSpec?, studentData: DataSpec) throws {
        guard teacher.normalize != nil || studentNormalize != nil else { return }
        let taught = teacher.normalize?.normalization ?? teacher.data.fixedNormalization
        let student = studentNormalize?.normalization ?? studentData.fixedNormalization
        guard let taught, let student, taught == student else {
            throw ResolveError("the teacher was trained with normalisation `\(teacher.normalizationLabel)` and the student "
                               + "uses `\(studentNormalize?.label ?? "dataset")`; the teacher sees the student's inputs, so "
                               + "give both the same `normalize:`")
        }
    }

    static func augment(_ value: ResolvedValue) throws -> AugmentSpec {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        switch value.name {
        case "randomCrop": return .randomCrop(padding: a.int("padding"))
        case "horizontalFlip": return .horizontalFlip
        case "randomResizedCrop": return .randomResizedCrop(size: a.optionalInt("size"))
        case "resize": return .resize(size: a.int("size"))
        case "colorJitter":
            let s = a.double("strength")
            return .colorJitter(brightness: a.optionalDouble("brightness") ?? s, contrast: a.optionalDouble("contrast") ?? s,
                                saturation: a.optionalDouble("saturation") ?? s, hue: a.double("hue"))
        case "autoAugment": return .autoAugment(policy: a.caseName("policy"))
        case "randAugment":
            let config = a.string("config")
            do { _ = try RandAugment(config) } catch let error as AugmentConfigError {
                throw ResolveError("`.randAugment`: \(error.description)")
            }
            return .randAugment(config: config)
        case "trivialAugment": return .trivialAugment
        case "cutout": return .cutout(size: a.int("size"))
        case "randomErasing": return .randomErasing(p: a.double("p"), mode: a.caseName("mode"), count: a.int("count"))
        default: preconditionFailure("unknown augment case \(value)")
        }
    }

    /// The image side after the augmentations (the last resize or resized crop), else the data's.
    static func imageSize(data: DataSpec, augment: [AugmentSpec]) -> Int? {
        var size = data.imageSize
        for step in augment {
            switch step {
            case .resize(let s): size = s
            case .randomResizedCrop(let s?): size = s
            default: break
            }
        }
        return size
    }

    static func model(_ value: ResolvedValue, data: DataSpec, augment: [AugmentSpec]) throws -> ModelSpec {
        try model(value, defaultClasses: data.classes, defaultImage: imageSize(data: data, augment: augment))
    }

    /// The spec of a checked `.resnet(...)`, `.vit(...)` or `.timm(...)` value. Omitted `classes:` and ViT `image:` take
    /// the defaults: in a cell the data's (nil for `.imageFolder`), on the command line the weights' head and 32; a
    /// `.timm` model's come from its name (``TimmModels``), as `timm.create_model` does.
    static func model(_ value: ResolvedValue, defaultClasses: Int?, defaultImage: Int?) throws -> ModelSpec {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        if value.name == "timm" {  // timm.create_model's own default classes, not the dataset's
            return try TimmModels.spec(a.string("name"), classes: a.optionalInt("classes"))
        }
        guard let classes = a.optionalInt("classes") ?? defaultClasses else {
            throw ResolveError("`.\(value.name ?? "")` needs `classes:` with `.imageFolder` data "
                               + "(its class count is known only after reading the folder)")
        }
        guard classes != 1 else {
            throw ResolveError("`classes: 1` of `.\(value.name ?? "")`: a classifier needs at least 2 classes (0 means no head)")
        }
        switch value.name {
        case "resnet":
            return .resnet(try resnet(a, classes: classes))
        case "vit":
            guard let image = a.optionalInt("image") ?? defaultImage else {
                throw ResolveError("`.vit` needs `image:` with `.imageFolder` data unless `augment` resizes the images")
            }
            let patch = a.int("patch"), dim = a.int("dim"), heads = a.int("heads")
            guard image % patch == 0 else { throw ResolveError("`patch: \(patch)` of `.vit` does not divide the image side \(image)") }
            guard dim % heads == 0 else { throw ResolveError("`heads: \(heads)` of `.vit` does not divide `dim: \(dim)`") }
            return .vit(ViT.Config(image: image, patch: patch, dim: dim, depth: a.int("depth"), heads: heads,
                                   mlpRatio: a.double("mlpRatio"), qkvBias: a.bool("qkvBias"), classes: classes))
        default:
            preconditionFailure("unknown model case \(value)")
        }
    }

    /// `.resnet` in its `depth:` form or its `layers:` form.
    static func resnet(_ a: Arguments, classes: Int) throws -> ResNet.Config {
        let stem = StemKind(rawValue: a.caseName("stem"))!
        let attention = AttentionKind(rawValue: a.caseName("attention"))!
        let width = a.optionalInt("width")
        switch (a.optionalInt("depth"), a.optional("layers")) {
        case (nil, nil):
            throw ResolveError("`.resnet` needs `depth:` (18, 34, 50, 101 or 152) or `layers:` (blocks per stage)")
        case (_?, _?):
            throw ResolveError("`.resnet` takes `depth:` or `layers:`, not both")
        case (let d?, nil):
            for label in ["block", "channels"] where a.optional(label) != nil {
                throw ResolveError("`\(label):` of `.resnet` goes with `layers:`; `depth: \(d)` fixes it")
            }
            return ResNet.Config.depth(d, width: Double(width ?? 64) / 64, stem: stem, attention: attention, classes: classes)!
        case (nil, _?):
            let layers = a.intArray("layers"), w = width ?? 64
            let block = a.optional("block").flatMap(\.name).flatMap(BlockKind.init(rawValue:)) ?? .basic
            let channels = a.optional("channels") == nil ? layers.indices.map { w << $0 } : a.intArray("channels")
            guard channels.count == layers.count else {
                throw ResolveError("`channels:` of `.resnet` has \(channels.count) entries but `layers:` has "
                                   + "\(layers.count); give one per stage")
            }
            return ResNet.Config(block: block, layers: layers, channels: channels, stem: stem, stemWidth: w,
                                 attention: attention, classes: classes)
        }
    }

    static func mix(_ value: ResolvedValue) -> MixSpec? {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        switch value.name {
        case "none": return nil
        case "mixup":
            return MixSpec(mixupAlpha: a.double("alpha"), cutmixAlpha: 0, probability: a.double("prob"), switchProbability: 0.5)
        case "cutmix":
            return MixSpec(mixupAlpha: 0, cutmixAlpha: a.double("alpha"), probability: a.double("prob"), switchProbability: 0.5)
        case "mixupCutmix":
            return MixSpec(mixupAlpha: a.double("mixup"), cutmixAlpha: a.double("cutmix"), probability: a.double("prob"),
                           switchProbability: a.double("switchProb"))
        default: preconditionFailure("unknown mix case \(value)")
        }
    }

    static func optimizer(_ value: ResolvedValue) -> (OptimizerKind, Double) {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        let wd = Float(a.double("weightDecay"))
        switch value.name {
        case "sgd":
            return (.sgd(momentum: Float(a.double("momentum")), weightDecay: wd, nesterov: a.bool("nesterov")), a.double("lr"))
        case "adamw":
            return (.adamw(beta1: Float(a.double("beta1")), beta2: Float(a.double("beta2")), eps: Float(a.double("eps")),
                           weightDecay: wd), a.double("lr"))
        case "lion":
            return (.lion(beta1: Float(a.double("beta1")), beta2: Float(a.double("beta2")), weightDecay: wd), a.double("lr"))
        default: preconditionFailure("unknown optimizer case \(value)")
        }
    }

    static func schedule(_ value: ResolvedValue, baseLR: Double, epochs: Int) throws -> Schedule {
        let a = Arguments(value, owner: ".\(value.name ?? "")")
        let shape: Schedule.Shape
        switch value.name {
        case "constant": shape = .constant
        case "cosine": shape = .cosine(minLR: Float(a.double("minLR")))
        case "step": shape = .step(decayEpochs: a.int("decayEpochs"), decayRate: Float(a.double("decayRate")))
        case "multiStep":
            let milestones = a.intArray("milestones")
            guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw ResolveError("`milestones:` of `.multiStep` must increase, found \(milestones)")
            }
            shape = .multiStep(milestones: milestones, decayRate: Float(a.double("decayRate")))
        default: preconditionFailure("unknown schedule case \(value)")
        }
        return Schedule(shape, baseLR: Float(baseLR), epochs: epochs, warmupEpochs: a.int("warmupEpochs"),
                        warmupLR: Float(a.double("warmupLR")))
    }
}

/// Typed reads of a checked call's or case's arguments; a wrong shape is a programmer error (the checker ran).
struct Arguments {
    let value: ResolvedValue
    let owner: String

    init(_ value: ResolvedValue, owner: String) {
        self.value = value
        self.owner = owner
    }

    func value(_ label: String) -> ResolvedValue {
        guard let v = value[label] else { preconditionFailure("\(owner) has no argument `\(label)`: \(value)") }
        return v
    }

    /// The argument, or nil when it was left out (`.null`).
    func optional(_ label: String) -> ResolvedValue? {
        let v = value[label]
        return v == .null ? nil : v
    }

    func int(_ label: String) -> Int { Self.int(value(label), "\(owner).\(label)") }
    func optionalInt(_ label: String) -> Int? { optional(label).map { Self.int($0, "\(owner).\(label)") } }
    func double(_ label: String) -> Double { Self.double(value(label), "\(owner).\(label)") }
    func optionalDouble(_ label: String) -> Double? { optional(label).map { Self.double($0, "\(owner).\(label)") } }

    func bool(_ label: String) -> Bool {
        guard case .bool(let b) = value(label) else { preconditionFailure("\(owner).\(label) is not a boolean") }
        return b
    }

    func string(_ label: String) -> String {
        guard let s = optionalString(label) else { preconditionFailure("\(owner).\(label) is not a string") }
        return s
    }

    func optionalString(_ label: String) -> String? {
        guard let v = optional(label) else { return nil }
        guard case .string(let s) = v else { preconditionFailure("\(owner).\(label) is not a string") }
        return s
    }

    /// The name of an enum-case argument such as `stem: .cifar`.
    func caseName(_ label: String) -> String {
        guard case .enumCase(let name, _) = value(label) else { preconditionFailure("\(owner).\(label) is not a case") }
        return name
    }

    func array(_ label: String) -> [ResolvedValue] {
        guard case .array(let items) = value(label) else { preconditionFailure("\(owner).\(label) is not an array") }
        return items
    }

    func intArray(_ label: String) -> [Int] { array(label).map { Self.int($0, "\(owner).\(label)") } }

    static func int(_ v: ResolvedValue, _ what: String) -> Int {
        guard case .int(let i) = v else { preconditionFailure("\(what) is not an integer: \(v)") }
        return i
    }

    static func double(_ v: ResolvedValue, _ what: String) -> Double {
        switch v {
        case .number(let x): return x
        case .int(let i): return Double(i)
        default: preconditionFailure("\(what) is not a number: \(v)")
        }
    }
}
