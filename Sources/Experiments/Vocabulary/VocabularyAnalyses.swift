// Vocabulary analyses: the calls that explain trained runs (docs/methods.md §7), each computed once per run and cached.
import Notebook

extension Vocabulary {
    static let analysisRuns = VariadicSchema("runs", runs, minCount: 1,
                                             doc: "Trained experiments (or sweeps) to analyse; each seed of each, shown as the mean with its spread.")
    static func examples(_ n: Int, _ what: String = "Test images used: the first N of the test split.") -> ParameterSchema {
        ParameterSchema("examples", .int(.within(1...100_000)), default: .int(n), doc: what)
    }
    static let analysisSeed = ParameterSchema("seed", .int(.within(0...2_147_483_647)), default: 0, doc: "Seed of the analysis' random draws.")

    /// The analysis calls, one per registered analysis (``AnalysisKinds/all``), in its order.
    static let analyses: [CallSchema] = AnalysisKinds.all.map { $0.schema }

    /// Names of the analysis calls.
    public static var analysisNames: Set<String> { Set(analyses.map(\.name)) }
}
