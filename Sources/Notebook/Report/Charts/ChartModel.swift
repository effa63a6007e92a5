// Chart data: line charts of (x, y) series and grouped bar charts with optional error bars.

/// One axis: its label, unit and optional fixed bounds.
public struct ChartAxis: Equatable, Sendable {
    public var label: String
    /// Shown as "label (unit)".
    public var unit: String?
    /// Fixed lower bound; nil fits the data to round ticks.
    public var min: Double?
    /// Fixed upper bound; nil fits the data to round ticks.
    public var max: Double?

    public init(_ label: String, unit: String? = nil, min: Double? = nil, max: Double? = nil) {
        self.label = label
        self.unit = unit
        self.min = min
        self.max = max
    }

    /// "label (unit)" or just the label.
    var title: String { unit.map { "\(label) (\($0))" } ?? label }
}

/// A point of a line series.
public struct ChartPoint: Equatable, Sendable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A named line, e.g. one run's test top-1 per epoch.
public struct LineSeries: Equatable, Sendable {
    public var name: String
    /// Drawn in order; non-finite points break the line.
    public var points: [ChartPoint]
    /// Drawn dashed (e.g. the high-pass twin of a low-pass series).
    public var dashed: Bool
    /// Palette index; nil takes the series' position (so twins can share a colour).
    public var colour: Int?
    /// One half-width per point (e.g. the standard deviation over seeds), drawn as a shaded band from y − spread to
    /// y + spread, or as error bars when ``errorBars`` is set; nil for none (a single seed).
    public var spread: [Double]?
    /// Draws ``spread`` as an error bar at each point instead of a band (for sparse points whose bands would overlap).
    public var errorBars: Bool

    public init(_ name: String, _ points: [ChartPoint], dashed: Bool = false, colour: Int? = nil,
                spread: [Double]? = nil, errorBars: Bool = false) {
        precondition(spread == nil || spread!.count == points.count,
                     "line series \(name): \(points.count) points but \(spread!.count) spreads")
        self.name = name
        self.points = points
        self.dashed = dashed
        self.colour = colour
        self.spread = spread
        self.errorBars = errorBars
    }
}

/// A shaded x range behind the lines (e.g. the downsampling blocks of a depth plot), with a legend entry.
public struct ChartBand: Equatable, Sendable {
    public var from: Double
    public var to: Double
    /// Legend text shared by bands with the same label (shown once).
    public var label: String

    public init(from: Double, to: Double, label: String) {
        self.from = from
        self.to = to
        self.label = label
    }
}

/// Lines over a shared x axis (e.g. epochs), drawn as inline SVG with a legend.
public struct LineChart: Equatable, Sendable {
    public var x: ChartAxis
    public var y: ChartAxis
    public var series: [LineSeries]
    /// Shaded x ranges drawn under the grid lines.
    public var bands: [ChartBand]
    /// A horizontal reference line (e.g. zero change), drawn solid; nil for none.
    public var reference: Double?

    public init(x: ChartAxis, y: ChartAxis, series: [LineSeries], bands: [ChartBand] = [], reference: Double? = nil) {
        self.x = x
        self.y = y
        self.series = series
        self.bands = bands
        self.reference = reference
    }
}

/// One group member of a bar chart: a value per category and optional ± errors (e.g. std over seeds).
public struct BarSeries: Equatable, Sendable {
    public var name: String
    /// One value per category; NaN leaves a gap.
    public var values: [Double]
    /// One half-width per category, drawn as an error bar; nil for none.
    public var errors: [Double]?

    public init(_ name: String, values: [Double], errors: [Double]? = nil) {
        precondition(errors == nil || errors!.count == values.count,
                     "bar series \(name): \(values.count) values but \(errors!.count) errors")
        self.name = name
        self.values = values
        self.errors = errors
    }
}

/// Bars per category, grouped by series; the value axis always includes zero.
public struct BarChart: Equatable, Sendable {
    public var categories: [String]
    public var y: ChartAxis
    public var series: [BarSeries]
    /// Reference values drawn as markers over their category's bars (e.g. published results), in the legend
    /// as ``BarMarker/legendName``.
    public var markers: [BarMarker] = []
    /// Numbered notes under the chart (e.g. the sources of the markers).
    public var notes: [String] = []

    public init(categories: [String], y: ChartAxis, series: [BarSeries], markers: [BarMarker] = [], notes: [String] = []) {
        precondition(series.allSatisfy { $0.values.count == categories.count },
                     "bar chart: \(categories.count) categories but series have \(series.map(\.values.count)) values")
        precondition(markers.allSatisfy { categories.indices.contains($0.category) },
                     "bar chart: a marker's category is outside 0..<\(categories.count)")
        self.categories = categories
        self.y = y
        self.series = series
        self.markers = markers
        self.notes = notes
    }
}

/// A reference value of one category drawn as a diamond over its bars, with the number of the note naming its source.
public struct BarMarker: Equatable, Sendable {
    /// What the legend calls markers.
    public static let legendName = "published"
    /// Index into the chart's categories.
    public var category: Int
    public var value: Double
    /// 1-based note number, or nil.
    public var note: Int?

    public init(category: Int, value: Double, note: Int? = nil) {
        self.category = category
        self.value = value
        self.note = note
    }
}
