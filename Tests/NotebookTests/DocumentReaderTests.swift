// Tests of the document reader: segments, cell detection, line numbers, front matter, inline results, hashes.
import Foundation
import Testing
@testable import Notebook

/// A realistic notebook in the shape of notebooks/study.md, used by the reader and `swiftc -parse` tests.
enum SampleNotebook {
    static let text = """
    ---
    title: Attention in small ResNets
    author: A. Researcher
    date: 2025-01-20
    data: ~/datasets
    tags: [cifar, attention]
    seed-policy: fixed
    ---
    # Does channel attention help a ResNet-18?

    Squeeze-and-excitation reweights channels; | a | b |
    tables work too:

    | model | idea |
    |-------|------|
    | SE    | ~~spatial~~ channel attention |

    ```swift config
    let base = Experiment(
        model: .resnet(depth: 18, width: 16),
        data: .shapes(classes: 10, train: 8_000, test: 2_000),
        augment: [.randomCrop(padding: 4), .horizontalFlip],
        optimizer: .sgd(lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true),
        schedule: .cosine(warmupEpochs: 1, warmupLR: 1e-4),
        epochs: 15, batchSize: 128, seed: 0)
    let se = base.with(model: .resnet(depth: 18, width: 16, attention: .se))
    let aa = se.with(augment: [.randomCrop(padding: 4), .horizontalFlip, .autoAugment(.cifar10)])
    ```

    A plain Swift sample is prose, not a cell:

    ```swift
    let notACell = 1
    ```

    SE reaches `= se.top1` against `= base.top1`; with AutoAugment,
      `= aa.top1`.

    ```swift-config
    Table(base, se, aa, columns: [.model, .augment, .top1, .top5, .params, .trainTime])
    Curves(base, se, aa, metric: .testTop1)
    ```
    """
}

@Suite struct DocumentReaderTests {
    let document = Document(text: SampleNotebook.text, fileName: "study.md")

    @Test func frontMatterIsParsedAndStripped() throws {
        let matter = try #require(document.frontMatter)
        #expect(matter.title == "Attention in small ResNets")
        #expect(matter.author == "A. Researcher")
        #expect(matter.date == "2025-01-20")
        #expect(matter.data == "~/datasets")
        #expect(matter.extra["seed-policy"] == "fixed")
        #expect(matter.extra["tags"] == "- cifar\n- attention")
        #expect(matter.lineCount == 8)
        #expect(document.diagnostics.isEmpty)
        #expect(document.prose.first?.text.hasPrefix("# Does channel attention") == true)
        #expect(document.prose.first?.lines.lowerBound == 9)
    }

    @Test func segmentsAlternateProseAndCells() {
        let kinds = document.segments.map { segment -> String in
            if case .cell = segment { return "cell" } else { return "prose" }
        }
        #expect(kinds == ["prose", "cell", "prose", "cell"])
        #expect(document.cells.map(\.index) == [0, 1])
        #expect(document.cells.map(\.info) == ["swift config", "swift-config"])
    }

    @Test func cellsKeepSourceAndFirstLine() throws {
        let cells = document.cells
        #expect(cells[0].line == 19)
        #expect(cells[0].source.hasPrefix("let base = Experiment(\n    model: .resnet"))
        #expect(cells[0].lineCount == 9)
        #expect(cells[1].line == 40)
        #expect(cells[1].source == "Table(base, se, aa, columns: [.model, .augment, .top1, .top5, .params, .trainTime])\n"
                + "Curves(base, se, aa, metric: .testTop1)\n")
    }

    @Test func plainSwiftBlocksAndTablesStayInProse() {
        let prose = document.prose
        #expect(prose[0].text.contains("| SE    | ~~spatial~~ channel attention |"))
        #expect(prose[1].text.contains("```swift\nlet notACell = 1\n```"))
        #expect(prose[0].lines == 9...16)
        #expect(prose[1].lines == 30...37)
        #expect(prose[1].text.hasPrefix("A plain Swift sample"))
        #expect(prose[1].text.hasSuffix("\n  `= aa.top1`."))
    }

    @Test func inlineReferencesHaveLineAndColumn() {
        let refs = document.inlineReferences
        #expect(refs.map(\.expression) == ["se.top1", "base.top1", "aa.top1"])
        #expect(refs.map(\.location.description) == ["36:15", "36:35", "37:6"])
        #expect(refs[0].range.start == SourcePosition(line: 36, column: 13))
        #expect(refs[0].path.map(\.text) == ["top1"])
    }

    @Test func malformedInlineReferenceIsADiagnostic() {
        let d = Document(text: "Value: `= 1 + 2` and `=x.` and `= Table(a)`.\n").diagnostics
        #expect(d.map(\.description) == [
            "1:13: error: unexpected character '+' in a config cell",
            "1:26: error: expected a name after '.', found end of cell",
            "1:35: error: an inline result must name a binding and its members, as in `= aa.top1`, a difference `= a.top1 - b.top1` "
            + "or a comparison `= compare(a.top1, b.top1)`; found a call to `Table`",
        ])
    }

    @Test func cellColumnsFollowIndentation() throws {
        let doc = Document(text: "Intro\n\n   ```swift config\n   let a = F(\n     x: 1)\n   ```\n")
        let cell = try #require(doc.cells.first)
        #expect(cell.line == 4)
        #expect(cell.source == "let a = F(\n  x: 1)\n")
        #expect(cell.fileLocation(line: 2, column: 3) == SourcePosition(line: 5, column: 6))
    }

    @Test func nestedConfigBlocksAreProseWithAWarning() {
        let doc = Document(text: "- item\n\n  ```swift config\n  let a = F()\n  ```\n")
        #expect(doc.cells.isEmpty)
        #expect(doc.diagnostics.map(\.description) == [
            "3:3: warning: a config cell inside a list or quote is shown as code and not run; move it to the top level",
        ])
    }

    @Test func frontMatterProblems() {
        let unclosed = Document(text: "---\ntitle: x\n\nBody\n")
        #expect(unclosed.frontMatter == nil)
        let badYAML = Document(text: "---\ntitle: [unclosed\n---\nBody\n")
        #expect(badYAML.diagnostics.count == 1)
        #expect(badYAML.diagnostics.first?.message.hasPrefix("invalid YAML in front matter") == true)
        let listTitle = Document(text: "---\ntitle:\n  - a\n---\n")
        #expect(listTitle.diagnostics.map(\.description) == ["2:1: error: front matter key `title` must be a single value"])
    }

    @Test func lineNumbersSurviveCRLF() throws {
        let doc = Document(text: "---\r\ntitle: t\r\n---\r\nText\r\n\r\n```swift config\r\nF()\r\n```\r\n")
        #expect(try #require(doc.cells.first).line == 7)
        #expect(doc.frontMatter?.title == "t")
    }

    @Test func proseEditsDoNotChangeCellIdentity() {
        let edited = Document(text: SampleNotebook.text
            .replacingOccurrences(of: "Squeeze-and-excitation reweights channels;", with: "SE blocks\n\nreweight channels;")
            .replacingOccurrences(of: "title: Attention in small ResNets", with: "title: SE"))
        #expect(edited.cells.map(\.identity) == document.cells.map(\.identity))
        #expect(edited.cells.map(\.line) == document.cells.map { $0.line + 2 })
        #expect(edited.cellsHash == document.cellsHash)
        #expect(edited.proseHash != document.proseHash)
        let cellEdit = Document(text: SampleNotebook.text.replacingOccurrences(of: "epochs: 15", with: "epochs: 16"))
        #expect(cellEdit.cells[0].identity != document.cells[0].identity)
        #expect(cellEdit.cells[1].identity == document.cells[1].identity)
        #expect(cellEdit.cellsHash != document.cellsHash)
        #expect(cellEdit.proseHash == document.proseHash)
    }

    @Test func duplicateCellsGetDistinctIdentities() {
        let doc = Document(text: "```swift config\nF()\n```\n\n```swift config\nF()\n```\n")
        let ids = doc.cells.map(\.identity)
        #expect(ids.count == 2 && ids[1] == ids[0] + "-2")
        #expect(ids[0] == DocumentHash.sha256Hex("F()\n"))
    }

    @Test func sampleNotebookChecksCleanly() {
        let result = Checker(registry: Example.registry).check(document)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered(in: document.source))")
        #expect(result.bindings.ordered.map(\.name.text) == ["base", "se", "aa"])
        #expect(result.cells[1].statements.map(\.kind) == ["Table", "Curves"])
    }

    @Test func readsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).md")
        try SampleNotebook.text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = try Document(contentsOf: url, fileName: "study.md")
        #expect(fromFile == document)
    }
}

/// Issue 14, defects 2 and 11: hostile front matter is refused before (or while bounded) parsing, with a located
/// error; a notebook that cannot be read says where and why; an unclosed fence is reported where it opens.
@Suite struct HostileDocumentTests {
    func document(_ text: String) -> Document { Document(text: text, fileName: "nb.md") }

    @Test func anAliasBombIsRefusedAtTheAliasBeyondTheLimit() {
        var lines = ["---", "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            lines.append("\(name): &\(name) [" + Array(repeating: "*" + previous, count: 9).joined(separator: ",") + "]")
            previous = name
        }
        let start = Date()
        let d = document(lines.joined(separator: "\n") + "\n---\n# x\n")
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(d.diagnostics.count == 1 && d.diagnostics[0].message.contains("more than 64 YAML aliases"))
        #expect(d.diagnostics.first?.range.start.line == 10)  // the 65th alias is on the ninth level's line
    }

    @Test func fewAliasesThatStillExplodeAreStoppedByTheExpansionBudget() {
        var lines = ["---", "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f"] {  // 45 aliases, 9^6 values
            lines.append("\(name): &\(name) [" + Array(repeating: "*" + previous, count: 9).joined(separator: ",") + "]")
            previous = name
        }
        let d = document(lines.joined(separator: "\n") + "\n---\n# x\n")
        #expect(d.diagnostics.map(\.message).contains { $0.contains("expands to more than 10000 YAML values") })
        // Ordinary anchors still work.
        let ok = document("---\ntitle: &t Study\nsubtitle: *t\n---\n# x\n")
        #expect(ok.diagnostics.isEmpty && ok.frontMatter?.extra["subtitle"] == "Study")
    }

    @Test func sizeAndNestingLimits() {
        #expect(document("---\ntitle: " + String(repeating: "a", count: 70_000) + "\n---\n").diagnostics.first?.message
            .contains("the limit is 65536 bytes") == true)
        let deep = document("---\nx: " + String(repeating: "[", count: 100) + "\n---\n")
        #expect(deep.diagnostics.first?.message.contains("nests `[`/`{` more than 64 levels") == true)
        #expect(deep.diagnostics.first?.range.start == SourcePosition(line: 2, column: 68))
        #expect(document("---\ntitle: \"a [b] *c &d # e\"  # comment [[[\n---\n").diagnostics.isEmpty)
    }

    @Test func anUnclosedFenceIsReportedWhereItOpens() {
        let d = document("# t\n\nProse.\n\n```swift config\nlet e = 1\n\nMore prose: here.\n")
        #expect(d.cells.isEmpty)
        #expect(d.diagnostics.map(\.message) == ["this ```swift config cell is never closed: everything to the end of the file "
                                                  + "would be read as its code; add a closing ``` line after its last statement"])
        #expect(d.diagnostics.first?.range.start == SourcePosition(line: 5, column: 1))
        // A closed fence, including one closed by a longer fence, is a cell.
        #expect(document("```swift config\nlet e = 1\n```\n").cells.count == 1)
        #expect(document("```swift config\nlet e = 1\n`````\n").cells.count == 1)
        #expect(document("~~~swift config\nlet e = 1\n~~~\n").cells.count == 1)
    }

    @Test func unreadableNotebooksSayWhereAndWhy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-doc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let latin = dir.appendingPathComponent("latin.md")
        try Data([0x23, 0x20, 0x74, 0x0A, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: latin)  // "# t\n\ncafé" in Latin-1
        func problem(_ url: URL) -> String {
            do { _ = try Document(contentsOf: url, fileName: url.lastPathComponent); return "" } catch { return "\(error)" }
        }
        #expect(problem(latin) == "latin.md: is not UTF-8: byte 8 (line 3, column 4) is 0xE9; save the notebook as UTF-8 "
                + "(e.g. `iconv -f latin1 -t utf-8`)")
        #expect(problem(dir).hasSuffix("is a directory; pass the notebook file inside it (a .md file)"))
        #expect(problem(URL(fileURLWithPath: "/dev/null")).contains("is not a regular file"))
        #expect(problem(dir.appendingPathComponent("none.md")).contains("no such file"))
        let good = dir.appendingPathComponent("ok.md")
        try Data("# t\n\ncafé ✓\n".utf8).write(to: good)
        #expect(problem(good) == "")
    }
}
