// Bar charts as inline SVG: bars grouped by category, optional mean ± std error bars, a zero baseline.

extension BarChart {
    /// The chart as an `<svg>` element sized by its view box (640 wide).
    public func svg() -> String {
        var low = 0.0, high = 0.0
        for s in series {
            for (i, v) in s.values.enumerated() where v.isFinite {
                let e = s.errors.map { abs($0[i]) }.flatMap { $0.isFinite ? $0 : nil } ?? 0
                low = Swift.min(low, v - e)
                high = Swift.max(high, v + e)
            }
        }
        for m in markers where m.value.isFinite { (low, high) = (Swift.min(low, m.value), Swift.max(high, m.value)) }
        let yScale = ChartScale(low: y.min ?? low, high: y.max ?? high, count: 5)
        let left = ChartSVG.leftMargin(yScale)
        let right = ChartSVG.width - 16
        var legend = ChartSVG.legend(series.map(\.name), left: left, right: right, top: 8, bars: true)
        if !markers.isEmpty {
            legend.svg += markerLegend(x: left, y: 8 + legend.height + 6)
            legend.height += 18
        }

        // Category labels rotate when they would not fit under their band.
        let band = (right - left) / Double(Swift.max(1, categories.count))
        let widest = Double(categories.map(\.count).max() ?? 0) * ChartSVG.charWidth
        let rotate = widest > band - 6
        let labelDepth = rotate ? Swift.min(widest, 160) * 0.6 + 16 : 18
        let plot = PlotArea(left: left, top: 14 + legend.height, right: right, bottom: 14 + legend.height + 220)

        var body = legend.svg + ChartSVG.yAxis(yScale, plot, title: y.title) + "<g class=\"series\">"
        let groupWidth = band * 0.8
        let barWidth = groupWidth / Double(Swift.max(1, series.count))
        let zero = yScale.position(Swift.min(Swift.max(0, yScale.lower), yScale.upper), from: plot.bottom, to: plot.top)
        for (s, bars) in series.enumerated() {
            let c = s % ChartSVG.colours
            for (i, value) in bars.values.enumerated() where value.isFinite {
                let x = plot.left + band * Double(i) + (band - groupWidth) / 2 + barWidth * Double(s)
                let top = yScale.position(value, from: plot.bottom, to: plot.top)
                let error = bars.errors?[i]
                var tip = "\(bars.name) · \(categories[i]): \(NumberFormat.automatic.format(value))"
                if let error { tip += " ± \(NumberFormat.automatic.format(error))" }
                body += "<rect class=\"f\(c)\" x=\"\(ChartSVG.n(x + 1))\" y=\"\(ChartSVG.n(Swift.min(top, zero)))\" width=\""
                    + ChartSVG.n(Swift.max(1, barWidth - 2)) + "\" height=\"\(ChartSVG.n(abs(zero - top)))\"><title>"
                    + HTML.escape(tip) + "</title></rect>"
                if let error, error.isFinite, error > 0 {
                    let cx = ChartSVG.n(x + barWidth / 2)
                    let y1 = ChartSVG.n(yScale.position(value - abs(error), from: plot.bottom, to: plot.top))
                    let y2 = ChartSVG.n(yScale.position(value + abs(error), from: plot.bottom, to: plot.top))
                    let cap = Swift.min(5, barWidth / 4)
                    let (c1, c2) = (ChartSVG.n(x + barWidth / 2 - cap), ChartSVG.n(x + barWidth / 2 + cap))
                    body += "<path class=\"error-bar\" d=\"M\(cx) \(y1)V\(y2)M\(c1) \(y1)H\(c2)M\(c1) \(y2)H\(c2)\"/>"
                }
            }
        }
        body += "</g>" + markerSVG(band: band, plot: plot, scale: yScale) + "<g class=\"axis x\">"
        body += "<line class=\"baseline\" x1=\"\(ChartSVG.n(plot.left))\" x2=\"\(ChartSVG.n(plot.right))\" y1=\"\(ChartSVG.n(zero))\" y2=\"\(ChartSVG.n(zero))\"/>"
        for (i, name) in categories.enumerated() {
            let x = ChartSVG.n(plot.left + band * (Double(i) + 0.5))
            let y = ChartSVG.n(plot.bottom + 16)
            body += rotate
                ? "<text class=\"tick\" text-anchor=\"end\" transform=\"translate(\(x) \(y)) rotate(-35)\">"
                : "<text class=\"tick\" x=\"\(x)\" y=\"\(y)\" text-anchor=\"middle\">"
            body += HTML.escape(name) + "</text>"
        }
        body += "</g>"
        let label = "Bar chart of \(y.title) for " + categories.joined(separator: ", ")
        return ChartSVG.wrap(body, height: plot.bottom + labelDepth + 12, label: label, kind: "bar")
    }
}

extension BarChart {
    /// A diamond of half-width `r` centred at (`x`, `y`): outlined in the text colour on the page background, so it
    /// reads as a marker, not a bar, over any series colour.
    static func diamond(x: Double, y: Double, r: Double = 5) -> String {
        let (n, cx, cy) = (ChartSVG.n, x, y)
        return "<path class=\"marker\" style=\"fill:var(--bg);stroke:var(--fg);stroke-width:1.5\" d=\"M\(n(cx)) \(n(cy - r))L\(n(cx + r)) "
            + "\(n(cy))L\(n(cx)) \(n(cy + r))L\(n(cx - r)) \(n(cy))Z\"/>"
    }

    /// The legend entry of the markers (a diamond and ``BarMarker/legendName``), on its own row.
    func markerLegend(x: Double, y: Double) -> String {
        "<g class=\"legend\">" + Self.diamond(x: x + 7, y: y) + "<text x=\"\(ChartSVG.n(x + 22))\" y=\"\(ChartSVG.n(y))\" dy=\"0.32em\">"
            + HTML.escape(BarMarker.legendName) + "</text></g>"
    }

    /// Each marker as a diamond at its value, centred on its category's band, with its note number beside it.
    func markerSVG(band: Double, plot: PlotArea, scale: ChartScale) -> String {
        guard !markers.isEmpty else { return "" }
        var out = "<g class=\"markers\">"
        for m in markers where m.value.isFinite {
            let x = plot.left + band * (Double(m.category) + 0.5)
            let y = scale.position(m.value, from: plot.bottom, to: plot.top)
            var tip = "\(BarMarker.legendName) · \(categories[m.category]): \(NumberFormat.automatic.format(m.value))"
            if let note = m.note, note >= 1, note <= notes.count { tip += " (\(notes[note - 1]))" }
            out += "<g>" + Self.diamond(x: x, y: y) + "<title>" + HTML.escape(tip) + "</title>"
            if let note = m.note {
                out += "<text class=\"note-ref\" x=\"\(ChartSVG.n(x + 8))\" y=\"\(ChartSVG.n(y - 4))\">\(note)</text>"
            }
            out += "</g>"
        }
        return out + "</g>"
    }
}
