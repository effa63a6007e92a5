// The fast resize (32-bit sums, a direct vertical pass) against the plain reference (64-bit sums, the vertical pass as a
// transposed horizontal one): identical bytes for every filter, shrinking and enlarging, odd sizes and extreme pixels.
import Testing
import Vision

@Suite struct ResizeKernelTests {
    static let sizes: [(Int, Int, Int, Int)] = [
        (61, 47, 24, 24), (466, 404, 224, 224), (17, 9, 40, 31), (5, 5, 1, 1), (1, 1, 7, 3), (300, 20, 299, 21),
    ]

    @Test(arguments: ResampleFilter.allCases)
    func fastResizeMatchesTheReference(filter: ResampleFilter) {
        var rng = SeededRNG(seed: 5)
        for (w, h, ow, oh) in Self.sizes {
            // Random pixels, then a block of 0/255 stripes: the negative lobes of bicubic and lanczos reach past [0, 255].
            var pixels = (0..<w * h * 3).map { _ in UInt8(rng.next() % 256) }
            for i in stride(from: 0, to: pixels.count, by: 7) { pixels[i] = (i / 7) % 2 == 0 ? 0 : 255 }
            let image = Image(width: w, height: h, pixels: pixels)
            let fast = image.resized(width: ow, height: oh, filter: filter)
            let reference = image.resizedReference(width: ow, height: oh, filter: filter)
            #expect(fast.width == ow && fast.height == oh)
            #expect(fast.pixels == reference.pixels, "\(filter) \(w)x\(h) → \(ow)x\(oh)")
        }
    }
}
