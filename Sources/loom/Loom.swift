// Loom: the command-line entry point; the subcommand list and the one place errors become exit codes.
import ArgumentParser
import Engine

/// `loom`: literate experiment runner for image-recognition research.
///
/// Errors: usage mistakes throw `ValidationError` (usage is printed, exit 64); everything else a
/// user or the world got wrong throws a typed error whose description is one clear message
/// (`CLIError`, `ModelExpressionError`, `PredictError`, `StateDictError`, `SafeTensorsError`,
/// `PNGError`, `StoreError`); ArgumentParser prints it as "Error: …" on stderr and exits 1.
@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Literate experiment runner for image-recognition research.",
        discussion: "Notebooks are Markdown with `swift config` cells; results live in output/loom.sqlite.",
        // One line per subcommand.
        subcommands: [
            RunCommand.self,
            PlanCommand.self,
            RenderCommand.self,
            PredictCommand.self,
            BenchCommand.self,
            RunsCommand.self,
            ExportCommand.self,
            DoctorCommand.self,
        ])

    /// Corrects OpenBLAS's kernel core before any BLAS work (see `BLASCore.reexecIfWeaker`), then parses
    /// and runs the subcommand as ArgumentParser's own `main` does.
    static func main() async {
        BLASCore.reexecIfWeaker()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// A user's or the world's mistake, reported as one line on stderr with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
