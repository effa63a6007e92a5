// Tests: PNG round trips (memory and file), corrupt-PNG errors, and the image grid.

import Foundation
import Testing
@testable import Vision

struct PNGTests {
    static func gradient(_ w: Int, _ h: Int) -> Image {
        var img = Image(width: w, height: h)
        for y in 0..<h { for x in 0..<w { img[x: x, y: y, c: 0] = UInt8(x * 9 % 256); img[x: x, y: y, c: 1] = UInt8(y * 7 % 256); img[x: x, y: y, c: 2] = UInt8((x ^ y) % 256) } }
        return img
    }

    @Test func memoryRoundTrip() throws {
        let img = Self.gradient(37, 21)
        let bytes = try PNG.encode(img)
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(try PNG.decode(bytes) == img)
    }

    @Test func fileRoundTrip() throws {
        let img = Self.gradient(8, 5)
        let path = NSTemporaryDirectory() + "loom-png-\(UInt64.random(in: 0...UInt64.max)).png"
        try PNG.write(img, to: path)
        #expect(try PNG.read(path: path) == img)
    }

    @Test func corruptAndMissingPNGsAreTypedErrors() throws {
        var bytes = try PNG.encode(Self.gradient(8, 8))
        bytes.replaceSubrange(0..<8, with: [UInt8](repeating: 0x42, count: 8))
        #expect(throws: PNGError.self) { try PNG.decode(bytes, name: "broken.png") }
        do {
            _ = try PNG.decode(bytes, name: "broken.png")
        } catch let e as PNGError {
            guard case let .read(source, message) = e else { Issue.record("wrong case \(e)"); return }
            #expect(source == "broken.png")
            #expect(!message.isEmpty)
        }
        let truncated = Array(try PNG.encode(Self.gradient(16, 16)).prefix(60))
        #expect(throws: PNGError.self) { try PNG.decode(truncated) }
        #expect(throws: PNGError.self) { try PNG.read(path: "/nonexistent/dir/x.png") }
        #expect(throws: PNGError.self) { try PNG.write(Self.gradient(2, 2), to: "/nonexistent/dir/x.png") }
    }

    @Test func gridTilesWithGutterAndScale() throws {
        let a = Image(width: 2, height: 2, fill: RGB(255, 0, 0)), b = Image(width: 2, height: 2, fill: RGB(0, 0, 255))
        let g = Image.grid([a, b, a], columns: 2, gutter: 1, scale: 2, background: .black)
        #expect(g.width == 2 * 4 + 3 && g.height == 2 * 4 + 3)
        #expect(g.pixel(x: 0, y: 0) == .black)
        #expect(g.pixel(x: 1, y: 1) == RGB(255, 0, 0))
        #expect(g.pixel(x: 4, y: 4) == RGB(255, 0, 0))
        #expect(g.pixel(x: 5, y: 1) == .black)
        #expect(g.pixel(x: 6, y: 1) == RGB(0, 0, 255))
        #expect(g.pixel(x: 1, y: 6) == RGB(255, 0, 0))
        #expect(g.pixel(x: 6, y: 6) == .black)
        #expect(g.pixel(x: 9, y: 9) == .black)  // empty fourth cell
        #expect(try PNG.decode(try Image.gridPNG([a, b], gutter: 2)).width == 2 * 2 + 3 * 2)
    }

    @Test func planarRoundTripAndNormalisation() {
        let img = Self.gradient(5, 4)
        let p = img.planar(.cifar100)
        #expect(p.channels == 3 && p.height == 4 && p.width == 5)
        let v = p.data[1 * 20 + 2 * 5 + 3]  // channel G, y 2, x 3
        #expect(abs(v - (Float(img[x: 3, y: 2, c: 1]) / 255 - 0.48655) / 0.25644) < 1e-5)
        #expect(Image(planar: p, normalization: .cifar100) == img)
        #expect(Normalization.imagenet.meanColor == RGB(124, 116, 104))
    }
}

/// Issue 14, defect 3: a 1 MB PNG declaring 20000×20000 used 5.9 GB before failing. The pixel cap is checked from the
/// header, before any buffer exists.
struct ImageLimitTests {
    /// `png` with its IHDR width and height replaced (and the chunk's CRC recomputed).
    static func declaring(_ width: UInt32, _ height: UInt32, in png: [UInt8]) -> [UInt8] {
        var bytes = png
        func put(_ v: UInt32, at i: Int) { for k in 0..<4 { bytes[i + k] = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * k)) } }
        put(width, at: 16); put(height, at: 20)  // signature (8) + length (4) + "IHDR" (4)
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes[12..<29] {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        put(~c, at: 29)
        return bytes
    }

    @Test func aDecompressionBombIsRefusedFromItsHeader() throws {
        let bomb = Self.declaring(20_000, 20_000, in: try PNG.encode(PNGTests.gradient(8, 8)))
        do {
            _ = try PNG.decode(bomb, name: "bomb.png")
            Issue.record("a 20000×20000 PNG was decoded")
        } catch let e as ImageTooLarge {
            #expect(e == ImageTooLarge(source: "bomb.png", format: "PNG", width: 20_000, height: 20_000))
            #expect(e.description.contains("bomb.png: its header declares 20000×20000 pixels (381 megapixels), more than Loom's limit of 64"))
        }
        let path = NSTemporaryDirectory() + "loom-bomb-\(UInt64.random(in: 0...UInt64.max)).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bomb).write(to: URL(fileURLWithPath: path))
        #expect(throws: ImageTooLarge.self) { try PNG.read(path: path) }
    }

    @Test func theCapIsSharedAndOverflowSafe() throws {
        try ImageLimits.checkHeader(width: 8192, height: 8192, source: "x", format: "JPEG")  // exactly 64 Mi pixels
        #expect(throws: ImageTooLarge.self) { try ImageLimits.checkHeader(width: 8193, height: 8192, source: "x", format: "JPEG") }
        #expect(throws: ImageTooLarge.self) { try ImageLimits.checkHeader(width: Int.max, height: 3, source: "x", format: "PNG") }
        #expect(throws: ImageTooLarge.self) { try ImageLimits.checkHeader(width: 0, height: 3, source: "x", format: "PNG") }
    }
}
