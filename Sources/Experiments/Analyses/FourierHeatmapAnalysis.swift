// FourierHeatmap: error rate under each Fourier-basis perturbation, low frequencies at the centre (docs/methods.md §7.5).
import Foundation
import Vision
import Notebook

/// `FourierHeatmap`: error rate per Fourier basis, row-major, zero frequency at (H/2, W/2) (docs/methods.md §7.5).
struct HeatmapPayload: Codable {
    var height: Int
    var width: Int
    var errors: [Double]
    var cleanError: Double
    var norm: Double
    var examples: Int
}

/// `FourierHeatmap(run, examples:, norm:, seed:)`: Yin et al.'s map of a model's sensitivity to every Fourier basis.
enum FourierHeatmapAnalysis: AnalysisKind {
    static let schema = CallSchema("FourierHeatmap", [
        Vocabulary.run,
        Vocabulary.examples(200),
        ParameterSchema("norm", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000_000)), default: 4.0, doc: "L2 norm v of each Fourier-basis perturbation."),
        Vocabulary.analysisSeed,
    ], kind: Vocabulary.Kind.output, derivable: false,
       doc: "Error rate under each Fourier-basis perturbation, low frequencies at the centre (Yin et al. 2019).")
    static let example = "FourierHeatmap(base, examples: 4)"

    /// `= base.heatmapError`: the error rate averaged over every Fourier basis of the map.
    static var inlineResults: [AnalysisInlineResult<HeatmapPayload>] {
        [AnalysisInlineResult("heatmapError", doc: "Error rate averaged over all Fourier-basis perturbations (`FourierHeatmap`).",
                              unit: .percent) { p, _ in p.errors.isEmpty ? nil : p.errors.reduce(0, +) / Double(p.errors.count) }]
    }

    /// The clean pass plus one per basis of the half spectrum (side × (side/2 + 1)).
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int {
        let side = spec.estimatedImageSize
        return exampleCount(a) * (1 + side * (side / 2 + 1))
    }

    static func compute(_ c: AnalysisContext) throws -> (payload: HeatmapPayload, artifacts: [NamedArtifact]) {
        let (x, y) = try c.pixels(count: c.examples)
        let r = try FourierAnalyses.fourierHeatmap(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                  batchSize: AnalysisKinds.batchSize, norm: c.args.double("norm"), seed: c.seed,
                                                  progress: c.progress)
        return (HeatmapPayload(height: r.height, width: r.width, errors: r.errors, cleanError: r.cleanError, norm: r.norm,
                               examples: r.examples), [])
    }

    /// One heat map per experiment: the mean error per basis over its seeds.
    static func outputs(_ results: [SeedResults<HeatmapPayload>], args: Arguments) throws -> [ReportOutput] {
        results.map { r in
            let p = r.first.payload
            let errors = r.spread { $0.errors }.mean, clean = r.spread { $0.cleanError }
            let xs = (0..<p.width).map { $0 - p.width / 2 }, ys = (0..<p.height).map { $0 - p.height / 2 }
            let chart = HeatmapChart(x: ChartAxis("horizontal frequency", unit: "bins"), y: ChartAxis("vertical frequency", unit: "bins"),
                                     xLabels: xs.map(String.init), yLabels: ys.map(String.init),
                                     values: (0..<p.height).map { i in (0..<p.width).map { errors[i * p.width + $0] * 100 } },
                                     scale: ChartAxis("error", unit: "%", min: 0, max: 100))
            let cleanText = String(format: "%.1f", clean.mean * 100) + (clean.std.map { String(format: " ± %.1f", $0 * 100) } ?? "")
            return ReportOutput(title: "Fourier heat map of \(name(r))\(r.meanOf): error under each basis perturbation "
                                + "(‖v‖ = \(NumberFormat.automatic.format(p.norm)), \(p.examples) images; clean error "
                                + cleanText + " %)", .heatmap(chart))
        }
    }
}
