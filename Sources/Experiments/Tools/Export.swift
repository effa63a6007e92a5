// Export: `loom export`'s text — runs as CSV or JSON, or one run's timm-style summary.csv.
import Foundation
import Notebook

/// What `loom export` writes.
public enum ExportFormat {
    /// One CSV row per selected run.
    case csv
    /// A JSON array of the selected runs, with or without their per-epoch metrics.
    case json(includeEpochs: Bool)
    /// timm's summary.csv of the one run whose key is or starts with `key`, for `seed` (default: the run's lowest).
    case summary(key: String, seed: Int?)
}

extension RunQuery {
    /// The export's text.
    public func export(_ format: ExportFormat) throws -> String {
        let filter = try filter()
        let store = try open()
        switch format {
        case let .summary(prefix, seed):
            let key = try Self.resolve(prefix, in: store)
            if let seed, let run = try store.run(key: key), !run.seeds.contains(seed) {
                throw ToolError("run \(key) has no seed \(seed); its seeds: "
                                + run.seeds.map(String.init).joined(separator: ", "))
            }
            return try store.timmSummaryCSV(key: key, seed: seed)
        case .csv:
            return try store.exportCSV(filter)
        case let .json(includeEpochs):
            return String(decoding: try store.exportJSON(filter, includeEpochs: includeEpochs), as: UTF8.self) + "\n"
        }
    }

    /// The full key of the one run whose key is `prefix` or starts with it.
    static func resolve(_ prefix: String, in store: ResultsStore) throws -> String {
        if try store.run(key: prefix) != nil { return prefix }
        let matches = try store.runs().filter { $0.key.hasPrefix(prefix) }
        switch matches.count {
        case 1: return matches[0].key
        case 0: throw ToolError("no run with key or key prefix '\(prefix)' in \(store.path) (see `loom runs`)")
        default:
            throw ToolError("key prefix '\(prefix)' matches \(matches.count) runs ("
                            + matches.prefix(5).map(\.key).joined(separator: ", ") + (matches.count > 5 ? ", …" : "")
                            + "); give more characters")
        }
    }
}
