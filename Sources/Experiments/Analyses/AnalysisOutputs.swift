// Analysis outputs: charts, tables and images drawn from the stored payloads of an analysis cell.
import Foundation
import Vision
import Notebook

/// Per analysis call: what it computes (``compute(_:_:)``) and how the report shows it (``outputs(_:_:args:)``).
enum AnalysisKinds {
    static func outputs(_ call: String, _ results: [StoredAnalysis], args: Arguments) throws -> [ReportOutput] {
        switch call {
        case "FrequencyAnalysis": return try frequencyOutputs(results)
        case "FilteredAccuracy": return try filteredOutputs(results)
        case "FrequencyNoise": return try noiseOutputs(results)
        case "FourierHeatmap": return try heatmapOutputs(results)
        case "GradCAM": return try camOutputs(results)
        case "ShapeBias": return try shapeBiasOutputs(results)
        default: throw AnalysisError("unknown analysis \(call)")
        }
    }

    static func name(_ r: StoredAnalysis) -> String { r.target.experiment.name }
}
