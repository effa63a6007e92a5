// Vocabulary enums: the `.case(...)` values an Experiment is made of (model, data, augment, mix, optimizer, schedule).
import Notebook

extension Vocabulary {
    // MARK: - Model

    static let stem = EnumSchema("Stem", cases: [
        CaseSchema("cifar", doc: "3×3 stride-1 convolution, no max-pool (kuangliu/pytorch-cifar; docs/methods.md §6.2)."),
        CaseSchema("imagenet", doc: "7×7 stride-2 convolution and 3×3 stride-2 max-pool (timm `resnet*`)."),
    ])

    static let attention = EnumSchema("Attention", cases: [
        CaseSchema("none", doc: "Plain residual blocks."),
        CaseSchema("se", doc: "Squeeze-and-Excitation, r = 16, after the last BN of each block (docs/methods.md §6.3)."),
        CaseSchema("cbam", doc: "CBAM channel then spatial attention, after the last BN of each block (docs/methods.md §6.4)."),
    ])

    static let block = EnumSchema("Block", cases: [
        CaseSchema("basic", doc: "Two 3×3 convolutions (ResNet-18/34)."),
        CaseSchema("bottleneck", doc: "1×1, 3×3, 1×1 convolutions with expansion 4 (ResNet-50/101/152)."),
    ])

    static let classes = ParameterSchema("classes", .int(.within(0...100_000)), default: .absent,
                                         doc: "Output classes; omitted, the dataset's class count; 0: no classifier head "
                                             + "(timm's num_classes=0, e.g. DINO weights), for `epochs: 0` feature analyses.")

    /// `.resnet` has two forms in one case: `depth:` (a standard depth) or `layers:` (blocks per stage, with
    /// `block:` and optionally `channels:`). Exactly one of `depth`/`layers` must be given; resolution reports
    /// anything else (see ``ModelSpec``), so a misspelt label still gets a did-you-mean over both forms.
    static let model = EnumSchema("Model", cases: [
        CaseSchema("resnet", [
            ParameterSchema("depth", .int(allowed: [18, 34, 50, 101, 152]), default: .absent,
                            doc: "Standard depth: 18 and 34 use basic blocks, 50, 101 and 152 bottlenecks."),
            ParameterSchema("layers", .array(of: .int(.within(1...1_000)), minCount: 1), default: .absent,
                            doc: "Blocks per stage, e.g. `[2, 2, 2, 2]`; the custom form, instead of `depth:`."),
            ParameterSchema("block", .enumeration(block), default: .absent,
                            doc: "Block kind of the `layers:` form (default `.basic`); `depth:` fixes it."),
            ParameterSchema("channels", .array(of: .int(.within(1...65_536)), minCount: 1), default: .absent,
                            doc: "Channels per stage in the `layers:` form; omitted, `width` doubled per stage."),
            ParameterSchema("width", .int(.within(1...65_536)), default: .absent,
                            doc: "Channels of the stem and first stage (64 in the standard nets); later stages double it. "
                                + "`width: 16` gives a net 16× cheaper than ResNet's 64."),
            ParameterSchema("stem", .enumeration(stem), default: .case("cifar"),
                            doc: "The input stem: `.cifar` (3×3, no pooling) or `.imagenet` (7×7/2 + max-pool)."),
            ParameterSchema("attention", .enumeration(attention), default: .case("none"),
                            doc: "Attention module in each block: `.none`, `.se` or `.cbam`."),
            classes,
        ], doc: "A ResNet with timm's parameter names (`conv1`, `layer1.0.conv1`, `fc`)."),
        CaseSchema("vit", [
            ParameterSchema("image", .int(.within(1...4_096)), default: .absent,
                            doc: "Input side in pixels; omitted, the dataset's (or the last resize in `augment`)."),
            ParameterSchema("patch", .int(.within(1...4_096)), default: 4, doc: "Patch side in pixels; must divide `image`."),
            ParameterSchema("dim", .int(.within(1...65_536)), default: 192, doc: "Embedding width; a multiple of `heads`."),
            ParameterSchema("depth", .int(.within(1...1_000)), default: 12, doc: "Transformer blocks."),
            ParameterSchema("heads", .int(.within(1...1_024)), default: 3, doc: "Attention heads per block."),
            ParameterSchema("mlpRatio", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 64)), default: 4, doc: "MLP hidden width as a multiple of `dim`."),
            ParameterSchema("qkvBias", .bool, default: true, doc: "Bias on the query/key/value projection (timm default)."),
            classes,
        ], doc: "A Vision Transformer with a class token and learned position embeddings (timm names); "
            + "the defaults are ViT-Ti with 4-pixel patches."),
        CaseSchema("timm", [
            ParameterSchema("name", .string, positional: true,
                            doc: "timm's model name, optionally with its pretrained tag: \"resnet50\", \"seresnet50\", "
                                + "\"vit_small_patch16_224.dino\" (ResNet 18–152, SE-ResNet, ViT tiny–large)."),
            ParameterSchema("classes", .int(.within(0...100_000)), default: .absent,
                            doc: "Output classes; omitted, timm's for the tag: 1,000, 0 for `.dino`, 21,843 for `…in21k`."),
        ], doc: "A timm architecture by name, built as Loom's own `.resnet`/`.vit` with timm's shapes and names."),
    ])

    /// `weights:` in its enum form (the string form is a safetensors path).
    static let weights = EnumSchema("Weights", cases: [
        CaseSchema("timm", [
            ParameterSchema("name", .string, positional: true,
                            doc: "timm's model name with its pretrained tag, e.g. \"resnet50.a1_in1k\" "
                                + "(`timm.create_model(name, pretrained=True)`, which downloads)."),
            ParameterSchema("file", .string, default: .absent,
                            doc: "A local checkpoint (.pth, .bin, .safetensors) loaded instead of downloading, as timm's "
                                + "`pretrained_cfg_overlay=dict(file=...)`; relative to the data root."),
        ], doc: "timm's pretrained weights, saved once as safetensors under `output/weights/` with their sha256 and "
            + "`pretrained_cfg`; evaluation uses its mean/std unless `normalize:` is written (docs/methods.md §6.6)."),
    ])

    // MARK: - Data

    static let data = EnumSchema("Data", cases: [
        CaseSchema("shapes", [
            ParameterSchema("classes", .int(.within(2...12)), default: 10, doc: "Number of shape classes (2…12)."),
            ParameterSchema("size", .int(.within(8...512)), default: 32, doc: "Image side in pixels."),
            ParameterSchema("train", .int(.within(1...1_000_000)), default: 8_000, doc: "Training images."),
            ParameterSchema("test", .int(.within(1...1_000_000)), default: 2_000, doc: "Test images."),
            ParameterSchema("textureCue", .number(.within(0...1)), default: 0,
                            doc: "Probability a training shape carries its class's own texture."),
            ParameterSchema("seed", .int(.within(0...2_147_483_647)), default: 0, doc: "Seed every image derives from."),
        ], doc: "The embedded textured-shapes dataset, generated from a seed (no files)."),
        CaseSchema("cifar10", [
            ParameterSchema("path", .string, default: "data/cifar-10-batches-bin",
                            doc: "Folder of the binary CIFAR-10 files, relative to the notebook's data root."),
        ], doc: "CIFAR-10, the official binary version."),
        CaseSchema("cifar100", [
            ParameterSchema("path", .string, default: "data/cifar-100-binary",
                            doc: "Folder of the binary CIFAR-100 files, relative to the notebook's data root."),
        ], doc: "CIFAR-100 (fine labels), the official binary version."),
        CaseSchema("imageFolder", [
            ParameterSchema("path", .string, doc: "Training folder `<class>/<images>` (JPEG or PNG), relative to the data root."),
            ParameterSchema("test", .string, default: .absent,
                            doc: "Test folder; omitted, `path` holds `train/` and `val/` sub-folders."),
        ], doc: "JPEG and PNG images (recognised by content) in one folder per class (torchvision `ImageFolder`)."),
    ])

    // MARK: - Normalisation

    /// One per-channel statistic (R, G, B) of `.custom`: exactly three values on the [0, 1] pixel scale of timm's
    /// `--mean`/`--std` (not 0–255, which the bounds catch).
    static func channels(_ name: String, _ bounds: NumericBounds, doc: String) -> ParameterSchema {
        ParameterSchema(name, .array(of: .number(bounds), minCount: 3, maxCount: 3), doc: doc)
    }

    /// The statistics that normalise every model input, `x = (pixel/255 − mean[c]) / std[c]` (docs/methods.md §1.4).
    static let normalize = EnumSchema("Normalize", cases: [
        CaseSchema("dataset", doc: "The dataset's own statistics (the default): CIFAR's published ones, ImageNet's for "
                   + "image folders, the training split's for `.shapes` (docs/methods.md §1.4)."),
        CaseSchema("imagenet", doc: "ImageNet's, timm's `IMAGENET_DEFAULT_MEAN/STD` (0.485, 0.456, 0.406 / 0.229, 0.224, 0.225)."),
        CaseSchema("half", doc: "mean = std = 0.5 per channel, timm's `--mean 0.5 0.5 0.5 --std 0.5 0.5 0.5`."),
        CaseSchema("custom", [
            channels("mean", .within(0...1), doc: "Per-channel mean R, G, B on the [0, 1] scale, e.g. `[0.5071, 0.4865, 0.4409]`."),
            channels("std", NumericBounds(lower: 0, lowerInclusive: false, upper: 1),
                     doc: "Per-channel standard deviation R, G, B on the [0, 1] scale, each > 0."),
        ], doc: "Explicit per-channel statistics, as timm's `--mean m m m --std s s s`."),
    ])

    // MARK: - Augmentation

    static let policy = EnumSchema("Policy", cases: [
        CaseSchema("cifar10", doc: "The paper's CIFAR-10 policy, torchvision magnitudes (docs/methods.md §2.5)."),
        CaseSchema("v0", doc: "timm `v0` (the TPU EfficientNet ImageNet policy, docs/methods.md §2.6)."),
        CaseSchema("v0r", doc: "timm `v0r`: `v0` with PosterizeIncreasing."),
    ])

    static let erasingMode = EnumSchema("ErasingMode", cases: [
        CaseSchema("pixel", doc: "N(0, 1) per pixel and channel (timm train.py's default)."),
        CaseSchema("const", doc: "0, the dataset mean after normalisation."),
        CaseSchema("rand", doc: "One N(0, 1) value per channel."),
    ])

    static let augment = EnumSchema("Augment", cases: [
        CaseSchema("randomCrop", [
            ParameterSchema("padding", .int(.within(0...1_024)), default: 4, doc: "Zero padding on each side before the crop."),
        ], doc: "Pad, then crop back to the image size at a random position."),
        CaseSchema("horizontalFlip", doc: "Mirror left–right with probability 0.5."),
        CaseSchema("randomResizedCrop", [
            ParameterSchema("size", .int(.within(1...4_096)), default: .absent, doc: "Output side; omitted, the image's."),
        ], doc: "Inception crop (scale 0.08–1, ratio 3/4–4/3), resized to `size`."),
        CaseSchema("resize", [
            ParameterSchema("size", .int(.within(1...4_096)), doc: "Output side in pixels (square)."),
        ], doc: "Resize to `size`×`size` (also applied at test time)."),
        CaseSchema("colorJitter", [
            ParameterSchema("strength", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 10)), positional: true, default: 0.4,
                            doc: "Brightness, contrast and saturation strength (timm `--color-jitter`)."),
            ParameterSchema("brightness", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 10)), default: .absent, doc: "Overrides `strength` for brightness."),
            ParameterSchema("contrast", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 10)), default: .absent, doc: "Overrides `strength` for contrast."),
            ParameterSchema("saturation", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 10)), default: .absent, doc: "Overrides `strength` for saturation."),
            ParameterSchema("hue", .number(.within(0...0.5)), default: 0, doc: "Hue jitter (0 = none, as timm)."),
        ], doc: "torchvision ColorJitter; unlike timm's `--color-jitter` with `--aa`, it is applied even next to a policy."),
        CaseSchema("autoAugment", [
            ParameterSchema("policy", .enumeration(policy), positional: true, default: .case("cifar10"),
                            doc: "The policy table: `.cifar10`, `.v0` or `.v0r`."),
        ], doc: "AutoAugment: per image one sub-policy of two ops (Cubuk et al. 2019)."),
        CaseSchema("randAugment", [
            ParameterSchema("config", .string, positional: true, default: "rand-m9-mstd0.5",
                            doc: "A timm RandAugment string, e.g. \"rand-m9-n2-mstd0.5\" (docs/methods.md §2.8)."),
        ], doc: "timm RandAugment: n ops per image, each with probability 0.5, at magnitude m of 10."),
        CaseSchema("trivialAugment", doc: "TrivialAugmentWide: one op per image at a random magnitude (torchvision)."),
        CaseSchema("cutout", [
            ParameterSchema("size", .int(.within(1...4_096)), default: 16, doc: "Side of the zeroed square."),
        ], doc: "Cutout (DeVries & Taylor), after normalisation."),
        CaseSchema("randomErasing", [
            ParameterSchema("p", .number(.within(0...1)), default: 0.25, doc: "Probability per image (timm `--reprob`)."),
            ParameterSchema("mode", .enumeration(erasingMode), default: .case("pixel"), doc: "Fill (timm `--remode`)."),
            ParameterSchema("count", .int(.within(1...1_000)), default: 1, doc: "Boxes per image (timm `--recount`)."),
        ], doc: "timm Random Erasing after normalisation (docs/methods.md §2.10)."),
    ])

    // MARK: - Mixing

    static let mix = EnumSchema("Mix", cases: [
        CaseSchema("none", doc: "No batch mixing."),
        CaseSchema("mixup", [
            ParameterSchema("alpha", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 0.8, doc: "λ ~ Beta(α, α)."),
            ParameterSchema("prob", .number(.within(0...1)), default: 1, doc: "Probability a batch is mixed."),
        ], doc: "Mixup (Zhang et al. 2018), whole batch with its reverse (timm batch mode)."),
        CaseSchema("cutmix", [
            ParameterSchema("alpha", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 1, doc: "λ ~ Beta(α, α); 1 is uniform."),
            ParameterSchema("prob", .number(.within(0...1)), default: 1, doc: "Probability a batch is mixed."),
        ], doc: "CutMix (Yun et al. 2019) with the area-corrected λ (docs/methods.md §3.1)."),
        CaseSchema("mixupCutmix", [
            ParameterSchema("mixup", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 0.8, doc: "Mixup α."),
            ParameterSchema("cutmix", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 1, doc: "CutMix α."),
            ParameterSchema("switchProb", .number(.within(0...1)), default: 0.5,
                            doc: "Probability of CutMix rather than Mixup (timm `--mixup-switch-prob`)."),
            ParameterSchema("prob", .number(.within(0...1)), default: 1, doc: "Probability a batch is mixed (`--mixup-prob`)."),
        ], doc: "timm's combined Mixup/CutMix."),
    ])

    // MARK: - Optimisers and schedules

    /// Up to 1e30: a huge rate is a legitimate experiment (it diverges, and the run is stored as diverged); the cap
    /// keeps the value finite as the engine's `Float`.
    static let lrBounds = NumericBounds(lower: 0, lowerInclusive: false, upper: 1e30)
    static let lr = ParameterSchema("lr", .number(lrBounds), doc: "Base learning rate, used as written (no batch scaling).")

    static let optimizer = EnumSchema("Optimizer", cases: [
        CaseSchema("sgd", [
            lr,
            ParameterSchema("momentum", .number(.within(0..<1)), default: 0.9, doc: "Momentum μ."),
            ParameterSchema("weightDecay", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 100)), default: 5e-4, doc: "Coupled L2 weight decay λ."),
            ParameterSchema("nesterov", .bool, default: true, doc: "Nesterov momentum (timm's `sgd` is Nesterov)."),
        ], doc: "PyTorch SGD with coupled weight decay (docs/methods.md §4.1)."),
        CaseSchema("adamw", [
            lr,
            ParameterSchema("beta1", .number(.within(0..<1)), default: 0.9, doc: "First-moment decay β₁."),
            ParameterSchema("beta2", .number(.within(0..<1)), default: 0.999, doc: "Second-moment decay β₂."),
            ParameterSchema("eps", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1)), default: 1e-8, doc: "Denominator ε."),
            ParameterSchema("weightDecay", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 100)), default: 0.05, doc: "Decoupled weight decay λ."),
        ], doc: "AdamW (Loshchilov & Hutter), PyTorch semantics."),
        CaseSchema("lion", [
            lr,
            ParameterSchema("beta1", .number(.within(0..<1)), default: 0.9, doc: "Interpolation β₁ of the sign update."),
            ParameterSchema("beta2", .number(.within(0..<1)), default: 0.99, doc: "Momentum decay β₂."),
            ParameterSchema("weightDecay", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 100)), default: 0.5,
                            doc: "Decoupled weight decay; 10× AdamW's, as the Lion authors advise (docs/methods.md §4.3)."),
        ], doc: "Lion (Chen et al. 2023): use an lr 3–10× smaller than AdamW's."),
    ])

    static let warmup: [ParameterSchema] = [
        ParameterSchema("warmupEpochs", .int(.within(0...10_000)), default: 0, doc: "Epochs of linear warmup (not a prefix)."),
        ParameterSchema("warmupLR", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 1_000)), default: 1e-5, doc: "Learning rate at epoch 0 of the warmup."),
    ]

    static let schedule = EnumSchema("Schedule", cases: [
        CaseSchema("constant", warmup, doc: "The base learning rate throughout."),
        CaseSchema("cosine", warmup + [
            ParameterSchema("minLR", .number(NumericBounds(lower: 0, lowerInclusive: true, upper: 1_000)), default: 0, doc: "Learning rate at the end."),
        ], doc: "timm CosineLRScheduler over the run's epochs (docs/methods.md §5.3)."),
        CaseSchema("step", [
            ParameterSchema("decayEpochs", .int(.within(1...10_000)), doc: "Epochs between decays."),
            ParameterSchema("decayRate", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 0.1, doc: "Factor at each decay."),
        ] + warmup, doc: "timm StepLRScheduler."),
        CaseSchema("multiStep", [
            ParameterSchema("milestones", .array(of: .int(.within(1...10_000)), minCount: 1), doc: "Epochs at which to decay."),
            ParameterSchema("decayRate", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 100)), default: 0.2, doc: "Factor at each milestone."),
        ] + warmup, doc: "Decay at fixed epochs (weiaicunzai's 60/120/160 × 0.2)."),
    ])
}
