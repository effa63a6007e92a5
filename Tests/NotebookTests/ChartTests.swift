// Tests of chart scales (nice round ticks, labels) and the line and bar chart SVG.
import Foundation
import Testing
@testable import Notebook

@Suite struct ChartTests {
    @Test(arguments: [(0.1, 0.1), (0.13, 0.2), (0.3, 0.5), (0.7, 1.0), (23.0, 50.0), (2.0, 2.0), (4e6, 5e6)])
    func niceStepIsOneTwoOrFiveTimesAPowerOfTen(raw: Double, expected: Double) {
        #expect(abs(ChartScale.niceStep(raw) - expected) < 1e-12 * expected)
    }

    @Test func accuracyRangeGetsRoundTicksCoveringTheData() {
        let scale = ChartScale(low: 0.62, high: 0.81, count: 5)
        #expect(scale.step == 0.05)
        #expect(scale.ticks == [0.6, 0.65, 0.7, 0.75, 0.8, 0.85])
        #expect(scale.ticks.map(scale.label) == ["0.60", "0.65", "0.70", "0.75", "0.80", "0.85"])
    }

    @Test func ticksAreExactDecimalsWithoutFloatNoise() {
        #expect(ChartScale(low: 0, high: 0.3, count: 3).ticks == [0, 0.1, 0.2, 0.3])
        #expect(ChartScale(low: 0, high: 15, count: 6).ticks == [0, 5, 10, 15])
        #expect(ChartScale(low: 1, high: 100, count: 5).ticks == [0, 20, 40, 60, 80, 100])
    }

    @Test func negativeRangesHaveNoNegativeZeroLabel() {
        let scale = ChartScale(low: -0.3, high: 0.7, count: 5)
        #expect(scale.ticks == [-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8])
        #expect(scale.ticks.map(scale.label) == ["-0.4", "-0.2", "0.0", "0.2", "0.4", "0.6", "0.8"])
    }

    @Test func degenerateAndLargeRanges() {
        let flat = ChartScale(low: 3, high: 3)
        #expect(flat.lower < 3 && flat.upper > 3)
        #expect(ChartScale(low: 0, high: 0).ticks.contains(0))
        let params = ChartScale(low: 0, high: 1.2e7, count: 5)
        #expect(params.ticks.map(params.label) == ["0", "5M", "10M", "15M"])
    }

    @Test func positionMapsDomainOntoPixels() {
        let scale = ChartScale(low: 0, high: 10, count: 5)
        #expect(scale.position(0, from: 300, to: 20) == 300)
        #expect(scale.position(10, from: 300, to: 20) == 20)
        #expect(scale.position(5, from: 0, to: 100) == 50)
    }

    @Test func lineChartDrawsOnePathPerSeriesAndBreaksAtNaN() {
        let chart = LineChart(x: ChartAxis("epoch"), y: ChartAxis("loss", unit: "nats"), series: [
            LineSeries("train <a>", [ChartPoint(1, 2), ChartPoint(2, .nan), ChartPoint(3, 1)]),
            LineSeries("test", [ChartPoint(1, 2.5), ChartPoint(3, 1.5)]),
        ])
        let svg = chart.svg()
        #expect(svg.components(separatedBy: "<path class=\"s").count - 1 == 2)
        #expect(svg.contains("train &lt;a&gt;"))
        #expect(!svg.contains("train <a>"))
        #expect(svg.contains("loss (nats)"))
        let first = svg.components(separatedBy: "<path class=\"s0\" d=\"")[1].prefix { $0 != "\"" }
        #expect(first.filter { $0 == "M" }.count == 2, "NaN must split the line: \(first)")
        #expect(svg.contains("<g class=\"legend\">"))
    }

    @Test func barChartStartsAtZeroAndDrawsErrorBars() {
        let chart = BarChart(categories: ["a", "b"], y: ChartAxis("top-1", unit: "%"), series: [
            BarSeries("resnet", values: [70, 72], errors: [1, 0.5]),
            BarSeries("vit", values: [65, .nan]),
        ])
        let svg = chart.svg()
        #expect(svg.components(separatedBy: "class=\"error-bar\"").count - 1 == 2)
        #expect(svg.components(separatedBy: "<rect class=\"f").count - 1 == 3 + 2, "3 bars and 2 legend swatches")
        #expect(svg.contains(">0</text>"))
        #expect(svg.contains("resnet · a: 70 ± 1"))
    }

    @Test func longBarCategoriesAreRotated() {
        let names = (1...8).map { "a rather long category name \($0)" }
        let chart = BarChart(categories: names, y: ChartAxis("x"), series: [BarSeries("", values: Array(repeating: 1, count: 8))])
        #expect(chart.svg().contains("rotate(-35)"))
        #expect(!chart.svg().contains("<g class=\"legend\">"), "a single unnamed series needs no legend")
    }
}

/// Welch's t-test of `SeedComparison` against scipy.stats.ttest_ind(equal_var=False) (docs/methods.md §12).
@Suite struct SeedComparisonTests {
    @Test(arguments: [
        ([1.0, 2, 3], [4.0, 5, 6], 0.021311641128756713),
        ([0.80, 0.81, 0.79, 0.82], [0.70, 0.74, 0.66], 0.03689097141480751),
        ([0.705, 0.72, 0.715], [0.70, 0.71, 0.72], 0.6717372553305959),
    ])
    func welchMatchesScipy(a: [Double], b: [Double], p: Double) throws {
        let c = try #require(SeedComparison(row: a, reference: b))
        #expect(abs(try #require(c.p) - p) < 1e-9 * max(1, p) + 1e-12, "\(c)")
        #expect(c.verdict == (p < 0.05 ? .exceeds : .withinNoise))
        #expect(abs(c.delta - (a.reduce(0, +) / Double(a.count) - b.reduce(0, +) / Double(b.count))) < 1e-12)
    }

    @Test func oneSeedNeverClaimsADifference() throws {
        let c = try #require(SeedComparison(row: [0.99], reference: [0.1, 0.11, 0.12]))
        #expect(c.verdict == .spreadUnknown && c.p == nil)
        #expect(SeedComparison(row: [], reference: [0.1]) == nil)
        let same = try #require(SeedComparison(row: [0.5, 0.5], reference: [0.5, 0.5]))
        #expect(same.verdict == .withinNoise && same.p == 1)
        let apart = try #require(SeedComparison(row: [0.6, 0.6], reference: [0.5, 0.5]))
        #expect(apart.verdict == .exceeds && apart.p == 0)
    }
}

/// The ±1 std band (or error bars) of a line series over seeds (docs/methods.md §12.1).
@Suite struct LineSpreadTests {
    static func chart(errorBars: Bool = false) -> LineChart {
        LineChart(x: ChartAxis("epoch"), y: ChartAxis("top-1", unit: "%"), series: [
            LineSeries("base", [ChartPoint(1, 50), ChartPoint(2, 60), ChartPoint(3, .nan), ChartPoint(4, 70), ChartPoint(5, 72)],
                       spread: [2, 3, 1, 40, 1], errorBars: errorBars),
            LineSeries("single", [ChartPoint(1, 40), ChartPoint(2, 45)]),
        ])
    }

    @Test func bandIsDrawnUnderItsLineAndTheAxisCoversIt() {
        let svg = Self.chart().svg()
        let bands = svg.components(separatedBy: "<path class=\"f0 spread\"").count - 1
        // The NaN point splits the band in two; the single-seed series has none.
        #expect(bands == 2, "\(svg)")
        #expect(!svg.contains("f1 spread"))
        #expect(svg.range(of: "class=\"spreads\"")!.lowerBound < svg.range(of: "class=\"series\"")!.lowerBound)
        // 70 + 40 = 110 must be on the axis: the top tick reaches at least 110.
        #expect(svg.contains(">110<") || svg.contains(">120<"), "\(svg)")
        #expect(svg.contains("<title>base: ± 1 std</title>"))
    }

    @Test func errorBarsInsteadOfABand() {
        let svg = Self.chart(errorBars: true).svg()
        #expect(!svg.contains("spread\""))
        #expect(svg.components(separatedBy: "<path class=\"error-bar\"").count - 1 == 1)
    }

    @Test func csvCarriesTheSpread() throws {
        let csv = try #require(ReportContent.lineChart(Self.chart()).csv)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == "series,epoch,top-1,± std")
        #expect(lines[1] == "base,1.0,50.0,2.0")
        #expect(lines[6] == "single,1.0,40.0,")
    }

    @Test func pointwiseSpreadOverSeeds() {
        let (mean, std) = SeedSpread.pointwise([[1, 2, .nan], [3, 4, 5], [5, 6, 7]])
        #expect(mean == [3, 4, 6])
        #expect(std == [2, 2, 2.squareRoot()])
        #expect(SeedSpread.pointwise([[1, 2]]).std == nil)
    }
}
