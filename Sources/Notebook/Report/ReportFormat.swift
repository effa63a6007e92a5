// Deterministic number formatting for tables, charts and inline values (no locale, no -0).
import Foundation

/// How a number is shown. Every format is locale-independent and stable across runs.
public enum NumberFormat: Equatable, Sendable {
    /// Four significant digits, trailing zeros removed: 0.8123, 12.5, 1234.
    case automatic
    /// A fixed number of decimals: `.fixed(2)` gives 3.14.
    case fixed(Int)
    /// A fraction shown as a percentage with this many decimals: `.percent(1)` gives 81.2 for 0.8123.
    case percent(Int)
    /// Rounded to an integer with comma grouping: 11,173,962.
    case integer
    /// Three significant digits with k/M/G suffix: 11.2M.
    case compact
    /// Seconds as 12.3 s, 4m 05s or 1h 02m.
    case duration

    /// The formatted number; NaN and infinities as "NaN", "∞", "−∞".
    public func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        switch self {
        case .automatic: return NumberFormat.significant(value, digits: 4)
        case let .fixed(decimals): return NumberFormat.fixed(value, decimals)
        case let .percent(decimals): return NumberFormat.fixed(value * 100, decimals)
        case .integer: return NumberFormat.grouped(value.rounded())
        case .compact: return NumberFormat.compact(value)
        case .duration: return NumberFormat.duration(value)
        }
    }

    /// A stored time as "2026-12-03 10:05 UTC": to the minute, in UTC, the same on every machine.
    public static func utcMinute(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func pad(_ n: Int?, _ width: Int) -> String {
            let digits = String(n ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)) UTC"
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let text = String(format: "%.\(max(0, decimals))f", value)
        // "-0.00" and "-0" read as a sign error; show them unsigned.
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
        return text
    }

    static func significant(_ value: Double, digits: Int) -> String {
        if value == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        if magnitude >= 6 || magnitude < -4 { return String(format: "%.\(digits - 1)e", value) }
        let decimals = max(0, digits - 1 - magnitude)
        var text = fixed(value, decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    static func grouped(_ value: Double) -> String {
        let digits = fixed(abs(value), 0)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (value < 0 && digits != "0" ? "-" : "") + out
    }

    static func compact(_ value: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where abs(value) >= scale {
            return significant(value / scale, digits: 3) + suffix
        }
        return significant(value, digits: 3)
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return significant(seconds, digits: 3) + " s" }
        guard seconds.isFinite, seconds < 1e12 else { return "\(seconds) s" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        let two: (Int) -> String = { $0 < 10 ? "0\($0)" : "\($0)" }
        return h > 0 ? "\(h)h \(two(m))m" : "\(m)m \(two(s))s"
    }
}
