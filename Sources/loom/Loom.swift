// Loom: the command-line entry point; the subcommand list and the one place errors become exit codes.
import ArgumentParser
import Experiments

/// `loom`: literate experiment runner for image-recognition research.
///
/// Errors: usage mistakes throw `ValidationError` (usage is printed, exit 64); everything else a
/// user or the world got wrong throws a typed error whose description is one clear message
/// (`CLIError`, `ToolError`, `ModelExpressionError`, `PredictError`, `StateDictError`, `SafeTensorsError`,
/// `PNGError`, `StoreError`); it is printed as "Error: …" on stderr with exit 1. Exit statuses are listed in
/// ``ExitStatus``; output that cannot be written exits 74 (see ``StandardStreams``).
@main
struct Loom: AsyncParsableCommand {
    /// Replaces ArgumentParser's entry point to correct OpenBLAS's core and secure the standard streams first,
    /// and to check, at exit, that standard output was written.
    static func main() async {
        // OpenBLAS's kernel core is corrected first, before any BLAS work (see `ProcessStart.correctBLASCore`).
        ProcessStart.correctBLASCore()
        StandardStreams.prepare()
        let status: Int32
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            status = 0
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if code == 0 { StandardStreams.out(message + "\n") } else { StandardStreams.err(message + "\n") }
            }
            status = code
        }
        StandardStreams.finish(status: status)
    }

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
            WeightsCommand.self,
        ])
}

/// A user's or the world's mistake, reported as one line on stderr with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The exit statuses of `loom`, as listed in the README and `loom run --help`.
enum ExitStatus {
    static let help = """
        Exit status: 0 done; 1 a cell error or a user error (message on stderr); 2 a run or analysis failed or \
        diverged; 3 a dataset is missing (nothing failed; the report says how to get it); the report is written \
        in each of these cases, and --keep-going turns 1, 2 and 3 into 0; 64 a usage error; 74 standard output could not \
        be written; 130 stopped by Ctrl-C (the next `loom run` resumes).
        """
}
