// Tests: JPEG decoding against PIL (Fixtures/jpeg), timm's eval transform on real photographs, and refused files.

import Foundation
import Testing
@testable import Vision

struct JPEGTests {
    /// The small fixtures (61×45), one per encoder case; each must decode exactly as PIL's `convert("RGB")`.
    static let cases = ["odd_420_q75", "odd_422_q85", "odd_444_q95", "progressive", "optimized", "gray", "cmyk"]

    static func difference(_ a: [UInt8], _ b: [UInt8]) -> (worst: Int, count: Int) {
        var worst = 0, count = 0
        for i in 0..<min(a.count, b.count) {
            let d = abs(Int(a[i]) - Int(b[i]))
            worst = max(worst, d)
            if d > 0 { count += 1 }
        }
        return (worst, count)
    }

    @Test(arguments: cases)
    func decodesExactlyAsPIL(name: String) throws {
        let image = try ImageFile.read(path: fixturePath("jpeg/\(name).jpg"))
        let ref = try #require(try readFixture("jpeg/\(name).safetensors")["rgb"])
        #expect([image.height, image.width, 3] == ref.shape)
        let (worst, count) = Self.difference(image.pixels, ref.bytes)
        #expect(worst == 0, "\(name): max difference \(worst), \(count) values differ")
    }

    /// FNV-1a, 64-bit: the photographs' full PIL decodes are kept only as this hash (see Tests/Fixtures/README.md).
    static func fnv1a64(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test(arguments: ["photo_china", "photo_flower"])
    func photographsDecodeExactlyAndTheirTimmEvalMatches(name: String) throws {
        let image = try ImageFile.read(path: fixturePath("jpeg/\(name).jpg"))
        let ref = try readFixture("jpeg/photos_reference.safetensors")
        let meta = try readFixtureMetadata("jpeg/photos_reference.safetensors")
        #expect(image.width == 640 && image.height == 427)
        // A crop of PIL's decode for a measured difference, then the whole decode by its hash.
        let crop = image.cropped(x: 288, y: 160, width: 64, height: 64)
        let (worst, count) = Self.difference(crop.pixels, try #require(ref["\(name).rgb_crop_y160_x288"]).bytes)
        #expect(worst == 0, "\(name) crop: max difference \(worst), \(count) values differ")
        #expect(Self.fnv1a64(image.pixels) == meta["\(name).rgb_fnv1a64"])

        // timm's evaluation transform: Resize(256, bilinear, antialias) + CenterCrop(224); the resize fixtures'
        // tolerance for bilinear PIL ops is 1 level (PILOpsTests); this matches exactly.
        var rng = SeededRNG(seed: 0, stream: 0)
        var x = image
        for step in ResizeShorterSide.timmEval(size: 224) { x = step.apply(x, rng: &rng) }
        #expect(x.width == 224 && x.height == 224)
        let eval = try #require(ref["\(name).eval224"])
        let (w2, n2) = Self.difference(x.pixels, eval.bytes)
        #expect(w2 == 0, "\(name) eval224: max difference \(w2), \(n2) values differ")
    }

    @Test func resizeShorterSideKeepsTheAspectAsTorchvision() {
        let r = ResizeShorterSide(size: 256)
        #expect(r.outputSize(width: 640, height: 427) == (383, 256))  // int(256 * 640 / 427) = 383
        #expect(r.outputSize(width: 300, height: 500) == (256, 426))
        #expect(r.outputSize(width: 256, height: 256) == (256, 256))
    }

    @Test func encodeDecodeRoundTripsAndSniffsTheFormat() throws {
        var px = [UInt8](repeating: 0, count: 40 * 30 * 3)
        for i in 0..<px.count { px[i] = UInt8((i * 7) % 251) }
        let image = Image(width: 40, height: 30, pixels: px)
        let q100 = try JPEG.encode(Image(width: 40, height: 30, fill: RGB(200, 30, 90)), quality: 100, subsampling: .s444)
        #expect(ImageFormat.sniff(q100) == .jpeg)
        let flat = try JPEG.decode(q100)
        #expect(Self.difference(flat.pixels, Image(width: 40, height: 30, fill: RGB(200, 30, 90)).pixels).worst <= 1)
        let progressive = try JPEG.encode(image, quality: 80, progressive: true)
        #expect(try JPEG.decode(progressive).width == 40)
        #expect(ImageFormat.sniff(try PNG.encode(image)) == .png)
        #expect(throws: JPEGError.self) { try JPEG.encode(image, quality: 0) }
    }

    /// PIL's loader leaves EXIF orientation alone (timm and torchvision do not call `exif_transpose`): a file tagged
    /// "rotate 90°" decodes to the stored pixels, unrotated.
    @Test func exifOrientationIsNotApplied() throws {
        var px = [UInt8](repeating: 0, count: 40 * 30 * 3)
        for i in 0..<px.count { px[i] = UInt8((i * 13) % 256) }
        let plain = try JPEG.encode(Image(width: 40, height: 30, pixels: px), quality: 90)
        // APP1 "Exif\0\0" + little-endian TIFF with one IFD entry: Orientation (0x0112) = 6 (rotate 90° clockwise).
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        let tagged = Array(plain[0..<2]) + app1 + Array(plain[2...])
        let image = try JPEG.decode(tagged)
        #expect(image.width == 40 && image.height == 30)
        #expect(image == (try JPEG.decode(plain)))
    }

    // MARK: Refused files

    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-jpeg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aTruncatedJPEGIsAnErrorNamingTheFile() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("jpeg/photo_flower.jpg"))))
        // PIL refuses both, even the file that lacks only its end-of-image marker ("image file is truncated").
        for (label, cut) in [("half", bytes.count / 2), ("no-eoi", bytes.count - 2)] {
            let path = dir + "/\(label).jpg"
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
            #expect(throws: JPEGError.truncated(source: path)) { try ImageFile.read(path: path) }
        }
        // Cut inside the header: libjpeg-turbo cannot even read the size.
        let header = dir + "/header.jpg"
        try Data(bytes[0..<40]).write(to: URL(fileURLWithPath: header))
        #expect(throws: JPEGError.truncated(source: header)) { try ImageFile.read(path: header) }
        // The progressive fixture cut short: PIL refuses it too ("image file is truncated").
        let prog = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("jpeg/progressive.jpg"))))
        let progPath = dir + "/prog.jpg"
        try Data(prog[0..<(prog.count * 2 / 3)]).write(to: URL(fileURLWithPath: progPath))
        #expect(throws: JPEGError.truncated(source: progPath)) { try ImageFile.read(path: progPath) }
        #expect(JPEGError.truncated(source: progPath).description.contains("truncated"))
        // Bytes after the end-of-image marker are ignored (PIL too).
        let trailing = dir + "/trailing.jpg"
        try Data(bytes + [UInt8]("garbage".utf8)).write(to: URL(fileURLWithPath: trailing))
        #expect(try ImageFile.read(path: trailing) == (try ImageFile.read(path: fixturePath("jpeg/photo_flower.jpg"))))
    }

    @Test func aNonImageOrUnreadableFileIsAnErrorNamingIt() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = dir + "/notes.jpg"
        try Data("not a picture\n".utf8).write(to: URL(fileURLWithPath: text))
        let e1 = try #require(throws: ImageFileError.self) { try ImageFile.read(path: text) }
        #expect(e1 == .notAnImage(path: text, leadingBytes: "6E 6F 74 20 61 20 70 69"))
        #expect(e1.description.contains(text) && e1.description.contains("not a JPEG or PNG"))
        let empty = dir + "/empty.png"
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: ImageFileError.notAnImage(path: empty, leadingBytes: "")) { try ImageFile.read(path: empty) }
        let missing = dir + "/gone.jpg"
        #expect(throws: ImageFileError.unreadable(path: missing, reason: "No such file or directory")) {
            try ImageFile.read(path: missing)
        }
        #expect(throws: ImageFileError.unreadable(path: dir, reason: "not a regular file")) { try ImageFile.read(path: dir) }
        // JPEG's signature followed by garbage: the decoder's reason, with the file.
        let garbage = dir + "/garbage.jpg"
        try Data([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x42, count: 64)).write(to: URL(fileURLWithPath: garbage))
        let e2 = try #require(throws: JPEGError.self) { try ImageFile.read(path: garbage) }
        #expect(e2.description.hasPrefix("cannot read JPEG \(garbage): "), "\(e2)")
    }

    /// A JPEG whose start-of-frame declares `width × height` (the entropy-coded data is the original's).
    static func withDeclaredSize(_ bytes: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var out = bytes
        var i = 2
        while i + 9 < out.count {
            guard out[i] == 0xFF else { break }
            let marker = out[i + 1], length = Int(out[i + 2]) << 8 | Int(out[i + 3])
            if (0xC0...0xC2).contains(marker) {
                out[i + 5] = UInt8(height >> 8); out[i + 6] = UInt8(height & 0xFF)
                out[i + 7] = UInt8(width >> 8); out[i + 8] = UInt8(width & 0xFF)
                return out
            }
            i += 2 + length
        }
        throw JPEGError.read(source: "<test>", message: "no start-of-frame marker")
    }

    @Test func aDecompressionBombIsRefusedFromItsHeader() throws {
        let small = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("jpeg/odd_420_q75.jpg"))))
        // 65,000 × 65,000 would be 12.7 GB of RGB; 9,000 × 8,000 is 72 megapixels, just over the limit.
        for (w, h) in [(65_000, 65_000), (9_000, 8_000)] {
            let bomb = try Self.withDeclaredSize(small, width: w, height: h)
            #expect(bomb.count == small.count)
            let error = try #require(throws: ImageTooLarge.self) { try ImageFile.decode(bomb, name: "bomb.jpg") }
            #expect(error == ImageTooLarge(source: "bomb.jpg", format: "JPEG", width: w, height: h))
            #expect(error.description.contains("bomb.jpg") && error.description.contains("\(w)×\(h)"))
        }
        // A plausible size passes the header check; the blocks the data lacks are grey, as PIL returns this file.
        let fits = try ImageFile.decode(try Self.withDeclaredSize(small, width: 640, height: 480), name: "fits.jpg")
        #expect(fits.width == 640 && fits.height == 480)
        #expect(fits[x: 600, y: 400, c: 0] == 128 && fits[x: 0, y: 0, c: 0] == 5)
    }
}
