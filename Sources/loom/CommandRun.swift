// `loom run`, `loom render`: the notebook pipeline with a progress bar and Ctrl-C handling.
import ArgumentParser
import Dispatch
import Experiments
import Foundation

/// Options shared by the notebook commands.
struct NotebookOptions: ParsableArguments {
    @Argument(help: "The notebook (Markdown with `swift config` cells).")
    var notebook: String = "notebooks/study.md"

    @Option(name: .long, help: "Folder for the report, results store and checkpoints.")
    var output: String = "output"

    @Option(name: .long, help: "Threads for OpenBLAS and the engine (default: LOOM_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        if notebook.isEmpty { throw ValidationError("the notebook path is empty; pass a .md file") }
        if output.isEmpty { throw ValidationError("--output is empty; pass a folder for the report and results store") }
        if let threads, !(1...1_024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Check, plan, train what is missing, and render the notebook to output/<name>.html.",
        discussion: "Only cells whose meaning changed run again. Ctrl-C stops at a batch boundary with a checkpoint; "
            + "the next `loom run` resumes there.\n\n" + ExitStatus.help)

    @OptionGroup var options: NotebookOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Re-run these bindings even when cached.")
    var force: [String] = []

    @Flag(name: .long, help: "Exit 0 even when cells fail or data is missing (the report shows the errors).")
    var keepGoing = false

    func run() throws {
        var o = RunOptions(notebookPath: options.notebook)
        o.threads = options.threads
        o.outputDirectory = options.output
        o.force = Set(force)
        o.keepGoing = keepGoing
        let bar = ProgressBar()
        o.log = { bar.log($0) }
        o.progress = { e, seedIndex, seeds, event in bar.show(ProgressLine(e, seedIndex: seedIndex, seeds: seeds, event: event)) }
        o.analysisProgress = { call, name, done, total in bar.analysis(call, name, done, total) }
        let stop = o.stop
        installInterruptHandler { stop.request(); bar.log("stopping at the next batch boundary (Ctrl-C again to abort)…") }
        let summary = try runNotebook(o)
        bar.finish()
        print("report: \(summary.reportPath)  (\(summary.trained) trained, \(summary.cached) cached, "
              + "\(summary.failed) failed, \(summary.errors) cell errors, \(String(format: "%.1f", summary.seconds)) s)")
        let code = summary.exitCode(keepGoing: keepGoing)
        if code != 0 { throw ExitCode(code) }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render the notebook from the results store only (nothing trains; stale cells are marked).")

    @OptionGroup var options: NotebookOptions

    func run() throws {
        var o = RunOptions(notebookPath: options.notebook)
        o.outputDirectory = options.output
        o.execute = false
        o.log = { StandardStreams.err($0 + "\n") }
        let summary = try runNotebook(o)
        print("report: \(summary.reportPath)")
        if summary.errors > 0 { throw ExitCode(1) }
    }
}

/// SIGINT → `handler` once; a second Ctrl-C exits at once.
func installInterruptHandler(_ handler: @escaping () -> Void) {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    var count = 0
    source.setEventHandler {
        count += 1
        if count > 1 { exit(130) }
        handler()
    }
    source.resume()
    interruptSource = source
}

nonisolated(unsafe) private var interruptSource: DispatchSourceSignal?

/// A one-line progress bar on a terminal (stderr), plain log lines otherwise.
final class ProgressBar: @unchecked Sendable {
    let tty = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    private var active = false
    private let lock = NSLock()

    func log(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        if active { StandardStreams.err("\r\u{1B}[K"); active = false }
        StandardStreams.err(line + "\n")
    }

    /// Logs a line, or redraws the bar (terminal only, at most every 0.2 s, and always an epoch's last batch).
    func show(_ line: ProgressLine) {
        switch line {
        case let .bar(last, text):
            lock.lock(); defer { lock.unlock() }
            guard tty else { return }
            let now = Date()
            guard now.timeIntervalSince(lastLine) > 0.2 || last else { return }
            lastLine = now
            StandardStreams.err("\r\u{1B}[K" + text())
            active = true
        case let .log(text):
            log(text)
        }
    }

    /// The bar of an analysis in flight (terminal only; the runner logs start and end lines).
    func analysis(_ call: String, _ name: String, _ done: Int, _ total: Int) {
        lock.lock(); defer { lock.unlock() }
        guard tty, total > 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastLine) > 0.2 || done == total else { return }
        lastLine = now
        let width = 24, filled = done * width / total
        let bar = String(repeating: "█", count: min(filled, width)) + String(repeating: "·", count: max(0, width - filled))
        StandardStreams.err("\r\u{1B}[K\(call)(\(name)) [\(bar)] \(done)/\(total)")
        active = true
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if active { StandardStreams.err("\n"); active = false }
    }
}
