// ReportData: the numbers behind each table and chart as CSV, offered as a `data:` download link
// (no scripts, still one self-contained file).
import Foundation

extension ReportContent {
    /// The content's data as CSV (RFC 4180, `\r\n` line ends, full-precision numbers); nil for
    /// content without a table of numbers behind it (images, text, errors).
    public var csv: String? {
        switch self {
        case let .table(t):
            let header = t.columns.map { $0.header + ($0.unit.map { " (\($0))" } ?? "") }
            // With notes, a last column carries the text of the notes each row's cells refer to.
            return ReportCSV.lines([header + (t.notes.isEmpty ? [] : ["notes"])] + t.rows.map { row in
                zip(row, t.columns).map { ReportCSV.cell($0, scale: $1.format.isPercent ? 100 : 1) }
                    + (t.notes.isEmpty ? [] : [ReportCSV.notes(row, t.notes)])
            })
        case let .lineChart(c):
            let spread = c.series.contains { $0.spread != nil }
            var rows = [["series", c.x.label, c.y.label] + (spread ? ["± std"] : [])]
            for s in c.series {
                for (i, p) in s.points.enumerated() {
                    rows.append([s.name, ReportCSV.number(p.x), ReportCSV.number(p.y)]
                                + (spread ? [s.spread.map { ReportCSV.number($0[i]) } ?? ""] : []))
                }
            }
            return ReportCSV.lines(rows)
        case let .barChart(c):
            var header = ["category"]
            for s in c.series { header.append(s.name); if s.errors != nil { header.append(s.name + " ± ") } }
            if !c.markers.isEmpty { header += [BarMarker.legendName, BarMarker.legendName + " source"] }
            var rows = [header]
            for (i, category) in c.categories.enumerated() {
                var row = [category]
                for s in c.series {
                    row.append(ReportCSV.number(s.values[i]))
                    if let e = s.errors { row.append(ReportCSV.number(e[i])) }
                }
                if !c.markers.isEmpty {
                    let marker = c.markers.first { $0.category == i }
                    row.append(marker.map { ReportCSV.number($0.value) } ?? "")
                    row.append(marker?.note.flatMap { $0 >= 1 && $0 <= c.notes.count ? c.notes[$0 - 1] : nil } ?? "")
                }
                rows.append(row)
            }
            return ReportCSV.lines(rows)
        case let .heatmap(h):
            var rows = [[h.y.label + " \\ " + h.x.label] + h.xLabels]
            for (i, label) in h.yLabels.enumerated() where i < h.values.count {
                rows.append([label] + h.values[i].map(ReportCSV.number))
            }
            return ReportCSV.lines(rows)
        case .images, .text, .error:
            return nil
        }
    }
}

extension NumberFormat {
    var isPercent: Bool { if case .percent = self { return true } else { return false } }
}

enum ReportCSV {
    static func lines(_ rows: [[String]]) -> String {
        rows.map { $0.map(quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Shortest round-tripping decimal; NaN and infinities as empty fields.
    static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "" }

    /// A table cell's value in the column's unit (`scale` 100 for a percentage column).
    static func cell(_ value: TableValue, scale: Double) -> String {
        switch value {
        case let .text(t): return t
        case let .number(v): return number(v * scale)
        case let .meanStd(mean, std): return number(mean * scale) + " ± " + number(std * scale)
        case let .link(text, _): return text
        case let .comparison(c): return number(c.delta * scale) + " (" + c.note + "; " + c.detail + ")"
        case .missing: return ""
        case let .noted(value, _): return cell(value, scale: scale)
        }
    }

    /// The notes a table row's cells refer to, as `[n] text`, joined by "; ".
    static func notes(_ row: [TableValue], _ notes: [String]) -> String {
        var numbers: [Int] = []
        for case let .noted(_, n) in row where !numbers.contains(n) && n >= 1 && n <= notes.count { numbers.append(n) }
        return numbers.map { "[\($0)] " + notes[$0 - 1] }.joined(separator: "; ")
    }

    /// `csv` as a `data:` URI (percent-encoded UTF-8).
    static func dataURI(_ csv: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~(),;:/")
        let encoded = csv.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return "data:text/csv;charset=utf-8," + encoded
    }
}
