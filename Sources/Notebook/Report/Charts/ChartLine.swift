// Line charts as inline SVG: round-tick axes with units, a legend, one path per series.

extension LineChart {
    /// The chart as an `<svg>` element sized by its view box (640 wide).
    public func svg() -> String {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x) + bands.flatMap { [$0.from, $0.to] }
        let ys = finite.map(\.y) + (reference.map { [$0] } ?? []) + series.flatMap(\.spreadExtremes)
        let xScale = ChartScale(low: x.min ?? xs.min() ?? 0, high: x.max ?? xs.max() ?? 1, count: 6)
        let yScale = ChartScale(low: y.min ?? ys.min() ?? 0, high: y.max ?? ys.max() ?? 1, count: 5)

        let left = ChartSVG.leftMargin(yScale)
        var bandLabels: [String] = []
        for b in bands where !bandLabels.contains(b.label) { bandLabels.append(b.label) }
        let legend = ChartSVG.legend(series.map(\.name), left: left, right: ChartSVG.width - 16, top: 8, bars: false,
                                     colours: series.enumerated().map { $0.element.colour ?? $0.offset },
                                     dashed: series.map(\.dashed), bands: bandLabels)
        let plotHeight = 240.0
        let plot = PlotArea(left: left, top: 14 + legend.height, right: ChartSVG.width - 16,
                            bottom: 14 + legend.height + plotHeight)
        var body = legend.svg
        if !bands.isEmpty {
            body += "<g class=\"bands\">"
            for b in bands {
                let x0 = xScale.position(b.from, from: plot.left, to: plot.right)
                let x1 = xScale.position(b.to, from: plot.left, to: plot.right)
                body += "<rect class=\"band\" x=\"\(ChartSVG.n(min(x0, x1)))\" y=\"\(ChartSVG.n(plot.top))\" width=\"\(ChartSVG.n(abs(x1 - x0)))\" "
                    + "height=\"\(ChartSVG.n(plot.bottom - plot.top))\"><title>\(HTML.escape(b.label))</title></rect>"
            }
            body += "</g>"
        }
        body += ChartSVG.yAxis(yScale, plot, title: y.title)
        if let r = reference {
            let ry = ChartSVG.n(yScale.position(r, from: plot.bottom, to: plot.top))
            body += "<line class=\"reference\" x1=\"\(ChartSVG.n(plot.left))\" x2=\"\(ChartSVG.n(plot.right))\" y1=\"\(ry)\" y2=\"\(ry)\"/>"
        }
        body += ChartSVG.xAxis(xScale, plot, title: x.title)
        body += spreads(xScale, yScale, plot)
        body += "<g class=\"series\">"
        for (i, line) in series.enumerated() {
            let c = (line.colour ?? i) % ChartSVG.colours
            let points = line.points.map { p -> (Double, Double)? in
                guard p.x.isFinite, p.y.isFinite else { return nil }
                return (xScale.position(p.x, from: plot.left, to: plot.right),
                        yScale.position(p.y, from: plot.bottom, to: plot.top))
            }
            body += "<path class=\"s\(c)\(line.dashed ? " dashed" : "")\" d=\"" + path(points) + "\"/>"
            // Markers with native tooltips; skipped for dense series where they would blur the line.
            if line.points.count <= 40 {
                for (p, xy) in zip(line.points, points) {
                    guard let (px, py) = xy else { continue }
                    body += "<circle class=\"f\(c)\" cx=\"\(ChartSVG.n(px))\" cy=\"\(ChartSVG.n(py))\" r=\"2.5\"><title>"
                        + HTML.escape("\(line.name): \(x.label) \(xScale.label(p.x)), \(NumberFormat.automatic.format(p.y))")
                        + "</title></circle>"
                }
            }
        }
        body += "</g>"
        let label = "Line chart of \(y.title) against \(x.title)"
            + (series.isEmpty ? "" : " for " + series.map(\.name).joined(separator: ", "))
        return ChartSVG.wrap(body, height: plot.bottom + 46, label: label, kind: "line")
    }

    /// Each series' spread under the lines: a translucent band in its colour from y − spread to y + spread (broken
    /// where a point is not finite), or an error bar per point.
    private func spreads(_ xScale: ChartScale, _ yScale: ChartScale, _ plot: PlotArea) -> String {
        var out = ""
        for (i, line) in series.enumerated() {
            guard let spread = line.spread else { continue }
            let c = (line.colour ?? i) % ChartSVG.colours
            let edges = zip(line.points, spread).map { p, s -> (x: Double, low: Double, high: Double)? in
                guard p.x.isFinite, p.y.isFinite, s.isFinite else { return nil }
                return (xScale.position(p.x, from: plot.left, to: plot.right),
                        yScale.position(p.y - s, from: plot.bottom, to: plot.top), yScale.position(p.y + s, from: plot.bottom, to: plot.top))
            }
            if line.errorBars {
                let d = edges.compactMap { $0 }.map { e in
                    let (x, w) = (ChartSVG.n(e.x), 3.0)
                    return "M\(x) \(ChartSVG.n(e.low)) L\(x) \(ChartSVG.n(e.high)) M\(ChartSVG.n(e.x - w)) \(ChartSVG.n(e.low)) "
                        + "L\(ChartSVG.n(e.x + w)) \(ChartSVG.n(e.low)) M\(ChartSVG.n(e.x - w)) \(ChartSVG.n(e.high)) L\(ChartSVG.n(e.x + w)) \(ChartSVG.n(e.high))"
                }.joined(separator: " ")
                if !d.isEmpty { out += "<path class=\"error-bar\" d=\"\(d)\"><title>\(HTML.escape(line.name)): ± 1 std</title></path>" }
                continue
            }
            var segments: [[(x: Double, low: Double, high: Double)]] = [[]]
            for e in edges { if let e { segments[segments.count - 1].append(e) } else if !segments.last!.isEmpty { segments.append([]) } }
            for segment in segments where segment.count > 1 {
                let upper = segment.map { "\(ChartSVG.n($0.x)) \(ChartSVG.n($0.high))" }
                let lower = segment.reversed().map { "\(ChartSVG.n($0.x)) \(ChartSVG.n($0.low))" }
                out += "<path class=\"f\(c) spread\" fill-opacity=\"0.18\" d=\"M" + (upper + lower).joined(separator: " L")
                    + " Z\"><title>\(HTML.escape(line.name)): ± 1 std</title></path>"
            }
        }
        return out.isEmpty ? "" : "<g class=\"spreads\">" + out + "</g>"
    }

    /// An SVG path through the points; a nil point ends the current segment.
    private func path(_ points: [(Double, Double)?]) -> String {
        var d = "", pen = false
        for point in points {
            guard let (px, py) = point else { pen = false; continue }
            d += (pen ? "L" : (d.isEmpty ? "M" : " M")) + ChartSVG.n(px) + " " + ChartSVG.n(py)
            pen = true
        }
        return d
    }
}

extension LineSeries {
    /// y ± spread of every finite point, so the axis fits the band.
    var spreadExtremes: [Double] {
        guard let spread else { return [] }
        return zip(points, spread).flatMap { p, s in p.y.isFinite && s.isFinite ? [p.y - s, p.y + s] : [] }
    }
}
