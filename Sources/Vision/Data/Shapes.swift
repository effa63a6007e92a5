// The `.shapes` dataset: seeded textured-shape images whose class is the shape (docs/methods.md §1.3).

import Foundation

/// Settings of the `.shapes` dataset; equal configs give identical images.
public struct ShapesConfig: Sendable, Equatable {
    /// Number of classes (2…12); class k is `ShapeKind(rawValue: k)`.
    public var classes: Int
    /// Image side in pixels.
    public var size: Int
    /// Images in the training split.
    public var trainCount: Int
    /// Images in the test split and in the cue-conflict split.
    public var testCount: Int
    /// Probability that an image's shape carries its class's own texture
    /// (`Texture.catalogue[class]`); otherwise the texture is uniform over the catalogue.
    /// Train and test splits share this distribution (as a dataset's splits do); the
    /// cue-conflict split pairs every shape with another class's texture, so comparing the
    /// two measures how much a model relies on texture rather than shape.
    public var textureCue: Double
    /// Soft (one-pixel) edges for shapes and textures; off gives hard, aliased edges.
    public var antialias: Bool
    /// The seed every image derives from.
    public var seed: UInt64

    public init(classes: Int = 10, size: Int = 32, trainCount: Int = 10_000, testCount: Int = 2_000,
                textureCue: Double = 0, antialias: Bool = true, seed: UInt64 = 0) {
        self.classes = classes; self.size = size; self.trainCount = trainCount; self.testCount = testCount
        self.textureCue = textureCue; self.antialias = antialias; self.seed = seed
    }
}

/// A split of the `.shapes` dataset.
public enum ShapesSplit: UInt64, Sendable, CaseIterable {
    case train = 1, test = 2
    /// Shape of one class drawn with the own texture of a different class (both labels kept).
    case cueConflict = 3
}

/// One generated image with what determined it.
public struct ShapesSample: Sendable {
    public var image: Image
    /// The shape class (the label).
    public var label: Int
    /// Index into `Texture.catalogue` of the shape's texture.
    public var textureIndex: Int
    /// Cue-conflict split only: the class whose own texture the shape carries (≠ `label`).
    public var textureClass: Int?
}

/// The `.shapes` dataset: each image is a foreground shape (the class) filled with a texture on a
/// textured background, with random colours, position (±12 %), scale (radius 26–40 % of the side)
/// and rotation (±20°). Image `i` of a split has label `i % classes` (exact balance) and comes from
/// its own RNG stream, so any image can be generated alone.
public struct ShapesDataset: Sendable {
    public let config: ShapesConfig

    public init(_ config: ShapesConfig = ShapesConfig()) {
        precondition((2...ShapeKind.allCases.count).contains(config.classes),
                     "shapes: classes must be 2…\(ShapeKind.allCases.count), got \(config.classes)")
        precondition(config.size >= 8, "shapes: size must be at least 8, got \(config.size)")
        precondition((0...1).contains(config.textureCue), "shapes: textureCue must be in [0, 1], got \(config.textureCue)")
        self.config = config
    }

    /// Class names, indexed by label.
    public var classNames: [String] { (0..<config.classes).map { ShapeKind(rawValue: $0)!.name } }

    /// Number of images in a split.
    public func count(_ split: ShapesSplit) -> Int {
        split == .train ? config.trainCount : config.testCount
    }

    /// Generates every image of a split, in index order.
    public func load(_ split: ShapesSplit) -> LabeledImages {
        let samples = (0..<count(split)).map { sample(split, index: $0) }
        return LabeledImages(images: samples.map(\.image), labels: samples.map(\.label), classNames: classNames,
                             textureLabels: split == .cueConflict ? samples.map { $0.textureClass! } : nil)
    }

    /// Generates image `index` of `split`.
    /// How strongly the background texture shows (0 = flat, 1 = as strong as the shape's):
    /// at 0.15 the outline stays the clearest edge, so small CNNs learn shapes in a few
    /// epochs while textures remain a usable cue.
    enum Shapes { static let backgroundContrast: Float = 0.15 }

    public func sample(_ split: ShapesSplit, index: Int) -> ShapesSample {
        var rng = SeededRNG(seed: config.seed, stream: split.rawValue << 48 | UInt64(index))
        let n = config.classes, textures = Texture.catalogue.count
        let label = index % n
        var textureClass: Int? = nil
        let fgTexture: Int
        switch split {
        case .train, .test:
            fgTexture = rng.bernoulli(config.textureCue) ? label : rng.int(below: textures)
        case .cueConflict:
            let other = (label + 1 + rng.int(below: n - 1)) % n
            textureClass = other
            fgTexture = other
        }
        var bgTexture = rng.int(below: textures - 1)
        if bgTexture >= fgTexture { bgTexture += 1 }
        let image = render(shape: ShapeKind(rawValue: label)!, fg: fgTexture, bg: bgTexture, rng: &rng)
        return ShapesSample(image: image, label: label, textureIndex: fgTexture, textureClass: textureClass)
    }

    private func render(shape: ShapeKind, fg: Int, bg: Int, rng: inout SeededRNG) -> Image {
        let size = config.size, s = Float(size), aa = config.antialias
        let texScale = s / 32
        let brightShape = rng.bernoulli(0.5)
        let fgColors = ColorPair.random(valueRange: brightShape ? 0.6...1.0 : 0.05...0.4, rng: &rng)
        let bgColors = ColorPair.random(valueRange: brightShape ? 0.05...0.4 : 0.6...1.0, rng: &rng)
        let fgTex = PlacedTexture(Texture.catalogue[fg], scale: texScale, rng: &rng)
        let bgTex = PlacedTexture(Texture.catalogue[bg], scale: texScale, rng: &rng)
        let radius = s * Float(rng.uniform(0.26, 0.40))
        let cx = s * (0.5 + Float(rng.uniform(-0.12, 0.12)))
        let cy = s * (0.5 + Float(rng.uniform(-0.12, 0.12)))
        let theta = Float(rng.uniform(-20, 20)) * .pi / 180
        let ct = cos(theta), st = sin(theta), inv = 1 / radius

        var px = [UInt8](repeating: 0, count: size * size * 3)
        px.withUnsafeMutableBufferPointer { out in
            for y in 0..<size {
                let fy = Float(y) + 0.5
                for x in 0..<size {
                    let fx = Float(x) + 0.5
                    let dx = fx - cx, dy = fy - cy
                    let u = (ct * dx + st * dy) * inv, v = (-st * dx + ct * dy) * inv
                    var cover: Float = 0
                    if u * u + v * v < 1.44 {
                        let d = shape.distance(u, v) * radius
                        cover = aa ? min(1, max(0, 0.5 - d)) : (d < 0 ? 1 : 0)
                    }
                    let wb = Shapes.backgroundContrast * bgTex.weight(fx, fy, aa: aa)
                    var r = bgColors.a.0 + (bgColors.b.0 - bgColors.a.0) * wb
                    var g = bgColors.a.1 + (bgColors.b.1 - bgColors.a.1) * wb
                    var b = bgColors.a.2 + (bgColors.b.2 - bgColors.a.2) * wb
                    if cover > 0 {
                        let wf = fgTex.weight(fx, fy, aa: aa)
                        let fr = fgColors.a.0 + (fgColors.b.0 - fgColors.a.0) * wf
                        let fg = fgColors.a.1 + (fgColors.b.1 - fgColors.a.1) * wf
                        let fb = fgColors.a.2 + (fgColors.b.2 - fgColors.a.2) * wf
                        r += (fr - r) * cover; g += (fg - g) * cover; b += (fb - b) * cover
                    }
                    let i = (y * size + x) * 3
                    out[i] = UInt8(min(255, max(0, r * 255 + 0.5)))
                    out[i + 1] = UInt8(min(255, max(0, g * 255 + 0.5)))
                    out[i + 2] = UInt8(min(255, max(0, b * 255 + 0.5)))
                }
            }
        }
        return Image(width: size, height: size, pixels: px)
    }
}
