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
        if let refusal = Self.refusal(yaml) { return (matter, [refusal]) }
        var diagnostics: [Diagnostic] = []
        do {
            guard let root = try Yams.compose(yaml: yaml) else { return (matter, []) }
            var budget = Self.maximumNodes
            guard Self.fits(root, budget: &budget) else {
                return (matter, [.error("front matter expands to more than \(Self.maximumNodes) YAML values (through aliases) or "
                                        + "nests them more than \(Self.maximumNesting * 2) levels deep; write the values out, "
                                        + "without `&anchor`/`*alias` chains",
                                        at: SourceRange(at: SourcePosition(line: 2, column: 1)))])
            }
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

    // MARK: Limits (a notebook may come from someone else: parse nothing unbounded)

    /// Bytes of YAML between the `---` lines. Front matter holds a title, a date and a few settings.
    public static let maximumBytes = 64 * 1024
    /// `*alias` references. Nine levels of `x: &x [*w, *w, …]` expand to billions of values.
    public static let maximumAliases = 64
    /// `[`/`{` flow collections open at once (YAML readers recurse once per level).
    public static let maximumNesting = 64
    /// Values after aliases are expanded.
    public static let maximumNodes = 10_000

    /// Why the YAML must not be parsed at all, located at the offending line, or nil. A cheap scan before the parser
    /// runs: it counts `*alias` tokens and open flow brackets outside quotes and comments (a plain scalar such as
    /// `a *b` counts too, which only matters beyond the limits).
    static func refusal(_ yaml: String) -> Diagnostic? {
        if yaml.utf8.count > maximumBytes {
            return .error("front matter is \(yaml.utf8.count) bytes; the limit is \(maximumBytes) bytes",
                          at: SourceRange(at: SourcePosition(line: 2, column: 1)))
        }
        var aliases = 0, depth = 0, line = 2, column = 0
        var quote: UInt8? = nil, previous: UInt8 = 0x0A, escaped = false, comment = false
        let boundary: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")]
        let bytes = Array(yaml.utf8)
        for (i, b) in bytes.enumerated() {
            column += 1
            defer { previous = b; if b == 0x0A { line += 1; column = 0; comment = false } }
            if comment { continue }
            if let q = quote {
                if escaped { escaped = false } else if q == UInt8(ascii: "\"") && b == UInt8(ascii: "\\") { escaped = true } else if b == q { quote = nil }
                continue
            }
            let atTokenStart = boundary.contains(previous)
            switch b {
            case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09 || previous == 0x0A: comment = true
            case UInt8(ascii: "'"), UInt8(ascii: "\""): if atTokenStart { quote = b }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumNesting {
                    return .error("front matter nests `[`/`{` more than \(maximumNesting) levels deep",
                                  at: SourceRange(at: SourcePosition(line: line, column: column)))
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            case UInt8(ascii: "*") where atTokenStart && i + 1 < bytes.count && !boundary.contains(bytes[i + 1]):
                aliases += 1
                if aliases > maximumAliases {
                    return .error("front matter uses more than \(maximumAliases) YAML aliases (`*name`); write the values out "
                                  + "(aliases can expand exponentially)", at: SourceRange(at: SourcePosition(line: line, column: column)))
                }
            default: break
            }
        }
        return nil
    }

    /// Whether `node`, aliases expanded, has at most `budget` values; stops counting as soon as it has not.
    static func fits(_ node: Node, budget: inout Int, depth: Int = 0) -> Bool {
        budget -= 1
        guard budget >= 0, depth <= maximumNesting * 2 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let s):
            for n in s where !fits(n, budget: &budget, depth: depth + 1) { return false }
            return true
        case .mapping(let m):
            for (k, v) in m where !fits(k, budget: &budget, depth: depth + 1) || !fits(v, budget: &budget, depth: depth + 1) {
                return false
            }
            return true
        }
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
