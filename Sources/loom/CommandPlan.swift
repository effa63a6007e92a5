// `loom plan`: each experiment's runs as cached / will resume / will run, with estimated time.
import ArgumentParser
import Experiments

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what `loom run` would do: each run cached, resumed or new, with an estimated time.")

    @OptionGroup var options: NotebookOptions

    func run() throws {
        let listing = try PlanListing(notebook: options.notebook, outputDirectory: options.output)
        for d in listing.diagnostics { StandardStreams.err(d + "\n") }
        var table = TextTable([("cell", .right), ("run", .left), ("seed", .right), ("state", .left), ("estimate", .right), ("backend", .left),
                               ("key", .left)])
        for row in listing.rows { table.add(row) }
        for line in table.lines + listing.totals { print(line) }
        if listing.hasErrors { throw ExitCode(1) }
    }
}
