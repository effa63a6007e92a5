// Analysis payloads: the numbers each analysis stores per run (as JSON in the results store), and their estimates.
import Foundation
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

/// `FilteredAccuracy`: clean accuracy and accuracy on low- and high-pass images per cutoff (docs/methods.md §7.3).
struct FilteredPayload: Codable {
    var filter: String
    var clean: Double
    var cutoffs: [Double]
    var lowPass: [Double]
    var highPass: [Double]
    var examples: Int
}

/// `FrequencyNoise`: accuracy change under band-limited noise per centre frequency (docs/methods.md §7.4).
struct NoisePayload: Codable {
    /// Centre frequencies in units of π.
    var frequencies: [Double]
    var clean: Double
    var accuracy: [Double]
    var examples: Int
}

/// `FourierHeatmap`: error rate per Fourier basis, row-major, zero frequency at (H/2, W/2) (docs/methods.md §7.5).
struct HeatmapPayload: Codable {
    var height: Int
    var width: Int
    var errors: [Double]
    var cleanError: Double
    var norm: Double
    var examples: Int
}

/// `GradCAM`: per image the labels; the overlays are PNG artifacts `cam-<i>.png` (docs/methods.md §7.6).
struct GradCAMPayload: Codable {
    struct Item: Codable {
        var label: Int
        var predicted: Int
        var probability: Double
        var target: Int
    }
    var layer: String
    var items: [Item]
    var classNames: [String]
}

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

extension AnalysisKinds {
    /// Forward passes of one image an analysis needs, for `loom plan`'s estimates.
    static func forwardPasses(_ call: String, _ a: Arguments, spec: ExperimentSpec) -> Int {
        let examples = a.optional("examples").map { Arguments.int($0, "examples") } ?? 0
        let side = spec.imageSize ?? 32
        switch call {
        case "FrequencyAnalysis": return examples
        case "FilteredAccuracy": return examples * (1 + 2 * a.array("cutoffs").count)
        case "FrequencyNoise": return examples * 12
        case "FourierHeatmap": return examples * (1 + side * (side / 2 + 1))
        case "GradCAM": return 3 * a.int("images")
        case "ShapeBias": return examples * (3 + a.array("radii").count + a.array("grids").count)
        default: return examples
        }
    }
}
