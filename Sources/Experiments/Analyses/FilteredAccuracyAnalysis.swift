// FilteredAccuracy: accuracy on low- and high-pass filtered images against the cutoff (docs/methods.md §7.3).
import Foundation
import Vision
import Notebook

/// `FilteredAccuracy`: clean accuracy and accuracy on low- and high-pass images per cutoff (docs/methods.md §7.3).
struct FilteredPayload: Codable {
    var filter: String
    var clean: Double
    var cutoffs: [Double]
    var lowPass: [Double]
    var highPass: [Double]
    var examples: Int
}

/// `FilteredAccuracy(runs..., cutoffs:, filter:, examples:)`: how much of each model's accuracy lives in the low and
/// in the high frequencies of its inputs.
enum FilteredAccuracyAnalysis: AnalysisKind {
    static let filterShape = EnumSchema("FilterShape", cases: [
        CaseSchema("radial", doc: "Circular mask of radius r around the centred spectrum (Wang et al. 2020)."),
        CaseSchema("square", doc: "Centred r×r block of the shifted spectrum (Yin et al. 2019)."),
    ])
    static let schema = CallSchema("FilteredAccuracy", [
        ParameterSchema("cutoffs", .array(of: .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)), minCount: 1), default: .array([2.0, 4, 6, 8, 12].map { .number($0) }),
                        doc: "Filter radii (radial) or band widths (square), in frequency bins."),
        ParameterSchema("filter", .enumeration(filterShape), default: .case("radial"), doc: "The mask's shape."),
        Vocabulary.examples(1000),
    ], variadic: Vocabulary.analysisRuns, kind: Vocabulary.Kind.output, derivable: false,
       doc: "Test accuracy on low-pass and high-pass filtered images against the cutoff.")
    static let example = "FilteredAccuracy(base, cutoffs: [2, 4], examples: 16)"

    /// `= base.lowPass(4)`, `= base.highPass(4)`: accuracy on filtered images at one of the cell's cutoffs.
    static var inlineResults: [AnalysisInlineResult<FilteredPayload>] {
        let cutoff = MemberArgument(.number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)),
                                    doc: "one of the `FilteredAccuracy` cell's cutoffs", example: "4")
        let cutoffs = { (a: Arguments) -> [Double]? in a.array("cutoffs").map { Arguments.double($0, "cutoffs") } }
        return [
            AnalysisInlineResult("lowPass", doc: "Top-1 on low-pass images at a cutoff (`FilteredAccuracy`).", argument: cutoff,
                                 unit: .percent, available: cutoffs) { p, c in pointIndex(c, in: p.cutoffs).map { p.lowPass[$0] } },
            AnalysisInlineResult("highPass", doc: "Top-1 on high-pass images at a cutoff (`FilteredAccuracy`).", argument: cutoff,
                                 unit: .percent, available: cutoffs) { p, c in pointIndex(c, in: p.cutoffs).map { p.highPass[$0] } },
        ]
    }

    /// The clean pass plus a low-pass and a high-pass pass per cutoff.
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int {
        exampleCount(a) * (1 + 2 * a.array("cutoffs").count)
    }

    static func compute(_ c: AnalysisContext) throws -> (payload: FilteredPayload, artifacts: [NamedArtifact]) {
        let a = c.args
        let (x, y) = try c.pixels(count: c.examples)
        let shape = FourierFilter.Shape(rawValue: a.caseName("filter")) ?? .radial
        let r = try FourierAnalyses.filteredAccuracy(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                    batchSize: AnalysisKinds.batchSize, cutoffs: a.array("cutoffs").map { Arguments.double($0, "cutoffs") },
                                                    shape: shape, progress: c.progress)
        return (FilteredPayload(filter: shape.rawValue, clean: r.clean, cutoffs: r.cutoffs, lowPass: r.lowPass, highPass: r.highPass,
                                examples: r.images), [])
    }

    static func outputs(_ results: [SeedResults<FilteredPayload>], args: Arguments) throws -> [ReportOutput] {
        var series: [LineSeries] = []
        var rows: [[TableValue]] = []
        for (i, r) in results.enumerated() {
            let cutoffs = r.first.payload.cutoffs
            let low = r.spread { $0.lowPass.map { $0 * 100 } }, high = r.spread { $0.highPass.map { $0 * 100 } }
            series.append(LineSeries("\(name(r)) low-pass", zip(cutoffs, low.mean).map { ChartPoint($0, $1) }, colour: i,
                                     spread: low.std, errorBars: true))
            series.append(LineSeries("\(name(r)) high-pass", zip(cutoffs, high.mean).map { ChartPoint($0, $1) }, dashed: true,
                                     colour: i, spread: high.std, errorBars: true))
            rows.append([.text(name(r) + (r.seeds.count > 1 ? " (\(r.seeds.count) seeds)" : "")), r.cell { $0.clean }]
                        + r.cells { $0.lowPass } + r.cells { $0.highPass })
        }
        guard let first = results.first?.first.payload else { return [] }
        let shape = first.filter == "square" ? "square band width" : "radius"
        let spread = results.contains { $0.seeds.count > 1 } ? "; mean over seeds, bars ± 1 std" : ""
        let chart = ReportOutput(title: "test top-1 on low-pass (solid) and high-pass (dashed) images" + spread,
                                 .lineChart(LineChart(x: ChartAxis("filter \(shape)", unit: "frequency bins", min: 0),
                                                      y: ChartAxis("top-1", unit: "%", min: 0, max: 100), series: series)))
        let pct = { (t: String) in TableColumn(t, unit: "%", better: .neither, format: .percent(1)) }
        let columns = [TableColumn("run"), pct("clean")] + first.cutoffs.map { pct("low \(NumberFormat.automatic.format($0))") }
            + first.cutoffs.map { pct("high \(NumberFormat.automatic.format($0))") }
        return [chart, ReportOutput(.table(ReportTable(columns: columns, rows: rows.filter { $0.count == columns.count })))]
    }
}
