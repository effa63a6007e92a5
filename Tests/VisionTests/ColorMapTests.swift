// Colour maps: OpenCV JET table values, lightness ordering of the OKLab maps, grid rendering and tiling.
import Foundation
import Testing
@testable import Vision

/// Relative luminance (Rec. 709, linear light) of an sRGB colour.
private func luminance(_ c: RGB) -> Double {
    func lin(_ v: UInt8) -> Double {
        let s = Double(v) / 255
        return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
}

@Suite struct ColorMapTests {
    @Test func jetMatchesOpenCVTable() {
        // cv2.applyColorMap(np.arange(256, dtype=np.uint8), cv2.COLORMAP_JET), converted BGR → RGB.
        let t = ColorMap.jetTable
        #expect(t.count == 256)
        #expect(t[0] == RGB(0, 0, 128))
        #expect(t[1] == RGB(0, 0, 132))
        #expect(t[31] == RGB(0, 0, 252))
        #expect(t[32] == RGB(0, 0, 255))
        #expect(t[64] == RGB(0, 128, 255))
        #expect(t[96] == RGB(2, 255, 254))
        #expect(t[128] == RGB(130, 255, 126))
        #expect(t[160] == RGB(255, 252, 0))
        #expect(t[192] == RGB(255, 124, 0))
        #expect(t[224] == RGB(252, 0, 0))
        #expect(t[255] == RGB(128, 0, 0))
        // The lookup truncates like np.uint8(255 * t).
        #expect(ColorMap.jet.color(0) == t[0])
        #expect(ColorMap.jet.color(1) == t[255])
        #expect(ColorMap.jet.color(0.5) == t[127])
        #expect(ColorMap.jet.color(2) == t[255] && ColorMap.jet.color(-1) == t[0])
    }

    @Test func sequentialMapGetsLighterMonotonically() {
        let ys = (0...64).map { luminance(ColorMap.sequential.color(Double($0) / 64)) }
        for (a, b) in zip(ys, ys.dropFirst()) { #expect(b > a, "luminance must rise: \(a) then \(b)") }
        #expect(ys.first! < 0.06 && ys.last! > 0.75)
    }

    @Test func divergingMapIsLightestInTheMiddleAndSymmetric() {
        let mid = luminance(ColorMap.diverging.color(0.5))
        let low = ColorMap.diverging.color(0), high = ColorMap.diverging.color(1)
        #expect(mid > 0.85)
        #expect(low.b > low.r && high.r > high.b, "blue below the middle, red above")
        for k in 1...8 {
            let d = Double(k) / 16
            let (a, b) = (luminance(ColorMap.diverging.color(0.5 - d)), luminance(ColorMap.diverging.color(0.5 + d)))
            #expect(a < mid && b < mid)
            #expect(abs(a - b) < 0.08, "lightness should fall alike on both sides at ±\(d): \(a) vs \(b)")
        }
    }

    @Test func renderScalesCellsAndMapsTheRange() throws {
        let img = try ColorMap.jet.render([0, 1, 0.5, Double.nan] as [Double], width: 2, height: 2, scale: 3)
        #expect(img.width == 6 && img.height == 6)
        #expect(img.pixel(x: 0, y: 0) == ColorMap.jetTable[0])
        #expect(img.pixel(x: 2, y: 2) == ColorMap.jetTable[0], "a cell fills scale × scale pixels")
        #expect(img.pixel(x: 3, y: 0) == ColorMap.jetTable[255])
        #expect(img.pixel(x: 5, y: 2) == ColorMap.jetTable[255])
        #expect(img.pixel(x: 0, y: 3) == ColorMap.jetTable[127])
        #expect(img.pixel(x: 4, y: 4) == RGB.mid, "NaN is grey")
        let fixed = try ColorMap.sequential.render([5] as [Double], width: 1, height: 1, range: 0...10)
        #expect(fixed.pixel(x: 0, y: 0) == ColorMap.sequential.color(0.5))
        #expect(throws: ColorMapError.self) { try ColorMap.jet.render([1, 2, 3] as [Double], width: 2, height: 2) }
        #expect(throws: ColorMapError.self) { try ColorMap.jet.render([1] as [Double], width: 1, height: 1, scale: 0) }
    }

    @Test func tilingPlacesImagesWithGapsOnly() throws {
        let red = Image(width: 2, height: 3, fill: RGB(255, 0, 0)), blue = Image(width: 3, height: 2, fill: RGB(0, 0, 255))
        let out = try Image.tiled([red, blue, blue], columns: 2, gap: 1, background: .black)
        // Column 0 is as wide as its widest image (the third, blue); row 0 as tall as red.
        #expect(out.width == 3 + 1 + 3 && out.height == 3 + 1 + 2)
        #expect(out.pixel(x: 0, y: 0) == RGB(255, 0, 0) && out.pixel(x: 1, y: 2) == RGB(255, 0, 0))
        #expect(out.pixel(x: 2, y: 0) == .black, "right of the narrower red image")
        #expect(out.pixel(x: 3, y: 0) == .black, "gap column")
        #expect(out.pixel(x: 4, y: 0) == RGB(0, 0, 255) && out.pixel(x: 6, y: 1) == RGB(0, 0, 255))
        #expect(out.pixel(x: 4, y: 2) == .black, "below the shorter image in a taller row")
        #expect(out.pixel(x: 0, y: 3) == .black, "gap row")
        #expect(out.pixel(x: 0, y: 4) == RGB(0, 0, 255) && out.pixel(x: 2, y: 5) == RGB(0, 0, 255))
        #expect(throws: ColorMapError.self) { try Image.tiled([]) }
    }
}
