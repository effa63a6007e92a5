// Tests of the cell parser: every construct, with the source ranges it records.
import Testing
@testable import Notebook

@Suite struct CellParserTests {
    func parse(_ source: String, line: Int = 1) throws -> [CellStatement] {
        try CellParser.parse(Cell(source: source, line: line)).statements
    }

    func loc(_ line: Int, _ column: Int) -> SourcePosition { SourcePosition(line: line, column: column) }

    @Test func letBindingOfCallWithLabels() throws {
        let s = try parse("let base = Experiment(epochs: 15, seed: -3)", line: 20)
        #expect(s.count == 1)
        #expect(s[0].binding?.text == "base")
        #expect(s[0].binding?.range.start == loc(20, 5))
        #expect(s[0].range == SourceRange(start: loc(20, 1), end: loc(20, 44)))
        guard case .call(let name, let args) = s[0].value.kind else { Issue.record("not a call"); return }
        #expect(name.text == "Experiment" && name.range.start == loc(20, 12))
        #expect(args.map(\.label?.text) == ["epochs", "seed"])
        #expect(args[0].value.kind == .integer(15))
        #expect(args[1].value.kind == .integer(-3))
        #expect(args[1].value.range == SourceRange(start: loc(20, 41), end: loc(20, 43)))
    }

    @Test func enumCasesWithAndWithoutArguments() throws {
        let s = try parse("f(.horizontalFlip, .autoAugment(.cifar10), .resnet(depth: 18,))")
        guard case .call(_, let args) = s[0].value.kind else { Issue.record("not a call"); return }
        #expect(args.allSatisfy { $0.label == nil })
        guard case .enumCase(let flip, nil) = args[0].value.kind else { Issue.record("flip"); return }
        #expect(flip.text == "horizontalFlip")
        #expect(args[0].value.range == SourceRange(start: loc(1, 3), end: loc(1, 18)))
        guard case .enumCase(let aa, let aaArgs?) = args[1].value.kind else { Issue.record("aa"); return }
        #expect(aa.text == "autoAugment" && aaArgs.count == 1 && aaArgs[0].label == nil)
        guard case .enumCase(let resnet, let rArgs?) = args[2].value.kind else { Issue.record("resnet"); return }
        #expect(resnet.text == "resnet" && rArgs[0].label?.text == "depth")
        #expect(args[2].value.range.end == loc(1, 63))
    }

    @Test func arraysLiteralsAndTrailingComma() throws {
        let s = try parse(#"[1, 2.5, "s", true, false, [],]"#)
        guard case .array(let items) = s[0].value.kind else { Issue.record("not an array"); return }
        #expect(items.map(\.kind) == [.integer(1), .float(2.5), .string("s"), .bool(true), .bool(false), .array([])])
        #expect(s[0].value.range == SourceRange(start: loc(1, 1), end: loc(1, 32)))
    }

    @Test func referencesMembersAndWith() throws {
        let s = try parse("let se = base.with(epochs: 30)\nTable(base, se)\naa.top1")
        #expect(s.count == 3)
        guard case .method(let base, let with, let args) = s[0].value.kind else { Issue.record("not a method"); return }
        #expect(base.kind == .name("base") && base.range.start == loc(1, 10))
        #expect(with.text == "with" && with.range.start == loc(1, 15))
        #expect(args[0].label?.text == "epochs")
        guard case .call(_, let runs) = s[1].value.kind else { Issue.record("not a call"); return }
        #expect(runs.map(\.value.kind) == [.name("base"), .name("se")])
        guard case .member(let owner, let member) = s[2].value.kind else { Issue.record("not a member"); return }
        #expect(owner.kind == .name("aa") && member.text == "top1" && member.range.start == loc(3, 4))
    }

    @Test func multiLineCallAndMemberOnNextLine() throws {
        let s = try parse("let a = Experiment(\n    epochs: 1, // one\n    seed: 2 /* two */\n)\nlet b = a\n    .with(seed: 3)")
        #expect(s.count == 2)
        #expect(s[0].range.end == loc(4, 2))
        guard case .method = s[1].value.kind else { Issue.record("not a method"); return }
        #expect(s[1].range.end == loc(6, 19))
    }

    @Test func statementsSeparatedBySemicolons() throws {
        #expect(try parse("let a = F(); let b = G();").map(\.binding?.text) == ["a", "b"])
    }

    @Test func emptyAndCommentOnlyCells() throws {
        #expect(try parse("").isEmpty)
        #expect(try parse("// nothing here\n/* or here */").isEmpty)
    }

    @Test func expressionEntryPoint() throws {
        let e = try CellParser.parseExpression(Cell(source: "aa.top1"))
        guard case .member(_, let name) = e.kind else { Issue.record("not a member"); return }
        #expect(name.text == "top1")
    }
}

/// Issue 14, defect 5: `[`×4000 or `f(`×4000 overflowed the stack in the recursive parser (SIGSEGV, no report).
@Suite struct CellNestingTests {
    func error(_ source: String) -> Diagnostic? {
        do { _ = try CellParser.parse(Cell(source: source, line: 7)); return nil } catch { return error }
    }

    @Test func nestingBeyondTheLimitIsALocatedError() throws {
        let limit = CellParser.maximumNesting
        #expect(error("let a = " + String(repeating: "[", count: limit) + "1" + String(repeating: "]", count: limit)) == nil)
        let arrays = try #require(error("let a = " + String(repeating: "[", count: 4000) + "1" + String(repeating: "]", count: 4000)))
        #expect(arrays.message.contains("'[' nested more than \(limit) levels deep"))
        #expect(arrays.range.start == SourcePosition(line: 7, column: 9 + limit))
        let calls = try #require(error("let a = " + String(repeating: "f(", count: 4000) + "1" + String(repeating: ")", count: 4000)))
        #expect(calls.message.contains("'(' nested more than \(limit) levels deep"))
        let chain = try #require(error("let a = b" + String(repeating: ".with(x: 1)", count: 4000)))
        #expect(chain.message.contains("nested more than \(limit) levels deep"))
        #expect(error("let a = b" + String(repeating: ".with(x: 1)", count: limit - 1)) == nil)
    }
}
