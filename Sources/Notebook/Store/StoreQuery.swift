// Filters for listing runs: by notebook, cell, status and summary-metric thresholds.
import Foundation
import GRDB

/// A condition on one summary metric, e.g. `MetricCondition("top1", .atLeast, 0.8)`.
public struct MetricCondition: Equatable, Sendable {
    /// How the metric compares with the value.
    public enum Comparison: String, Sendable, CaseIterable {
        case atLeast = ">="
        case atMost = "<="
        case greater = ">"
        case less = "<"
        case equal = "="
    }

    public var metric: String
    public var comparison: Comparison
    public var value: Double

    public init(_ metric: String, _ comparison: Comparison, _ value: Double) {
        self.metric = metric
        self.comparison = comparison
        self.value = value
    }

    /// Parses `top1>=0.8`, `params < 1e6` and the like; nil if the text is not a condition.
    public init?(parsing text: String) {
        // Two-character operators first so ">=" is not read as ">".
        let operators: [Comparison] = [.atLeast, .atMost, .greater, .less, .equal]
        for op in operators {
            guard let range = text.range(of: op.rawValue) else { continue }
            let name = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let number = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, let value = Double(number) else { return nil }
            self.init(name, op, value)
            return
        }
        return nil
    }
}

/// Which runs `ResultsStore.runs(_:)` returns; nil fields match everything.
public struct RunFilter: Equatable, Sendable {
    public var notebook: String?
    public var cell: String?
    public var status: RunStatus?
    /// All must hold; a run without the metric does not match.
    public var metrics: [MetricCondition]

    public init(notebook: String? = nil, cell: String? = nil, status: RunStatus? = nil,
                metrics: [MetricCondition] = []) {
        self.notebook = notebook
        self.cell = cell
        self.status = status
        self.metrics = metrics
    }

    func request() -> QueryInterfaceRequest<RunRecord> {
        var request = RunRecord.all()
        if let notebook { request = request.filter(Column("notebook") == notebook) }
        if let cell { request = request.filter(Column("cell") == cell) }
        if let status { request = request.filter(Column("status") == status.rawValue) }
        for condition in metrics {
            // The JSON path is a bound argument, so metric names cannot inject SQL.
            let path = "$.\"" + condition.metric.replacingOccurrences(of: "\"", with: "") + "\""
            request = request.filter(
                sql: "json_extract(summary, ?) \(condition.comparison.rawValue) ?",
                arguments: [path, condition.value])
        }
        return request.order(Column("startedAt"), Column("key"))
    }
}
