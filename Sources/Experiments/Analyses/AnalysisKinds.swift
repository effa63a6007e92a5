// The analysis registry: every analysis kind in vocabulary order, the one list that vocabulary, planner, executor and report read.
import Foundation
import Notebook
import Vision

/// The registered analyses and the lookups by call name that the pipeline uses.
enum AnalysisKinds {
    /// Every analysis cell, in the vocabulary's order. A new analysis is its own file plus one line here.
    static let all: [any AnalysisKind.Type] = [
        FrequencyAnalysis.self,
        FilteredAccuracyAnalysis.self,
        FrequencyNoiseAnalysis.self,
        FourierHeatmapAnalysis.self,
        GradCAMAnalysis.self,
        ShapeBiasAnalysis.self,
    ]

    /// Images per forward pass of an analysis.
    static let batchSize = 100

    /// The analysis whose call is `name`; nil for every other call.
    static func kind(named name: String) -> (any AnalysisKind.Type)? {
        all.first { $0.name == name }
    }

    /// The analysis whose call is `call`; any other call is an error.
    static func kind(_ call: String) throws -> any AnalysisKind.Type {
        guard let kind = kind(named: call) else { throw AnalysisError("unknown analysis \(call)") }
        return kind
    }

    /// Computes `call` for the run in `c` and returns its payload; an analysis that reads class scores refuses a
    /// headless model and names the ones that read features.
    static func compute(_ call: String, _ c: AnalysisContext) throws -> AnalysisPayload {
        let analysis = try kind(call)
        guard c.experiment.spec.classes > 0 || !analysis.needsClassScores else {
            let readers = all.filter { !$0.needsClassScores }.map { $0.name }
            throw AnalysisError("\(call) needs class scores, but \(c.experiment.name) has no classifier head (classes: 0); "
                                + "\(readers.joined(separator: ", ")) \(readers.count == 1 ? "reads" : "read") its features")
        }
        return try analysis.computePayload(c)
    }

    /// The report's outputs of an analysis cell from its stored results.
    static func outputs(_ call: String, _ results: [StoredAnalysis], args: Arguments) throws -> [ReportOutput] {
        try kind(call).render(results, args: args)
    }
}
