// ResizeShorterSide: torchvision `Resize(int)` (shorter side to a length, aspect kept) and timm's evaluation transform.

import Foundation

/// torchvision `Resize(size)` with an integer size on PIL images: the shorter side becomes `size`, the longer
/// `int(size · long / short)` (truncated, as torchvision computes it), bilinear and antialiased as ``Resize``.
/// Real photographs are rarely square; this keeps their aspect ratio where ``Resize`` would stretch them.
public struct ResizeShorterSide: ImageAugmentation {
    public var size: Int
    /// PIL's resampling filter (torchvision's `interpolation`).
    public var filter: ResampleFilter
    public init(size: Int, filter: ResampleFilter = .bilinear) { self.size = size; self.filter = filter }
    public var name: String { "ResizeShorterSide(\(size)\(filter == .bilinear ? "" : ", \(filter.rawValue)"))" }

    /// The output (width, height) for an input of `width × height`.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (size, max(1, Int(Double(size) * Double(height) / Double(width))))
        }
        return (max(1, Int(Double(size) * Double(width) / Double(height))), size)
    }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let (w, h) = outputSize(width: image.width, height: image.height)
        return image.resized(width: w, height: h, filter: filter)
    }

    /// timm's evaluation transform for an image size and crop fraction (`transforms_imagenet_eval`, default
    /// `crop_pct` 0.875): shorter side to ⌊size / crop_pct⌋, bilinear, then the centre `size × size` crop.
    /// For 224: Resize(256) + CenterCrop(224).
    public static func timmEval(size: Int, cropFraction: Double = 0.875) -> [any ImageAugmentation] {
        TimmEvalTransform(size: size, cropPct: cropFraction).steps
    }
}

/// timm's evaluation transform (`transforms_imagenet_eval`, as `create_transform(**resolve_data_config(model=…))`
/// builds it from a `pretrained_cfg`) before normalisation: the scale size ⌊size / crop_pct⌋, then
/// - `center` (timm's default): the shorter side resized to the scale size, the aspect kept (torchvision `Resize(int)`),
///   then the centre `size × size` crop;
/// - `squash`: both sides resized to the scale size (aspect not kept), then the centre crop;
///
/// with PIL's `interpolation` filter. (`border`, which pads instead of cropping, is refused by ``init(config:)``.)
public struct TimmEvalTransform: Codable, Equatable, Sendable {
    public enum CropMode: String, Codable, Sendable, CaseIterable { case center, squash }
    public var size: Int
    public var cropPct: Double
    public var cropMode: CropMode
    public var interpolation: ResampleFilter

    public init(size: Int, cropPct: Double = 0.875, cropMode: CropMode = .center, interpolation: ResampleFilter = .bilinear) {
        self.size = size; self.cropPct = cropPct; self.cropMode = cropMode; self.interpolation = interpolation
    }

    /// The side the image is resized to before the crop.
    public var scaleSize: Int { Int(floor(Double(size) / cropPct)) }

    /// The transform's steps, resize then centre crop.
    public var steps: [any ImageAugmentation] {
        let resize: any ImageAugmentation = cropMode == .center
            ? ResizeShorterSide(size: scaleSize, filter: interpolation)
            : Resize(width: scaleSize, height: scaleSize, filter: interpolation)
        return [resize, CenterCrop(width: size, height: size)]
    }

    /// Checked settings from a `pretrained_cfg`'s values as timm writes them (`crop_pct` nil: timm's 0.875; `crop_mode`
    /// nil: `center`), at `size` (the cfg's `input_size` unless the experiment sets its own).
    /// - Throws: ``TimmEvalTransformError`` for what Loom does not reproduce (naming the value and what would work).
    public init(size: Int, cropPct: Double?, cropMode: String?, interpolation: String?) throws {
        guard size > 0 else { throw TimmEvalTransformError("input size \(size) is not positive") }
        let pct = cropPct ?? 0.875
        guard pct > 0, pct <= 1 else { throw TimmEvalTransformError("crop_pct \(pct) is outside (0, 1]") }
        guard let mode = CropMode(rawValue: cropMode ?? "center") else {
            throw TimmEvalTransformError("crop_mode `\(cropMode ?? "")` is not reproduced by Loom (it knows "
                                         + CropMode.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ") + ")")
        }
        guard let filter = ResampleFilter(rawValue: interpolation ?? "bilinear") else {
            throw TimmEvalTransformError("interpolation `\(interpolation ?? "")` is not reproduced by Loom (it resizes with "
                                         + ResampleFilter.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ") + ")")
        }
        self.init(size: size, cropPct: pct, cropMode: mode, interpolation: filter)
    }
}

/// A `pretrained_cfg` evaluation setting that Loom cannot reproduce.
public struct TimmEvalTransformError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
