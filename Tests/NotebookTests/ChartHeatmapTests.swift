// Heat-map charts: cells, colour bar, labels, accessibility, escaping, and a report snapshot.
import Foundation
import Testing
@testable import Notebook

/// A 3×4 Fourier-style heat map with one missing cell.
private func sampleHeatmap() -> HeatmapChart {
    HeatmapChart(title: "Error under Fourier noise <ResNet>", x: ChartAxis("frequency u"), y: ChartAxis("frequency v"),
                 xLabels: ["-2", "-1", "0", "1"], yLabels: ["-1", "0", "1"],
                 values: [[0.12, 0.30, 0.55, 0.31], [0.20, 0.05, .nan, 0.62], [0.11, 0.33, 0.87, 0.29]],
                 scale: ChartAxis("test error"))
}

@Suite struct ChartHeatmapTests {
    @Test func drawsOneCrispCellPerFiniteValueWithTooltips() {
        let svg = sampleHeatmap().svg()
        #expect(svg.contains("<g class=\"cells\" shape-rendering=\"crispEdges\">"))
        let cells = svg.components(separatedBy: "<g class=\"cells\"")[1].components(separatedBy: "</g>")[0]
        #expect(cells.components(separatedBy: "<rect ").count - 1 == 11, "12 cells less one NaN")
        #expect(svg.contains("frequency v 0, frequency u 1: 0.62"))
        #expect(svg.contains("<title>Error under Fourier noise &lt;ResNet&gt;: Heat map of test error by frequency v and frequency u"))
        #expect(svg.contains("role=\"img\""))
        #expect(!svg.contains("<ResNet>"))
    }

    @Test func colourBarHasRoundTicksOverTheDataRange() {
        let chart = sampleHeatmap()
        let range = chart.colourRange()
        #expect(range.low == 0 && range.high == 1)
        #expect(range.ticks == [0, 0.2, 0.4, 0.6, 0.8, 1])
        let svg = chart.svg()
        #expect(svg.contains("<g class=\"colour-bar\">"))
        for label in ["0.0", "0.2", "1.0"] { #expect(svg.contains(">\(label)</text>")) }
        // Extremes get the palette's end colours.
        #expect(svg.contains(HeatmapPalette.sequential.hex(0.87)))
        var fixed = chart
        fixed.scale = ChartAxis("error", min: 0.05, max: 0.87)
        #expect(fixed.svg().contains("fill=\"\(HeatmapPalette.sequential.hex(1))\"><title>frequency v 1, frequency u 0: 0.87"))
    }

    @Test func palettesAreOrderedAndDistinct() {
        #expect(HeatmapPalette.sequential.hex(0) != HeatmapPalette.sequential.hex(1))
        #expect(HeatmapPalette.sequential.hex(0).count == 7 && HeatmapPalette.sequential.hex(0).hasPrefix("#"))
        func grey(_ hex: String) -> Int {
            let v = Int(hex.dropFirst(), radix: 16)!
            return (v >> 16) * 2126 + ((v >> 8) & 255) * 7152 + (v & 255) * 722
        }
        let ramp = (0...10).map { grey(HeatmapPalette.sequential.hex(Double($0) / 10)) }
        #expect(ramp == ramp.sorted() && Set(ramp).count == ramp.count, "the sequential map brightens monotonically")
        #expect(grey(HeatmapPalette.diverging.hex(0.5)) > grey(HeatmapPalette.diverging.hex(0)))
        #expect(grey(HeatmapPalette.diverging.hex(0.5)) > grey(HeatmapPalette.diverging.hex(1)))
    }

    @Test func denseGridsThinTheirTickLabels() {
        let n = 32
        let chart = HeatmapChart(x: ChartAxis("x"), y: ChartAxis("y"), xLabels: (0..<n).map(String.init),
                                 yLabels: (0..<n).map(String.init),
                                 values: (0..<n).map { r in (0..<n).map { Double(r * $0) } }, scale: ChartAxis("v"))
        let svg = chart.svg()
        let xTicks = svg.components(separatedBy: "<g class=\"axis x\">")[1].components(separatedBy: "class=\"tick\"").count - 1
        #expect(xTicks < n && xTicks >= 4)
        #expect(chart.svg() == svg, "deterministic")
    }

    @Test func reportWithHeatmapMatchesSnapshot() throws {
        let cell = ReportCell(id: "fourier", source: "FourierHeatmap(base)", line: 12, state: .current, outputs: [
            ReportOutput(title: "Fourier heat map", .heatmap(sampleHeatmap()),
                         provenance: [Provenance(runKey: "d4e5f6a7b8c9d0e1f2a3", label: "base", seeds: [0])]),
            ReportOutput(title: "Grad-CAM grid", .heatmap(HeatmapChart(
                x: ChartAxis(""), y: ChartAxis(""), values: [[0, 0.5], [1, 0.25]],
                scale: ChartAxis("attribution", min: 0, max: 1), palette: .diverging))),
        ])
        let report = Report(title: "Heat maps", blocks: [.prose("A heat map."), .cell(cell)])
        let html = ReportRenderer.render(report)
        #expect(!html.contains("<script"))
        try assertSnapshot(html, named: "heatmap-report.html")
    }
}
