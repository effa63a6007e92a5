// YAML front matter: the optional `---` block at the top of a notebook, read with Yams.
import Yams

/// The notebook's metadata from its optional YAML front matter.
///
/// ```
/// ---
/// title: Attention in small ResNets
/// date: 2025-01-20
/// data: ~/datasets
/// ---
/// ```
/// Values are kept as the text written (dates are not converted). Keys other than `title`, `author`, `date` and
/// `data` are kept in ``extra``: scalars as written, lists and maps as block-style YAML text.
public struct FrontMatter: Hashable, Sendable {
    public var title: String?
    public var author: String?
    public var date: String?
    /// The data root, against which relative dataset paths resolve.
    public var data: String?
    /// Any other keys, as strings.
    public var extra: [String: String]
    /// How many lines of the file the block occupies, both `---` lines included.
    public var lineCount: Int

    public init(title: String? = nil, author: String? = nil, date: String? = nil, data: String? = nil,
                extra: [String: String] = [:], lineCount: Int = 0) {
        self.title = title
        self.author = author
        self.date = date
        self.data = data
        self.extra = extra
        self.lineCount = lineCount
    }

    /// Splits front matter off the top of `lines` (the whole file). Returns nil when the file does not open with
    /// a `---` line that is later closed by `---` or `...`. YAML problems become diagnostics located in the file.
    static func split(_ lines: [String]) -> (frontMatter: FrontMatter, diagnostics: [Diagnostic])? {
        guard let first = lines.first, first.trimmingTrailingSpaces() == "---" else { return nil }
        guard let close = lines.indices.dropFirst().first(where: {
            let l = lines[$0].trimmingTrailingSpaces()
            return l == "---" || l == "..."
        }) else { return nil }
        var matter = FrontMatter(lineCount: close + 1)
        let yaml = lines[1..<close].joined(separator: "\n")
        var diagnostics: [Diagnostic] = []
        do {
            guard let root = try Yams.compose(yaml: yaml) else { return (matter, []) }
            guard let mapping = root.mapping else {
                let at = SourceRange(at: SourcePosition(line: 2, column: 1))
                return (matter, [.error("front matter must be a YAML mapping such as `title: My study`", at: at)])
            }
            for (key, value) in mapping {
                let name = key.string ?? "\(key)"
                let text = value.scalar?.string ?? ((try? Yams.serialize(node: value)) ?? "")
                    .trimmingTrailingNewlines()
                switch name {
                case "title", "author", "date", "data":
                    guard value.scalar != nil else {
                        let line = (key.mark?.line ?? 1) + 1
                        diagnostics.append(.error("front matter key `\(name)` must be a single value",
                                                  at: SourceRange(at: SourcePosition(line: line, column: key.mark?.column ?? 1))))
                        continue
                    }
                    switch name {
                    case "title": matter.title = text
                    case "author": matter.author = text
                    case "date": matter.date = text
                    default: matter.data = text
                    }
                default:
                    matter.extra[name] = text
                }
            }
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(for: error))
        } catch {
            diagnostics.append(.error("invalid front matter: \(error)", at: SourceRange(at: SourcePosition(line: 1, column: 1))))
        }
        return (matter, diagnostics)
    }

    /// A Yams error located in the file (the YAML starts on line 2, after the opening `---`).
    private static func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .error("invalid YAML in front matter: \(problem)",
                          at: SourceRange(at: SourcePosition(line: mark.line + 1, column: mark.column)))
        default:
            return .error("invalid YAML in front matter: \(error)", at: SourceRange(at: SourcePosition(line: 1, column: 1)))
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }

    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
