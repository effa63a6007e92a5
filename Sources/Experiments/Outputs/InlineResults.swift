// Inline results in prose: values, differences and comparisons of run metrics, analysis results and published
// values, formatted as in tables (docs/design.md §3.4).
import Foundation
import Notebook

/// Resolves the inline results of prose against the plan and the store.
///
/// - `= se.top1`: a run metric's mean over seeds, `± std` for several seeds;
/// - `= base.shapeBias`, `= base.lowPass(4)`: an analysis result, read per seed from the analysis cell's stored
///   payloads and shown the same way;
/// - `= r50.published.top1`: a published value;
/// - `= a.top1 - b.top1`: the signed difference of two means (percentage points for percentages);
/// - `= compare(a.top1, b.top1)`: "higher than", "lower than" or "within noise of", by the rule of a Table's
///   `baseline:` (Welch's t-test on the seeds' values, docs/methods.md §12).
///
/// nil — shown as an unresolved reference — when a run or analysis has not finished or a value was not published.
struct InlineResults {
    let plan: NotebookPlan
    let builder: OutputBuilder

    /// One side of an inline result: per-seed numbers with how they read, or text, and the anchor it links to.
    enum Operand {
        case numbers([Double], Reading, anchor: String)
        case text(String, anchor: String)
    }

    /// How a number reads: its format, the suffix of a value and of a difference, and whether seeds vary it.
    struct Reading {
        var format: NumberFormat
        var valueSuffix: String
        var differenceSuffix: String
        /// False for what the seed cannot change (parameters, FLOPs): shown without a "± 0".
        var varies = true

        init(format: NumberFormat, valueSuffix: String, differenceSuffix: String, varies: Bool = true) {
            self.format = format
            self.valueSuffix = valueSuffix
            self.differenceSuffix = differenceSuffix
            self.varies = varies
        }

        /// A run metric or published value as its table column shows it.
        init(metric: String) {
            let format = OutputBuilder.metricColumns[metric]?.3 ?? .automatic
            let percent = format == .percent(1)
            self.init(format: format, valueSuffix: percent ? " %" : "", differenceSuffix: percent ? " pp" : "",
                      varies: !ExperimentResult.seedInvariant.contains(metric))
        }

        init(_ unit: InlineUnit) {
            self.init(format: unit.format, valueSuffix: unit.valueSuffix, differenceSuffix: unit.differenceSuffix)
        }
    }

    func value(_ expression: String) -> InlineValue? {
        guard let reference = InlineReference.parse(expression) else { return nil }
        let operands = reference.operands.map(operand)
        guard let first = operands[0] else { return nil }
        switch reference.form {
        case .value:
            switch first {
            case let .text(t, anchor): return InlineValue(text: t, anchor: anchor)
            case let .numbers(values, reading, anchor): return InlineValue(text: Self.meanStd(values, reading), anchor: anchor)
            }
        case .difference, .comparison:
            guard case let .numbers(a, reading, anchor) = first, case let .numbers(b, _, _)? = operands[1],
                  let comparison = SeedComparison(row: a, reference: b) else { return nil }
            let delta = Self.signed(comparison.delta, reading)
            guard reference.form == .comparison else { return InlineValue(text: delta, anchor: anchor) }
            return InlineValue(text: Self.relation(comparison, reading), anchor: anchor, detail: Self.detail(comparison, delta: delta))
        }
    }

    /// "71.3 ± 1.2 %" over several seeds, "71.3 %" for one.
    static func meanStd(_ values: [Double], _ r: Reading) -> String {
        let (mean, std) = SeedSpread.of(values)
        let spread = std.flatMap { r.varies ? " ± " + r.format.format($0) : nil } ?? ""
        return r.format.format(mean) + spread + r.valueSuffix
    }

    /// "+1.3 pp", "−0.4 pp".
    static func signed(_ difference: Double, _ r: Reading) -> String {
        let magnitude = r.format.format(abs(difference))
        let sign = difference < 0 && magnitude != r.format.format(0) ? "−" : "+"
        return sign + magnitude + r.differenceSuffix
    }

    /// "higher than", "lower than", "within noise of"; with one seed on a side, the direction and that the spread is
    /// unknown, so the sentence never claims more than the seeds show.
    static func relation(_ c: SeedComparison, _ r: Reading) -> String {
        let equal = r.format.format(abs(c.delta)) == r.format.format(0)
        let direction = equal ? "equal to" : c.delta > 0 ? "higher than" : "lower than"
        switch c.verdict {
        case .exceeds: return direction
        case .withinNoise: return "within noise of"
        case .spreadUnknown: return direction + " (one seed: spread unknown)"
        }
    }

    /// The tooltip: the difference and the test behind the words.
    static func detail(_ c: SeedComparison, delta: String) -> String {
        let test = c.p.map { "Welch's t-test p = " + NumberFormat.automatic.format($0) } ?? "no test: a side has one seed"
        return "Δ = \(delta); \(test) (\(c.rowSeeds) and \(c.referenceSeeds) seeds; docs/methods.md §12)"
    }

    /// One operand's value: a published value, a run metric, or an analysis result.
    func operand(_ o: InlineOperand) -> Operand? {
        let path = o.path.map(\.text)
        if path.count == 2, path[0] == "published" { return published(o.binding.text, path[1]) }
        guard path.count == 1, let e = plan.runs(of: o.binding.text).first else { return nil }
        if let kind = AnalysisKinds.declaring(inline: path[0]) { return analysis(kind, path[0], o, e) }
        let r = builder.result(e)
        let values = r.seedValues(path[0])
        guard !values.isEmpty else { return nil }
        return .numbers(values, Reading(metric: path[0]), anchor: Provenance(runKey: e.key).anchor)
    }

    func published(_ binding: String, _ metric: String) -> Operand? {
        let anchor = HTML.anchor(OutputBuilder.publishedAnchor(binding))
        switch plan.published[binding]?.value(metric) {
        case let .number(v)?: return .numbers([v], Reading(metric: metric), anchor: anchor)
        case let .text(t)?: return .text(t, anchor: anchor)
        default: return nil
        }
    }

    /// An analysis result of `e`: from the first cell of that analysis that analyses `e` at the operand's argument,
    /// once every seed's result is stored.
    func analysis(_ kind: any AnalysisKind.Type, _ name: String, _ o: InlineOperand, _ e: PlannedExperiment) -> Operand? {
        guard let a = plan.inlineSource(kind: kind, result: name, argument: o.number, experiment: e) else { return nil }
        let targets = a.targets.filter { $0.experiment.key == e.key }
        var stored: [StoredAnalysis] = []
        for t in targets {
            guard let record = (try? builder.workspace.store.result(key: t.key)) ?? nil else { return nil }
            stored.append(StoredAnalysis(target: t, record: record, store: builder.workspace.store))
        }
        guard let values = kind.inlineValues(name, argument: o.number, stored: stored), let unit = kind.inlineUnit(name) else { return nil }
        return .numbers(values, Reading(unit), anchor: Provenance(runKey: targets[0].key).anchor)
    }
}

extension NotebookPlan {
    /// The first analysis cell of `kind` that analyses `e` and computes inline result `result` at `argument`.
    func inlineSource(kind: any AnalysisKind.Type, result: String, argument: Double?, experiment e: PlannedExperiment) -> PlannedAnalysis? {
        analyses.first { a in
            guard a.call == kind.name, a.targets.contains(where: { $0.experiment.key == e.key }) else { return false }
            guard let points = kind.inlineAvailable(result, args: Arguments(a.value, owner: a.call)) else { return true }
            return pointIndex(argument, in: points) != nil
        }
    }
}

/// Plan-time check of prose's analysis results: each names an analysis cell that analyses its run at the argument
/// given (`= base.lowPass(5)` needs a `FilteredAccuracy` of `base` with cutoff 5). A failure is an error at the
/// reference, like a checker error, listing what the cells do compute.
func planInlineResults(_ plan: inout NotebookPlan) {
    for reference in plan.document.inlineReferences {
        for o in reference.operands where o.path.count == 1 {
            let name = o.path[0].text
            guard let kind = AnalysisKinds.declaring(inline: name), let e = plan.runs(of: o.binding.text).first,
                  plan.inlineSource(kind: kind, result: name, argument: o.number, experiment: e) == nil else { continue }
            let cells = plan.analyses.filter { a in a.call == kind.name && a.targets.contains { $0.experiment.key == e.key } }
            let message: String
            if cells.isEmpty {
                message = "`\(o.expression)` reads a `\(kind.name)` result, but no `\(kind.name)` cell analyses `\(o.binding.text)`; "
                    + "add one, as in `\(kind.name)(\(o.binding.text))`"
            } else {
                let points = cells.flatMap { kind.inlineAvailable(name, args: Arguments($0.value, owner: $0.call)) ?? [] }
                let listed = points.map { NumberFormat.automatic.format($0) }.joined(separator: ", ")
                message = "`\(o.expression)`: the `\(kind.name)` of `\(o.binding.text)` computes \(name) at \(listed) only; "
                    + "quote one of them or add the value to the cell"
            }
            plan.inlineErrors.append(Diagnostic(.error, message, at: o.binding.range.union(o.path[0].range)))
        }
    }
}
