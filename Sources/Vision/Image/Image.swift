// Image: an 8-bit RGB image (row-major HWC) and a labelled collection of them.

/// An RGB colour with 8-bit channels.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }
    /// A grey level.
    public init(grey: UInt8) { self.init(grey, grey, grey) }
    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    /// timm/PIL's default fill for geometric AutoAugment ops.
    public static let mid = RGB(128, 128, 128)
}

/// An 8-bit RGB image: `pixels` holds height × width × 3 bytes, row-major, channels interleaved
/// (HWC, as PIL and PNG store it). Every reader and augmentation in Vision works on this type.
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved RGB bytes, `(y * width + x) * 3 + c`.
    public var pixels: [UInt8]

    /// Number of channels; always 3 (RGB).
    public var channels: Int { 3 }

    /// Wraps existing HWC bytes; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "Image size must be positive, got \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "Image \(width)x\(height)x3 needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniformly coloured image.
    public init(width: Int, height: Int, fill: RGB = .black) {
        precondition(width > 0 && height > 0, "Image size must be positive, got \(width)x\(height)")
        self.width = width
        self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        if fill != .black {
            for i in 0..<(width * height) {
                p[3 * i] = fill.r; p[3 * i + 1] = fill.g; p[3 * i + 2] = fill.b
            }
        }
        pixels = p
    }

    /// One channel value at (x, y).
    @inlinable
    public subscript(x x: Int, y y: Int, c c: Int) -> UInt8 {
        get { pixels[(y * width + x) * 3 + c] }
        set { pixels[(y * width + x) * 3 + c] = newValue }
    }

    /// The colour at (x, y).
    public func pixel(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The region at (x, y) of size w × h; parts outside the image are `fill`
    /// (so a crop of a zero-padded image needs no padded copy).
    public func cropped(x x0: Int, y y0: Int, width w: Int, height h: Int, fill: RGB = .black) -> Image {
        var out = Image(width: w, height: h, fill: fill)
        let sw = width, sh = height
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let sy = y0 + y
                    if sy < 0 || sy >= sh { continue }
                    let xa = max(0, -x0), xb = min(w, sw - x0)
                    if xa >= xb { continue }
                    let s = (sy * sw + x0 + xa) * 3, d = (y * w + xa) * 3
                    for k in 0..<((xb - xa) * 3) { dst[d + k] = src[s + k] }
                }
            }
        }
        return out
    }

    /// The image mirrored left–right.
    public func flippedHorizontally() -> Image {
        var out = self
        let w = width
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * w * 3
                    for x in 0..<w {
                        let s = row + x * 3, d = row + (w - 1 - x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return out
    }

    /// The image rotated by a multiple of 90° counter-clockwise (PIL `transpose(ROTATE_90/180/270)`).
    public func rotated(quarterTurns: Int) -> Image {
        let q = ((quarterTurns % 4) + 4) % 4
        if q == 0 { return self }
        let (w, h) = (width, height)
        let (ow, oh) = q == 2 ? (w, h) : (h, w)
        var out = Image(width: ow, height: oh)
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy): (Int, Int)
                        switch q {
                        case 1: (sx, sy) = (w - 1 - y, x)          // 90° CCW
                        case 2: (sx, sy) = (w - 1 - x, h - 1 - y)
                        default: (sx, sy) = (y, h - 1 - x)         // 270° CCW
                        }
                        let s = (sy * w + sx) * 3, d = (y * ow + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return out
    }

    /// Applies a 256-entry look-up table to every channel value (PIL `Image.point`).
    public func mapped(lut: [UInt8]) -> Image {
        precondition(lut.count == 256, "a look-up table needs 256 entries, got \(lut.count)")
        var out = self
        lut.withUnsafeBufferPointer { t in
            out.pixels.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = t[Int(p[i])] }
            }
        }
        return out
    }

    /// Applies one look-up table per channel (R, G, B).
    public func mapped(luts: [[UInt8]]) -> Image {
        precondition(luts.count == 3 && luts.allSatisfy { $0.count == 256 }, "need three 256-entry tables")
        var out = self
        let flat = luts[0] + luts[1] + luts[2]
        flat.withUnsafeBufferPointer { t in
            out.pixels.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = t[(i % 3) * 256 + Int(p[i])] }
            }
        }
        return out
    }
}

/// A list of images with integer labels and class names: what every dataset reader returns.
public struct LabeledImages: Sendable {
    /// The images, in the dataset's deterministic order.
    public var images: [Image]
    /// The class index of each image (for CIFAR-100, the fine label).
    public var labels: [Int]
    /// Class names indexed by label.
    public var classNames: [String]
    /// CIFAR-100 only: the coarse (superclass) label of each image.
    public var coarseLabels: [Int]?
    /// CIFAR-100 only: the 20 superclass names.
    public var coarseClassNames: [String]?
    /// `.shapes` cue-conflict split only: the class whose texture each image carries.
    public var textureLabels: [Int]?
    /// Image folders only: the file each image was read from, for messages that name it.
    public var sources: [String]?

    public init(images: [Image], labels: [Int], classNames: [String],
                coarseLabels: [Int]? = nil, coarseClassNames: [String]? = nil, textureLabels: [Int]? = nil) {
        precondition(images.count == labels.count, "\(images.count) images but \(labels.count) labels")
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.coarseLabels = coarseLabels
        self.coarseClassNames = coarseClassNames
        self.textureLabels = textureLabels
    }

    /// Number of images.
    public var count: Int { images.count }
}
