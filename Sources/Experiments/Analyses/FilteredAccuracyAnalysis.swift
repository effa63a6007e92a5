// FilteredAccuracy: accuracy on low- and high-pass filtered images (docs/methods.md §7.3) — payload and outputs.
import Foundation
import Vision
import Notebook

/// `FilteredAccuracy`: clean accuracy and accuracy on low- and high-pass images per cutoff (docs/methods.md §7.3).
struct FilteredPayload: Codable {
    var filter: String
    var clean: Double
    var cutoffs: [Double]
    var lowPass: [Double]
    var highPass: [Double]
    var examples: Int
}

extension AnalysisKinds {
    static func filteredOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        let payloads = try results.map { ($0, try $0.decode(FilteredPayload.self)) }
        var series: [LineSeries] = []
        var rows: [[TableValue]] = []
        for (i, (r, p)) in payloads.enumerated() {
            series.append(LineSeries("\(name(r)) low-pass", zip(p.cutoffs, p.lowPass).map { ChartPoint($0, $1 * 100) }, colour: i))
            series.append(LineSeries("\(name(r)) high-pass", zip(p.cutoffs, p.highPass).map { ChartPoint($0, $1 * 100) },
                                     dashed: true, colour: i))
            rows.append([.text(name(r)), .number(p.clean)] + p.lowPass.map { .number($0) } + p.highPass.map { .number($0) })
        }
        guard let first = payloads.first?.1 else { return [] }
        let shape = first.filter == "square" ? "square band width" : "radius"
        let chart = ReportOutput(title: "test top-1 on low-pass (solid) and high-pass (dashed) images",
                                 .lineChart(LineChart(x: ChartAxis("filter \(shape)", unit: "frequency bins", min: 0),
                                                      y: ChartAxis("top-1", unit: "%", min: 0, max: 100), series: series)))
        let pct = { (t: String) in TableColumn(t, unit: "%", better: .neither, format: .percent(1)) }
        let columns = [TableColumn("run"), pct("clean")] + first.cutoffs.map { pct("low \(NumberFormat.automatic.format($0))") }
            + first.cutoffs.map { pct("high \(NumberFormat.automatic.format($0))") }
        return [chart, ReportOutput(.table(ReportTable(columns: columns, rows: rows.filter { $0.count == columns.count })))]
    }
}
