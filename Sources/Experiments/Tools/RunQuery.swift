// Run query: the results store `loom runs` and `loom export` read, and which of its runs they select.
import Foundation
import Notebook

/// A user's or the world's mistake met by a tool (a missing store, an unknown run key), reported as one message.
public struct ToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Which results store to read and which of its runs: by notebook, cell binding, status and summary-metric conditions.
public struct RunQuery {
    /// The results database.
    public var store: String
    public var notebook: String?
    public var cell: String?
    /// One of ``statusNames``, any case.
    public var status: String?
    /// Conditions such as `top1>=0.8`.
    public var conditions: [String]

    public init(store: String, notebook: String?, cell: String?, status: String?, conditions: [String]) {
        self.store = store; self.notebook = notebook; self.cell = cell; self.status = status; self.conditions = conditions
    }

    /// The statuses a run can have, as `status` takes them.
    public static let statusNames = RunStatus.allCases.map(\.rawValue)

    /// A status or condition that cannot be read: a usage mistake, which the command reports with its usage.
    public struct InvalidOption: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the status and the conditions, so that a mistake is found before any work.
    public func validate() throws { _ = try filter() }

    /// The filter the options describe.
    func filter() throws -> RunFilter {
        var status: RunStatus?
        if let text = self.status {
            guard let s = RunStatus(rawValue: text.lowercased()) else {
                throw InvalidOption(description: "unknown status '\(text)'; valid: " + Self.statusNames.joined(separator: ", "))
            }
            status = s
        }
        let metrics = try conditions.map { text -> MetricCondition in
            guard let c = MetricCondition(parsing: text) else {
                throw InvalidOption(description: "cannot read condition '\(text)': expected METRIC OP NUMBER such as top1>=0.8, "
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
            throw ToolError("no results store at \(store); `loom run NOTEBOOK` creates it (or pass --store PATH)")
        }
        return try ResultsStore(readingAt: store)
    }
}
