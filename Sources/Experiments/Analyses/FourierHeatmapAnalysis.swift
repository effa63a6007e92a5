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

    /// The clean pass plus one per basis of the half spectrum (side × (side/2 + 1)).
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int {
        let side = spec.imageSize ?? 32
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

    static func outputs(_ payloads: [(StoredAnalysis, HeatmapPayload)], args: Arguments) throws -> [ReportOutput] {
        payloads.map { r, p in
            let xs = (0..<p.width).map { $0 - p.width / 2 }, ys = (0..<p.height).map { $0 - p.height / 2 }
            let chart = HeatmapChart(x: ChartAxis("horizontal frequency", unit: "bins"), y: ChartAxis("vertical frequency", unit: "bins"),
                                     xLabels: xs.map(String.init), yLabels: ys.map(String.init),
                                     values: (0..<p.height).map { i in (0..<p.width).map { p.errors[i * p.width + $0] * 100 } },
                                     scale: ChartAxis("error", unit: "%", min: 0, max: 100))
            return ReportOutput(title: "Fourier heat map of \(name(r)): error under each basis perturbation "
                                + "(‖v‖ = \(NumberFormat.automatic.format(p.norm)), \(p.examples) images; clean error "
                                + String(format: "%.1f", p.cleanError * 100) + " %)", .heatmap(chart))
        }
    }
}
