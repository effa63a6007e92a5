// AutoAugment: the CIFAR-10 policy (torchvision convention) and timm's v0 / v0r policies (timm convention).

/// AutoAugment (Cubuk et al. 2019): per image, one sub-policy chosen uniformly, then each of its two
/// ops applied independently with its probability (docs/methods.md §2.5, §2.6).
public struct AutoAugment: ImageAugmentation {
    /// A policy table.
    public enum Policy: String, Sendable, CaseIterable {
        /// torchvision `AutoAugmentPolicy.CIFAR10` (the paper's appendix), magnitudes from 10 torchvision bins.
        case cifar10
        /// timm `v0` (ImageNet policy of the TPU EfficientNet code), timm level→arg mappings.
        case v0
        /// `v0` with PosterizeIncreasing.
        case v0r
    }

    public var policy: Policy
    /// torchvision-convention resampling and fill (CIFAR-10 policy); torchvision's defaults are nearest and black.
    public var interpolation: Interpolation
    public var fill: RGB
    /// timm-convention settings (v0, v0r), including magnitude noise (`-mstd`).
    public var timm: TimmAugmentParams

    /// - Parameters:
    ///   - interpolation, fill: used by the CIFAR-10 policy (torchvision defaults: nearest, black).
    ///   - timm: used by the v0 policies (default: bilinear, fill 128, no magnitude noise).
    public init(policy: Policy, interpolation: Interpolation = .nearest, fill: RGB = .black,
                timm: TimmAugmentParams = TimmAugmentParams()) {
        self.policy = policy; self.interpolation = interpolation; self.fill = fill; self.timm = timm
    }

    /// Parses a timm `--aa` string: "v0", "v0r" or "cifar10", optionally with "-mstdX" / "-mmaxN".
    public init(_ config: String, fill: RGB = .mid) throws {
        let parts = config.split(separator: "-").map(String.init)
        guard let first = parts.first, let p = Policy(rawValue: first) else {
            throw AugmentConfigError(config: config, reason: "unknown AutoAugment policy '\(parts.first ?? "")' (known: v0, v0r, cifar10)")
        }
        var hp = TimmAugmentParams(fill: fill)
        for section in parts.dropFirst() {
            let (key, value) = try AugmentConfigError.split(section, in: config)
            switch key {
            case "mstd": hp.magnitudeStd = value > 100 ? .infinity : value
            case "mmax": hp.magnitudeMax = value
            default: throw AugmentConfigError(config: config, reason: "unknown AutoAugment section '\(section)'")
            }
        }
        self.init(policy: p, timm: hp)
    }

    public var name: String { "AutoAugment(\(policy.rawValue))" }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        switch policy {
        case .cifar10:
            // torchvision get_params: policy id, two probabilities, two signs, drawn up front.
            let sub = AutoAugment.cifar10Table[rng.int(below: AutoAugment.cifar10Table.count)]
            let probs = (rng.uniform(), rng.uniform())
            let signs = (rng.int(below: 2), rng.int(below: 2))
            var img = image
            for (k, entry) in [sub.0, sub.1].enumerated() {
                guard (k == 0 ? probs.0 : probs.1) <= entry.p else { continue }
                let negative = entry.op.isSigned && (k == 0 ? signs.0 : signs.1) == 0
                let op = entry.op.resolve(bin: entry.m, bins: 10, wide: false, width: img.width, height: img.height, negative: negative)
                img = img.applying(op, interpolation: interpolation, fill: fill)
            }
            return img
        case .v0, .v0r:
            let sub = AutoAugment.v0Table[rng.int(below: AutoAugment.v0Table.count)]
            var img = image
            for entry in [sub.0, sub.1] {
                let op = policy == .v0r && entry.op == .posterize ? TimmOp.posterizeIncreasing : entry.op
                img = timm.apply(op, prob: entry.p, magnitude: entry.m, to: img, rng: &rng)
            }
            return img
        }
    }

    typealias TV = (op: TorchvisionOp, p: Double, m: Int)
    typealias TM = (op: TimmOp, p: Double, m: Double)

    /// docs/methods.md §2.5 (torchvision AutoAugmentPolicy.CIFAR10); magnitude-less ops carry bin 0.
    static let cifar10Table: [(TV, TV)] = [
        ((.invert, 0.1, 0), (.contrast, 0.2, 6)), ((.rotate, 0.7, 2), (.translateX, 0.3, 9)),
        ((.sharpness, 0.8, 1), (.sharpness, 0.9, 3)), ((.shearY, 0.5, 8), (.translateY, 0.7, 9)),
        ((.autoContrast, 0.5, 0), (.equalize, 0.9, 0)), ((.shearY, 0.2, 7), (.posterize, 0.3, 7)),
        ((.color, 0.4, 3), (.brightness, 0.6, 7)), ((.sharpness, 0.3, 9), (.brightness, 0.7, 9)),
        ((.equalize, 0.6, 0), (.equalize, 0.5, 0)), ((.contrast, 0.6, 7), (.sharpness, 0.6, 5)),
        ((.color, 0.7, 7), (.translateX, 0.5, 8)), ((.equalize, 0.3, 0), (.autoContrast, 0.4, 0)),
        ((.translateY, 0.4, 3), (.sharpness, 0.2, 6)), ((.brightness, 0.9, 6), (.color, 0.2, 8)),
        ((.solarize, 0.5, 2), (.invert, 0.0, 0)), ((.equalize, 0.2, 0), (.autoContrast, 0.6, 0)),
        ((.equalize, 0.2, 0), (.equalize, 0.6, 0)), ((.color, 0.9, 9), (.equalize, 0.6, 0)),
        ((.autoContrast, 0.8, 0), (.solarize, 0.2, 8)), ((.brightness, 0.1, 3), (.color, 0.7, 0)),
        ((.solarize, 0.4, 5), (.autoContrast, 0.9, 0)), ((.translateY, 0.9, 9), (.translateY, 0.7, 9)),
        ((.autoContrast, 0.9, 0), (.solarize, 0.8, 3)), ((.equalize, 0.8, 0), (.invert, 0.1, 0)),
        ((.translateY, 0.7, 9), (.autoContrast, 0.9, 0)),
    ]

    /// docs/methods.md §2.6 (timm `auto_augment_policy_v0`).
    static let v0Table: [(TM, TM)] = [
        ((.equalize, 0.8, 1), (.shearY, 0.8, 4)), ((.color, 0.4, 9), (.equalize, 0.6, 3)),
        ((.color, 0.4, 1), (.rotate, 0.6, 8)), ((.solarize, 0.8, 3), (.equalize, 0.4, 7)),
        ((.solarize, 0.4, 2), (.solarize, 0.6, 2)), ((.color, 0.2, 0), (.equalize, 0.8, 8)),
        ((.equalize, 0.4, 8), (.solarizeAdd, 0.8, 3)), ((.shearX, 0.2, 9), (.rotate, 0.6, 8)),
        ((.color, 0.6, 1), (.equalize, 1.0, 2)), ((.invert, 0.4, 9), (.rotate, 0.6, 0)),
        ((.equalize, 1.0, 9), (.shearY, 0.6, 3)), ((.color, 0.4, 7), (.equalize, 0.6, 0)),
        ((.posterize, 0.4, 6), (.autoContrast, 0.4, 7)), ((.solarize, 0.6, 8), (.color, 0.6, 9)),
        ((.solarize, 0.2, 4), (.rotate, 0.8, 9)), ((.rotate, 1.0, 7), (.translateYRel, 0.8, 9)),
        ((.shearX, 0.0, 0), (.solarize, 0.8, 4)), ((.shearY, 0.8, 0), (.color, 0.6, 4)),
        ((.color, 1.0, 0), (.rotate, 0.6, 2)), ((.equalize, 0.8, 4), (.equalize, 0.0, 8)),
        ((.equalize, 1.0, 4), (.autoContrast, 0.6, 2)), ((.shearY, 0.4, 7), (.solarizeAdd, 0.6, 7)),
        ((.posterize, 0.8, 2), (.solarize, 0.6, 10)), ((.solarize, 0.6, 8), (.equalize, 0.6, 1)),
        ((.color, 0.8, 6), (.rotate, 0.4, 5)),
    ]
}

/// An augmentation config string that cannot be parsed (AutoAugment / RandAugment specs).
public struct AugmentConfigError: Error, CustomStringConvertible, Equatable {
    /// The string as given.
    public var config: String
    /// What is wrong with it.
    public var reason: String

    public init(config: String, reason: String) { self.config = config; self.reason = reason }

    public var description: String { "bad augmentation config '\(config)': \(reason)" }

    /// Splits a section like "mstd0.5" into ("mstd", 0.5) as timm's `re.split(r'(\d.*)', c)` does.
    static func split(_ section: String, in config: String) throws -> (String, Double) {
        guard let i = section.firstIndex(where: \.isNumber) else {
            throw AugmentConfigError(config: config, reason: "section '\(section)' has no value (e.g. '\(section)10')")
        }
        let key = String(section[..<i]), text = String(section[i...])
        guard let v = Double(text) else {
            throw AugmentConfigError(config: config, reason: "section '\(section)': '\(text)' is not a number")
        }
        return (key, v)
    }
}
