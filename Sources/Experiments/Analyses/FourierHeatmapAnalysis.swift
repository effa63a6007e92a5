// FourierHeatmap: error under each Fourier-basis perturbation (docs/methods.md §7.5) — payload and outputs.
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

extension AnalysisKinds {
    static func heatmapOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        try results.map { r in
            let p = try r.decode(HeatmapPayload.self)
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
