// ResizeShorterSide: torchvision `Resize(int)` (shorter side to a length, aspect kept) and timm's evaluation transform.

import Foundation

/// torchvision `Resize(size)` with an integer size on PIL images: the shorter side becomes `size`, the longer
/// `int(size · long / short)` (truncated, as torchvision computes it), bilinear and antialiased as ``Resize``.
/// Real photographs are rarely square; this keeps their aspect ratio where ``Resize`` would stretch them.
public struct ResizeShorterSide: ImageAugmentation {
    public var size: Int
    public init(size: Int) { self.size = size }
    public var name: String { "ResizeShorterSide(\(size))" }

    /// The output (width, height) for an input of `width × height`.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (size, max(1, Int(Double(size) * Double(height) / Double(width))))
        }
        return (max(1, Int(Double(size) * Double(width) / Double(height))), size)
    }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let (w, h) = outputSize(width: image.width, height: image.height)
        return image.resized(width: w, height: h)
    }

    /// timm's evaluation transform for an image size and crop fraction (`transforms_imagenet_eval`, default
    /// `crop_pct` 0.875): shorter side to ⌊size / crop_pct⌋, bilinear, then the centre `size × size` crop.
    /// For 224: Resize(256) + CenterCrop(224).
    public static func timmEval(size: Int, cropFraction: Double = 0.875) -> [any ImageAugmentation] {
        [ResizeShorterSide(size: Int(floor(Double(size) / cropFraction))), CenterCrop(width: size, height: size)]
    }
}
