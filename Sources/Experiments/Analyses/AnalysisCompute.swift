// Analysis computation: each analysis call mapped onto Vision's functions for one trained run.
import Engine
import Foundation
import Notebook
import Vision

extension AnalysisKinds {
    /// Images per forward pass of an analysis.
    static let batchSize = 100

    /// Computes `call` for the run in `c` and returns its payload.
    static func compute(_ call: String, _ c: AnalysisContext) throws -> AnalysisPayload {
        let a = c.args
        let examples = a.optional("examples").map { Arguments.int($0, "examples") }
        let seed = UInt64(a.optional("seed").map { Arguments.int($0, "seed") } ?? 0)
        let progress: AnalysisProgress = { c.progress($0, $1) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard c.experiment.spec.classes > 0 || call == "FrequencyAnalysis" else {
            throw AnalysisError("\(call) needs class scores, but \(c.experiment.name) has no classifier head (classes: 0); "
                                + "FrequencyAnalysis reads its features")
        }
        switch call {
        case "FrequencyAnalysis":
            let (x, _) = try c.pixels(count: examples)
            let s = try FourierAnalyses.latentSpectra(model: c.model, pixels: x, normalization: c.normalization,
                                                      batchSize: batchSize, progress: progress)
            let payload = FrequencyPayload(layers: s.layers.map {
                FrequencyPayload.Layer(name: $0.name, kind: $0.kind.rawValue, size: $0.size, depth: $0.depth, shaded: $0.shaded,
                                       curve: $0.delta, deltaLast: $0.deltaLast, lastFrequency: $0.lastFrequency,
                                       deltaHalfPi: $0.deltaAtHalfPi)
            }, examples: s.images)
            return AnalysisPayload(json: try encoder.encode(payload),
                                   artifacts: [NamedArtifact(name: "spectra.png", mime: "image/png", bytes: try spectraPNG(s))])
        case "FilteredAccuracy":
            let (x, y) = try c.pixels(count: examples)
            let shape = FourierFilter.Shape(rawValue: a.caseName("filter")) ?? .radial
            let r = try FourierAnalyses.filteredAccuracy(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                        batchSize: batchSize, cutoffs: a.array("cutoffs").map { Arguments.double($0, "cutoffs") },
                                                        shape: shape, progress: progress)
            return AnalysisPayload(json: try encoder.encode(FilteredPayload(filter: shape.rawValue, clean: r.clean, cutoffs: r.cutoffs,
                                                                            lowPass: r.lowPass, highPass: r.highPass, examples: r.images)))
        case "FrequencyNoise":
            let (x, y) = try c.pixels(count: examples)
            let r = try FourierAnalyses.frequencyNoise(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                      batchSize: batchSize, epsilon: a.double("epsilon"), halfWidth: a.double("width"),
                                                      noise: FourierFilter.NoiseKind(rawValue: a.caseName("noise")) ?? .sign,
                                                      seed: seed, progress: progress)
            return AnalysisPayload(json: try encoder.encode(NoisePayload(frequencies: r.frequencies, clean: r.clean,
                                                                         accuracy: r.accuracy, examples: r.images)))
        case "FourierHeatmap":
            let (x, y) = try c.pixels(count: examples)
            let r = try FourierAnalyses.fourierHeatmap(model: c.model, pixels: x, labels: y, normalization: c.normalization,
                                                      batchSize: batchSize, norm: a.double("norm"), seed: seed, progress: progress)
            return AnalysisPayload(json: try encoder.encode(HeatmapPayload(height: r.height, width: r.width, errors: r.errors,
                                                                           cleanError: r.cleanError, norm: r.norm, examples: r.examples)))
        case "GradCAM":
            let (x, y) = try c.pixels(count: a.int("images"))
            let target: GradCAMTarget = a.caseName("target") == "label" ? .trueLabel : .predicted
            let r = try GradCAM.compute(model: c.model, pixels: x, labels: y, normalization: c.normalization, batchSize: 16,
                                        layer: a.optionalString("layer"), target: target)
            let payload = GradCAMPayload(layer: r.layer, items: r.maps.map {
                GradCAMPayload.Item(label: $0.trueLabel, predicted: $0.predicted, probability: $0.probability, target: $0.target)
            }, classNames: c.classNames)
            let artifacts = r.maps.enumerated().map { NamedArtifact(name: "cam-\($0.offset).png", mime: "image/png", bytes: $0.element.overlayPNG) }
            return AnalysisPayload(json: try encoder.encode(payload), artifacts: artifacts)
        case "ShapeBias":
            return AnalysisPayload(json: try encoder.encode(try shapeBias(c, examples: examples, seed: seed, progress: progress)))
        default:
            throw AnalysisError("unknown analysis \(call)")
        }
    }
}
