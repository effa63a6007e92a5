// `loom runs`: the runs in the results store as an aligned table, filtered.
import ArgumentParser
import Experiments
import Foundation
import Notebook

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs in the results store.",
        discussion: "Keys are shortened to 12 characters; `loom export --summary` accepts any unique prefix.")

    @OptionGroup var options: StoreOptions

    @Flag(name: .long, help: "Print full run keys.")
    var fullKeys = false

    func run() throws {
        let filter = try options.filter()
        let runs = try options.open().runs(filter)
        guard !runs.isEmpty else {
            print("no runs match in \(options.store)")
            return
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
            let gone = r.status == .running && runProcessEnded(storePath: options.store, key: r.key)
            if gone { ended += 1 }
            table.add([fullKeys ? r.key : String(r.key.prefix(12)), r.notebook, r.cell, gone ? "interrupted*" : r.status.rawValue,
                       r.seeds.map(String.init).joined(separator: ","), dates.string(from: r.startedAt),
                       r.wallSeconds.map { String(format: "%.0f", $0) } ?? "-"]
                      + metrics.map { r.summary[$0].map { formatNumber($0) } ?? "-" })
        }
        for line in table.lines { print(line) }
        print("\(runs.count) run\(runs.count == 1 ? "" : "s") (times UTC)")
        if ended > 0 {
            print("* its process ended without finishing (killed or crashed); the next `loom run` records it and resumes it")
        }
    }
}
