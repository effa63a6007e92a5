// JPEG: decode any baseline/progressive JPEG to RGB8 as PIL does, and encode RGB8, through libjpeg-turbo's TurboJPEG API.

import CTurboJPEG
import Foundation

/// A JPEG that could not be read or written; carries the file (or "<memory>") and the reason.
public enum JPEGError: Error, CustomStringConvertible, Equatable {
    /// Reading or decoding failed (corrupt data, an unsupported colour space, ...).
    case read(source: String, message: String)
    /// The data ends before the image does (a partial download or copy).
    case truncated(source: String)
    /// Encoding failed.
    case write(destination: String, message: String)

    public var description: String {
        switch self {
        case let .read(source, message): return "cannot read JPEG \(source): \(message)"
        case let .truncated(source):
            return "cannot read JPEG \(source): the file is truncated (its data ends before the image does); "
                + "copy or download it again"
        case let .write(destination, message): return "cannot write JPEG \(destination): \(message)"
        }
    }
}

/// JPEG decoding and encoding for `Image`.
///
/// Decoding reproduces what PIL (with libjpeg-turbo) returns for `Image.open(f).convert("RGB")`, the loader of
/// torchvision's and timm's image folders: libjpeg's default decoder (accurate integer IDCT, fancy upsampling, no
/// DCT scaling or draft mode), greyscale replicated into three channels, CMYK/YCCK read with Adobe's inverted
/// convention and converted as PIL's `cmyk2rgb` does, and EXIF orientation not applied.
public enum JPEG {
    /// True when `bytes` start with a JPEG start-of-image marker followed by another marker (FF D8 FF).
    public static func isJPEG<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        Array(bytes.prefix(3)) == [0xFF, 0xD8, 0xFF]
    }

    /// Decodes JPEG bytes to 8-bit RGB; `name` labels errors.
    ///
    /// Data that ends early — before the end-of-image marker — is refused as PIL refuses it ("image file is
    /// truncated"), even when only the marker is missing. Recoverable corruption that libjpeg reports as a warning
    /// (extraneous bytes, an end-of-image marker inside the data) decodes with the missing blocks grey, as in PIL,
    /// which ignores libjpeg's warnings; bytes after the end-of-image marker are ignored.
    /// - Throws: ``JPEGError`` for corrupt or truncated data, ``ImageTooLarge`` when the header declares more than
    ///   ``ImageLimits/maximumPixels`` (checked before any pixel buffer is allocated).
    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws -> Image {
        let (image, warning) = try attempt(bytes, name: name)
        // libjpeg reports only its first warning's text; running out of data is this one (JWRN_JPEG_EOF).
        if let warning, warning.contains("Premature end of JPEG file") { throw JPEGError.truncated(source: name) }
        return image
    }

    /// One decompression: the image and libjpeg's first warning, if any (fatal errors throw).
    private static func attempt(_ bytes: [UInt8], name: String) throws -> (image: Image, warning: String?) {
        guard let handle = tjInitDecompress() else {
            throw JPEGError.read(source: name, message: "libjpeg-turbo could not start a decompressor")
        }
        defer { tjDestroy(handle) }
        return try bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { throw JPEGError.read(source: name, message: "the file is empty") }
            let size = UInt(buf.count)
            var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, base, size, &w, &h, &subsampling, &colorspace) == 0 else {
                let message = String(cString: tjGetErrorStr2(handle))
                // Tables without a scan and without an end marker: the file stops inside its header.
                let endsEarly = message.contains("missing SOS") && Array(bytes.suffix(2)) != [0xFF, 0xD9]
                if message.contains("Premature end") || endsEarly { throw JPEGError.truncated(source: name) }
                throw JPEGError.read(source: name, message: "bad header: \(message)")
            }
            // Data that ends inside the header leaves libjpeg-turbo with no frame (0 × 0) and a warning.
            if w <= 0 || h <= 0 {
                let message = String(cString: tjGetErrorStr2(handle))
                if message.contains("Premature end") { throw JPEGError.truncated(source: name) }
                throw JPEGError.read(source: name, message: "the header declares an empty \(w)×\(h) image")
            }
            // The header is read; nothing is allocated yet. A decompression bomb stops here.
            try ImageLimits.checkHeader(width: Int(w), height: Int(h), source: name, format: "JPEG")
            let width = Int(w), height = Int(h)
            // Accurate IDCT (PIL's default JDCT_ISLOW) and at most 500 progressive scans (a scan bomb is refused).
            let flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
            let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            let channels = cmyk ? 4 : 3
            var px = [UInt8](repeating: 0, count: width * height * channels)
            let format = cmyk ? TJPF_CMYK : TJPF_RGB
            let rc = px.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, base, size, out.baseAddress, w, w * Int32(channels), h, Int32(format.rawValue), flags)
            }
            var warning: String? = nil
            if rc != 0 {
                let message = String(cString: tjGetErrorStr2(handle))
                guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
                    if message.contains("Premature end") { throw JPEGError.truncated(source: name) }
                    throw JPEGError.read(source: name, message: message)
                }
                warning = message
            }
            let rgb = cmyk ? cmykToRGB(px, count: width * height) : px
            return (Image(width: width, height: height, pixels: rgb), warning)
        }
    }

    /// Reads and decodes a JPEG file.
    public static func read(path: String) throws -> Image {
        try decode(try ImageFile.bytes(path: path), name: path)
    }

    /// Chroma subsampling for ``encode(_:quality:subsampling:progressive:)``.
    public enum Subsampling: Sendable {
        case s444, s422, s420
        var tj: Int32 {
            switch self {
            case .s444: return Int32(TJSAMP_444.rawValue)
            case .s422: return Int32(TJSAMP_422.rawValue)
            case .s420: return Int32(TJSAMP_420.rawValue)
            }
        }
    }

    /// Encodes an image as JPEG bytes (quality 1…100; 4:2:0 by default, as PIL and most cameras write).
    public static func encode(_ image: Image, quality: Int = 90, subsampling: Subsampling = .s420,
                              progressive: Bool = false) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw JPEGError.write(destination: "<memory>", message: "quality \(quality) is outside 1…100")
        }
        guard let handle = tjInitCompress() else {
            throw JPEGError.write(destination: "<memory>", message: "libjpeg-turbo could not start a compressor")
        }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let flags = TJFLAG_ACCURATEDCT | (progressive ? TJFLAG_PROGRESSIVE : 0)
        let rc = image.pixels.withUnsafeBufferPointer { px in
            tjCompress2(handle, px.baseAddress, Int32(image.width), Int32(image.width * 3), Int32(image.height),
                        Int32(TJPF_RGB.rawValue), &out, &size, subsampling.tj, Int32(quality), flags)
        }
        defer { if out != nil { tjFree(out) } }
        guard rc == 0, let out else {
            throw JPEGError.write(destination: "<memory>", message: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    /// Writes an image to a JPEG file.
    public static func write(_ image: Image, to path: String, quality: Int = 90, subsampling: Subsampling = .s420,
                             progressive: Bool = false) throws {
        let bytes = try encode(image, quality: quality, subsampling: subsampling, progressive: progressive)
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw JPEGError.write(destination: path, message: (error as NSError).localizedDescription)
        }
    }

    // MARK: - Helpers

    /// PIL's `CMYK;I` raw mode (Adobe's inverted CMYK, which PIL assumes for every CMYK JPEG) followed by
    /// `convert("RGB")`'s `cmyk2rgb`: with nk = 255 − K, each channel is nk − round(C·nk / 255).
    static func cmykToRGB(_ raw: [UInt8], count: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: count * 3)
        raw.withUnsafeBufferPointer { s in
            rgb.withUnsafeMutableBufferPointer { d in
                for i in 0..<count {
                    let nk = Int(s[4 * i + 3])  // 255 − (255 − stored K): the inverted K's complement is the stored value
                    for c in 0..<3 {
                        let v = 255 - Int(s[4 * i + c])  // the inverted channel, as PIL holds it
                        let t = v * nk + 128
                        d[3 * i + c] = UInt8(clamping: nk - (((t >> 8) + t) >> 8))
                    }
                }
            }
        }
        return rgb
    }
}
