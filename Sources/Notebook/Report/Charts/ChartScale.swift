// Axis scales for charts: "nice" round tick values (1, 2, 5 × 10^k) and tick labels.
import Foundation

/// A linear axis fitted to round ticks.
public struct ChartScale: Equatable, Sendable {
    /// The tick values, ascending; the first and last are the domain bounds.
    public let ticks: [Double]
    /// Distance between ticks.
    public let step: Double

    /// Ticks covering `low...high` with about `count` intervals at a step of 1, 2 or 5 × 10^k.
    /// A degenerate range is widened around its value.
    public init(low: Double, high: Double, count: Int = 5) {
        var (low, high) = (Swift.min(low, high), Swift.max(low, high))
        if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        let step = ChartScale.niceStep((high - low) / Double(Swift.max(1, count)))
        // Tick indices are integers so the values are exact multiples of `step`, not sums; the
        // tolerance keeps 0.3 / 0.1 = 2.9999999999999996 from adding a tick below 0.3.
        let firstIndex = Int((low / step + 1e-9).rounded(.down))
        let lastIndex = Int((high / step - 1e-9).rounded(.up))
        self.step = step
        self.ticks = (firstIndex...Swift.max(firstIndex + 1, lastIndex)).map { ChartScale.clean(Double($0) * step, step) }
    }

    public var lower: Double { ticks.first! }
    public var upper: Double { ticks.last! }

    /// Maps `value` from the domain to `from...to` (e.g. pixel coordinates; `to` may be smaller).
    public func position(_ value: Double, from: Double, to: Double) -> Double {
        from + (value - lower) / (upper - lower) * (to - from)
    }

    /// A tick label with just enough decimals for the step: 0.05 → "0.25"; 10 000 and up → "10k".
    public func label(_ value: Double) -> String {
        if step >= 1000, abs(value) >= 1000 { return NumberFormat.compact.format(value) }
        let decimals = Swift.max(0, -Int(floor(log10(step) + 1e-9)))
        return NumberFormat.fixed(value, decimals)
    }

    /// The smallest of 1, 2, 5, 10 × 10^k that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Removes float noise (0.30000000000000004 → 0.3) by rounding to the step's decimals.
    private static func clean(_ value: Double, _ step: Double) -> Double {
        let decimals = Swift.max(0, -Int(floor(log10(step))) + 1)
        let factor = pow(10, Double(Swift.min(decimals, 15)))
        let cleaned = (value * factor).rounded() / factor
        return cleaned == 0 ? 0 : cleaned
    }
}
