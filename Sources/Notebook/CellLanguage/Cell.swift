// A config cell: the source of one `swift config` fenced block and where it sits in the notebook file.

/// One config cell: a fenced code block whose info string is `swift config` (or `swift-config`).
///
/// Positions inside the cell map to the `.md` file through ``line`` and ``columnOffsets``, so every
/// syntax node and diagnostic points at the notebook, not at the cell.
public struct Cell: Hashable, Sendable {
    /// 0-based position among the document's cells.
    public var index: Int
    /// The fence's info string, e.g. `swift config`.
    public var info: String
    /// The cell's code, with the fence lines and any container indentation removed.
    public var source: String
    /// 1-based line in the `.md` file of the cell's first source line (the line after the opening fence).
    public var line: Int
    /// For each source line, how many bytes of the `.md` line precede it (indentation, `> ` prefixes).
    public var columnOffsets: [Int]
    /// A stable identity derived from the source alone (see ``DocumentHash``); moving the cell or editing
    /// prose around it does not change it. Duplicated cells get `-2`, `-3`, ... suffixes in document order.
    public var identity: String

    /// A cell whose first source line is `line` of the file; used directly by tests and tools.
    public init(source: String, line: Int = 1, index: Int = 0, info: String = "swift config",
                columnOffsets: [Int] = [], identity: String? = nil) {
        self.index = index
        self.info = info
        self.source = source
        self.line = line
        self.columnOffsets = columnOffsets
        self.identity = identity ?? DocumentHash.sha256Hex(source)
    }

    /// Whether a fence info string marks a config cell: `swift config ...` or `swift-config ...`.
    public static func isConfigInfo(_ info: String) -> Bool {
        let words = info.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first else { return false }
        if first == "swift-config" { return true }
        return first == "swift" && words.count > 1 && words[1] == "config"
    }

    /// The file location of a 1-based `(line, column)` position inside ``source``.
    public func fileLocation(line cellLine: Int, column: Int) -> SourcePosition {
        let offset = cellLine - 1 < columnOffsets.count ? columnOffsets[cellLine - 1] : 0
        return SourcePosition(line: line + cellLine - 1, column: column + offset)
    }

    /// The number of source lines (an empty cell has none).
    public var lineCount: Int {
        source.isEmpty ? 0 : SourceText.splitLines(source).count
    }
}
