// StoreOptions: the --store path and run filters shared by `loom runs` and `loom export`.
import ArgumentParser
import Experiments
import Foundation

/// Which results store to read and which of its runs to select.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The results database.")
    var store = "output/loom.sqlite"

    @Option(name: .long, help: "Only runs of this notebook (as stored, e.g. notebooks/study.md).")
    var notebook: String?

    @Option(name: .long, help: "Only runs of this cell binding (e.g. base).")
    var cell: String?

    @Option(name: .long, help: "Only runs with this status: \(RunQuery.statusNames.joined(separator: ", ")).")
    var status: String?

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "A summary-metric condition such as \"top1>=0.8\" (operators >=, <=, >, <, =); repeat for several.",
        valueName: "condition"))
    var conditions: [String] = []

    func validate() throws { _ = try query() }

    /// The store and runs the options select; a status or condition that cannot be read is a usage error.
    func query() throws -> RunQuery {
        let query = RunQuery(store: store, notebook: notebook, cell: cell, status: status, conditions: conditions)
        do {
            try query.validate()
        } catch let error as RunQuery.InvalidOption {
            throw ValidationError(error.description)
        }
        return query
    }
}
