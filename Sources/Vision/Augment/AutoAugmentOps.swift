// The AutoAugment-family op set and its magnitude→parameter mappings (timm and torchvision conventions).

import Foundation

/// One concrete image op with its parameter resolved (what a policy entry becomes once its
/// magnitude and sign are drawn). Parameters follow timm's auto_augment functions.
public enum PILOp: Sendable, Equatable {
    case identity, autoContrast, equalize, invert
    /// Counter-clockwise degrees.
    case rotate(Double)
    /// Bits to keep (≥ 8 is a no-op).
    case posterize(Int)
    /// Threshold; values ≥ it are inverted.
    case solarize(Double)
    /// Amount added below 128.
    case solarizeAdd(Int)
    /// Enhance factors (1 = unchanged).
    case color(Float), contrast(Float), brightness(Float), sharpness(Float)
    /// Affine shear coefficients.
    case shearX(Double), shearY(Double)
    /// timm's translate: the affine offset in pixels (positive moves content left / up).
    case translateX(Double), translateY(Double)

    /// Whether the op resamples geometry (and so uses interpolation and fill).
    public var isGeometric: Bool {
        switch self {
        case .rotate, .shearX, .shearY, .translateX, .translateY: return true
        default: return false
        }
    }
}

extension Image {
    /// Applies one op exactly as PIL does (see the individual `Image` methods).
    public func applying(_ op: PILOp, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        switch op {
        case .identity: return self
        case .autoContrast: return autoContrast()
        case .equalize: return equalize()
        case .invert: return inverted()
        case let .rotate(d): return rotated(degrees: d, interpolation: interpolation, fill: fill)
        case let .posterize(b): return posterized(bits: b)
        case let .solarize(t): return solarized(threshold: t)
        case let .solarizeAdd(a): return solarizedAdd(a, threshold: 128)
        case let .color(f): return enhancedColor(f)
        case let .contrast(f): return enhancedContrast(f)
        case let .brightness(f): return enhancedBrightness(f)
        case let .sharpness(f): return enhancedSharpness(f)
        case let .shearX(s): return shearedX(s, interpolation: interpolation, fill: fill)
        case let .shearY(s): return shearedY(s, interpolation: interpolation, fill: fill)
        case let .translateX(p): return translatedX(p, interpolation: interpolation, fill: fill)
        case let .translateY(p): return translatedY(p, interpolation: interpolation, fill: fill)
        }
    }
}

/// timm's op names (`timm/data/auto_augment.py` NAME_TO_OP), used by the v0 policy and RandAugment.
public enum TimmOp: String, Sendable, CaseIterable {
    case autoContrast = "AutoContrast", equalize = "Equalize", invert = "Invert", rotate = "Rotate"
    case posterize = "Posterize", posterizeIncreasing = "PosterizeIncreasing", posterizeOriginal = "PosterizeOriginal"
    case solarize = "Solarize", solarizeIncreasing = "SolarizeIncreasing", solarizeAdd = "SolarizeAdd"
    case color = "Color", colorIncreasing = "ColorIncreasing", contrast = "Contrast", contrastIncreasing = "ContrastIncreasing"
    case brightness = "Brightness", brightnessIncreasing = "BrightnessIncreasing"
    case sharpness = "Sharpness", sharpnessIncreasing = "SharpnessIncreasing"
    case shearX = "ShearX", shearY = "ShearY", translateX = "TranslateX", translateY = "TranslateY"
    case translateXRel = "TranslateXRel", translateYRel = "TranslateYRel"

    /// timm's `*_level_to_arg` (docs/methods.md §2.7 (c)), level L ∈ [0, 10]; signed ops negate with
    /// probability 1/2 (`random() > 0.5`). `translateConst` is timm's hparam (int(0.45·size) in training).
    public func resolve(level l: Double, width: Int, height: Int, translateConst: Double, translatePct: Double = 0.45,
                        rng: inout SeededRNG) -> PILOp {
        func negate(_ v: Double) -> Double { rng.uniform() > 0.5 ? -v : v }
        let f = l / 10
        switch self {
        case .autoContrast: return .autoContrast
        case .equalize: return .equalize
        case .invert: return .invert
        case .rotate: return .rotate(negate(f * 30))
        case .posterize: return .posterize(Int(f * 4))
        case .posterizeIncreasing: return .posterize(4 - Int(f * 4))
        case .posterizeOriginal: return .posterize(Int(f * 4) + 4)
        case .solarize: return .solarize(Double(min(256, Int(f * 256))))
        case .solarizeIncreasing: return .solarize(Double(256 - min(256, Int(f * 256))))
        case .solarizeAdd: return .solarizeAdd(min(128, Int(f * 110)))
        case .color: return .color(Float(f * 1.8 + 0.1))
        case .contrast: return .contrast(Float(f * 1.8 + 0.1))
        case .brightness: return .brightness(Float(f * 1.8 + 0.1))
        case .sharpness: return .sharpness(Float(f * 1.8 + 0.1))
        case .colorIncreasing: return .color(Float(max(0.1, 1 + negate(f * 0.9))))
        case .contrastIncreasing: return .contrast(Float(max(0.1, 1 + negate(f * 0.9))))
        case .brightnessIncreasing: return .brightness(Float(max(0.1, 1 + negate(f * 0.9))))
        case .sharpnessIncreasing: return .sharpness(Float(max(0.1, 1 + negate(f * 0.9))))
        case .shearX: return .shearX(negate(f * 0.3))
        case .shearY: return .shearY(negate(f * 0.3))
        case .translateX: return .translateX(negate(f * translateConst))
        case .translateY: return .translateY(negate(f * translateConst))
        case .translateXRel: return .translateX(negate(f * translatePct) * Double(width))
        case .translateYRel: return .translateY(negate(f * translatePct) * Double(height))
        }
    }
}

/// Settings shared by timm-convention ops (timm's `hparams`).
public struct TimmAugmentParams: Sendable, Equatable {
    /// Standard deviation of the per-application magnitude (0: fixed; `.infinity`: uniform on [0, m]).
    public var magnitudeStd: Double = 0
    /// Upper clip of the sampled magnitude (timm `mmax`; default 10).
    public var magnitudeMax: Double = 10
    /// Absolute translate at level 10 in pixels; nil = int(0.45 · image side), as timm's create_transform sets it.
    public var translateConst: Double? = nil
    /// Relative translate at level 10 (fraction of the side).
    public var translatePct: Double = 0.45
    /// Resampling for geometric ops; nil = random bilinear or bicubic per op, timm's training default.
    public var interpolation: Interpolation? = .bilinear
    /// Fill for uncovered pixels; timm uses round(255 · mean) in training (`Normalization.meanColor`), 128 otherwise.
    public var fill: RGB = .mid

    public init(magnitudeStd: Double = 0, magnitudeMax: Double = 10, translateConst: Double? = nil,
                translatePct: Double = 0.45, interpolation: Interpolation? = .bilinear, fill: RGB = .mid) {
        self.magnitudeStd = magnitudeStd; self.magnitudeMax = magnitudeMax; self.translateConst = translateConst
        self.translatePct = translatePct; self.interpolation = interpolation; self.fill = fill
    }

    /// timm `AugmentOp.__call__`: skip with probability 1 − p, sample the magnitude, resolve, apply.
    func apply(_ op: TimmOp, prob: Double, magnitude: Double, to image: Image, rng: inout SeededRNG) -> Image {
        if prob < 1 && rng.uniform() > prob { return image }
        var m = magnitude
        if magnitudeStd == .infinity {
            m = rng.uniform(0, m)
        } else if magnitudeStd > 0 {
            m = rng.normal(mean: m, std: magnitudeStd)
        }
        m = max(0, min(m, magnitudeMax))
        let tc = translateConst ?? Double(Int(0.45 * Double(min(image.width, image.height))))
        let resolved = op.resolve(level: m, width: image.width, height: image.height, translateConst: tc, translatePct: translatePct, rng: &rng)
        var interp = interpolation ?? .bilinear
        if resolved.isGeometric && interpolation == nil { interp = rng.bernoulli(0.5) ? .bilinear : .bicubic }
        return image.applying(resolved, interpolation: interp, fill: fill)
    }
}

/// torchvision's op names and magnitude bins (`_augmentation_space`), used by the CIFAR-10
/// AutoAugment policy (10 bins) and TrivialAugmentWide (31 bins, wider ranges).
public enum TorchvisionOp: String, Sendable, CaseIterable {
    case identity = "Identity", shearX = "ShearX", shearY = "ShearY", translateX = "TranslateX", translateY = "TranslateY"
    case rotate = "Rotate", brightness = "Brightness", color = "Color", contrast = "Contrast", sharpness = "Sharpness"
    case posterize = "Posterize", solarize = "Solarize", autoContrast = "AutoContrast", equalize = "Equalize"
    case invert = "Invert"

    /// The op for magnitude bin `bin` (docs/methods.md §2.7 (b), §2.9); `negative` flips signed ops.
    /// `wide` selects TrivialAugmentWide's ranges (shear 0.99, translate 32 px, rotate 135°, enhance 0.99, posterize 8→2).
    public func resolve(bin: Int, bins: Int, wide: Bool, width: Int, height: Int, negative: Bool) -> PILOp {
        func lin(_ hi: Double) -> Double { Double(Float(hi) * Float(bin) / Float(bins - 1)) }
        let sgn: Double = negative ? -1 : 1
        switch self {
        case .identity: return .identity
        case .autoContrast: return .autoContrast
        case .equalize: return .equalize
        case .invert: return .invert
        case .shearX: return .shearX(sgn * lin(wide ? 0.99 : 0.3))
        case .shearY: return .shearY(sgn * lin(wide ? 0.99 : 0.3))
        // torchvision translates by int(magnitude) with F.affine: content moves right/down, timm's −offset.
        case .translateX: return .translateX(-sgn * Double(Int(lin(wide ? 32 : 150.0 / 331.0 * Double(width)))))
        case .translateY: return .translateY(-sgn * Double(Int(lin(wide ? 32 : 150.0 / 331.0 * Double(height)))))
        case .rotate: return .rotate(sgn * lin(wide ? 135 : 30))
        case .brightness: return .brightness(Float(1 + sgn * lin(wide ? 0.99 : 0.9)))
        case .color: return .color(Float(1 + sgn * lin(wide ? 0.99 : 0.9)))
        case .contrast: return .contrast(Float(1 + sgn * lin(wide ? 0.99 : 0.9)))
        case .sharpness: return .sharpness(Float(1 + sgn * lin(wide ? 0.99 : 0.9)))
        case .posterize:
            let q = Double(bin) / (Double(bins - 1) / (wide ? 6 : 4))
            return .posterize(8 - Int(q.rounded(.toNearestOrEven)))
        case .solarize: return .solarize(255 - lin(255))
        }
    }

    /// Whether torchvision draws a random sign for this op.
    public var isSigned: Bool {
        switch self {
        case .shearX, .shearY, .translateX, .translateY, .rotate, .brightness, .color, .contrast, .sharpness: return true
        default: return false
        }
    }
}
