// FrequencyNoise: accuracy under band-limited noise (docs/methods.md §7.4) — payload and outputs.
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

extension AnalysisKinds {
    static func noiseOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        let payloads = try results.map { ($0, try $0.decode(NoisePayload.self)) }
        let series = payloads.enumerated().map { i, p in
            LineSeries("\(name(p.0)) (clean \(String(format: "%.1f", p.1.clean * 100)) %)",
                       zip(p.1.frequencies, p.1.accuracy).map { ChartPoint($0, ($1 - p.1.clean) * 100) }, colour: i)
        }
        return [ReportOutput(title: "accuracy change under band-limited noise against the band's centre frequency",
                             .lineChart(LineChart(x: ChartAxis("centre frequency", unit: "× π", min: 0, max: 1),
                                                  y: ChartAxis("Δ top-1", unit: "pp"), series: series, reference: 0)))]
    }
}
