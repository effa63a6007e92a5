// ImageFile: read an image file as RGB8, choosing the JPEG or PNG decoder by the file's first bytes, not its name.

import Foundation
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#else
import Darwin
private let systemRead = Darwin.read
#endif

/// An image file that could not be read, naming the file and the reason.
public enum ImageFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read (the operating system's reason).
    case unreadable(path: String, reason: String)
    /// The file is neither a JPEG nor a PNG (its first bytes, in hex).
    case notAnImage(path: String, leadingBytes: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read image \(path): \(reason)"
        case let .notAnImage(path, leading):
            return "\(path) is not a JPEG or PNG image (it starts with \(leading.isEmpty ? "nothing: the file is empty" : leading)); "
                + "Loom reads JPEG and PNG files: convert it, or move it out of the image folder"
        }
    }
}

/// The image formats Loom decodes, recognised by their signatures.
public enum ImageFormat: String, Sendable {
    case jpeg = "JPEG", png = "PNG"

    /// The format whose signature `bytes` start with (JPEG: FF D8 FF; PNG: 89 'PNG' CR LF 1A LF), or nil.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if JPEG.isJPEG(bytes) { return .jpeg }
        if bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }
}

/// Reading image files whatever their extension: what an image folder holds.
public enum ImageFile {
    /// Reads `path` and decodes it as JPEG or PNG by content, converted to RGB as PIL's `convert("RGB")` does.
    /// - Throws: ``ImageFileError`` (unreadable, not an image), ``JPEGError`` / `PNGError` (corrupt or truncated
    ///   data) or ``ImageTooLarge`` (a header declaring more than ``ImageLimits/maximumPixels``); each names `path`.
    public static func read(path: String) throws -> Image {
        try decode(try bytes(path: path), name: path)
    }

    /// Decodes JPEG or PNG bytes chosen by their signature; `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Image {
        switch ImageFormat.sniff(bytes) {
        case .jpeg: return try JPEG.decode(bytes, name: name)
        case .png: return try PNG.decode(bytes, name: name)
        case nil:
            let hex = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw ImageFileError.notAnImage(path: name, leadingBytes: hex)
        }
    }

    /// The whole file, read with POSIX calls so that a failure carries the system's reason (permission denied,
    /// a directory, ...).
    public static func bytes(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImageFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ImageFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ImageFileError.unreadable(path: path, reason: "not a regular file") }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }  // the file shrank while being read
            done += n
        }
        return done == out.count ? out : Array(out[0..<done])
    }
}
