// Images in the report: each distinct PNG embedded once (by SHA-256) as an SVG <image>, reused via <use>.
import Foundation

/// Collects the report's images in order of first appearance and emits each once.
///
/// The page starts with a hidden `<svg>` whose `<defs>` hold one `<image id="img-…">` per
/// distinct PNG as a base64 data URI; every appearance is a small `<svg>` with
/// `<use href="#img-…">`. This works offline, in print and without script.
struct ImageRegistry {
    private struct Entry {
        var png: Data
        var width: Int
        var height: Int
    }

    private var order: [String] = []
    private var entries: [String: Entry] = [:]

    /// Registers `png` and returns its element id, or nil if it is not a readable PNG.
    @discardableResult
    mutating func register(_ png: Data) -> String? {
        guard let (width, height) = ImageRegistry.pngSize(png) else { return nil }
        let id = "img-" + ContentHash.sha256Hex(png).prefix(16)
        if entries[id] == nil {
            order.append(id)
            entries[id] = Entry(png: png, width: width, height: height)
        }
        return id
    }

    /// Number of distinct images.
    var count: Int { order.count }

    /// The hidden definitions block, or "" when there are no images.
    func definitions() -> String {
        guard !order.isEmpty else { return "" }
        var out = "<svg class=\"image-defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\"><defs>"
        for id in order {
            let e = entries[id]!
            out += "<image id=\"\(id)\" width=\"\(e.width)\" height=\"\(e.height)\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,"
                + e.png.base64EncodedString() + "\"/>"
        }
        return out + "</defs></svg>\n"
    }

    /// One appearance of a registered image as a figure; unreadable data falls back to an inline `<img>`.
    func figure(_ image: ReportImage) -> String {
        let caption = image.caption.map { "<figcaption>" + HTML.escape($0) + "</figcaption>" } ?? ""
        let alt = image.alt ?? image.caption ?? "image"
        guard let (width, height) = ImageRegistry.pngSize(image.png) else {
            return "<figure class=\"image\"><img alt=\"" + HTML.escape(alt) + "\" src=\"data:image/png;base64,"
                + image.png.base64EncodedString() + "\">" + caption + "</figure>"
        }
        let id = "img-" + ContentHash.sha256Hex(image.png).prefix(16)
        // Small images (CIFAR is 32×32) are scaled up by a whole factor so pixels stay square.
        let displayWidth = image.displayWidth ?? (width < 128 ? width * Int((128.0 / Double(width)).rounded(.up)) : width)
        let pixelated = displayWidth >= 2 * width ? " pixelated" : ""
        return "<figure class=\"image\"><svg class=\"img\(pixelated)\" viewBox=\"0 0 \(width) \(height)\" width=\"\(displayWidth)\""
            + " role=\"img\" aria-label=\"" + HTML.escape(alt) + "\"><use href=\"#\(id)\"/></svg>" + caption + "</figure>"
    }

    /// Width and height from a PNG's IHDR chunk; nil if `data` is not a PNG.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        guard bytes.count == 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let (width, height) = (word(16), word(20))
        return width > 0 && height > 0 ? (width, height) : nil
    }
}
