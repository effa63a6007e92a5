// Exports of the results store: runs as CSV or JSON, and a timm-style summary.csv per run.
import Foundation

extension ResultsStore {
    /// Runs as CSV (RFC 4180): one row per run, fixed columns then one column per summary
    /// metric (sorted by name), then the resolved config as JSON.
    public func exportCSV(_ filter: RunFilter = RunFilter()) throws -> String {
        let runs = try runs(filter)
        let metrics = Set(runs.flatMap { $0.summary.keys }).sorted()
        let header = ["key", "notebook", "cell", "status", "error", "seeds", "git_commit", "engine_version",
                      "blas_config", "threads", "cpu", "isa", "blas_core", "devices", "world_size",
                      "started_at", "ended_at", "wall_seconds"] + metrics + ["config"]
        var lines = [StoreCSV.row(header)]
        for run in runs {
            var fields = [run.key, run.notebook, run.cell, run.status.rawValue, run.error ?? "",
                          run.seeds.map(String.init).joined(separator: " "), run.gitCommit ?? "", run.engineVersion,
                          run.blasConfig ?? "", run.threads.map(String.init) ?? "", run.cpu ?? "",
                          run.isa ?? "", run.blasCore ?? "", run.devices ?? "", run.worldSize.map(String.init) ?? "",
                          StoreCSV.date(run.startedAt), run.endedAt.map(StoreCSV.date) ?? "",
                          StoreCSV.number(run.wallSeconds)]
            fields += metrics.map { StoreCSV.number(run.summary[$0]) }
            fields.append(run.config)
            lines.append(StoreCSV.row(fields))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Runs as a pretty-printed JSON array with sorted keys; each run carries its config as a
    /// JSON object and, when `includeEpochs`, its epochs.
    public func exportJSON(_ filter: RunFilter = RunFilter(), includeEpochs: Bool = true) throws -> Data {
        var objects: [[String: Any]] = []
        for run in try runs(filter) {
            var object: [String: Any] = [
                "key": run.key, "notebook": run.notebook, "cell": run.cell, "status": run.status.rawValue,
                "seeds": run.seeds, "engine_version": run.engineVersion, "started_at": StoreCSV.date(run.startedAt),
                "summary": run.summary,
            ]
            object["config"] = (try? JSONSerialization.jsonObject(with: Data(run.config.utf8), options: [.fragmentsAllowed]))
                ?? run.config
            object["error"] = run.error
            object["git_commit"] = run.gitCommit
            object["blas_config"] = run.blasConfig
            object["threads"] = run.threads
            object["cpu"] = run.cpu
            object["isa"] = run.isa
            object["blas_core"] = run.blasCore
            object["devices"] = run.devices
            object["world_size"] = run.worldSize
            object["ended_at"] = run.endedAt.map(StoreCSV.date)
            object["wall_seconds"] = run.wallSeconds
            if includeEpochs {
                object["epochs"] = try epochs(key: run.key).map { e -> [String: Any] in
                    var row: [String: Any] = ["seed": e.seed, "epoch": e.epoch]
                    row["train_loss"] = e.trainLoss
                    row["test_loss"] = e.testLoss
                    row["top1"] = e.top1
                    row["top5"] = e.top5
                    row["lr"] = e.lr
                    row["images_per_second"] = e.imagesPerSecond
                    row["wall_seconds"] = e.wallSeconds
                    return row
                }
            }
            objects.append(object)
        }
        return try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
    }

    /// timm's `summary.csv` for one seed of a run (the lowest seed when nil): columns
    /// `epoch,train_loss,eval_loss,eval_top1,eval_top5,lr`, accuracies in percent as timm writes them.
    public func timmSummaryCSV(key: String, seed: Int? = nil) throws -> String {
        guard let run = try run(key: key) else { throw StoreError.unknownRun(key: key) }
        let all = try epochs(key: key)
        let chosen = seed ?? run.seeds.min() ?? all.first?.seed ?? 0
        var lines = [StoreCSV.row(["epoch", "train_loss", "eval_loss", "eval_top1", "eval_top5", "lr"])]
        for e in all where e.seed == chosen {
            lines.append(StoreCSV.row([String(e.epoch), StoreCSV.number(e.trainLoss), StoreCSV.number(e.testLoss),
                                       StoreCSV.number(e.top1.map { $0 * 100 }), StoreCSV.number(e.top5.map { $0 * 100 }),
                                       StoreCSV.number(e.lr)]))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// CSV field formatting shared by the exports.
enum StoreCSV {
    /// One CSV row; fields with a comma, quote or line break are quoted, quotes doubled.
    static func row(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }

    /// Shortest round-tripping decimal form as Python prints it ("0.1", "2.0", "1e-05"); empty for nil.
    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return "\(value)"
    }

    /// ISO 8601 UTC with milliseconds.
    static func date(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
