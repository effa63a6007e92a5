// `loom plan`: each experiment's runs as cached / will resume / will run, with estimated time.
import ArgumentParser
import Experiments
import Foundation
import Notebook

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what `loom run` would do: each run cached, resumed or new, with an estimated time.")

    @OptionGroup var options: NotebookOptions

    func run() throws {
        let (document, ws) = try openNotebook(options.notebook, outputDirectory: options.output, readOnly: true)
        let plan = try makePlan(document: document, registry: notebookRegistry(), workspace: ws)
        for d in plan.check.diagnostics + plan.cellErrors.values.flatMap({ $0 }) {
            StandardStreams.err(d.rendered(in: document.source) + "\n")
        }
        var table = TextTable([("cell", .right), ("run", .left), ("seed", .right), ("state", .left), ("estimate", .right), ("backend", .left),
                               ("key", .left)])
        var total = 0.0
        for e in plan.experiments {
            for r in e.runs {
                let est = r.state == .cached ? "-" : formatDuration(r.estimate)
                if r.state != .cached { total += r.estimate }
                table.add([String(document.cells.first { $0.index == e.cellIndex }?.line ?? 0), e.name, String(r.seed),
                           r.state.rawValue, est, e.backend.label, String(r.key.prefix(12))])
            }
        }
        for a in plan.analyses {
            for t in a.targets {
                if t.state != .cached { total += t.estimate }
                table.add([String(document.cells.first { $0.index == a.cellIndex }?.line ?? 0), "\(a.call)(\(t.experiment.name))", "-",
                           t.state == .cached ? "cached" : "will compute", t.state == .cached ? "-" : formatDuration(t.estimate),
                           "embedded", String(t.key.prefix(12))])
            }
        }
        for line in table.lines { print(line) }
        print("to run: ~\(formatDuration(total)) (estimated from FLOPs, data size, epochs and measured throughput)")
        let outputs = plan.check.cells.flatMap { $0.statements }.filter { $0.binding == nil }.count - plan.analyses.count
        let backends = Dictionary(grouping: plan.experiments, by: { $0.backend.label }).map { "\($0.value.count) \($0.key)" }.sorted()
        print("\(plan.experiments.count) experiments, \(plan.analyses.count) analyses, \(outputs) other outputs; backends: "
              + (backends.isEmpty ? "none" : backends.joined(separator: ", ")))
        if plan.check.hasErrors || !plan.cellErrors.isEmpty { throw ExitCode(1) }
    }

    func formatDuration(_ s: Double) -> String {
        s < 60 ? String(format: "%.0f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
}
