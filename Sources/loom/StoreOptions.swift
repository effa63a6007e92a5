// StoreOptions: the --store path and run filters shared by `loom runs` and `loom export`.
import ArgumentParser
import Foundation
import Notebook

/// Which results store to read and which of its runs to select.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The results database.")
    var store = "output/loom.sqlite"

    @Option(name: .long, help: "Only runs of this notebook (as stored, e.g. notebooks/study.md).")
    var notebook: String?

    @Option(name: .long, help: "Only runs of this cell binding (e.g. base).")
    var cell: String?

    @Option(name: .long, help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: String?

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "A summary-metric condition such as \"top1>=0.8\" (operators >=, <=, >, <, =); repeat for several.",
        valueName: "condition"))
    var conditions: [String] = []

    func validate() throws { _ = try filter() }

    /// The filter the options describe.
    func filter() throws -> RunFilter {
        var status: RunStatus?
        if let text = self.status {
            guard let s = RunStatus(rawValue: text.lowercased()) else {
                throw ValidationError("unknown status '\(text)'; valid: " + RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            status = s
        }
        let metrics = try conditions.map { text -> MetricCondition in
            guard let c = MetricCondition(parsing: text) else {
                throw ValidationError("cannot read condition '\(text)': expected METRIC OP NUMBER such as top1>=0.8, "
                                      + "with OP one of " + MetricCondition.Comparison.allCases.map(\.rawValue).joined(separator: " "))
            }
            return c
        }
        return RunFilter(notebook: notebook, cell: cell, status: status, metrics: metrics)
    }

    /// Opens the store for reading only, refusing to create one where none exists and refusing a database that is
    /// not Loom's (these commands never write).
    func open() throws -> ResultsStore {
        guard FileManager.default.fileExists(atPath: store) else {
            throw CLIError("no results store at \(store); `loom run NOTEBOOK` creates it (or pass --store PATH)")
        }
        return try ResultsStore(readingAt: store)
    }
}
