// Geometric augmentations with torchvision semantics: RandomCrop(padding), flip, RandomResizedCrop, Resize.

import Foundation

/// torchvision `RandomCrop(size, padding)`: pad every side by `padding` with `fill` (zero, as
/// torchvision's default), then crop a `size × size` window at a uniform position.
public struct RandomCrop: ImageAugmentation {
    public var size: Int
    public var padding: Int
    public var fill: RGB
    public init(size: Int, padding: Int = 4, fill: RGB = .black) {
        self.size = size; self.padding = padding; self.fill = fill
    }
    public var name: String { "RandomCrop(\(size), pad \(padding))" }
    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let pw = image.width + 2 * padding, ph = image.height + 2 * padding
        precondition(pw >= size && ph >= size, "RandomCrop(\(size)) is larger than the padded image \(pw)x\(ph)")
        let top = rng.int(in: 0...(ph - size))
        let left = rng.int(in: 0...(pw - size))
        return image.cropped(x: left - padding, y: top - padding, width: size, height: size, fill: fill)
    }
}

/// torchvision `RandomHorizontalFlip(p)`: mirror left–right with probability `p`.
public struct HorizontalFlip: ImageAugmentation {
    public var p: Double
    public init(p: Double = 0.5) { self.p = p }
    public var name: String { "HorizontalFlip(p \(p))" }
    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        rng.uniform() < p ? image.flippedHorizontally() : image
    }
}

/// torchvision `Resize((height, width))` on PIL images: bilinear, antialiased when shrinking.
public struct Resize: ImageAugmentation {
    public var width: Int
    public var height: Int
    /// PIL's resampling filter (torchvision's `interpolation`).
    public var filter: ResampleFilter
    public init(width: Int, height: Int, filter: ResampleFilter = .bilinear) {
        self.width = width; self.height = height; self.filter = filter
    }
    public var name: String { "Resize(\(width)x\(height)\(filter == .bilinear ? "" : ", \(filter.rawValue)"))" }
    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        image.resized(width: width, height: height, filter: filter)
    }
}

/// torchvision `RandomResizedCrop(size, scale, ratio)`: up to 10 attempts draw an area fraction
/// U(scale) and a log-uniform aspect ratio; the first box that fits is taken at a uniform position,
/// otherwise the centre crop clamped to the ratio range; the crop is resized bilinearly to `size`.
public struct RandomResizedCrop: ImageAugmentation {
    public var width: Int
    public var height: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public init(width: Int, height: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        self.width = width; self.height = height; self.scale = scale; self.ratio = ratio
    }
    /// A square output.
    public init(size: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        self.init(width: size, height: size, scale: scale, ratio: ratio)
    }
    public var name: String { "RandomResizedCrop(\(width)x\(height), scale \(scale), ratio \(ratio))" }

    /// The crop box (top, left, height, width) torchvision's `get_params` would choose.
    public func box(width iw: Int, height ih: Int, rng: inout SeededRNG) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(iw * ih)
        let logLo = log(ratio.lowerBound), logHi = log(ratio.upperBound)
        for _ in 0..<10 {
            let target = area * rng.uniform(scale.lowerBound, scale.upperBound)
            let aspect = exp(rng.uniform(logLo, logHi))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))  // Python round()
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= iw && h > 0 && h <= ih {
                let top = rng.int(in: 0...(ih - h))
                let left = rng.int(in: 0...(iw - w))
                return (top, left, h, w)
            }
        }
        let inRatio = Double(iw) / Double(ih)
        var w = iw, h = ih
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((ih - h) / 2, (iw - w) / 2, h, w)
    }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let b = box(width: image.width, height: image.height, rng: &rng)
        return image.cropped(x: b.left, y: b.top, width: b.width, height: b.height)
            .resized(width: width, height: height)
    }
}

/// torchvision `CenterCrop(size)` (zero fill where the image is smaller than the crop).
public struct CenterCrop: ImageAugmentation {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var name: String { "CenterCrop(\(width)x\(height))" }
    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let top = Int((Double(image.height - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - width) / 2).rounded(.toNearestOrEven))
        return image.cropped(x: left, y: top, width: width, height: height)
    }
}
