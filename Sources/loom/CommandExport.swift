// `loom export`: runs as CSV or JSON, or one run's timm-style summary.csv.
import ArgumentParser
import Experiments
import Foundation

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
        let format: ExportFormat
        if let summary {
            format = .summary(key: summary, seed: seed)
        } else {
            format = csv ? .csv : .json(includeEpochs: !noEpochs)
        }
        let text = try options.query().export(format)
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
}
