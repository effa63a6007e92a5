// `loom runs`: the runs in the results store as an aligned table, filtered.
import ArgumentParser
import Experiments
import Foundation

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs in the results store.",
        discussion: "Keys are shortened to 12 characters; `loom export --summary` accepts any unique prefix.")

    @OptionGroup var options: StoreOptions

    @Flag(name: .long, help: "Print full run keys.")
    var fullKeys = false

    func run() throws {
        for line in try options.query().listing(fullKeys: fullKeys) { print(line) }
    }
}
