// Runs listing: `loom runs`' aligned table of the runs a query selects.
import Foundation
import Notebook

extension RunQuery {
    /// The selected runs as table lines with a count and footnotes, or one line saying none match.
    /// - Parameter fullKeys: whole run keys instead of their first 12 characters.
    public func listing(fullKeys: Bool) throws -> [String] {
        let filter = try filter()
        let runs = try open().runs(filter)
        guard !runs.isEmpty else {
            return ["no runs match in \(store)"]
        }
        let metrics = Set(runs.flatMap { $0.summary.keys }).sorted()
        var table = TextTable([("key", .left), ("notebook", .left), ("cell", .left), ("status", .left),
                               ("seeds", .left), ("started", .left), ("wall_s", .right)]
                              + metrics.map { ($0, .right) })
        let dates = DateFormatter()
        dates.dateFormat = "yyyy-MM-dd HH:mm"
        dates.timeZone = TimeZone(identifier: "UTC")
        var ended = 0
        for r in runs {
            // A run whose process died (SIGKILL, a crash) never wrote its end; its free lock says so.
            let gone = r.status == .running && runProcessEnded(storePath: store, key: r.key)
            if gone { ended += 1 }
            table.add([fullKeys ? r.key : String(r.key.prefix(12)), r.notebook, r.cell, gone ? "interrupted*" : r.status.rawValue,
                       r.seeds.map(String.init).joined(separator: ","), dates.string(from: r.startedAt),
                       r.wallSeconds.map { String(format: "%.0f", $0) } ?? "-"]
                      + metrics.map { r.summary[$0].map { formatNumber($0) } ?? "-" })
        }
        var lines = table.lines
        lines.append("\(runs.count) run\(runs.count == 1 ? "" : "s") (times UTC)")
        if ended > 0 {
            lines.append("* its process ended without finishing (killed or crashed); the next `loom run` records it and resumes it")
        }
        return lines
    }
}
