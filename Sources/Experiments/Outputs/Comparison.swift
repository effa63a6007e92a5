// Comparison: a Table's `baseline:` — each row's difference from a reference row, judged against the seed spread.
import Foundation
import Notebook

extension ExperimentResult {
    /// The per-seed values of a summary metric (empty unless every seed has finished).
    func seedValues(_ name: String) -> [Double] {
        complete ? records.compactMap { $0.summary[name] } : []
    }
}

extension OutputBuilder {
    /// The reference experiment and compared metrics of a Table's `baseline:` (`base` or `.compare(to:metrics:)`);
    /// nil without one.
    func baseline(_ value: ResolvedValue) -> (reference: PlannedExperiment, metrics: [String])? {
        guard let b = value["baseline"] else { return nil }
        var name: String?, metrics = ["top1"]
        if case let .reference(n, _) = b { name = n }
        if case let .reference(n, _)? = b["to"] { name = n }
        if case let .array(items)? = b["metrics"] { metrics = items.compactMap(\.name) }
        guard let name, let reference = plan.runs(of: name).first else { return nil }
        return (reference, metrics)
    }

    /// Adds one Δ column per compared metric (after that metric's column when the table has one, else at the end),
    /// and a caption stating the rule. Does nothing for a table without `baseline:`.
    func addComparisons(_ value: ResolvedValue, runs: [ExperimentResult], columns: [String],
                        header: inout [TableColumn], rows: inout [[TableValue]], caption: inout String?) {
        guard let (reference, metrics) = baseline(value) else { return }
        let base = result(reference)
        // Each Δ column goes after the header column it follows (its metric's, else the last), in `metrics` order.
        let added = metrics.map { metric -> (after: Int, column: TableColumn, cells: [TableValue]) in
            let (title, unit, _, format) = Self.metricColumns[metric] ?? (metric, nil, .neither, .automatic)
            let column = TableColumn("Δ \(title) vs \(reference.name)", unit: unit == "%" ? "pp" : unit, format: format)
            let cells = runs.map { r -> TableValue in
                if r.experiment.key == reference.key { return .text("reference") }
                return SeedComparison(row: r.seedValues(metric), reference: base.seedValues(metric)).map { .comparison($0) } ?? .missing
            }
            return (columns.firstIndex(of: metric).map { $0 + 1 } ?? header.count - 1, column, cells)
        }
        var newHeader: [TableColumn] = [], newRows = rows.map { _ in [TableValue]() }
        for i in header.indices {
            newHeader.append(header[i])
            for r in rows.indices { newRows[r].append(rows[r][i]) }
            for a in added where a.after == i {
                newHeader.append(a.column)
                for r in rows.indices { newRows[r].append(a.cells[r]) }
            }
        }
        (header, rows) = (newHeader, newRows)
        caption = "Δ: mean over seeds minus \(reference.name)'s; \"within noise\" when Welch's t-test on the seeds' values "
            + "gives p ≥ \(NumberFormat.automatic.format(SeedComparison.level)), \"spread unknown\" when a row or the "
            + "reference has one seed (docs/methods.md §12)."
    }
}
