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

    static func frequencyOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        var outputs: [ReportOutput] = []
        let payloads = try results.map { ($0, try $0.decode(FrequencyPayload.self)) }
        if payloads.count > 1 {
            let series = payloads.enumerated().map { i, p in
                LineSeries(name(p.0), p.1.layers.map { ChartPoint($0.depth, $0.deltaLast) }, colour: i)
            }
            outputs.append(ReportOutput(title: "ΔlogA at the last diagonal frequency against depth (Park & Kim's definition)",
                                        .lineChart(LineChart(x: ChartAxis("normalised depth", min: 0, max: 1),
                                                             y: ChartAxis("ΔlogA"), series: series, reference: 0))))
        }
        for (i, (r, p)) in payloads.enumerated() {
            let shadedKind = p.layers.first { $0.shaded }?.kind ?? "shaded"
            let bandLabel = shadedKind == "attention" ? "attention sublayers" : "downsampling blocks"
            let step = p.layers.count > 1 ? 1 / Double(p.layers.count - 1) : 1
            let bands = p.layers.filter(\.shaded).map { ChartBand(from: $0.depth - step, to: $0.depth, label: bandLabel) }
            var series = [LineSeries("last diagonal point (paper)", p.layers.map { ChartPoint($0.depth, $0.deltaLast) }, colour: i)]
            if p.layers.contains(where: { $0.deltaHalfPi != nil }) {
                series.append(LineSeries("fixed frequency π/2", p.layers.map { ChartPoint($0.depth, $0.deltaHalfPi ?? .nan) },
                                         dashed: true, colour: i))
            }
            outputs.append(ReportOutput(title: "ΔlogA of \(name(r))'s feature maps against depth (\(p.examples) images)",
                                        .lineChart(LineChart(x: ChartAxis("normalised depth", min: 0, max: 1), y: ChartAxis("ΔlogA"),
                                                             series: series, bands: bands, reference: 0))))
            let sizes = Set(p.layers.map(\.size)).sorted(by: >)
            let note = "The paper's last point lies at per-axis frequency π(1 − 2/H): "
                + sizes.map { "\(String(format: "%.2f", 1 - 2 / Double($0)))π for \($0)×\($0) maps" }.joined(separator: ", ")
                + "; the dashed line reads every map at the same absolute frequency π/2."
            outputs.append(ReportOutput(.text(note)))
            if let png = r.artifact("spectra.png") {
                outputs.append(ReportOutput(title: "mean log amplitude spectra of \(name(r)), one per layer (zero frequency at the centre)",
                                            .images([ReportImage(png: png, caption: p.layers.map(\.name).joined(separator: " · "),
                                                                 alt: "per-layer spectra of \(name(r))")])))
            }
        }
        return outputs
    }

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

    static func camOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        try results.map { r in
            let p = try r.decode(GradCAMPayload.self)
            let images = p.items.enumerated().compactMap { i, item -> ReportImage? in
                guard let png = r.artifact("cam-\(i).png") else { return nil }
                // A model's classes may outnumber the data's (e.g. 1,000-way ImageNet weights on a 10-class folder).
                func className(_ i: Int) -> String { p.classNames.indices.contains(i) ? p.classNames[i] : "class \(i)" }
                let truth = className(item.label), pred = className(item.predicted)
                let caption = "true \(truth) · predicted \(pred) (\(String(format: "%.0f", item.probability * 100)) %)"
                    + (item.target != item.predicted ? " · map for \(className(item.target))" : "")
                return ReportImage(png: png, caption: caption, alt: "Grad-CAM of \(name(r)) on a \(truth) image")
            }
            return ReportOutput(title: "Grad-CAM of \(name(r)) at \(p.layer)", .images(images))
        }
    }

    static func shapeBiasOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        let payloads = try results.map { ($0, try $0.decode(ShapeBiasPayload.self)) }
        guard let first = payloads.first?.1 else { return [] }
        var series: [BarSeries] = []
        if payloads.contains(where: { $0.1.cueConflict != nil }) {
            series.append(BarSeries("cue conflict", values: payloads.map { ($0.1.cueConflict?.bias ?? .nan) * 100 }))
        }
        for (j, radius) in first.radii.enumerated() {
            series.append(BarSeries("frequency-hybrid proxy, r = \(NumberFormat.automatic.format(radius))",
                                    values: payloads.map { p in j < p.1.hybrid.count ? (p.1.hybrid[j].bias ?? .nan) * 100 : .nan }))
        }
        let chart = ReportOutput(title: "shape bias S / (S + T): shape decisions among shape-or-texture decisions",
                                 .barChart(BarChart(categories: payloads.map { name($0.0) },
                                                    y: ChartAxis("shape bias", unit: "%", min: 0, max: 100), series: series)))
        var rows: [[TableValue]] = []
        for (r, p) in payloads {
            if let c = p.cueConflict {
                rows.append([.text(name(r)), .text("cue conflict"), .number(Double(c.shape)), .number(Double(c.texture)),
                             .number(Double(c.neither)), c.bias.map { .number($0) } ?? .missing])
            }
            for (radius, c) in zip(p.radii, p.hybrid) {
                rows.append([.text(name(r)), .text("hybrid proxy r = \(NumberFormat.automatic.format(radius))"), .number(Double(c.shape)),
                             .number(Double(c.texture)), .number(Double(c.neither)), c.bias.map { .number($0) } ?? .missing])
            }
        }
        let table = ReportTable(columns: [TableColumn("run"), TableColumn("test"), TableColumn("shape S", format: .integer),
                                          TableColumn("texture T", format: .integer), TableColumn("neither", format: .integer),
                                          TableColumn("S/(S+T)", unit: "%", better: .neither, format: .percent(1))], rows: rows)
        var outputs = [chart, ReportOutput(.table(table))]
        if let grids = payloads.first?.1.patches.map(\.grid), !grids.isEmpty {
            let patchRows: [[TableValue]] = payloads.map { r, p in [.text(name(r))] + p.patches.map { .number($0.accuracy) } }
            let columns = [TableColumn("run")] + grids.map {
                TableColumn($0 == 1 ? "intact" : "\($0)×\($0) shuffled", unit: "%", better: .neither, format: .percent(1))
            }
            outputs.append(ReportOutput(title: "patch-shuffle proxy: top-1 with the image's patches permuted (local texture survives, global shape does not)",
                                        .table(ReportTable(columns: columns, rows: patchRows.filter { $0.count == columns.count }))))
        }
        let note = "The cue-conflict images draw one class's shape with another class's own training texture. The proxy "
            + "(labelled as such) adds the low band of one test image to the high band of another with a different label "
            + "(docs/methods.md §7.8): S counts predictions of the low-band image's label, T the high-band image's."
        return outputs + [ReportOutput(.text(note))]
    }
}
