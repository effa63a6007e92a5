// RandAugment with timm's config strings ("rand-m9-n2-mstd0.5", "-inc1", "-mmaxN", "-pX") and TrivialAugmentWide.

/// timm `rand_augment_transform` (docs/methods.md §2.8): per image, `n` ops chosen uniformly with
/// replacement from timm's 15 RandAugment ops, each applied with probability `p` at magnitude
/// `m` (0–10, optionally noisy via `mstd`, clipped to [0, mmax]).
public struct RandAugment: ImageAugmentation {
    /// Ops per image (timm default 2).
    public var n: Int
    /// Magnitude level (timm default 10).
    public var m: Double
    /// Probability each chosen op is applied (timm default 0.5).
    public var p: Double
    /// Use the "…Increasing" op variants (`inc1`).
    public var increasing: Bool
    /// Magnitude noise, clip, translate, interpolation and fill.
    public var params: TimmAugmentParams

    public init(n: Int = 2, m: Double = 10, p: Double = 0.5, increasing: Bool = false,
                params: TimmAugmentParams = TimmAugmentParams()) {
        precondition(n >= 0, "RandAugment n must be ≥ 0, got \(n)")
        self.n = n; self.m = m; self.p = p; self.increasing = increasing; self.params = params
    }

    /// Parses a timm RandAugment string: "rand" then '-'-separated sections `m<int>`, `n<int>`,
    /// `mstd<float>` (> 100 means uniform on [0, m]), `mmax<int>`, `inc<0|1>`, `p<float>`.
    /// Unknown sections, missing values and non-"rand" prefixes are errors.
    public init(_ config: String, params: TimmAugmentParams = TimmAugmentParams()) throws {
        let parts = config.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "rand" else {
            throw AugmentConfigError(config: config, reason: "a RandAugment string starts with 'rand-'")
        }
        var n = 2, m = 10.0, p = 0.5, inc = false, hp = params
        for section in parts.dropFirst() {
            let (key, value) = try AugmentConfigError.split(section, in: config)
            func integer() throws -> Int {
                guard value == value.rounded(), value >= 0 else {
                    throw AugmentConfigError(config: config, reason: "section '\(section)' needs a whole number")
                }
                return Int(value)
            }
            switch key {
            case "m": m = Double(try integer())
            case "n": n = try integer()
            case "mstd": hp.magnitudeStd = value > 100 ? .infinity : value
            case "mmax": hp.magnitudeMax = Double(try integer())
            case "inc": inc = try integer() != 0
            case "p": p = value
            default:
                throw AugmentConfigError(config: config, reason: "unknown RandAugment section '\(section)' (known: m, n, mstd, mmax, inc, p)")
            }
        }
        self.init(n: n, m: m, p: p, increasing: inc, params: hp)
    }

    /// timm `_RAND_TRANSFORMS` / `_RAND_INCREASING_TRANSFORMS`.
    public var ops: [TimmOp] {
        increasing
            ? [.autoContrast, .equalize, .invert, .rotate, .posterizeIncreasing, .solarizeIncreasing, .solarizeAdd,
               .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing,
               .shearX, .shearY, .translateXRel, .translateYRel]
            : [.autoContrast, .equalize, .invert, .rotate, .posterize, .solarize, .solarizeAdd,
               .color, .contrast, .brightness, .sharpness, .shearX, .shearY, .translateXRel, .translateYRel]
    }

    public var name: String {
        "RandAugment(n \(n), m \(m), p \(p)\(params.magnitudeStd > 0 ? ", mstd \(params.magnitudeStd)" : "")\(increasing ? ", inc" : ""))"
    }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let table = ops
        let chosen = (0..<n).map { _ in table[rng.int(below: table.count)] }
        var img = image
        for op in chosen { img = params.apply(op, prob: p, magnitude: m, to: img, rng: &rng) }
        return img
    }
}

/// torchvision `TrivialAugmentWide` (Müller & Hutter 2021): per image one of 14 ops uniformly,
/// a magnitude bin uniform over 31, a random sign for signed ops (docs/methods.md §2.9).
public struct TrivialAugmentWide: ImageAugmentation {
    public var bins: Int
    public var interpolation: Interpolation
    public var fill: RGB

    /// torchvision defaults: 31 bins, nearest, black fill.
    public init(bins: Int = 31, interpolation: Interpolation = .nearest, fill: RGB = .black) {
        self.bins = bins; self.interpolation = interpolation; self.fill = fill
    }

    /// The 14 ops in torchvision's order.
    public static let ops: [TorchvisionOp] = [.identity, .shearX, .shearY, .translateX, .translateY, .rotate,
                                               .brightness, .color, .contrast, .sharpness, .posterize, .solarize,
                                               .autoContrast, .equalize]

    public var name: String { "TrivialAugmentWide(\(bins) bins)" }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let op = TrivialAugmentWide.ops[rng.int(below: TrivialAugmentWide.ops.count)]
        let hasMagnitude = op != .identity && op != .autoContrast && op != .equalize
        let bin = hasMagnitude ? rng.int(below: bins) : 0
        let negative = op.isSigned && rng.int(below: 2) == 1
        let resolved = op.resolve(bin: bin, bins: bins, wide: true, width: image.width, height: image.height, negative: negative)
        return image.applying(resolved, interpolation: interpolation, fill: fill)
    }
}
