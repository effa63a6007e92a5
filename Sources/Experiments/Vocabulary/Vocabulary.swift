// The cell vocabulary: every call a notebook may use, as one `SchemaRegistry` (docs/design.md §3.3).
import Notebook

/// The calls of Loom's notebooks: `Experiment`, `Sweep`, the outputs `Table`, `Curves`, `Bars`,
/// `Samples`, `Confusion`, and the analyses (each registered in `AnalysisKinds.all`, docs/design.md §11).
/// Every name is one schema entry; the checker reports typos with a did-you-mean. Calls outside Loom's own
/// vocabulary (tests, tools) join through ``registry(adding:)``; they take runs with ``runs`` and reference
/// kinds through ``Kind``.
public enum Vocabulary {
    /// The kinds bindings have, for ``ValueType/reference(kind:)``.
    public enum Kind {
        /// `Experiment(...)` and its `.with(...)` variants.
        public static let experiment = "experiment"
        /// `Sweep(...)`: a grid of experiments.
        public static let sweep = "sweep"
        /// A bare output call such as `Table(...)`.
        public static let output = "output"
        /// `Published(...)`: values a paper published for an experiment.
        public static let published = "published"
    }

    /// The results readable from an experiment, as `aa.top1` in prose or a `Table` column.
    public static let members: [MemberSchema] = [
        MemberSchema("top1", doc: "Final test top-1 accuracy (mean over seeds)."),
        MemberSchema("top5", doc: "Final test top-5 accuracy."),
        MemberSchema("testLoss", doc: "Final test cross-entropy."),
        MemberSchema("trainLoss", doc: "Final epoch's mean training loss."),
        MemberSchema("params", doc: "Trainable parameters."),
        MemberSchema("flops", doc: "Multiply-adds of one forward pass of one image."),
        MemberSchema("trainTime", doc: "Wall time of training, in seconds."),
        MemberSchema("imagesPerSecond", doc: "Training throughput of the last epoch."),
    ]

    /// An unlabelled run of an output: an experiment, or a sweep (all its points).
    public static let runs = ValueType.oneOf([.reference(kind: Kind.experiment), .reference(kind: Kind.sweep)])

    /// Knowledge distillation settings for `teacher:` (the bare-reference form uses these defaults).
    static let distill = EnumSchema("Distill", cases: [
        CaseSchema("distill", [
            ParameterSchema("teacher", .reference(kind: Kind.experiment), doc: "The trained teacher experiment."),
            ParameterSchema("temperature", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000)), default: 4, doc: "Softmax temperature T."),
            ParameterSchema("alpha", .number(.within(0...1)), default: 0.9,
                            doc: "Weight of the T²-scaled KL term; the label loss gets 1 − α."),
        ], doc: "Hinton et al. distillation from a teacher's logits."),
    ])

    static let experiment = CallSchema("Experiment", [
        ParameterSchema("model", .enumeration(model), default: .absent,
                        doc: "The network: `.resnet(...)`, `.vit(...)` or `.timm(...)`; omitted only with "
                            + "`weights: .timm(...)`, whose architecture it then is."),
        ParameterSchema("data", .enumeration(data), default: .case("shapes"), doc: "The dataset."),
        ParameterSchema("augment", .array(of: .enumeration(augment)), default: [],
                        doc: "Training augmentations; image ops run in order, then normalisation, then erasing/cutout."),
        ParameterSchema("mix", .enumeration(mix), default: .case("none"), doc: "Batch mixing: Mixup and/or CutMix."),
        ParameterSchema("normalize", .enumeration(normalize), default: .absent,
                        doc: "Input normalisation: `.dataset` (omitted: the dataset's own statistics), `.imagenet`, "
                            + "`.half` (0.5, timm's `--mean/--std 0.5 0.5 0.5`) or `.custom(mean: [r, g, b], std: [r, g, b])`."),
        ParameterSchema("optimizer", .enumeration(optimizer), default: .case("sgd", [ResolvedArgument("lr", 0.1)]),
                        doc: "Optimiser and base learning rate; 1-D parameters (biases, norms) get no weight decay."),
        ParameterSchema("schedule", .enumeration(schedule), default: .case("cosine"),
                        doc: "Learning-rate schedule over `epochs`, stepped per epoch."),
        ParameterSchema("epochs", .int(.within(0...10_000)), default: 10,
                        doc: "Training epochs; 0 with `weights:` only evaluates."),
        ParameterSchema("batchSize", .int(.within(1...65_536)), default: 128, doc: "Images per optimisation step."),
        ParameterSchema("seed", .int(.within(0...2_147_483_647)), default: 0, doc: "Seed of initialisation, order and augmentation."),
        ParameterSchema("seeds", .int(.within(1...1_000)), default: 1,
                        doc: "Runs with seeds `seed`, `seed + 1`, …; tables report mean ± std."),
        ParameterSchema("labelSmoothing", .number(.within(0..<1)), default: 0, doc: "Label smoothing ε."),
        ParameterSchema("teacher", .oneOf([.reference(kind: Kind.experiment), .enumeration(distill)]), default: .absent,
                        doc: "Distil from another experiment: `teacher: base` (T = 4, α = 0.9) or "
                            + "`teacher: .distill(teacher: base, temperature: 2, alpha: 0.5)`."),
        ParameterSchema("weights", .oneOf([.string, .enumeration(weights)]), default: .absent,
                        doc: "Weights to start from: a safetensors file (timm names) relative to the data root, or "
                            + "`.timm(\"resnet50.a1_in1k\")` (timm's pretrained weights, converted once through the "
                            + "torch backend's Python; `file:` reads a local checkpoint instead of downloading)."),
        ParameterSchema("clipGrad", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000_000)), default: .absent, doc: "Clip the global gradient norm to this."),
        ParameterSchema("backend", .enumeration(backend), default: .absent,
                        doc: "`.embedded` (Loom's engine) or `.torch(...)` (PyTorch/timm with DDP); omitted, the "
                            + "front matter's `backend:`, else `.embedded`."),
    ], kind: Kind.experiment, members: members + [publishedMember] + AnalysisKinds.inlineMembers, doc: "Trains a model and records per-epoch metrics.")

    static let sweep = CallSchema("Sweep", [
        ParameterSchema("base", .reference(kind: Kind.experiment), positional: true, doc: "The experiment to vary."),
        ParameterSchema("model", .array(of: .enumeration(model), minCount: 1), default: .absent, doc: "Models to try."),
        ParameterSchema("augment", .array(of: .array(of: .enumeration(augment)), minCount: 1), default: .absent,
                        doc: "Augmentation lists to try."),
        ParameterSchema("mix", .array(of: .enumeration(mix), minCount: 1), default: .absent, doc: "Mixing settings to try."),
        ParameterSchema("normalize", .array(of: .enumeration(normalize), minCount: 1), default: .absent,
                        doc: "Input normalisations to try, e.g. `[.dataset, .half]`."),
        ParameterSchema("optimizer", .array(of: .enumeration(optimizer), minCount: 1), default: .absent,
                        doc: "Optimisers to try."),
        ParameterSchema("lr", .array(of: .number(Vocabulary.lrBounds), minCount: 1), default: .absent,
                        doc: "Learning rates, each replacing the (swept) optimiser's `lr`."),
        ParameterSchema("weightDecay", .array(of: .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 100)), minCount: 1), default: .absent,
                        doc: "Weight decays, each replacing the optimiser's `weightDecay`."),
        ParameterSchema("schedule", .array(of: .enumeration(schedule), minCount: 1), default: .absent,
                        doc: "Schedules to try."),
        ParameterSchema("epochs", .array(of: .int(.within(0...10_000)), minCount: 1), default: .absent, doc: "Epoch counts."),
        ParameterSchema("batchSize", .array(of: .int(.within(1...65_536)), minCount: 1), default: .absent, doc: "Batch sizes."),
        ParameterSchema("labelSmoothing", .array(of: .number(.within(0..<1)), minCount: 1), default: .absent,
                        doc: "Label smoothing values."),
        ParameterSchema("seed", .array(of: .int(.within(0...2_147_483_647)), minCount: 1), default: .absent, doc: "Seeds."),
    ], kind: Kind.sweep, doc: "The grid of `base.with(...)` variants over every given axis (first axis outermost).")

    /// The vocabulary's own calls, in registration order.
    public static let calls: [CallSchema] = [experiment, sweep] + outputs + [published] + analyses

    /// A registry of ``calls`` followed by `extra` (e.g. analysis cells); names must stay unique.
    public static func registry(adding extra: [CallSchema] = []) -> SchemaRegistry {
        SchemaRegistry(calls + extra)
    }
}
