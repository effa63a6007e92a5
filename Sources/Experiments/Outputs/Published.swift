// Published values: what a paper or report states for an experiment, planned from `Published(...)` statements
// and shown beside Loom's results in tables, bars and prose. They are never runs: no key, nothing in the store.
import Foundation
import Notebook

/// The values one `Published(...)` statement states for one experiment binding.
public struct PublishedValues: Equatable {
    /// The experiment binding, e.g. `r50`.
    public let experiment: String
    /// Top-1 and top-5 as fractions, the store's convention (the cell gives percentages, docs/design.md §3.6).
    public let top1: Double?, top5: Double?
    public let params: Double?
    /// As published: a time on other hardware is a statement, not a number to rank against ours.
    public let trainTime: String?
    /// A conclusion as published, e.g. "looks at high frequencies": a claim the notebook's cells then test.
    public let claim: String?
    public let source: String
    /// The statement, for diagnostics, and its checked value (to tell a statement's own output from a repeat's).
    public let range: SourceRange
    let value: ResolvedValue

    /// The results a statement can give, in `Table` column order.
    static let metrics = ["top1", "top5", "params", "trainTime", "claim"]

    /// The published value of `metric` (a `Table` column or member name) as a table value, nil when not stated.
    func value(_ metric: String) -> TableValue? {
        switch metric {
        case "top1": return top1.map(TableValue.number)
        case "top5": return top5.map(TableValue.number)
        case "params": return params.map(TableValue.number)
        case "trainTime": return trainTime.map(TableValue.text)
        case "claim": return claim.map(TableValue.text)
        default: return nil
        }
    }

    /// Reads a checked `Published(...)` value; top-1 and top-5 are divided by 100.
    init(experiment: String, value: ResolvedValue, range: SourceRange) {
        func number(_ label: String) -> Double? {
            switch value[label] {
            case let .number(x)?: return x
            case let .int(i)?: return Double(i)
            default: return nil
            }
        }
        func text(_ label: String) -> String? { if case let .string(s)? = value[label] { return s }; return nil }
        self.experiment = experiment
        top1 = number("top1").map { $0 / 100 }
        top5 = number("top5").map { $0 / 100 }
        params = number("params")
        trainTime = text("trainTime")
        claim = text("claim")
        source = text("source") ?? ""
        self.range = range
        self.value = value
    }
}

/// Collects the notebook's `Published(...)` statements into `plan.published`, one per experiment binding. A
/// statement that names no experiment binding, states no value or no source, or repeats an experiment already
/// given is a cell error (docs/design.md §3.6). Runs after the experiments are planned; it adds no run and no key.
func planPublished(_ plan: inout NotebookPlan) {
    for cell in plan.check.cells where !cell.hasErrors {
        for st in cell.statements where st.kind == Vocabulary.Kind.published {
            if let problem = publishedProblem(st, plan: plan) {
                plan.cellErrors[cell.cell.index, default: []].append(problem)
                continue
            }
            guard case let .reference(name, _)? = st.value["run"], plan.members[name] != nil else { continue }
            plan.published[name] = PublishedValues(experiment: name, value: st.value, range: st.range)
        }
    }
}

/// What is wrong with one `Published(...)` statement, if anything.
private func publishedProblem(_ st: CheckedStatement, plan: NotebookPlan) -> Diagnostic? {
    guard case let .reference(name, _)? = st.value["run"] else {
        return Diagnostic(.error, "`Published` names an experiment binding, as in `Published(r50, top1: 79.05, source: \"…\")`; "
                          + "bind the experiment with `let` first, so tables and prose can refer to it", at: st.range)
    }
    let values = PublishedValues(experiment: name, value: st.value, range: st.range)
    if PublishedValues.metrics.allSatisfy({ values.value($0) == nil }) {
        return Diagnostic(.error, "`Published(\(name), …)` states no value; give at least one of "
                          + PublishedValues.metrics.map { "`\($0):`" }.joined(separator: ", "), at: st.range)
    }
    if values.source.trimmingCharacters(in: .whitespaces).isEmpty {
        return Diagnostic(.error, "`Published(\(name), …)` has an empty `source:`; name the paper or report and its table, "
                          + "as in \"He et al. 2016, table 6\"", at: st.range)
    }
    if let first = plan.published[name] {
        return Diagnostic(.error, "a second `Published` for `\(name)`; state all of its published values in one statement",
                          at: st.range, notes: [Diagnostic(.note, "the first `Published` for `\(name)` is here", at: first.range)])
    }
    return nil
}
