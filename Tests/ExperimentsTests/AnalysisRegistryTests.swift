// Tests generated from the analysis registry (AnalysisKinds.all): each registered analysis is in the vocabulary, its
// example cell and enum cases check with did-you-mean on typos, and it computes, stores and renders on a trained run.
import Foundation
import Notebook
import Testing
@testable import Experiments

/// The registered analyses by call name (a new analysis adds its cases here without editing this file).
let registeredAnalyses: [String] = AnalysisKinds.all.map { $0.name }

/// `name` with its second character dropped: one edit away, so the checker must suggest `name`.
func misspelt(_ name: String) -> String {
    var s = Array(name)
    s.remove(at: 1)
    return String(s)
}

/// The stored payload with its provenance keys (`_seconds`, `_run`, `_machine`) removed, as canonical JSON.
func payloadWithoutProvenance(_ json: Data) throws -> Data {
    let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    return try JSONSerialization.data(withJSONObject: object.filter { !$0.key.hasPrefix("_") }, options: [.sortedKeys])
}

/// The payload decoded by its analysis and encoded again, as canonical JSON.
func reencoded<K: AnalysisKind>(_ kind: K.Type, _ json: Data) throws -> Data {
    let again = try kind.encode(try kind.decode(json))
    return try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: again), options: [.sortedKeys])
}

@Suite struct AnalysisRegistryTests {
    @Test func callNamesAreUnique() {
        #expect(Set(registeredAnalyses).count == registeredAnalyses.count, "\(registeredAnalyses)")
        #expect(!registeredAnalyses.isEmpty)
    }

    @Test(arguments: registeredAnalyses)
    func schemaIsInTheVocabulary(name: String) throws {
        let kind = try #require(AnalysisKinds.kind(named: name))
        #expect(Vocabulary.analysisNames.contains(name))
        let call = try #require(Vocabulary.registry().calls.first { $0.name == name })
        #expect(call.kind == Vocabulary.Kind.output && !call.derivable)
        #expect(call.signature.parameters.map { $0.name } == kind.schema.signature.parameters.map { $0.name })
        #expect(!call.doc.isEmpty, "\(name) has no documentation line")
    }

    /// The analysis' example checks after `base`; a misspelt call and every misspelt case of its enum parameters
    /// get a did-you-mean.
    @Test(arguments: registeredAnalyses)
    func exampleAndEnumCasesCheckAndTyposSuggest(name: String) throws {
        let kind = try #require(AnalysisKinds.kind(named: name))
        #expect(kind.example.hasPrefix(name + "(base"), "the example calls \(name) on `base`: \(kind.example)")
        let result = checkCells(baseCell + "\n" + kind.example)
        #expect(result.diagnostics == [], "\(result.diagnostics)")
        #expect(Vocabulary.diagnostics(for: result) == [])
        let typo = checkCells(baseCell + "\n" + misspelt(name) + kind.example.dropFirst(name.count))
        #expect(typo.diagnostics.first?.suggestion == name, "\(typo.diagnostics)")
        for p in kind.schema.signature.parameters {
            guard case .enumeration(let e) = p.type else { continue }
            for c in e.cases {
                // A case with required parameters (e.g. `.cueConflict(path:)`) is written with placeholder values.
                let required = c.signature.parameters.filter { $0.default == .required }.map { q -> String in
                    switch q.type {
                    case .string: return "\(q.name): \"x\""
                    default: return "\(q.name): 1"
                    }
                }
                let tail = required.isEmpty ? "" : "(" + required.joined(separator: ", ") + ")"
                let good = checkCells(baseCell + "\n\(name)(base, \(p.name): .\(c.name)\(tail))")
                #expect(good.diagnostics == [], "\(name)(\(p.name): .\(c.name)): \(good.diagnostics)")
                let bad = checkCells(baseCell + "\n\(name)(base, \(p.name): .\(misspelt(c.name))\(tail))")
                #expect(bad.diagnostics.first?.suggestion == c.name, "\(bad.diagnostics)")
            }
        }
    }

    /// On the tiny trained baseline: the plan estimates a positive time, the run computes the result once, the stored
    /// payload decodes and encodes back to the same JSON, and its outputs render in the report without an error.
    @Test(arguments: registeredAnalyses)
    func computesStoresAndRendersOnATrainedRun(name: String) throws {
        let kind = try #require(AnalysisKinds.kind(named: name))
        var nb = TinyNotebook()
        nb.extraCells = [kind.example]
        let (box, path) = try Baseline.copy(nb)
        let (document, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: document, registry: notebookRegistry(), workspace: ws)
        let analysis = try #require(plan.analyses.first { $0.call == name })
        let target = try #require(analysis.targets.first)
        #expect(target.state == .willRun && target.estimate > 0, "estimate \(target.estimate) s")

        let (summary, log, html) = try box.run(path)
        #expect(summary.analysed == 1 && summary.failed == 0 && summary.trained == 0, "log: \(log.text)")
        #expect(!html.contains("class=\"error"), "the report shows an error")
        let store = try box.store()
        let record = try #require(try store.result(key: target.key))
        #expect(record.kind == name)
        let json = Data(record.payload.utf8)
        #expect(try reencoded(kind, json) == payloadWithoutProvenance(json), "\(name)'s payload does not round-trip")
        let outputs = try AnalysisKinds.outputs(name, [StoredAnalysis(target: target, record: record, store: store)],
                                                args: Arguments(analysis.value, owner: name))
        #expect(!outputs.isEmpty, "\(name) rendered nothing")
    }
}
