// Outputs: Table, Curves, Bars, Samples and Confusion built from the results store.
import Engine
import Foundation
import Notebook
import Vision

/// Final results of one planned experiment, aggregated over its seeds.
struct ExperimentResult {
    let experiment: PlannedExperiment
    let records: [RunRecord]
    /// Summary metrics that the seed does not change (the architecture's size): shown without a "± 0".
    static let seedInvariant: Set<String> = ["params", "flops"]

    /// Mean and standard deviation over seeds of each summary metric.
    func metric(_ name: String) -> TableValue {
        let values = records.compactMap { $0.summary[name] }
        guard !values.isEmpty else { return .missing }
        let mean = SeedComparison.mean(values)
        guard values.count > 1, !Self.seedInvariant.contains(name) else { return .number(mean) }
        return .meanStd(mean: mean, std: SeedComparison.variance(values).squareRoot())
    }
    var complete: Bool { records.count == experiment.runs.count && records.allSatisfy { $0.status == .succeeded } }
}

/// Builds the outputs of bare calls from stored results.
struct OutputBuilder {
    let plan: NotebookPlan
    let workspace: Workspace
    let notebook: String

    func result(_ e: PlannedExperiment) -> ExperimentResult {
        ExperimentResult(experiment: e, records: e.runs.compactMap { try? workspace.store.run(key: $0.key) })
    }

    /// The experiments a `runs` argument names (sweeps expanded), in order.
    func experiments(_ value: ResolvedValue) -> [PlannedExperiment] {
        guard case let .array(items)? = value["runs"] ?? value["run"].map({ .array([$0]) }) else { return [] }
        return items.flatMap { item -> [PlannedExperiment] in
            guard case let .reference(name, _) = item else { return [] }
            return plan.runs(of: name)
        }
    }

    func provenance(_ r: ExperimentResult) -> [Provenance] {
        guard let first = r.records.first else { return [] }
        return [Provenance(runKey: r.experiment.key, label: r.experiment.name, seeds: r.records.flatMap(\.seeds),
                           gitCommit: first.gitCommit, engineVersion: first.engineVersion,
                           wallSeconds: r.records.compactMap(\.wallSeconds).reduce(0, +),
                           machine: machineSummary(r.records.map(\.environment)),
                           computedAt: r.records.compactMap(\.endedAt).max())]
    }

    /// The machine line of a run's seeds: one summary when they agree, else each distinct one.
    func machineSummary(_ environments: [RunEnvironment]) -> String? {
        let distinct = environments.compactMap(\.machineSummary).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return distinct.isEmpty ? nil : distinct.joined(separator: "; ")
    }

    static let metricColumns: [String: (String, String?, TableColumn.Better, NumberFormat)] = [
        "top1": ("top-1", "%", .higher, .percent(1)), "top5": ("top-5", "%", .higher, .percent(1)),
        "testLoss": ("test loss", nil, .lower, .fixed(3)), "trainLoss": ("train loss", nil, .lower, .fixed(3)),
        "params": ("params", nil, .neither, .compact), "flops": ("MACs", nil, .neither, .compact),
        "trainTime": ("train time", nil, .lower, .duration), "imagesPerSecond": ("images/s", nil, .higher, .fixed(0)),
        // Published only (a `Published(..., claim:)` statement's own table); no run has it.
        "claim": ("claim", nil, .neither, .automatic),
    ]

    func table(_ value: ResolvedValue) -> ReportOutput {
        let runs = experiments(value).map(result)
        var columns: [String] = []
        if case let .array(cols)? = value["columns"] { columns = cols.compactMap(\.name) }
        var header = [TableColumn("run")]
        for c in columns {
            if let m = Self.metricColumns[c] { header.append(TableColumn(m.0, unit: m.1, better: m.2, format: m.3)) }
            else { header.append(Labels.header(c)) }
        }
        var rows: [[TableValue]] = runs.map { r in
            [.link(r.experiment.name, anchor: Provenance(runKey: r.experiment.key).anchor)] + columns.map { c in
                if Self.metricColumns[c] != nil { return r.complete ? r.metric(c) : .missing }
                return .text(Labels.column(c, r.experiment, reference: runs.first?.experiment))
            }
        }
        var caption: String?
        addComparisons(value, runs: runs, columns: columns, header: &header, rows: &rows, caption: &caption)
        return ReportOutput(.table(withPublished(ReportTable(columns: header, rows: rows, caption: caption), columns: columns, runs: runs)),
                            provenance: runs.flatMap(provenance))
    }

    static let curveMetrics: [String: (String, String?, KeyPath<EpochRecord, Double?>)] = [
        "testTop1": ("test top-1", "%", \.top1), "testTop5": ("test top-5", "%", \.top5),
        "testLoss": ("test loss", nil, \.testLoss), "trainLoss": ("train loss", nil, \.trainLoss),
        "lr": ("learning rate", nil, \.lr), "imagesPerSecond": ("training images/s", nil, \.imagesPerSecond),
    ]

    func curves(_ value: ResolvedValue) -> ReportOutput {
        let metric = value["metric"]?.name ?? "testTop1"
        let (title, unit, path) = Self.curveMetrics[metric] ?? Self.curveMetrics["testTop1"]!
        let scale = unit == "%" ? 100.0 : 1.0
        let series = experiments(value).map { e -> LineSeries in
            // Mean over seeds per epoch, with a ±1 std band when the experiment has more than one seed.
            var values: [Int: [Double]] = [:]
            for run in e.runs {
                for ep in (try? workspace.store.epochs(key: run.key)) ?? [] {
                    guard let v = ep[keyPath: path], v.isFinite else { continue }
                    values[ep.epoch, default: []].append(v * scale)
                }
            }
            let epochs = values.keys.sorted(), stats = epochs.map { SeedSpread.of(values[$0]!) }
            return LineSeries(e.name, zip(epochs, stats).map { ChartPoint(Double($0 + 1), $1.mean) },
                              spread: e.runs.count > 1 ? stats.map { $0.std ?? .nan } : nil)
        }
        return ReportOutput(title: title, .lineChart(LineChart(x: ChartAxis("epoch"), y: ChartAxis(title, unit: unit), series: series)))
    }

    func bars(_ value: ResolvedValue) -> ReportOutput {
        let metric = value["metric"]?.name ?? "top1"
        let (title, unit, _, _) = Self.metricColumns[metric] ?? (metric, nil, .neither, .automatic)
        let scale = unit == "%" ? 100.0 : 1.0
        let runs = experiments(value).map(result)
        var means: [Double] = [], errors: [Double] = []
        for r in runs {
            switch r.metric(metric) {
            case let .number(v): means.append(v * scale); errors.append(0)
            case let .meanStd(m, s): means.append(m * scale); errors.append(s * scale)
            default: means.append(.nan); errors.append(0)
            }
        }
        let hasErrors = errors.contains { $0 > 0 }
        let chart = BarChart(categories: runs.map(\.experiment.name), y: ChartAxis(title, unit: unit),
                             series: [BarSeries(title, values: means, errors: hasErrors ? errors : nil)])
        return ReportOutput(title: title, .barChart(withPublished(chart, metric: metric, runs: runs, scale: scale)))
    }

    func samples(_ value: ResolvedValue, data: DataCache) throws -> ReportOutput {
        guard let e = experiments(value).first else { throw ExecuteError("Samples needs a run") }
        let d = try data.load(e.spec.data, root: workspace.dataRoot)
        let count: Int = { if case let .int(n)? = value["count"] { return n }; return 8 }()
        let imagesN: Int = { if case let .int(n)? = value["images"] { return n }; return 4 }()
        let pipe = try e.spec.trainPipeline(normalization: e.spec.normalization(dataset: d.normalization))
        let png = try pipe.sampleGridPNG(try d.train.first(imagesN).images, samples: count, seed: UInt64(e.spec.seeds[0]))
        return ReportOutput(title: "augmented samples of \(e.name) (first column: original)",
                            .images([ReportImage(png: Data(png), caption: e.spec.augmentLabel, alt: "augmentation samples")]))
    }

    /// The test-set confusion matrix of the first seed's final model (computed once, cached as a result).
    func confusion(_ value: ResolvedValue, data: DataCache) throws -> ReportOutput {
        guard let e = experiments(value).first, let run = e.runs.first else { throw ExecuteError("Confusion needs a run") }
        let key = "confusion-" + run.key
        let counts: [[Int]]
        let d = try data.load(e.spec.data, root: workspace.dataRoot)
        if let stored = try workspace.store.result(key: key),
           let m = try? JSONDecoder().decode([[Int]].self, from: Data(stored.payload.utf8)) {
            counts = m
        } else {
            let weights = workspace.finalWeights(run.key)
            guard FileManager.default.fileExists(atPath: weights) else { throw ExecuteError("\(e.name) has no trained weights yet") }
            let model = e.spec.model.build(seed: 0)
            try model.load(safetensors: weights)
            model.eval()
            let k = d.classNames.count
            var m = Array(repeating: Array(repeating: 0, count: k), count: k)
            let spec = try e.spec.asRun(run.key, in: workspace)
            let loader = d.test.loader(pipeline: spec.testPipeline(normalization: spec.normalization(dataset: d.normalization)), batchSize: 100, shuffle: false, seed: 0)
            var stream = loader.stream(epoch: 0)
            while let b = try stream.next() {
                let pred = Autograd.noGrad { model(b.images) }.argmax(axis: 1)
                for (t, p) in zip(b.labels, pred) { m[t][p] += 1 }
            }
            counts = m
            let json = String(data: try JSONEncoder().encode(m), encoding: .utf8)!
            try workspace.store.saveResult(ResultRecord(key: key, kind: "confusion", notebook: notebook, cell: e.name, payload: json))
        }
        let names = d.classNames
        let columns = [TableColumn("true \\ predicted")] + names.map { TableColumn($0, format: .integer) }
        let rows = counts.enumerated().map { i, row in [TableValue.text(names[i])] + row.map { .number(Double($0)) } }
        return ReportOutput(title: "confusion matrix of \(e.name) (test set)", .table(ReportTable(columns: columns, rows: rows)))
    }
}
