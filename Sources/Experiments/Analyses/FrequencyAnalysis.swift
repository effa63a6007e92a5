// FrequencyAnalysis: ΔlogA of feature maps against depth with per-layer spectra (docs/methods.md §7.2).
import Engine
import Foundation
import Notebook
import Vision

/// `FrequencyAnalysis`: ΔlogA per latent (docs/methods.md §7.2).
struct FrequencyPayload: Codable {
    struct Layer: Codable {
        var name: String
        /// stem, block, downsample, embed, attention, mlp.
        var kind: String
        /// Side of the (square) feature map.
        var size: Int
        /// Normalised depth l/(L−1).
        var depth: Double
        /// Shaded in the paper's depth plot (downsampling blocks, attention sublayers).
        var shaded: Bool
        /// Δ[k] for the diagonal points k = H/2 … H−1 (Δ[0] = 0).
        var curve: [Double]
        /// The paper's "high-frequency" value: Δ at the last diagonal point.
        var deltaLast: Double
        /// The per-axis frequency of that point, in units of π: 1 − 2/H.
        var lastFrequency: Double
        /// Δ at the fixed per-axis frequency π/2 (nil when the map is smaller than 4).
        var deltaHalfPi: Double?
    }
    var layers: [Layer]
    var examples: Int
}

/// `FrequencyAnalysis(runs..., examples:)`: Park & Kim's relative log amplitude of every feature map. It reads
/// features only, so headless models qualify.
enum FrequencyAnalysis: AnalysisKind {
    static let schema = CallSchema("FrequencyAnalysis", [
        Vocabulary.examples(256),
    ], variadic: Vocabulary.analysisRuns, kind: Vocabulary.Kind.output, derivable: false,
       doc: "Relative log amplitude ΔlogA of feature maps against normalised depth (Park & Kim 2022), with per-layer spectra.")
    static let example = "FrequencyAnalysis(base, examples: 8)"
    static let needsClassScores = false

    /// `= base.deltaLogA(depth: 1)`: ΔlogA at the last diagonal frequency of the layer nearest a normalised depth.
    static var inlineResults: [AnalysisInlineResult<FrequencyPayload>] {
        [AnalysisInlineResult("deltaLogA", doc: "ΔlogA (Park & Kim's last diagonal point) of the layer nearest a normalised depth (`FrequencyAnalysis`).",
                              argument: MemberArgument(label: "depth", .number(.within(0...1)),
                                                       doc: "a normalised depth, 0 for the first layer and 1 for the last", example: "1"),
                              unit: .plain) { p, depth in
            guard let depth else { return nil }
            // The nearest layer; on a tie, the shallower one.
            return p.layers.min { abs($0.depth - depth) < abs($1.depth - depth) }?.deltaLast
        }]
    }

    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int { exampleCount(a) }

    static func compute(_ c: AnalysisContext) throws -> (payload: FrequencyPayload, artifacts: [NamedArtifact]) {
        let (x, _) = try c.pixels(count: c.examples)
        let s = try FourierAnalyses.latentSpectra(model: c.model, pixels: x, normalization: c.normalization,
                                                  batchSize: AnalysisKinds.batchSize, progress: c.progress)
        let payload = FrequencyPayload(layers: s.layers.map {
            FrequencyPayload.Layer(name: $0.name, kind: $0.kind.rawValue, size: $0.size, depth: $0.depth, shaded: $0.shaded,
                                   curve: $0.delta, deltaLast: $0.deltaLast, lastFrequency: $0.lastFrequency,
                                   deltaHalfPi: $0.deltaAtHalfPi)
        }, examples: s.images)
        return (payload, [NamedArtifact(name: "spectra.png", mime: "image/png", bytes: try spectraPNG(s))])
    }

    static func outputs(_ results: [SeedResults<FrequencyPayload>], args: Arguments) throws -> [ReportOutput] {
        var outputs: [ReportOutput] = []
        let spread = results.contains { $0.seeds.count > 1 } ? "; mean over seeds, shaded ± 1 std" : ""
        if results.count > 1 {
            let series = results.enumerated().map { i, r in
                let last = r.spread { $0.layers.map(\.deltaLast) }
                return LineSeries(name(r), zip(r.first.payload.layers, last.mean).map { ChartPoint($0.depth, $1) }, colour: i,
                                  spread: last.std)
            }
            outputs.append(ReportOutput(title: "ΔlogA at the last diagonal frequency against depth (Park & Kim's definition)" + spread,
                                        .lineChart(LineChart(x: ChartAxis("normalised depth", min: 0, max: 1),
                                                             y: ChartAxis("ΔlogA"), series: series, reference: 0))))
        }
        for (i, r) in results.enumerated() {
            outputs += experimentOutputs(r, colour: i, spread: spread)
        }
        return outputs
    }

    /// One experiment's depth plot (mean over seeds with its band), the note on frequencies, and its first seed's spectra.
    static func experimentOutputs(_ r: SeedResults<FrequencyPayload>, colour i: Int, spread: String) -> [ReportOutput] {
        let p = r.first.payload
        let shadedKind = p.layers.first { $0.shaded }?.kind ?? "shaded"
        let bandLabel = shadedKind == "attention" ? "attention sublayers" : "downsampling blocks"
        let step = p.layers.count > 1 ? 1 / Double(p.layers.count - 1) : 1
        let bands = p.layers.filter(\.shaded).map { ChartBand(from: $0.depth - step, to: $0.depth, label: bandLabel) }
        let last = r.spread { $0.layers.map(\.deltaLast) }
        var series = [LineSeries("last diagonal point (paper)", zip(p.layers, last.mean).map { ChartPoint($0.depth, $1) }, colour: i,
                                 spread: last.std)]
        if p.layers.contains(where: { $0.deltaHalfPi != nil }) {
            let half = r.spread { $0.layers.map { $0.deltaHalfPi ?? .nan } }
            series.append(LineSeries("fixed frequency π/2", zip(p.layers, half.mean).map { ChartPoint($0.depth, $1) },
                                     dashed: true, colour: i, spread: half.std))
        }
        var outputs = [ReportOutput(title: "ΔlogA of \(name(r))'s feature maps against depth (\(p.examples) images)" + spread,
                                    .lineChart(LineChart(x: ChartAxis("normalised depth", min: 0, max: 1), y: ChartAxis("ΔlogA"),
                                                         series: series, bands: bands, reference: 0)))]
        let sizes = Set(p.layers.map(\.size)).sorted(by: >)
        let note = "The paper's last point lies at per-axis frequency π(1 − 2/H): "
            + sizes.map { "\(String(format: "%.2f", 1 - 2 / Double($0)))π for \($0)×\($0) maps" }.joined(separator: ", ")
            + "; the dashed line reads every map at the same absolute frequency π/2."
        outputs.append(ReportOutput(.text(note)))
        if let png = r.first.stored.artifact("spectra.png") {
            let who = r.seeds.count > 1 ? r.first.stored.target.label : name(r)
            outputs.append(ReportOutput(title: "mean log amplitude spectra of \(who), one per layer (zero frequency at the centre)",
                                        .images([ReportImage(png: png, caption: p.layers.map(\.name).joined(separator: " · "),
                                                             alt: "per-layer spectra of \(who)")])))
        }
        return outputs
    }

    /// Each layer's mean log-amplitude spectrum (its own colour range), upscaled to a common size and tiled in depth order.
    static func spectraPNG(_ s: LatentSpectra) throws -> Data {
        let largest = s.layers.map(\.size).max() ?? 1
        let target = max(largest, 48)
        let tiles = try s.layers.map { l in
            try ColorMap.sequential.render(l.meanLogAmplitude, width: l.size, height: l.size, scale: max(1, target / l.size))
        }
        return Data(try PNG.encode(try Image.tiled(tiles, columns: min(tiles.count, 9), gap: 3)))
    }
}
