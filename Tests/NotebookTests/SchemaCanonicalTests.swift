// Tests of canonical JSON: exact shapes, number formatting, and invariance under formatting and explicit defaults.
import Testing
@testable import Notebook

@Suite struct SchemaCanonicalTests {
    func canonical(_ cell: String) throws -> [String] {
        let result = check(cell)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        return result.cells.flatMap(\.statements).map(\.canonicalJSON)
    }

    @Test func exactShapeWithSortedKeys() {
        let value = ResolvedValue.call("Curves", [
            ResolvedArgument("runs", [.reference("base", path: []), .reference("aa", path: ["top1"])]),
            ResolvedArgument("metric", .case("testTop1")),
            ResolvedArgument("Zeta", .null),
        ])
        #expect(value.canonicalJSON == #"{"args":{"Zeta":null,"metric":{"args":{},"case":"testTop1"},"#
                + #""runs":[{"path":[],"ref":"base"},{"path":["top1"],"ref":"aa"}]},"call":"Curves"}"#)
    }

    @Test(arguments: [
        (ResolvedValue.number(5e-4), "0.0005"), (.number(0.1), "0.1"), (.number(-0.0), "0.0"), (.number(1e-5), "1e-05"),
        (.number(128), "128.0"), (.number(1e300), "1e+300"), (.int(8_000), "8000"), (.int(-3), "-3"),
        (.bool(true), "true"), (.string("a\"b\\c\n\u{01}é"), #""a\"b\\c\n\u0001é""#), (.array([1, 2.5]), "[1,2.5]"),
    ])
    func scalarFormatting(value: ResolvedValue, json: String) {
        #expect(CanonicalJSON.encode(value) == json)
    }

    @Test func formattingCommentsAndArgumentOrderDoNotMatter() throws {
        let compact = try canonical(
            "let base = Experiment(model: .resnet(depth: 18, width: 16), optimizer: .sgd(lr: 0.1, momentum: 0.9), epochs: 15)")
        let spread = try canonical("""
        // The baseline.
        let base = Experiment(
            epochs: 15,                       /* short run */
            optimizer: .sgd(momentum: 0.9,
                            lr: 1e-1),
            model: .resnet(width: 16, depth: 18),
        )
        """)
        #expect(compact == spread)
    }

    @Test func explicitDefaultsEqualOmittedOnes() throws {
        let omitted = try canonical("let a = Experiment(model: .resnet(depth: 18))")
        let explicit = try canonical("""
        let a = Experiment(model: .resnet(depth: 18, width: 64, stem: .cifar, attention: .none),
                           data: .shapes(classes: 10, train: 8_000, test: 2_000), augment: [],
                           optimizer: .sgd(lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: false),
                           schedule: .cosine(warmupEpochs: 0, warmupLR: 0.0), epochs: 15, batchSize: 128,
                           seed: 0, seeds: 1, labelSmoothing: 0)
        """)
        #expect(omitted == explicit)
        let partlyExplicit = try canonical("let a = Experiment(model: .resnet(depth: 18), data: .shapes, schedule: .cosine())")
        #expect(omitted == partlyExplicit)
    }

    @Test func integersWrittenForNumbersCanonicaliseAsNumbers() throws {
        let a = try canonical("Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 1))")
        let b = try canonical("Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 1.0))")
        #expect(a == b)
        #expect(a[0].contains(#""lr":1.0"#))
    }

    @Test func differentMeaningsGiveDifferentJSON() throws {
        let a = try canonical("Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0.1))")
        let b = try canonical("Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0.2))")
        let c = try canonical("Experiment(model: .resnet(depth: 18), augment: [.horizontalFlip, .randomCrop()])")
        let d = try canonical("Experiment(model: .resnet(depth: 18), augment: [.randomCrop(), .horizontalFlip])")
        #expect(a != b)
        #expect(c != d)
        #expect(ResolvedValue.number(1).canonicalHash != ResolvedValue.int(1).canonicalHash)
    }
}
