// FrequencyNoise: accuracy change under band-limited noise against the band's centre frequency (docs/methods.md §7.4).
import Foundation
import Vision
import Notebook

/// `FrequencyNoise`: accuracy change under band-limited noise per centre frequency (docs/methods.md §7.4).
struct NoisePayload: Codable {
    /// Centre frequencies in units of π.
    var frequencies: [Double]
    var clean: Double
    var accuracy: [Double]
    var examples: Int
}

/// `FrequencyNoise(runs..., epsilon:, width:, noise:, examples:, seed:)`: which frequency bands a model is
/// sensitive to (Park & Kim Fig. 2b).
enum FrequencyNoiseAnalysis: AnalysisKind {
    static let noiseKind = EnumSchema("NoiseKind", cases: [
        CaseSchema("sign", doc: "ε·sign(z), z ~ N(0, 1), as the repo's FreqAttack."),
        CaseSchema("gaussian", doc: "ε·z, z ~ N(0, 1)."),
    ])
    static let schema = CallSchema("FrequencyNoise", [
        ParameterSchema("epsilon", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000)), default: 0.7,
                        doc: "Noise amplitude ε before band-limiting, in normalised-input units (the author's sketch)."),
        ParameterSchema("width", .number(.within(0.01...1)), default: 0.1,
                        doc: "Half-width s of the square frequency ring, in units of π (the paper's 0.1π window)."),
        ParameterSchema("noise", .enumeration(noiseKind), default: .case("sign"), doc: "The base noise."),
        Vocabulary.examples(1000), Vocabulary.analysisSeed,
    ], variadic: Vocabulary.analysisRuns, kind: Vocabulary.Kind.output, derivable: false,
       doc: "Accuracy change under band-limited noise against the band's centre frequency (Park & Kim Fig. 2b).")
    static let example = "FrequencyNoise(base, examples: 16)"

    /// `= base.noiseDrop(at: 0.9)`: top-1 lost under noise in the band centred at 0.9π (clean minus noisy).
    static var inlineResults: [AnalysisInlineResult<NoisePayload>] {
        [AnalysisInlineResult("noiseDrop", doc: "Top-1 lost under band-limited noise at a centre frequency (`FrequencyNoise`).",
                              argument: MemberArgument(label: "at", .number(.within(0...1)),
                                                       doc: "a band's centre frequency in units of π (0, 0.1, …, 1)", example: "0.9"),
                              unit: .points, available: { _ in FourierAnalyses.noiseFrequencies }) { p, f in
            pointIndex(f, in: p.frequencies).map { p.clean - p.accuracy[$0] }
        }]
    }

    /// The clean pass plus one per band (11 bands).
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int { exampleCount(a) * 12 }

    static func compute(_ c: AnalysisContext) throws -> (payload: NoisePayload, artifacts: [NamedArtifact]) {
        let a = c.args
        let (x, y) = try c.pixels(count: c.examples)
        let r = try FourierAnalyses.frequencyNoise(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                  batchSize: AnalysisKinds.batchSize, epsilon: a.double("epsilon"), halfWidth: a.double("width"),
                                                  noise: FourierFilter.NoiseKind(rawValue: a.caseName("noise")) ?? .sign,
                                                  seed: c.seed, progress: c.progress)
        return (NoisePayload(frequencies: r.frequencies, clean: r.clean, accuracy: r.accuracy, examples: r.images), [])
    }

    static func outputs(_ results: [SeedResults<NoisePayload>], args: Arguments) throws -> [ReportOutput] {
        let series = results.enumerated().map { i, r in
            // Each seed's change from its own clean accuracy, then the mean and spread of the changes.
            let change = r.spread { p in p.accuracy.map { ($0 - p.clean) * 100 } }
            let clean = r.spread { $0.clean * 100 }
            let cleanText = String(format: "%.1f", clean.mean) + (clean.std.map { String(format: " ± %.1f", $0) } ?? "")
            return LineSeries("\(name(r)) (clean \(cleanText) %)",
                              zip(r.first.payload.frequencies, change.mean).map { ChartPoint($0, $1) }, colour: i,
                              spread: change.std, errorBars: true)
        }
        let spread = results.contains { $0.seeds.count > 1 } ? "; mean over seeds, bars ± 1 std" : ""
        return [ReportOutput(title: "accuracy change under band-limited noise against the band's centre frequency" + spread,
                             .lineChart(LineChart(x: ChartAxis("centre frequency", unit: "× π", min: 0, max: 1),
                                                  y: ChartAxis("Δ top-1", unit: "pp"), series: series, reference: 0)))]
    }
}
