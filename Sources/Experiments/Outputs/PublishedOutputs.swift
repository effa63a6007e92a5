// Published values in outputs: marked table columns and bar markers with numbered source notes, the
// `Published(...)` statement's own table, and inline results that quote them or their difference to ours.
import Notebook

extension OutputBuilder {
    /// The numbered notes naming the sources of `experiments`' published values, in order of first use, and each
    /// experiment's note number. Experiments that share a source share its note.
    func publishedNotes(_ experiments: [String]) -> (notes: [String], number: [String: Int]) {
        var sources: [String] = [], names: [[String]] = [], number: [String: Int] = [:]
        for name in experiments {
            guard let p = plan.published[name] else { continue }
            if let i = sources.firstIndex(of: p.source) {
                if !names[i].contains(name) { names[i].append(name) }
                number[name] = i + 1
            } else {
                sources.append(p.source)
                names.append([name])
                number[name] = sources.count
            }
        }
        let notes = zip(sources, names).map { "Published values of \($1.joined(separator: ", ")): \($0)." }
        return (notes, number)
    }

    /// `table` with a column "<header> (published)" after each result column (top-1, top-5, params, train time) for
    /// which some row's experiment has a published value; each such value refers to a note naming its source.
    /// The published column ranks nothing (no best mark): best marks compare Loom's own runs.
    func withPublished(_ table: ReportTable, columns: [String], runs: [ExperimentResult]) -> ReportTable {
        let names = runs.map(\.experiment.name)
        let shown = PublishedValues.metrics.filter { m in
            columns.contains(m) && table.columns.contains { $0.header == Self.metricColumns[m]?.0 }
                && names.contains { plan.published[$0]?.value(m) != nil }
        }
        // Notes only for the experiments with a value in a shown column.
        let (notes, number) = publishedNotes(names.filter { n in shown.contains { plan.published[n]?.value($0) != nil } })
        guard !notes.isEmpty else { return table }
        var header = table.columns, rows = table.rows
        for metric in shown.reversed() {
            guard let (title, unit, _, format) = Self.metricColumns[metric],
                  let at = header.firstIndex(where: { $0.header == title }) else { continue }
            header.insert(TableColumn(title + " (published)", unit: unit, format: format), at: at + 1)
            for (r, name) in names.enumerated() where r < rows.count {
                let value = plan.published[name]?.value(metric)
                rows[r].insert(value.map { .noted($0, note: number[name] ?? 0) } ?? .missing, at: at + 1)
            }
        }
        return ReportTable(columns: header, rows: rows, caption: table.caption, notes: notes)
    }

    /// `chart` with a marker per category (run) whose experiment has a published value of `metric`, in the
    /// chart's unit (`scale` 100 for percentages), each referring to a note naming its source.
    func withPublished(_ chart: BarChart, metric: String, runs: [ExperimentResult], scale: Double) -> BarChart {
        let names = runs.map(\.experiment.name)
        let stated = names.filter { if case .number? = plan.published[$0]?.value(metric) { return true }; return false }
        let (notes, number) = publishedNotes(stated)
        guard !notes.isEmpty else { return chart }
        var markers: [BarMarker] = []
        for (i, name) in names.enumerated() {
            guard case let .number(v)? = plan.published[name]?.value(metric) else { continue }
            markers.append(BarMarker(category: i, value: v * scale, note: number[name]))
        }
        return BarChart(categories: chart.categories, y: chart.y, series: chart.series, markers: markers, notes: notes)
    }

    /// The output of a `Published(...)` statement: its values in one row, the source as the note, anchored
    /// `published-<name>` for inline results to link to. Nothing for a statement the plan refused.
    func published(_ value: ResolvedValue) -> ReportOutput? {
        guard case let .reference(name, _)? = value["run"], let p = plan.published[name], p.value == value else { return nil }
        var columns = [TableColumn("run")], row: [TableValue] = [.text(name)]
        for metric in PublishedValues.metrics {
            guard let v = p.value(metric), let (title, unit, _, format) = Self.metricColumns[metric] else { continue }
            columns.append(TableColumn(title + " (published)", unit: unit, format: format))
            row.append(.noted(v, note: 1))
        }
        let notes = publishedNotes([name]).notes
        return ReportOutput(anchor: Self.publishedAnchor(name), title: "published values of \(name)",
                            .table(ReportTable(columns: columns, rows: [row], notes: notes)))
    }

    static func publishedAnchor(_ name: String) -> String { "published-" + name }
}
