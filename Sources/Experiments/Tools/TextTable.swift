// TextTable: columns aligned with spaces for terminal output (text left, numbers right).
import Foundation

/// A plain-text table: a header row and rows of cells, printed with two spaces between columns.
public struct TextTable {
    public enum Alignment { case left, right }

    public var headers: [String]
    public var alignments: [Alignment]
    /// Widths columns get even when their cells are narrower (so rows printed one at a time line up).
    public var minimumWidths: [Int]
    public var rows: [[String]] = []

    public init(_ columns: [(String, Alignment)], minimumWidth: Int = 0) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
        minimumWidths = Array(repeating: minimumWidth, count: columns.count)
    }

    public mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "row has \(row.count) cells, table has \(headers.count) columns")
        rows.append(row)
    }

    /// The table as lines, trailing spaces trimmed.
    public var lines: [String] {
        let widths = headers.indices.map { c in max(minimumWidths[c], ([headers] + rows).map { $0[c].count }.max() ?? 0) }
        return ([headers] + rows).map { row in
            var line = row.indices.map { c -> String in
                let pad = String(repeating: " ", count: widths[c] - row[c].count)
                return alignments[c] == .left ? row[c] + pad : pad + row[c]
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}

/// A number with `digits` significant digits, without exponent for ordinary magnitudes ("0.8123", "1.2e+07").
public func formatNumber(_ v: Double, digits: Int = 4) -> String {
    guard v.isFinite else { return String(v) }
    if v == v.rounded(), abs(v) < 1e9 { return String(Int(v)) }
    let magnitude = abs(v)
    if magnitude >= 1e-3, magnitude < 1e7 {
        let decimals = max(0, digits - 1 - Int((magnitude).log10Floor))
        return String(format: "%.\(decimals)f", v)
    }
    return String(format: "%.\(digits - 1)e", v)
}

private extension Double {
    var log10Floor: Double { (Foundation.log10(self)).rounded(.down) }
}
