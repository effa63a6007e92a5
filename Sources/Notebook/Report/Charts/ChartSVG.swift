// Shared SVG pieces for charts: plot frame, axes with gridlines and tick labels, legend, number output.
import Foundation

/// The plotting rectangle inside a chart, in SVG user units (y grows downward).
struct PlotArea {
    var left: Double, top: Double, right: Double, bottom: Double
}

/// Building blocks shared by the line and bar chart renderers. Colours come from CSS classes
/// (`s0`… for strokes, `f0`… for fills), so the page's light and dark themes apply.
enum ChartSVG {
    /// Width of every chart's view box; the SVG scales to the page width.
    static let width = 640.0
    /// Estimated advance of one character of 12 px system-font text.
    static let charWidth = 6.8
    /// Palette size; series beyond it reuse colours.
    static let colours = 10

    /// A coordinate with at most one decimal and no trailing ".0", for compact, stable output.
    static func n(_ value: Double) -> String {
        let text = NumberFormat.fixed(value, 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// Horizontal gridlines and tick labels of the value axis, and the rotated axis title.
    static func yAxis(_ scale: ChartScale, _ plot: PlotArea, title: String) -> String {
        var out = "<g class=\"axis y\">"
        for tick in scale.ticks {
            let y = n(scale.position(tick, from: plot.bottom, to: plot.top))
            out += "<line class=\"grid\" x1=\"\(n(plot.left))\" x2=\"\(n(plot.right))\" y1=\"\(y)\" y2=\"\(y)\"/>"
            out += "<text class=\"tick\" x=\"\(n(plot.left - 6))\" y=\"\(y)\" dy=\"0.32em\" text-anchor=\"end\">"
                + HTML.escape(scale.label(tick)) + "</text>"
        }
        let middle = n((plot.top + plot.bottom) / 2)
        out += "<text class=\"axis-title\" transform=\"translate(14 \(middle)) rotate(-90)\" text-anchor=\"middle\">"
            + HTML.escape(title) + "</text>"
        return out + "</g>"
    }

    /// The numeric x axis: baseline, tick marks, tick labels and the axis title under them.
    static func xAxis(_ scale: ChartScale, _ plot: PlotArea, title: String) -> String {
        var out = "<g class=\"axis x\">" + baseline(plot)
        for tick in scale.ticks {
            let x = n(scale.position(tick, from: plot.left, to: plot.right))
            out += "<line class=\"tick-mark\" x1=\"\(x)\" x2=\"\(x)\" y1=\"\(n(plot.bottom))\" y2=\"\(n(plot.bottom + 4))\"/>"
            out += "<text class=\"tick\" x=\"\(x)\" y=\"\(n(plot.bottom + 18))\" text-anchor=\"middle\">"
                + HTML.escape(scale.label(tick)) + "</text>"
        }
        return out + xTitle(plot, title) + "</g>"
    }

    static func baseline(_ plot: PlotArea) -> String {
        "<line class=\"baseline\" x1=\"\(n(plot.left))\" x2=\"\(n(plot.right))\" y1=\"\(n(plot.bottom))\" y2=\"\(n(plot.bottom))\"/>"
    }

    static func xTitle(_ plot: PlotArea, _ title: String, below: Double = 38) -> String {
        "<text class=\"axis-title\" x=\"\(n((plot.left + plot.right) / 2))\" y=\"\(n(plot.bottom + below))\" text-anchor=\"middle\">"
            + HTML.escape(title) + "</text>"
    }

    /// Left margin that fits the widest tick label plus the rotated axis title.
    static func leftMargin(_ scale: ChartScale) -> Double {
        let widest = scale.ticks.map { scale.label($0).count }.max() ?? 1
        return 30 + Double(widest) * charWidth
    }

    /// Legend entries laid out in rows from `left` to `right`, starting at `top`: one per series (palette index
    /// `colours[i]`, default the position; a dashed stroke where `dashed[i]`), then one swatch per band label.
    /// Returns the SVG and its height (zero for a single unnamed series and no bands).
    static func legend(_ names: [String], left: Double, right: Double, top: Double, bars: Bool,
                       colours palette: [Int]? = nil, dashed: [Bool]? = nil, bands: [String] = []) -> (svg: String, height: Double) {
        guard names.count > 1 || names.first.map({ !$0.isEmpty }) == true || !bands.isEmpty else { return ("", 0) }
        var out = "<g class=\"legend\">"
        var (x, row) = (left, 0.0)
        let entries = names.enumerated().map { (i, name) in (name, Optional((palette?[i] ?? i) % colours), dashed?[i] ?? false) }
            + bands.map { ($0, Optional<Int>.none, false) }
        for (name, colour, dash) in entries {
            let advance = 22 + Double(name.count) * charWidth + 14
            if x > left, x + advance - 14 > right { x = left; row += 1 }
            let y = top + row * 18 + 6
            if let c = colour {
                out += bars
                    ? "<rect class=\"f\(c)\" x=\"\(n(x))\" y=\"\(n(y - 5))\" width=\"14\" height=\"10\" rx=\"2\"/>"
                    : "<line class=\"s\(c)\(dash ? " dashed" : "")\" x1=\"\(n(x))\" x2=\"\(n(x + 16))\" y1=\"\(n(y))\" y2=\"\(n(y))\"/>"
            } else {
                out += "<rect class=\"band\" x=\"\(n(x))\" y=\"\(n(y - 6))\" width=\"16\" height=\"12\"/>"
            }
            out += "<text x=\"\(n(x + 22))\" y=\"\(n(y))\" dy=\"0.32em\">" + HTML.escape(name) + "</text>"
            x += advance
        }
        return (out + "</g>", (row + 1) * 18 + 6)
    }

    /// The `<svg>` element around a chart body, with an accessible title.
    static func wrap(_ body: String, height: Double, label: String, kind: String) -> String {
        "<svg class=\"chart \(kind)\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-label=\""
            + HTML.escape(label) + "\"><title>" + HTML.escape(label) + "</title>" + body + "</svg>"
    }
}
