// Augmentation pipeline: an ordered list of per-image steps, applied with an explicit seeded RNG.

/// A random (or fixed) transformation of an 8-bit image. Implementations draw every random
/// number from the `rng` passed in, so a seed fixes the result.
public protocol ImageAugmentation: Sendable {
    /// A short display name, e.g. "RandomCrop(32, pad 4)".
    var name: String { get }
    /// Returns the transformed image.
    func apply(_ image: Image, rng: inout SeededRNG) -> Image
}

/// A transformation of a normalised Float CHW image (e.g. Random Erasing, applied after normalisation as timm does).
public protocol PlanarAugmentation: Sendable {
    /// A short display name.
    var name: String { get }
    /// Transforms the image in place.
    func apply(_ image: inout PlanarImage, rng: inout SeededRNG)
}

/// One step of an `AugmentPipeline`.
public enum AugmentStep: Sendable {
    /// A step on the 8-bit image.
    case image(any ImageAugmentation)
    /// Conversion to normalised Float CHW; at most one, after every `.image` and before every `.planar` step.
    case normalize(Normalization)
    /// A step on the normalised Float image.
    case planar(any PlanarAugmentation)

    /// The step's display name.
    public var name: String {
        switch self {
        case let .image(a): return a.name
        case let .normalize(n): return "Normalize(mean \(n.mean), std \(n.std))"
        case let .planar(a): return a.name
        }
    }
}

/// An ordered list of augmentation steps applied per image, e.g.
/// `[.image(RandomCrop(size: 32, padding: 4)), .image(HorizontalFlip()), .normalize(.cifar100), .planar(RandomErasing())]`.
public struct AugmentPipeline: Sendable {
    /// The steps in application order.
    public let steps: [AugmentStep]

    /// Creates a pipeline; the order must be image steps, then at most one normalize, then planar steps.
    /// Without a normalize step, `.unit` normalisation is applied before the first planar step / at the end.
    public init(_ steps: [AugmentStep]) {
        var phase = 0
        for s in steps {
            let p: Int
            switch s { case .image: p = 0; case .normalize: p = 1; case .planar: p = 2 }
            precondition(p > phase || (p == phase && p != 1),
                         "AugmentPipeline: steps must be image…, normalize, planar… (got \(steps.map(\.name)))")
            phase = p
        }
        self.steps = steps
    }

    /// The normalisation the pipeline applies (`.unit` if it has no normalize step).
    public var normalization: Normalization {
        for case let .normalize(n) in steps { return n }
        return .unit
    }

    /// The per-image RNG for a sample of an epoch: independent streams, so loaders can
    /// augment images in any order or in parallel and still be deterministic.
    public static func rng(seed: UInt64, epoch: Int, index: Int) -> SeededRNG {
        SeededRNG(seed: seed, stream: UInt64(epoch) << 40 ^ UInt64(index))
    }

    /// Runs every step and returns the model input (normalised Float CHW).
    public func callAsFunction(_ image: Image, rng: inout SeededRNG) -> PlanarImage {
        var img = image
        var planar: PlanarImage? = nil
        for s in steps {
            switch s {
            case let .image(a): img = a.apply(img, rng: &rng)
            case let .normalize(n): planar = img.planar(n)
            case let .planar(a):
                if planar == nil { planar = img.planar(.unit) }
                a.apply(&planar!, rng: &rng)
            }
        }
        return planar ?? img.planar(normalization)
    }

    /// Runs every step and converts the result back to 8 bits for viewing.
    public func preview(_ image: Image, rng: inout SeededRNG) -> Image {
        Image(planar: self(image, rng: &rng), normalization: normalization)
    }

    /// A grid PNG with one row per input image: the original, then `samples` augmented versions
    /// (sample k of image i uses `AugmentPipeline.rng(seed: seed, epoch: k, index: i)`).
    public func sampleGridPNG(_ images: [Image], samples: Int = 8, seed: UInt64 = 0,
                              gutter: Int = 1, scale: Int = 2) throws -> [UInt8] {
        precondition(samples >= 1 && !images.isEmpty, "sampleGridPNG needs images and samples ≥ 1")
        var tiles: [Image] = []
        for (i, img) in images.enumerated() {
            tiles.append(img)
            for k in 0..<samples {
                var rng = AugmentPipeline.rng(seed: seed, epoch: k, index: i)
                tiles.append(preview(img, rng: &rng))
            }
        }
        return try Image.gridPNG(tiles, columns: samples + 1, gutter: gutter, scale: scale)
    }
}
