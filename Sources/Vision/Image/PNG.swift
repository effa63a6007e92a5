// PNG: read any PNG as RGB8 and write RGB8 PNGs through libpng's simplified API (no setjmp).

import CPNG
import Foundation

/// A PNG that could not be read or written; carries the file (or "<memory>") and libpng's message.
public enum PNGError: Error, CustomStringConvertible, Equatable {
    /// Reading or decoding failed.
    case read(source: String, message: String)
    /// Encoding or writing failed.
    case write(destination: String, message: String)

    public var description: String {
        switch self {
        case let .read(source, message): return "cannot read PNG \(source): \(message)"
        case let .write(destination, message): return "cannot write PNG \(destination): \(message)"
        }
    }
}

/// PNG encoding and decoding for `Image`.
public enum PNG {
    /// Reads a PNG file of any colour type and bit depth, converted to 8-bit RGB
    /// (alpha is composited onto black, 16-bit is reduced, grey is expanded).
    public static func read(path: String) throws -> Image {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&img, path) != 0 else {
            let msg = message(of: &img)
            png_image_free(&img)
            throw PNGError.read(source: path, message: msg)
        }
        return try finish(&img, source: path)
    }

    /// Decodes PNG bytes held in memory; `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws -> Image {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        let ok = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&img, raw.baseAddress, raw.count)
        }
        guard ok != 0 else {
            let msg = message(of: &img)
            png_image_free(&img)
            throw PNGError.read(source: name, message: msg)
        }
        // libpng keeps reading from the caller's buffer until finish_read returns.
        return try bytes.withUnsafeBytes { _ in try finish(&img, source: name) }
    }

    /// Encodes an image as PNG bytes.
    public static func encode(_ image: Image) throws -> [UInt8] {
        var img = header(for: image)
        var size = 0
        let stride = Int32(image.width * 3)
        let sized = image.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&img, nil, &size, 0, px.baseAddress, stride, nil)
        }
        guard sized != 0 else { throw PNGError.write(destination: "<memory>", message: message(of: &img)) }
        var out = [UInt8](repeating: 0, count: size)
        img = header(for: image)
        let ok = image.pixels.withUnsafeBytes { px in
            out.withUnsafeMutableBytes { o in
                png_image_write_to_memory(&img, o.baseAddress, &size, 0, px.baseAddress, stride, nil)
            }
        }
        guard ok != 0 else { throw PNGError.write(destination: "<memory>", message: message(of: &img)) }
        return Array(out[0..<size])
    }

    /// Writes an image to a PNG file.
    public static func write(_ image: Image, to path: String) throws {
        var img = header(for: image)
        let ok = image.pixels.withUnsafeBytes { px in
            png_image_write_to_file(&img, path, 0, px.baseAddress, Int32(image.width * 3), nil)
        }
        guard ok != 0 else { throw PNGError.write(destination: path, message: message(of: &img)) }
    }

    // MARK: - Helpers

    private static func finish(_ img: inout png_image, source: String) throws -> Image {
        img.format = UInt32(PNG_FORMAT_RGB)
        let w = Int(img.width), h = Int(img.height)
        // The header is read; nothing is allocated yet. A decompression bomb stops here.
        do { try ImageLimits.checkHeader(width: w, height: h, source: source, format: "PNG") } catch {
            png_image_free(&img)
            throw error
        }
        var px = [UInt8](repeating: 0, count: w * h * 3)
        let ok = px.withUnsafeMutableBytes { buf in
            png_image_finish_read(&img, nil, buf.baseAddress, Int32(w * 3), nil)
        }
        guard ok != 0 else {
            let msg = message(of: &img)
            png_image_free(&img)
            throw PNGError.read(source: source, message: msg)
        }
        return Image(width: w, height: h, pixels: px)
    }

    private static func header(for image: Image) -> png_image {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width)
        img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        return img
    }

    /// libpng's error text, stored in the fixed `char message[64]` of `png_image`.
    private static func message(of img: inout png_image) -> String {
        withUnsafeBytes(of: &img.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "unknown libpng error" : text
        }
    }
}
