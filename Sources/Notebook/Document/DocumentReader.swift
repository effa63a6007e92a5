// The document reader: cmark-gfm parsing of a notebook into prose and cell segments with file line numbers.
import CMarkGFM
import Foundation

/// Reads Markdown with cmark-gfm (tables, strikethrough, autolinks) and splits it into segments.
enum DocumentReader {
    /// The GFM core extensions attached to every parser.
    static let extensionNames = ["table", "strikethrough", "autolink"]

    static func read(text rawText: String, fileName: String) -> Document {
        let text = rawText.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let source = SourceText(fileName: fileName, text: text)
        var lines = source.lines
        if text.hasSuffix("\n") { lines.append("") }
        var diagnostics: [Diagnostic] = []
        var frontMatter: FrontMatter?
        var offset = 0
        if let (matter, problems) = FrontMatter.split(lines) {
            frontMatter = matter
            offset = matter.lineCount
            diagnostics += problems
        }
        let body = lines[offset...].joined(separator: "\n")
        var segments: [Segment] = []
        var references: [InlineReference] = []
        var cells: [Cell] = []
        var proseStart = offset + 1

        /// Adds lines `proseStart...last` as prose, without the blank lines at either end.
        func appendProse(through last: Int) {
            func blank(_ line: Int) -> Bool { source.line(line)?.allSatisfy(\.isWhitespace) ?? true }
            var first = proseStart, last = min(last, source.lines.count)
            while first <= last, blank(first) { first += 1 }
            while last >= first, blank(last) { last -= 1 }
            guard first <= last else { return }
            let text = source.lines[(first - 1)..<last].joined(separator: "\n")
            segments.append(.prose(Prose(text: text, lines: first...last)))
        }

        withMarkdownTree(body) { document in
            var block = cmark_node_first_child(document)
            while let node = block {
                block = cmark_node_next(node)
                let first = Int(cmark_node_get_start_line(node)) + offset
                let last = max(Int(cmark_node_get_end_line(node)) + offset, first)
                if let info = configInfo(node) {
                    guard isClosed(node, firstLine: first, lastLine: last, source: source) else {
                        // cmark runs an unclosed fence to the end of the file; reading the prose after it as cell
                        // code would report a syntax error on a prose line. Say what is wrong, where it opened.
                        diagnostics.append(.error("this ```\(info) cell is never closed: everything to the end of the file "
                                                  + "would be read as its code; add a closing ``` line after its last statement",
                                                  at: SourceRange(at: SourcePosition(line: first, column: 1))))
                        continue
                    }
                    appendProse(through: first - 1)
                    let literal = String(cString: cmark_node_get_literal(node))
                    let cell = Cell(source: literal, line: first + 1, index: cells.count, info: info,
                                    columnOffsets: columnOffsets(literal, firstLine: first + 1, in: source), identity: "")
                    cells.append(cell)
                    segments.append(.cell(cell))
                    proseStart = last + 1
                    continue
                }
                walkInlines(node, offset: offset, source: source, references: &references, diagnostics: &diagnostics)
            }
        }
        appendProse(through: source.lines.count)

        // Identities need every cell's source (duplicates are numbered), so they are filled in last.
        let identities = DocumentHash.cellIdentities(cells.map(\.source))
        segments = segments.map { segment in
            guard case .cell(var cell) = segment else { return segment }
            cell.identity = identities[cell.index]
            return .cell(cell)
        }
        let frontMatterText = offset > 0 ? source.lines[0..<offset].joined(separator: "\n") : ""
        return Document(source: source, frontMatter: frontMatter, frontMatterText: frontMatterText, segments: segments,
                        inlineReferences: references, diagnostics: diagnostics)
    }

    /// Parses `markdown` with the GFM core extensions and hands the document node to `body`.
    static func withMarkdownTree<R>(_ markdown: String, _ body: (OpaquePointer) -> R) -> R {
        cmark_gfm_core_extensions_ensure_registered()
        let parser = cmark_parser_new(CMARK_OPT_DEFAULT)!
        defer { cmark_parser_free(parser) }
        for name in extensionNames {
            if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, ext) }
        }
        markdown.withCString { cmark_parser_feed(parser, $0, markdown.utf8.count) }
        let document = cmark_parser_finish(parser)!
        defer { cmark_node_free(document) }
        return body(document)
    }

    /// The info string when `node` is a config cell's code block, else nil.
    static func configInfo(_ node: OpaquePointer) -> String? {
        guard cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK, let info = cmark_node_get_fence_info(node) else {
            return nil
        }
        let text = String(cString: info)
        return Cell.isConfigInfo(text) ? text : nil
    }

    /// Whether a fenced code block ends with its closing fence (the block's last line is a run of at least as many
    /// backticks or tildes as the opening fence), rather than running to the end of the document unclosed.
    static func isClosed(_ node: OpaquePointer, firstLine: Int, lastLine: Int, source: SourceText) -> Bool {
        var length: Int32 = 0, offset: Int32 = 0
        var character: Int8 = 0
        guard cmark_node_get_fenced(node, &length, &offset, &character) != 0, length > 0 else { return true }
        guard lastLine > firstLine, let line = source.line(lastLine) else { return false }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let fence = Character(UnicodeScalar(UInt8(bitPattern: character)))
        return trimmed.count >= Int(length) && trimmed.allSatisfy { $0 == fence }
    }

    /// For each line of a cell's literal, how many bytes of the file line precede it (fence or container indent).
    static func columnOffsets(_ literal: String, firstLine: Int, in source: SourceText) -> [Int] {
        SourceText.splitLines(literal).enumerated().map { i, text in
            guard let fileLine = source.line(firstLine + i), fileLine.hasSuffix(text) else { return 0 }
            return fileLine.utf8.count - text.utf8.count
        }
    }

    /// Walks a prose block for inline results (`` `= x.y` ``) and for config cells nested in lists or quotes,
    /// which are kept as prose with a warning.
    static func walkInlines(_ block: OpaquePointer, offset: Int, source: SourceText,
                            references: inout [InlineReference], diagnostics: inout [Diagnostic]) {
        let iterator = cmark_iter_new(block)
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let line = Int(cmark_node_get_start_line(node)) + offset
            if configInfo(node) != nil {
                let at = SourceRange(at: SourcePosition(line: line, column: Int(cmark_node_get_start_column(node))))
                diagnostics.append(Diagnostic(.warning, "a config cell inside a list or quote is shown as code and not run; "
                                              + "move it to the top level", at: at))
            } else if cmark_node_get_type(node) == CMARK_NODE_CODE, let literal = cmark_node_get_literal(node) {
                let text = String(cString: literal)
                guard text.hasPrefix("=") else { continue }
                let column = InlineReferenceReader.locate(text, line: line, reportedColumn: Int(cmark_node_get_start_column(node)), in: source)
                switch InlineReferenceReader.parse(text, at: SourcePosition(line: line, column: column)) {
                case .success(let reference): references.append(reference)
                case .failure(let diagnostic): diagnostics.append(diagnostic)
                }
            }
        }
    }
}
