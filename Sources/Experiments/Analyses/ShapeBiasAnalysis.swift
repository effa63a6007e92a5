// ShapeBias: shape bias S/(S+T) on cue-conflict images and the frequency-hybrid and patch-shuffle proxies (docs/methods.md §7.7, §7.8).
import Foundation
import Vision
import Notebook

/// `ShapeBias`: cue-conflict counts on `.shapes` and the frequency-hybrid proxy (docs/methods.md §7.7, §7.8).
struct ShapeBiasPayload: Codable {
    struct Counts: Codable {
        var shape: Int
        var texture: Int
        var neither: Int
        var bias: Double? { shape + texture > 0 ? Double(shape) / Double(shape + texture) : nil }
    }
    /// Patch-shuffle proxy: accuracy with a g×g grid of patches permuted (g = 1: unshuffled).
    struct Patch: Codable {
        var grid: Int
        var accuracy: Double
    }
    /// nil when the data has no cue-conflict split.
    var cueConflict: Counts?
    var radii: [Double]
    var hybrid: [Counts]
    var patches: [Patch]
    var examples: Int
}

/// `ShapeBias(runs..., radii:, grids:, examples:, seed:)`: whether a model decides by shape or by texture.
enum ShapeBiasAnalysis: AnalysisKind {
    /// Where the cue-conflict images come from when not from `.shapes`.
    static let stimuli = EnumSchema("CueConflictData", cases: [
        CaseSchema("cueConflict", [
            ParameterSchema("path", .string, doc: "Geirhos et al.'s cue-conflict folder: <shape>/<shape><n>-<texture><m>.png."),
        ], doc: "The 16-category style-transfer stimuli of Geirhos et al. 2019, for a 1,000-class ImageNet model."),
    ])
    static let schema = CallSchema("ShapeBias", [
        ParameterSchema("radii", .array(of: .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)), minCount: 1), default: .array([4.0, 6].map { .number($0) }),
                        doc: "Radii of the frequency-hybrid proxy (low band of image A + high band of image B)."),
        ParameterSchema("grids", .array(of: .int(.within(2...1_024))), default: .array([2, 4].map { .int($0) }),
                        doc: "Patch-shuffle proxy: accuracy after permuting a g×g grid of patches (g must divide the image side)."),
        Vocabulary.examples(1000), Vocabulary.analysisSeed,
        ParameterSchema("data", .enumeration(stimuli), default: .absent,
                        doc: "Cue-conflict images to measure on: `.cueConflict(path:)` (docs/methods.md §7.7); "
                            + "omitted, the `.shapes` cue-conflict split when the run trained on `.shapes`."),
    ], variadic: Vocabulary.analysisRuns, kind: Vocabulary.Kind.output, derivable: false,
       doc: "Shape bias S/(S+T): on cue-conflict images (Geirhos et al.'s or `.shapes`'), and the frequency-hybrid proxy on any data.")

    /// `data:` came after results were stored: a cell without it keeps its keys.
    static var parametersKeyedWhenGiven: Set<String> { ["data"] }

    /// The stimuli folder, whose contents enter the key.
    static func inputFolders(_ a: Arguments) -> [String] { stimuliPath(a).map { [$0] } ?? [] }

    /// The `path:` of `data: .cueConflict(path:)`, if written.
    static func stimuliPath(_ a: Arguments) -> String? {
        guard let data = a.optional("data"), case .enumCase(_, let args) = data,
              case .string(let path)? = args.first(where: { $0.label == "path" })?.value else { return nil }
        return path
    }
    static let example = "ShapeBias(base, radii: [3], examples: 16)"

    /// `= base.shapeBias` (cue-conflict images) and `= base.hybridShapeBias(4)` (the frequency-hybrid proxy at a radius).
    static var inlineResults: [AnalysisInlineResult<ShapeBiasPayload>] {
        [AnalysisInlineResult("shapeBias", doc: "Shape bias S/(S+T) on cue-conflict images (`ShapeBias`).", unit: .percent) { p, _ in
            p.cueConflict?.bias
        },
         AnalysisInlineResult("hybridShapeBias", doc: "Shape bias of the frequency-hybrid proxy at a radius (`ShapeBias`).",
                              argument: MemberArgument(.number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)),
                                                       doc: "one of the `ShapeBias` cell's radii", example: "4"),
                              unit: .percent, available: { a in a.array("radii").map { Arguments.double($0, "radii") } }) { p, r in
            pointIndex(r, in: p.radii).flatMap { p.hybrid[$0].bias }
        }]
    }

    /// Cue-conflict, clean and hybrid passes plus one per radius and per grid.
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int {
        exampleCount(a) * (3 + a.array("radii").count + a.array("grids").count)
    }

    static func outputs(_ results: [SeedResults<ShapeBiasPayload>], args: Arguments) throws -> [ReportOutput] {
        guard let first = results.first?.first.payload else { return [] }
        var series: [BarSeries] = []
        /// Bars of the mean over seeds, with ± std error bars when some experiment has several seeds.
        func bars(_ name: String, _ value: @escaping (ShapeBiasPayload) -> Double) -> BarSeries {
            let stats = results.map { $0.spread { value($0) * 100 } }
            let errors = stats.map { $0.std ?? 0 }
            return BarSeries(name, values: stats.map(\.mean), errors: results.contains { $0.seeds.count > 1 } ? errors : nil)
        }
        if results.contains(where: { $0.payloads.contains { $0.cueConflict != nil } }) {
            series.append(bars("cue conflict") { $0.cueConflict?.bias ?? .nan })
        }
        for (j, radius) in first.radii.enumerated() {
            series.append(bars("frequency-hybrid proxy, r = \(NumberFormat.automatic.format(radius))") {
                j < $0.hybrid.count ? ($0.hybrid[j].bias ?? .nan) : .nan
            })
        }
        let spread = results.contains { $0.seeds.count > 1 } ? "; mean over seeds, bars ± 1 std" : ""
        var chart = BarChart(categories: results.map { name($0) }, y: ChartAxis("shape bias", unit: "%", min: 0, max: 100),
                             series: series)
        var table = countsTable(results)
        if stimuliPath(args) != nil { (chart, table) = withHumanFigure(chart, table) }
        var outputs = [ReportOutput(title: "shape bias S / (S + T): shape decisions among shape-or-texture decisions" + spread,
                                    .barChart(chart)),
                       ReportOutput(.table(table))]
        if !first.patches.isEmpty {
            let grids = first.patches.map(\.grid)
            let patchRows: [[TableValue]] = results.map { r in [.text(name(r))] + r.cells { $0.patches.map(\.accuracy) } }
            let columns = [TableColumn("run")] + grids.map {
                TableColumn($0 == 1 ? "intact" : "\($0)×\($0) shuffled", unit: "%", better: .neither, format: .percent(1))
            }
            outputs.append(ReportOutput(title: "patch-shuffle proxy: top-1 with the image's patches permuted (local texture survives, global shape does not)",
                                        .table(ReportTable(columns: columns, rows: patchRows.filter { $0.count == columns.count }))))
        }
        let cueNote = stimuliPath(args) != nil
            ? "The cue-conflict images are Geirhos et al.'s style-transfer stimuli, decided among their 16 categories from "
                + "the model's 1,000 ImageNet classes (docs/methods.md §7.7). "
            : "The cue-conflict images draw one class's shape with another class's own training texture. "
        let note = cueNote + "The proxy "
            + "(labelled as such) adds the low band of one test image to the high band of another with a different label "
            + "(docs/methods.md §7.8): S counts predictions of the low-band image's label, T the high-band image's."
            + (spread.isEmpty ? "" : " With several seeds, counts and S/(S+T) are means over seeds ± std (S/(S+T) per seed, then averaged).")
        return outputs + [ReportOutput(.text(note))]
    }

    /// Geirhos et al.'s stimuli come with the human observers' published shape bias (``CueConflict/humanShapeBias``):
    /// a category of its own in the chart, drawn as a published marker, and a row in the table, each with note 1
    /// naming the source. It is data, not a run: it is not stored and enters no key.
    static func withHumanFigure(_ chart: BarChart, _ table: ReportTable) -> (BarChart, ReportTable) {
        let human = CueConflict.humanShapeBias
        let note = "Published value: \(human.source)."
        let category = human.label + " (published)"
        let series = chart.series.map { BarSeries($0.name, values: $0.values + [.nan], errors: $0.errors.map { $0 + [0] }) }
        let marked = BarChart(categories: chart.categories + [category], y: chart.y, series: series,
                              markers: [BarMarker(category: chart.categories.count, value: human.percent, note: 1)],
                              notes: [note])
        let row: [TableValue] = [.text(category), .text("cue conflict"), .missing, .missing, .missing,
                                 .noted(.number(human.percent / 100), note: 1)]
        return (marked, ReportTable(columns: table.columns, rows: table.rows + [row], caption: table.caption, notes: [note]))
    }

    /// Decisions per test (cue conflict, each hybrid radius) and run: counts and S/(S+T), mean ± std over seeds.
    static func countsTable(_ results: [SeedResults<ShapeBiasPayload>]) -> ReportTable {
        var rows: [[TableValue]] = []
        for r in results {
            let counts = { (label: String, c: @escaping (ShapeBiasPayload) -> ShapeBiasPayload.Counts?) -> [TableValue] in
                [.text(name(r)), .text(label), r.cell { c($0).map { Double($0.shape) } }, r.cell { c($0).map { Double($0.texture) } },
                 r.cell { c($0).map { Double($0.neither) } }, r.cell { c($0)?.bias }]
            }
            if r.first.payload.cueConflict != nil { rows.append(counts("cue conflict") { $0.cueConflict }) }
            for (j, radius) in r.first.payload.radii.enumerated() {
                rows.append(counts("hybrid proxy r = \(NumberFormat.automatic.format(radius))") { j < $0.hybrid.count ? $0.hybrid[j] : nil })
            }
        }
        let countFormat: NumberFormat = results.contains { $0.seeds.count > 1 } ? .fixed(1) : .integer
        return ReportTable(columns: [TableColumn("run"), TableColumn("test"), TableColumn("shape S", format: countFormat),
                                     TableColumn("texture T", format: countFormat), TableColumn("neither", format: countFormat),
                                     TableColumn("S/(S+T)", unit: "%", better: .neither, format: .percent(1))], rows: rows)
    }

    /// Cue-conflict shape bias on `.shapes` data (its own split, same generator settings), the frequency-hybrid
    /// proxy on the test split, and the patch-shuffle proxy.
    static func compute(_ c: AnalysisContext) throws -> (payload: ShapeBiasPayload, artifacts: [NamedArtifact]) {
        let a = c.args
        var cue: ShapeBiasPayload.Counts? = nil
        if let path = stimuliPath(a) {
            cue = try geirhosCounts(c, folder: DataSpec.path(path, root: c.dataRoot))
        } else if let set = c.experiment.spec.data.shapesDataset {
            let conflict = set.load(.cueConflict)
            let (x, _) = try c.pixels(conflict, count: c.examples)
            let n = x.dim(0)
            let r = try ShapeBias.measure(model: c.model, pixels: x, shapeLabels: Array(conflict.labels.prefix(n)),
                                          textureLabels: Array(conflict.textureLabels!.prefix(n)), normalization: c.normalization,
                                          batchSize: AnalysisKinds.batchSize)
            cue = .init(shape: r.shapeDecisions, texture: r.textureDecisions, neither: r.neither)
        }
        let (x, y) = try c.pixels(count: c.examples)
        let radii = a.array("radii").map { Arguments.double($0, "radii") }
        let h = try FourierAnalyses.hybridShapeBias(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                   batchSize: AnalysisKinds.batchSize, radii: radii, seed: c.seed, progress: c.progress)
        let hybrid = (0..<h.radii.count).map { i in
            ShapeBiasPayload.Counts(shape: h.shapeMatches[i], texture: h.textureMatches[i],
                                    neither: h.pairs - h.shapeMatches[i] - h.textureMatches[i])
        }
        let grids = a.array("grids").map { Arguments.int($0, "grids") }
        var patches: [ShapeBiasPayload.Patch] = []
        if !grids.isEmpty {
            let side = x.dim(2)
            if let bad = grids.first(where: { side % $0 != 0 }) {
                throw AnalysisError("ShapeBias: grid \(bad) does not divide the \(side)-pixel images; use divisors of \(side), "
                                    + "e.g. \((2...min(side, 8)).filter { side % $0 == 0 })")
            }
            let p = try PatchShuffle.measure(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                             batchSize: AnalysisKinds.batchSize, grids: grids, seed: c.seed)
            patches = p.points.map { .init(grid: $0.grid, accuracy: $0.n > 0 ? Double($0.correct) / Double($0.n) : 0) }
        }
        return (ShapeBiasPayload(cueConflict: cue, radii: h.radii, hybrid: hybrid, patches: patches, examples: x.dim(0)), [])
    }

    /// Shape bias on Geirhos et al.'s stimuli: the first `examples` of them through the run's evaluation pipeline,
    /// decided among the 16 categories from the model's 1,000 ImageNet classes (``CueConflict``).
    static func geirhosCounts(_ c: AnalysisContext, folder: String) throws -> ShapeBiasPayload.Counts {
        let all = try CueConflict.stimuli(root: folder)
        let chosen = Array(all.prefix(c.examples ?? all.count))
        let images = try chosen.map { try ImageFile.read(path: $0.path) }
        let set = LabeledImages(images: images, labels: chosen.map(\.shape), classNames: CueConflict.categories)
        let (x, _) = try c.pixels(set, count: chosen.count)
        let r = try CueConflict.shapeBias(model: c.model, stimuli: chosen, pixels: x, normalization: c.normalization,
                                          batchSize: AnalysisKinds.batchSize)
        return .init(shape: r.shapeDecisions, texture: r.textureDecisions, neither: r.neither)
    }
}
