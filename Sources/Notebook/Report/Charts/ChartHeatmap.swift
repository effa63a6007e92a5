// Heat-map charts as inline SVG: a grid of coloured cells, x/y tick labels, a colour bar with value ticks.
import Foundation

/// The colours of a heat map. Notebook keeps its own copy of Vision's OKLab maps (it imports neither
/// Engine nor Vision); both are defined by the same lightness/chroma/hue formulas.
public enum HeatmapPalette: String, Equatable, Sendable, Codable {
    /// Dark violet → teal → yellow, OKLab lightness rising linearly: for magnitudes (accuracy, error, power).
    case sequential
    /// Blue → near-white → red with symmetric lightness: for signed values around the middle of the range.
    case diverging

    /// The colour of `t` in [0, 1] as `#rrggbb`.
    public func hex(_ t: Double) -> String {
        let u = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
        let (l, c, h): (Double, Double, Double)
        switch self {
        case .sequential: (l, c, h) = (0.27 + 0.68 * u, 0.13 + 0.05 * u - 0.06 * sin(Double.pi * u), 315 - 208 * u)
        case .diverging:
            let s = 2 * u - 1
            (l, c, h) = (0.96 - 0.42 * abs(s), 0.16 * abs(s), s < 0 ? 255 : 25)
        }
        let (r, g, b) = HeatmapPalette.oklchToSRGB(l, c, h)
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    /// OKLCh → 8-bit sRGB, reducing chroma (bisection) until the colour is in gamut.
    static func oklchToSRGB(_ l: Double, _ c: Double, _ hue: Double) -> (Int, Int, Int) {
        let h = hue * Double.pi / 180
        func linear(_ chroma: Double) -> [Double] {
            let a = chroma * cos(h), b = chroma * sin(h)
            let l3 = pow(l + 0.3963377774 * a + 0.2158037573 * b, 3)
            let m3 = pow(l - 0.1055613458 * a - 0.0638541728 * b, 3)
            let s3 = pow(l - 0.0894841775 * a - 1.2914855480 * b, 3)
            return [4.0767416621 * l3 - 3.3077115913 * m3 + 0.2309699292 * s3,
                    -1.2684380046 * l3 + 2.6097574011 * m3 - 0.3413193965 * s3,
                    -0.0041960863 * l3 - 0.7034186147 * m3 + 1.7076147010 * s3]
        }
        func inGamut(_ v: [Double]) -> Bool { v.allSatisfy { $0 >= -1e-9 && $0 <= 1 + 1e-9 } }
        var rgb = linear(c)
        if !inGamut(rgb) {
            var (lo, hi) = (0.0, c)
            for _ in 0..<30 {
                let mid = (lo + hi) / 2
                if inGamut(linear(mid)) { lo = mid } else { hi = mid }
            }
            rgb = linear(lo)
        }
        let enc = rgb.map { x -> Int in
            let v = Swift.min(1, Swift.max(0, x))
            return Int((255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055)).rounded())
        }
        return (enc[0], enc[1], enc[2])
    }
}

/// A grid of values drawn as coloured cells (e.g. a Fourier heat map of error rates, accuracy over
/// two hyper-parameters, a Grad-CAM map), with a colour bar.
public struct HeatmapChart: Equatable, Sendable {
    /// Optional heading drawn inside the chart, above the grid.
    public var title: String?
    /// The x axis title and unit; `min`/`max` are not used (columns are categories).
    public var x: ChartAxis
    public var y: ChartAxis
    /// One label per column (left to right) and per row (top to bottom); empty hides them.
    public var xLabels: [String]
    public var yLabels: [String]
    /// Rows top to bottom, each with one value per column; NaN leaves a cell empty.
    public var values: [[Double]]
    /// The colour bar's title and unit; with `min`/`max` fixing the colour range (otherwise it is
    /// the data range widened to round ticks). Values outside the range get the end colours.
    public var scale: ChartAxis
    public var palette: HeatmapPalette

    public init(title: String? = nil, x: ChartAxis, y: ChartAxis, xLabels: [String] = [], yLabels: [String] = [],
                values: [[Double]], scale: ChartAxis, palette: HeatmapPalette = .sequential) {
        let columns = values.first?.count ?? 0
        precondition(values.allSatisfy { $0.count == columns },
                     "heat map: rows have \(values.map(\.count)) values; every row needs the same count")
        precondition(xLabels.isEmpty || xLabels.count == columns, "heat map: \(columns) columns but \(xLabels.count) x labels")
        precondition(yLabels.isEmpty || yLabels.count == values.count, "heat map: \(values.count) rows but \(yLabels.count) y labels")
        self.title = title
        self.x = x
        self.y = y
        self.xLabels = xLabels
        self.yLabels = yLabels
        self.values = values
        self.scale = scale
        self.palette = palette
    }

    /// The colour range and the colour bar's ticks.
    func colourRange() -> ColourRange {
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let dataLow = finite.min() ?? 0, dataHigh = finite.max() ?? 1
        let fitted = ChartScale(low: scale.min ?? dataLow, high: scale.max ?? dataHigh, count: 5)
        let low = scale.min ?? fitted.lower, high = scale.max ?? fitted.upper
        let tolerance = 1e-9 * Swift.max(1, abs(high - low))
        let ticks = fitted.ticks.filter { $0 >= Swift.min(low, high) - tolerance && $0 <= Swift.max(low, high) + tolerance }
        return (low, high, ticks, fitted)
    }

    /// The colour range's (low, high, tick values, scale), as the cells and the colour bar read it.
    typealias ColourRange = (low: Double, high: Double, ticks: [Double], scale: ChartScale)

    /// The chart as an `<svg>` element sized by its view box (640 wide).
    public func svg() -> String {
        let n = ChartSVG.n
        let rows = values.count, cols = values.first?.count ?? 0
        let range = colourRange()
        let barLabelWidth = Double(range.ticks.map { range.scale.label($0).count }.max() ?? 1) * ChartSVG.charWidth
        let right = ChartSVG.width - 16 - barLabelWidth - 8 - 14 - 24 - (scale.title.isEmpty ? 0 : 18)
        let left = 14 + (y.title.isEmpty ? 0 : 20) + Double(yLabels.map(\.count).max() ?? 0) * ChartSVG.charWidth + 6
        let top = 10.0 + (title == nil ? 0 : 24)
        let cell = cols == 0 || rows == 0 ? 0 : Swift.min((right - left) / Double(cols), 360 / Double(rows), 48)
        let plot = PlotArea(left: left, top: top, right: left + cell * Double(cols), bottom: top + cell * Double(Swift.max(rows, 1)))

        var body = ""
        if let title {
            body += "<text class=\"chart-title\" x=\"\(n(plot.left))\" y=\"18\" font-weight=\"600\">" + HTML.escape(title) + "</text>"
        }
        body += cellsSVG(plot: plot, cell: cell, range: range)
        let axes = axesSVG(plot: plot, cell: cell)
        body += axes.svg
        let bar = colourBarSVG(plot: plot, range: range, labelWidth: barLabelWidth)
        body += bar.svg
        // Small grids leave room on the right: centre the drawing in the chart's fixed-width view box.
        let shift = Swift.max(0, (ChartSVG.width - bar.right) / 2)
        if shift >= 1 { body = "<g transform=\"translate(\(n(shift.rounded())) 0)\">" + body + "</g>" }
        return ChartSVG.wrap(body, height: axes.xTitleY + 14, label: accessibleLabel(range), kind: "heatmap")
    }

    /// One `<rect>` per finite value, coloured by its place in the range, with a tooltip naming its row and column.
    func cellsSVG(plot: PlotArea, cell: Double, range: ColourRange) -> String {
        let n = ChartSVG.n
        var body = "<g class=\"cells\" shape-rendering=\"crispEdges\">"
        let span = range.high - range.low
        for (r, row) in values.enumerated() {
            for (c, v) in row.enumerated() where v.isFinite {
                let t = span != 0 ? (v - range.low) / span : 0.5
                let where_ = [yLabels.isEmpty ? nil : "\(y.label) \(yLabels[r])", xLabels.isEmpty ? nil : "\(x.label) \(xLabels[c])"]
                    .compactMap { $0 }.joined(separator: ", ")
                let tip = (where_.isEmpty ? "row \(r + 1), column \(c + 1)" : where_) + ": " + NumberFormat.automatic.format(v)
                    + (scale.unit.map { " " + $0 } ?? "")
                body += "<rect x=\"\(n(plot.left + cell * Double(c)))\" y=\"\(n(plot.top + cell * Double(r)))\" width=\"\(n(cell))\""
                    + " height=\"\(n(cell))\" fill=\"\(palette.hex(t))\"><title>" + HTML.escape(tip) + "</title></rect>"
            }
        }
        return body + "</g>"
    }

    /// Axes: tick labels at cell centres, thinned so they do not overlap, and the axis titles;
    /// also where the x title sits, which sets the chart's height.
    func axesSVG(plot: PlotArea, cell: Double) -> (svg: String, xTitleY: Double) {
        let n = ChartSVG.n
        var body = "<g class=\"axis y\">"
        let yEvery = Swift.max(1, Int((14 / Swift.max(cell, 1)).rounded(.up)))
        for (r, label) in yLabels.enumerated() where r % yEvery == 0 {
            body += "<text class=\"tick\" x=\"\(n(plot.left - 6))\" y=\"\(n(plot.top + cell * (Double(r) + 0.5)))\" dy=\"0.32em\""
                + " text-anchor=\"end\">" + HTML.escape(label) + "</text>"
        }
        if !y.title.isEmpty {
            body += "<text class=\"axis-title\" transform=\"translate(14 \(n((plot.top + plot.bottom) / 2))) rotate(-90)\""
                + " text-anchor=\"middle\">" + HTML.escape(y.title) + "</text>"
        }
        body += "</g><g class=\"axis x\">"
        let widest = Double(xLabels.map(\.count).max() ?? 0) * ChartSVG.charWidth
        let xEvery = Swift.max(1, Int(((widest + 6) / Swift.max(cell, 1)).rounded(.up)))
        for (c, label) in xLabels.enumerated() where c % xEvery == 0 {
            body += "<text class=\"tick\" x=\"\(n(plot.left + cell * (Double(c) + 0.5)))\" y=\"\(n(plot.bottom + 16))\""
                + " text-anchor=\"middle\">" + HTML.escape(label) + "</text>"
        }
        let xTitleY = plot.bottom + (xLabels.isEmpty ? 16 : 36)
        if !x.title.isEmpty { body += ChartSVG.xTitle(plot, x.title, below: xTitleY - plot.bottom) }
        return (body + "</g>", xTitleY)
    }

    /// The colour bar: 32 bands from high (top) to low, value ticks on its right, and the scale's
    /// title; also the right edge of everything drawn, for centring.
    func colourBarSVG(plot: PlotArea, range: ColourRange, labelWidth: Double) -> (svg: String, right: Double) {
        let n = ChartSVG.n
        let barLeft = plot.right + 24, barWidth = 14.0, steps = 32
        let barTop = plot.top, barHeight = plot.bottom - plot.top
        let span = range.high - range.low
        var body = "<g class=\"colour-bar\"><g shape-rendering=\"crispEdges\">"
        for k in 0..<steps {
            let t = (Double(steps - 1 - k) + 0.5) / Double(steps)
            body += "<rect x=\"\(n(barLeft))\" y=\"\(n(barTop + barHeight * Double(k) / Double(steps)))\" width=\"\(n(barWidth))\""
                + " height=\"\(n(barHeight / Double(steps) + 0.5))\" fill=\"\(palette.hex(t))\"/>"
        }
        body += "</g><rect x=\"\(n(barLeft))\" y=\"\(n(barTop))\" width=\"\(n(barWidth))\" height=\"\(n(barHeight))\""
            + " fill=\"none\" stroke=\"currentColor\" stroke-opacity=\"0.3\"/>"
        for tick in range.ticks {
            let ty = span != 0 ? barTop + barHeight * (1 - (tick - range.low) / span) : barTop + barHeight / 2
            body += "<line class=\"tick-mark\" x1=\"\(n(barLeft + barWidth))\" x2=\"\(n(barLeft + barWidth + 4))\" y1=\"\(n(ty))\" y2=\"\(n(ty))\"/>"
            body += "<text class=\"tick\" x=\"\(n(barLeft + barWidth + 7))\" y=\"\(n(ty))\" dy=\"0.32em\">"
                + HTML.escape(range.scale.label(tick)) + "</text>"
        }
        var contentRight = barLeft + barWidth + 7 + labelWidth
        if !scale.title.isEmpty {
            let tx = barLeft + barWidth + 12 + labelWidth + 8
            body += "<text class=\"axis-title\" transform=\"translate(\(n(tx)) \(n(barTop + barHeight / 2))) rotate(90)\""
                + " text-anchor=\"middle\">" + HTML.escape(scale.title) + "</text>"
            contentRight = tx + 8
        }
        return (body + "</g>", contentRight)
    }

    /// The chart's text for screen readers: what is mapped by what, its size and its value range.
    func accessibleLabel(_ range: ColourRange) -> String {
        let rows = values.count, cols = values.first?.count ?? 0
        var label = "Heat map of \(scale.title.isEmpty ? "values" : scale.title)"
        if !y.title.isEmpty || !x.title.isEmpty {
            label += " by " + [y.title, x.title].filter { !$0.isEmpty }.joined(separator: " and ")
        }
        label += ", \(rows)×\(cols) cells, from \(NumberFormat.automatic.format(range.low)) to \(NumberFormat.automatic.format(range.high))"
        if let title { label = title + ": " + label }
        return label
    }
}
