// `loom export`: runs as CSV or JSON, or one run's timm-style summary.csv.
import ArgumentParser
import Foundation
import Notebook

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export runs as CSV or JSON, or one run's timm-style summary.csv.",
        discussion: "Filters (--notebook, --cell, --status, --where) apply to --csv and --json.")

    @OptionGroup var options: StoreOptions

    @Flag(name: .long, help: "One CSV row per run: fixed columns, one per summary metric, then the config as JSON.")
    var csv = false

    @Flag(name: .long, help: "A JSON array of runs with their configs and epochs.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("timm's summary.csv (epoch,train_loss,eval_loss,eval_top1,eval_top5,lr) of one run, by key or unique key prefix.", valueName: "run-key"))
    var summary: String?

    @Option(name: .long, help: "With --summary: which seed (default: the run's lowest).")
    var seed: Int?

    @Flag(name: .long, help: "With --json: leave out per-epoch metrics.")
    var noEpochs = false

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        let chosen = [csv, json, summary != nil].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --csv, --json or --summary RUNKEY") }
        if seed != nil && summary == nil { throw ValidationError("--seed goes with --summary") }
        if noEpochs && !json { throw ValidationError("--no-epochs goes with --json") }
        if output?.isEmpty == true { throw ValidationError("--output is empty; give a file name, or leave it out for standard output") }
    }

    func run() throws {
        let filter = try options.filter()
        let store = try options.open()
        let text: String
        if let prefix = summary {
            let key = try resolve(prefix, in: store)
            if let seed, let run = try store.run(key: key), !run.seeds.contains(seed) {
                throw CLIError("run \(key) has no seed \(seed); its seeds: "
                               + run.seeds.map(String.init).joined(separator: ", "))
            }
            text = try store.timmSummaryCSV(key: key, seed: seed)
        } else if csv {
            text = try store.exportCSV(filter)
        } else {
            text = String(decoding: try store.exportJSON(filter, includeEpochs: !noEpochs), as: UTF8.self) + "\n"
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            StandardStreams.out(text)
        }
    }

    /// The full key of the one run whose key is `prefix` or starts with it.
    private func resolve(_ prefix: String, in store: ResultsStore) throws -> String {
        if try store.run(key: prefix) != nil { return prefix }
        let matches = try store.runs().filter { $0.key.hasPrefix(prefix) }
        switch matches.count {
        case 1: return matches[0].key
        case 0: throw CLIError("no run with key or key prefix '\(prefix)' in \(store.path) (see `loom runs`)")
        default:
            throw CLIError("key prefix '\(prefix)' matches \(matches.count) runs ("
                           + matches.prefix(5).map(\.key).joined(separator: ", ") + (matches.count > 5 ? ", …" : "")
                           + "); give more characters")
        }
    }
}
