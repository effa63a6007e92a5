// ImageLimits: the pixel cap every image decoder checks from the file's header before it allocates.
import Foundation

/// The largest image Loom decodes, shared by every decoder (PNG today; a JPEG reader checks the same rule) so a
/// small file that declares a huge canvas — a decompression bomb — is refused before any pixel buffer exists.
public enum ImageLimits {
    /// Pixels per image: 64 megapixels (192 MiB as RGB8, 768 MiB as float planes). Photographs from cameras and
    /// every public image-recognition dataset are far below this; a 1 MB PNG declaring 20000×20000 is not.
    public static let maximumPixels = 64 * 1024 * 1024

    /// Checks the dimensions a decoder read from `source`'s header (`format` names the decoder, e.g. "PNG").
    /// - Throws: ``ImageTooLarge`` naming the file, its declared size and the limit, when the image has more than
    ///   ``maximumPixels`` pixels (computed without overflow) or a side is not positive.
    public static func checkHeader(width: Int, height: Int, source: String, format: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= maximumPixels else {
            throw ImageTooLarge(source: source, format: format, width: width, height: height)
        }
    }
}

/// An image whose header declares more pixels than ``ImageLimits/maximumPixels`` (or an empty canvas).
public struct ImageTooLarge: Error, CustomStringConvertible, Equatable {
    public let source: String, format: String, width: Int, height: Int

    public var description: String {
        if width <= 0 || height <= 0 {
            return "cannot read \(format) \(source): its header declares an empty \(width)×\(height) image"
        }
        let megapixels = Double(width) * Double(height) / 1_048_576
        return "cannot read \(format) \(source): its header declares \(width)×\(height) pixels ("
            + String(format: "%.0f", megapixels) + " megapixels), more than Loom's limit of "
            + "\(ImageLimits.maximumPixels / 1_048_576) megapixels per image; downscale it (e.g. `convert -resize`) or "
            + "remove it from the folder"
    }
}
