// Float CHW planes and per-dataset normalisation: the bridge from 8-bit images to model input.

/// Per-channel mean and standard deviation (on the [0, 1] scale) used to normalise images:
/// `x = (pixel / 255 − mean) / std`.
public struct Normalization: Sendable, Equatable {
    /// Per-channel mean, R, G, B.
    public var mean: [Float]
    /// Per-channel standard deviation, R, G, B.
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "normalisation needs 3 means and 3 stds")
        precondition(std.allSatisfy { $0 > 0 }, "normalisation std must be positive, got \(std)")
        self.mean = mean
        self.std = std
    }

    /// CIFAR-10 pixel statistics (airbench; TF AutoAugment code), docs/methods.md §1.4.
    /// Not the widely copied (0.2023, 0.1994, 0.2010) std, which is not the pixel std.
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// CIFAR-100 training-set statistics (weiaicunzai/pytorch-cifar100 `conf/global_settings.py`), docs/methods.md §1.4.
    public static let cifar100 = Normalization(mean: [0.50708, 0.48655, 0.44092], std: [0.26733, 0.25644, 0.27615])
    /// ImageNet statistics, timm's default (`IMAGENET_DEFAULT_MEAN/STD`), docs/methods.md §1.4.
    public static let imagenet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// No centring: pixels scaled to [0, 1] only.
    public static let unit = Normalization(mean: [0, 0, 0], std: [1, 1, 1])

    /// The mean as an 8-bit fill colour, `round(255 · mean)` (timm's `img_mean` for AutoAugment fills).
    public var meanColor: RGB {
        func q(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (255 * v).rounded()))) }
        return RGB(q(mean[0]), q(mean[1]), q(mean[2]))
    }
}

/// A Float image in CHW layout (channels, then rows, then columns), as models consume it.
public struct PlanarImage: Sendable, Equatable {
    /// Number of channels (3 for RGB).
    public let channels: Int
    /// Height in pixels.
    public let height: Int
    /// Width in pixels.
    public let width: Int
    /// Values, `(c * height + y) * width + x`.
    public var data: [Float]

    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width,
                     "PlanarImage \(channels)x\(height)x\(width) needs \(channels * height * width) values, got \(data.count)")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    /// A zero-filled image.
    public init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  data: [Float](repeating: 0, count: channels * height * width))
    }
}

extension Image {
    /// Writes the normalised CHW planes into `out`, which must hold `3 * height * width` floats
    /// (e.g. one slot of a batch tensor): `out[(c*H + y)*W + x] = (p/255 − mean[c]) / std[c]`.
    public func writePlanar(into out: UnsafeMutableBufferPointer<Float>, normalization n: Normalization) {
        let hw = width * height
        precondition(out.count >= 3 * hw, "writePlanar needs \(3 * hw) floats, got \(out.count)")
        pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let scale = 1 / (255 * n.std[c])
                let bias = -n.mean[c] / n.std[c]
                let base = c * hw
                for i in 0..<hw { out[base + i] = Float(src[i * 3 + c]) * scale + bias }
            }
        }
    }

    /// The image as normalised Float CHW planes.
    public func planar(_ normalization: Normalization) -> PlanarImage {
        var data = [Float](repeating: 0, count: 3 * width * height)
        data.withUnsafeMutableBufferPointer { writePlanar(into: $0, normalization: normalization) }
        return PlanarImage(channels: 3, height: height, width: width, data: data)
    }

    /// Reverses `planar(_:)`: de-normalises, rounds to the nearest level and clamps to [0, 255]
    /// (used to look at augmented model inputs, e.g. after Random Erasing).
    public init(planar p: PlanarImage, normalization n: Normalization) {
        precondition(p.channels == 3, "Image(planar:) needs 3 channels, got \(p.channels)")
        let hw = p.width * p.height
        var px = [UInt8](repeating: 0, count: hw * 3)
        p.data.withUnsafeBufferPointer { src in
            px.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let s = 255 * n.std[c], m = 255 * n.mean[c]
                    for i in 0..<hw {
                        let v = (src[c * hw + i] * s + m).rounded()
                        dst[i * 3 + c] = UInt8(max(0, min(255, v)))
                    }
                }
            }
        }
        self.init(width: p.width, height: p.height, pixels: px)
    }
}
