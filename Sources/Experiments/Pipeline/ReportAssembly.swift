// Report assembly: the document's prose and cells, with each cell's outputs from the store.
import Engine
import Foundation
import Notebook

/// Step 5: the report of an executed (or, for `loom render`, only planned) notebook, as one HTML page.
func renderNotebook(_ x: ExecutedNotebook) -> String {
    ReportAssembler(plan: x.plan, workspace: x.workspace, notebook: x.notebook, failures: x.failures, missing: x.missing,
                    data: x.data, executed: x.executed).html()
}

/// Writes the report, creating the output folder if needed.
func writeReport(_ html: String, to path: String, outputDirectory: String) throws {
    try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
    try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
}

/// Builds the report model (pure apart from store reads and output computations).
struct ReportAssembler {
    let plan: NotebookPlan
    let workspace: Workspace
    let notebook: String
    /// Failure messages by run key (this invocation).
    let failures: [String: String]
    /// Data-missing notes by run key (this invocation).
    let missing: [String: String]
    let data: DataCache
    let executed: Bool

    var builder: OutputBuilder { OutputBuilder(plan: plan, workspace: workspace, notebook: notebook) }

    func html() -> String {
        let doc = plan.document
        var blocks: [ReportBlock] = []
        let checked = Dictionary(plan.check.cells.map { ($0.cell.index, $0) }, uniquingKeysWith: { a, _ in a })
        for segment in doc.segments {
            switch segment {
            case let .prose(p): blocks.append(.prose(p.text))
            case let .cell(cell): blocks.append(.cell(reportCell(cell, checked[cell.index])))
            }
        }
        let title = doc.frontMatter?.title ?? firstHeading(doc) ?? notebook
        let report = Report(title: title, author: doc.frontMatter?.author, date: doc.frontMatter?.date, blocks: blocks)
        return ReportRenderer.render(report, resolve: inlineValue)
    }

    func firstHeading(_ doc: Document) -> String? {
        for p in doc.prose {
            for line in p.text.split(separator: "\n") where line.hasPrefix("# ") { return String(line.dropFirst(2)) }
        }
        return nil
    }

    func errorBox(_ d: Diagnostic, hint: String? = nil) -> ReportOutput {
        let line = d.range.start.line, col = d.range.start.column
        let length = d.range.end.line == line ? max(1, d.range.end.column - col) : 1
        let message = d.suggestion.map { d.message.contains("did you mean") ? d.message : d.message + " (did you mean `\($0)`?)" } ?? d.message
        return ReportOutput(.error(ReportError(message: message, file: plan.document.source.fileName, line: line, column: col,
                                               length: length, sourceLine: plan.document.source.line(line), hint: hint)))
    }

    func reportCell(_ cell: Cell, _ checked: CheckedCell?) -> ReportCell {
        var outputs: [ReportOutput] = []
        var states = Set<ReportCell.State>()
        for d in (checked?.diagnostics ?? []) + (plan.cellErrors[cell.index] ?? []) where d.severity == .error {
            outputs.append(errorBox(d, hint: "fix the cell; the other cells still ran"))
        }
        for st in checked?.statements ?? [] {
            do {
                switch st.kind {
                case Vocabulary.Kind.experiment, Vocabulary.Kind.sweep:
                    guard let binding = st.binding else { continue }
                    let (o, s) = experimentOutputs(binding, at: st.range)
                    outputs += o
                    states.formUnion(s)
                default:
                    if let a = plan.analysis(cell: cell.index, range: st.range) {
                        let (o, s) = analysisOutputs(a)
                        outputs += o
                        states.formUnion(s)
                    } else if let o = try output(st.value) { outputs.append(o) }
                }
            } catch {
                outputs.append(errorBox(Diagnostic(.error, "\(st.value.name ?? "output"): \(error)", at: st.range)))
            }
        }
        let state: ReportCell.State? = states.contains(.stale) ? .stale : states.isEmpty ? nil : .current
        return ReportCell(id: checked?.statements.first?.binding ?? "cell-\(cell.index + 1)", source: cell.source,
                          line: cell.line, state: state, outputs: outputs)
    }

    /// A one-row-per-experiment status table for an Experiment or Sweep binding, plus failures.
    func experimentOutputs(_ binding: String, at range: SourceRange) -> ([ReportOutput], Set<ReportCell.State>) {
        var outputs: [ReportOutput] = []
        var states = Set<ReportCell.State>()
        var rows: [[TableValue]] = []
        var provenance: [Provenance] = []
        for e in plan.runs(of: binding) {
            let r = builder.result(e)
            for run in e.runs {
                if let m = missing[run.key] {
                    if !outputs.contains(where: { $0.title == "data missing" }) {
                        outputs.append(ReportOutput(title: "data missing", .text("\(m)\nPut the files there and run `loom run` again; "
                            + "the rest of the notebook rendered without this experiment.")))
                    }
                    continue
                }
                if let f = failures[run.key] ?? r.records.first(where: { $0.key == run.key && $0.status != .succeeded && $0.status != .running })?.error {
                    outputs.append(errorBox(Diagnostic(.error, "\(e.name) (seed \(run.seed)) failed: \(f)", at: range),
                                            hint: "the run is retried on the next `loom run`"))
                }
                states.insert(r.records.contains { $0.key == run.key && $0.status == .succeeded } ? .current : .stale)
            }
            let status = r.complete ? "complete"
                : e.runs.contains(where: { missing[$0.key] != nil }) ? "data missing"
                : (executed ? "not finished" : "stale: run `loom run`")
            rows.append([.text(e.name), .text(e.spec.modelLabel), .text(e.spec.dataLabel),
                         .text("\(e.spec.epochs)"), r.complete ? r.metric("top1") : .missing,
                         r.complete ? r.metric("trainTime") : .missing, .text(status)])
            provenance += builder.provenance(r)
        }
        let table = ReportTable(columns: [TableColumn("run"), TableColumn("model"), TableColumn("data"), TableColumn("epochs"),
                                          TableColumn("top-1", unit: "%", better: .higher, format: .percent(1)),
                                          TableColumn("train time", format: .duration), TableColumn("status")], rows: rows)
        outputs.insert(ReportOutput(.table(table), provenance: provenance), at: 0)
        return (outputs, states)
    }

    /// An analysis' outputs from its stored results; a missing result says why (failure, untrained run, stale).
    func analysisOutputs(_ a: PlannedAnalysis) -> ([ReportOutput], Set<ReportCell.State>) {
        var stored: [StoredAnalysis] = [], notes: [ReportOutput] = [], states = Set<ReportCell.State>()
        for t in a.targets {
            if let record = (try? workspace.store.result(key: t.key)) ?? nil {
                stored.append(StoredAnalysis(target: t, record: record, store: workspace.store))
                states.insert(.current)
            } else if let m = missing[t.key] {
                notes.append(ReportOutput(title: "data missing", .text("\(a.call) of \(t.label): \(m)")))
            } else {
                states.insert(.stale)
                let why = failures[t.key] ?? (executed ? "\(t.label) has not finished training" : "not computed yet: run `loom run`")
                notes.append(errorBox(Diagnostic(.error, "\(a.call) of \(t.label): \(why)", at: a.range),
                                      hint: "it is computed on the next `loom run` once its run has trained"))
            }
        }
        guard !stored.isEmpty else { return (notes, states) }
        do {
            var outputs = try AnalysisKinds.outputs(a.call, stored, args: Arguments(a.value, owner: a.call))
            let provenance = stored.map { s in
                Provenance(runKey: s.target.key, label: "\(a.call)(\(s.target.label))", seeds: [s.target.seed],
                           gitCommit: nil, engineVersion: engineNumericsVersion, wallSeconds: s.seconds, machine: s.machine,
                           computedAt: s.record.createdAt)
            }
            if !outputs.isEmpty { outputs[outputs.count - 1].provenance += provenance }
            return (outputs + notes, states)
        } catch {
            return ([errorBox(Diagnostic(.error, "\(a.call): \(error)", at: a.range))] + notes, states)
        }
    }

    func output(_ value: ResolvedValue) throws -> ReportOutput? {
        switch value.name {
        case "Table": return builder.table(value)
        case "Curves": return builder.curves(value)
        case "Bars": return builder.bars(value)
        case "Published": return builder.published(value)
        case "Samples": return try builder.samples(value, data: data)
        case "Confusion": return try builder.confusion(value, data: data)
        default: return nil
        }
    }

    /// `= name.metric`, `= name.published.metric` or a difference of two → the formatted value (docs/design.md §3.4).
    func inlineValue(_ expression: String) -> InlineValue? {
        InlineResults(plan: plan, builder: builder).value(expression)
    }
}
