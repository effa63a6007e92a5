// Tests: every PIL op in Fixtures/pytorch/augment/pil_ops.safetensors, reproduced by Vision's Image ops.

import Testing
@testable import Vision

struct PILOpsTests {
    /// The fixture's ops, keyed by entry name, with the tolerance the fixture README gives.
    static let cases: [(name: String, tolerance: Int, op: @Sendable (Image) -> Image)] = [
        ("out.autocontrast", 0, { $0.autoContrast() }),
        ("out.brightness_1.3", 0, { $0.enhancedBrightness(1.3) }),
        ("out.color_1.5", 0, { $0.enhancedColor(1.5) }),
        ("out.contrast_0.5", 0, { $0.enhancedContrast(0.5) }),
        ("out.equalize", 0, { $0.equalize() }),
        ("out.invert", 0, { $0.inverted() }),
        ("out.posterize_4bits", 0, { $0.posterized(bits: 4) }),
        ("out.rotate_15_bilinear", 1, { $0.rotated(degrees: 15, interpolation: .bilinear) }),
        ("out.rotate_15_nearest", 0, { $0.rotated(degrees: 15, interpolation: .nearest) }),
        ("out.sharpness_1.8", 0, { $0.enhancedSharpness(1.8) }),
        ("out.shear_x_0.2_nearest", 0, { $0.shearedX(0.2, interpolation: .nearest) }),
        ("out.shear_y_-0.2_bilinear", 1, { $0.shearedY(-0.2, interpolation: .bilinear) }),
        ("out.solarize_128", 0, { $0.solarized(threshold: 128) }),
        ("out.solarize_add_40_thresh128", 0, { $0.solarizedAdd(40, threshold: 128) }),
        ("out.translate_x_5px_nearest", 0, { $0.translatedX(5, interpolation: .nearest) }),
        ("out.translate_y_-3px_nearest", 0, { $0.translatedY(-3, interpolation: .nearest) }),
    ]

    static func load() throws -> (Image, [String: FixtureTensor]) {
        let t = try readFixture("pytorch/augment/pil_ops.safetensors")
        let input = t["input"]!
        return (Image(width: input.shape[1], height: input.shape[0], pixels: input.bytes), t)
    }

    @Test func fixtureHasNoUntestedEntries() throws {
        let (_, t) = try Self.load()
        let tested = Set(Self.cases.map(\.name))
        let entries = Set(t.keys.filter { $0.hasPrefix("out.") })
        #expect(entries == tested)
    }

    @Test(arguments: 0..<16)
    func matchesPIL(index: Int) throws {
        let (input, t) = try Self.load()
        let c = Self.cases[index]
        let expected = try #require(t[c.name])
        let got = c.op(input)
        var worst = 0, mismatches = 0
        for i in 0..<expected.bytes.count {
            let d = abs(Int(got.pixels[i]) - Int(expected.bytes[i]))
            worst = max(worst, d)
            if d > 0 { mismatches += 1 }
        }
        #expect(worst <= c.tolerance, "\(c.name): max difference \(worst), \(mismatches) values differ")
    }
}
