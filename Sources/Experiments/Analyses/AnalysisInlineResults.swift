// Analysis results prose can quote: `= base.shapeBias`, `= base.lowPass(4)` — declared by each analysis kind, read
// per seed from its stored payloads (docs/design.md §3.4).
import Foundation
import Notebook

/// One number an analysis stores per run that an inline result in prose may quote, e.g. `shapeBias` of `ShapeBias`.
/// The analysis declares it once; the vocabulary lists it as a result of every experiment, the checker checks its
/// argument, the planner checks that a cell computes it, and the report reads it from each seed's payload.
struct AnalysisInlineResult<Payload> {
    /// The member name in prose: `base.<name>`.
    let name: String
    let doc: String
    /// The argument it is read at (a cutoff, a band, a depth); nil for a single number.
    let argument: MemberArgument?
    /// How it reads: a fraction shown in percent ("%"), a change in percentage points ("pp"), or a plain number.
    let unit: InlineUnit
    /// The argument values a cell with these arguments computes; nil when any value in the argument's range is
    /// answered (the nearest point is read).
    let available: (Arguments) -> [Double]?
    /// The value of one seed's payload at the argument (nil when the payload has none there).
    let value: (Payload, Double?) -> Double?

    init(_ name: String, doc: String, argument: MemberArgument? = nil, unit: InlineUnit,
         available: @escaping (Arguments) -> [Double]? = { _ in nil }, value: @escaping (Payload, Double?) -> Double?) {
        self.name = name
        self.doc = doc
        self.argument = argument
        self.unit = unit
        self.available = available
        self.value = value
    }

    var member: MemberSchema { MemberSchema(name, doc: doc, argument: argument) }
}

/// The units an inline number is shown in.
enum InlineUnit: Equatable {
    /// A fraction shown as a percentage with one decimal ("71.3 %"); differences in percentage points.
    case percent
    /// A change already in accuracy, shown in percentage points ("+4.1 pp").
    case points
    /// A plain number with two decimals (ΔlogA).
    case plain

    var format: NumberFormat {
        switch self {
        case .percent, .points: return .percent(1)
        case .plain: return .fixed(2)
        }
    }

    /// The suffix after a value and after a difference.
    var valueSuffix: String { self == .percent ? " %" : self == .points ? " pp" : "" }
    var differenceSuffix: String { self == .plain ? "" : " pp" }
}

/// Index of `x` in `values` (equal to within 1e-9 of its scale); nil when it is not one of them.
func pointIndex(_ x: Double?, in values: [Double]) -> Int? {
    guard let x else { return nil }
    return values.firstIndex { abs($0 - x) <= 1e-9 * max(1, abs(x)) }
}

extension AnalysisKind {
    static var inlineResults: [AnalysisInlineResult<Payload>] { [] }

    /// The inline results this analysis declares, as members of an experiment.
    static var inlineMembers: [MemberSchema] { inlineResults.map(\.member) }

    /// The units of inline result `name`; nil when this analysis does not declare it.
    static func inlineUnit(_ name: String) -> InlineUnit? { inlineResults.first { $0.name == name }?.unit }

    /// The argument values a cell with `args` computes for inline result `name` (nil: any in range).
    static func inlineAvailable(_ name: String, args: Arguments) -> [Double]? {
        inlineResults.first { $0.name == name }?.available(args)
    }

    /// The per-seed values of inline result `name` at `argument` from stored results, in seed order; nil when a
    /// seed's payload has no value there.
    static func inlineValues(_ name: String, argument: Double?, stored: [StoredAnalysis]) -> [Double]? {
        guard let result = inlineResults.first(where: { $0.name == name }) else { return nil }
        var values: [Double] = []
        for s in stored {
            guard let payload = try? decode(s.json), let v = result.value(payload, argument), v.isFinite else { return nil }
            values.append(v)
        }
        return values.isEmpty ? nil : values
    }
}

extension AnalysisKinds {
    /// The analysis declaring inline result `name`, e.g. `ShapeBiasAnalysis` for `shapeBias`.
    static func declaring(inline name: String) -> (any AnalysisKind.Type)? {
        all.first { $0.inlineUnit(name) != nil }
    }

    /// Every analysis inline result, as members of an experiment (`= base.shapeBias`).
    static var inlineMembers: [MemberSchema] { all.flatMap { $0.inlineMembers } }
}
