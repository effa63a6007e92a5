// Analysis payloads: the numbers each analysis stores per run (as JSON in the results store), and their estimates.
import Foundation
import Vision

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
