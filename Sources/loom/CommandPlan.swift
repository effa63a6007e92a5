// `loom plan`: each experiment's runs as cached / will resume / will run, with estimated time (`--probe`: time torch runs).
import ArgumentParser
import Experiments

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what `loom run` would do: each run cached, resumed or new, with an estimated time.")

    @OptionGroup var options: NotebookOptions

    @Flag(help: ArgumentHelp("Time a few training steps of each torch run's model on this machine (starts Python; cached under <output>/probes/).",
                             discussion: "Without it `loom plan` never starts Python: a torch run's estimate comes from an earlier probe, or reads \"unknown\"."))
    var probe = false

    func run() throws {
        let listing = try PlanListing(notebook: options.notebook, outputDirectory: options.output, probe: probe,
                                      log: { StandardStreams.err($0 + "\n") })
        for d in listing.diagnostics { StandardStreams.err(d + "\n") }
        for m in listing.probeMessages { StandardStreams.err("warning: " + m + "\n") }
        var table = TextTable([("cell", .right), ("run", .left), ("seed", .right), ("state", .left), ("estimate", .right), ("backend", .left),
                               ("key", .left)])
        for row in listing.rows { table.add(row) }
        for line in table.lines + listing.totals { print(line) }
        if listing.hasErrors { throw ExitCode(1) }
    }
}
