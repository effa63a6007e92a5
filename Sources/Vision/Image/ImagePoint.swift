// PIL-exact per-pixel ops (ImageOps): AutoContrast, Equalize, Invert, Posterize, Solarize, SolarizeAdd.

extension Image {
    /// Per-channel 256-bin histograms, R then G then B (PIL `Image.histogram()`).
    public func histograms() -> [[Int]] {
        var h = [Int](repeating: 0, count: 768)
        pixels.withUnsafeBufferPointer { p in
            h.withUnsafeMutableBufferPointer { hb in
                for i in 0..<p.count { hb[(i % 3) * 256 + Int(p[i])] += 1 }
            }
        }
        return [Array(h[0..<256]), Array(h[256..<512]), Array(h[512..<768])]
    }

    /// PIL `ImageOps.autocontrast(img)` (cutoff 0): each channel's [min, max] is mapped
    /// linearly to [0, 255] by `lut[i] = clamp(int(i·scale + offset))`; a flat channel is unchanged.
    public func autoContrast() -> Image {
        let luts = histograms().map { h -> [UInt8] in
            guard let lo = h.firstIndex(where: { $0 != 0 }), let hi = h.lastIndex(where: { $0 != 0 }), hi > lo else {
                return (0..<256).map { UInt8($0) }
            }
            let scale = 255.0 / Double(hi - lo)
            let offset = -Double(lo) * scale
            return (0..<256).map { i in
                let v = Int(Double(i) * scale + offset)  // Python int(): truncation toward zero
                return UInt8(max(0, min(255, v)))
            }
        }
        return mapped(luts: luts)
    }

    /// PIL `ImageOps.equalize(img)`, per channel: with n_last the count in the last non-empty bin and
    /// `step = (total − n_last) / 255`, `lut[i] = (step/2 + Σ_{j<i} h[j]) / step` (integer division);
    /// channels with one non-empty bin or step 0 are unchanged (docs/methods.md §2.7).
    public func equalize() -> Image {
        let luts = histograms().map { h -> [UInt8] in
            let nonEmpty = h.filter { $0 != 0 }
            let identity = (0..<256).map { UInt8($0) }
            guard nonEmpty.count > 1 else { return identity }
            let step = (nonEmpty.reduce(0, +) - nonEmpty.last!) / 255
            guard step > 0 else { return identity }
            var n = step / 2
            var lut = [UInt8](repeating: 0, count: 256)
            for i in 0..<256 {
                lut[i] = UInt8(min(255, n / step))  // PIL's point() clips table entries to 8 bits
                n += h[i]
            }
            return lut
        }
        return mapped(luts: luts)
    }

    /// PIL `ImageOps.invert`: 255 − v.
    public func inverted() -> Image {
        mapped(lut: (0..<256).map { UInt8(255 - $0) })
    }

    /// PIL `ImageOps.posterize(img, bits)`: keeps the top `bits` bits (0 gives black; ≥ 8 is a no-op).
    public func posterized(bits: Int) -> Image {
        if bits >= 8 { return self }
        let mask = UInt8(truncatingIfNeeded: ~((1 << (8 - max(0, bits))) - 1))
        return mapped(lut: (0..<256).map { UInt8($0) & mask })
    }

    /// PIL `ImageOps.solarize(img, threshold)`: inverts values ≥ threshold (a fractional threshold
    /// compares as PIL does, `i < threshold` keeps `i`).
    public func solarized(threshold: Double) -> Image {
        mapped(lut: (0..<256).map { Double($0) < threshold ? UInt8($0) : UInt8(255 - $0) })
    }

    /// timm `solarize_add(img, add, thresh)`: adds `add` (clipped at 255) to values below `threshold`.
    public func solarizedAdd(_ add: Int, threshold: Int = 128) -> Image {
        mapped(lut: (0..<256).map { i in i < threshold ? UInt8(max(0, min(255, i + add))) : UInt8(i) })
    }
}
