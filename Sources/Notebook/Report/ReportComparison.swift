// SeedComparison and SeedSpread: a difference from a reference row judged against the seed-to-seed spread (Welch's t-test), and mean ± std over seeds (docs/methods.md §12).
import Foundation

/// The difference of one row's metric from a reference row's, and whether it exceeds the spread between seeds.
///
/// Single-seed numbers move by points between machines and seeds, so a table that says "+0.4" without saying whether
/// that is more than the runs' own scatter invites a false conclusion. The rule is Welch's two-sided t-test on the
/// per-seed values at ``level`` (docs/methods.md §12): it needs no equal-variance assumption and is exact for normal
/// scatter at the small seed counts (2–5) notebooks run, where a fixed "2 standard errors" rule would call too
/// many differences real.
public struct SeedComparison: Equatable, Sendable {
    /// What the test says about the difference.
    public enum Verdict: String, Equatable, Sendable {
        /// p < ``level``: the difference exceeds the seed-to-seed spread.
        case exceeds
        /// p ≥ ``level``: the difference is within the seed-to-seed spread.
        case withinNoise
        /// One side has a single seed: its spread is unknown, so nothing is claimed.
        case spreadUnknown
    }

    /// The significance level of the two-sided test.
    public static let level = 0.05

    /// Mean of the row's seeds minus mean of the reference's seeds, in the metric's own units (a fraction for top-1).
    public var delta: Double
    public var verdict: Verdict
    /// The two-sided p-value; nil when the spread is unknown.
    public var p: Double?
    /// Seeds of the row with a value.
    public var rowSeeds: Int
    /// Seeds of the reference with a value.
    public var referenceSeeds: Int

    public init(delta: Double, verdict: Verdict, p: Double?, rowSeeds: Int, referenceSeeds: Int) {
        self.delta = delta
        self.verdict = verdict
        self.p = p
        self.rowSeeds = rowSeeds
        self.referenceSeeds = referenceSeeds
    }

    /// Compares the per-seed values of a row with those of the reference; nil when either side has no value.
    public init?(row: [Double], reference: [Double]) {
        let a = row.filter(\.isFinite), b = reference.filter(\.isFinite)
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let delta = Self.mean(a) - Self.mean(b)
        guard a.count > 1, b.count > 1 else {
            self.init(delta: delta, verdict: .spreadUnknown, p: nil, rowSeeds: a.count, referenceSeeds: b.count)
            return
        }
        let p = Self.welchP(a, b)
        self.init(delta: delta, verdict: p < Self.level ? .exceeds : .withinNoise, p: p, rowSeeds: a.count, referenceSeeds: b.count)
    }

    public static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    /// Sample variance (n − 1 in the denominator), as the tables' ± std.
    public static func variance(_ x: [Double]) -> Double {
        let m = mean(x)
        return x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)
    }

    /// Welch's two-sided p-value for equal means of `a` and `b` (each at least two values). Zero spread on both sides
    /// gives 1 for equal means and 0 otherwise.
    static func welchP(_ a: [Double], _ b: [Double]) -> Double {
        let va = variance(a) / Double(a.count), vb = variance(b) / Double(b.count)
        let se2 = va + vb, delta = mean(a) - mean(b)
        guard se2 > 0 else { return delta == 0 ? 1 : 0 }
        let t = delta / se2.squareRoot()
        let df = se2 * se2 / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        return studentTwoSidedP(t, df: df)
    }

    /// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
    static func studentTwoSidedP(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return 0 }
        return min(1, max(0, regularizedBeta(df / (df + t * t), df / 2, 0.5)))
    }

    /// The regularised incomplete beta function I_x(a, b) by its continued fraction (Lentz's method), using the
    /// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront: Double = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x)
        let front = exp(logFront)
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(x, a, b) / a }
        return 1 - front * betaFraction(1 - x, b, a) / b
    }

    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var h = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            for numerator in [even, odd] {
                d = 1 + numerator * d
                d = 1 / (abs(d) < tiny ? tiny : d)
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                h *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return h
    }
}

extension SeedComparison {
    /// The difference with its sign, in `format` (percentage points for a percent format).
    func signed(_ format: NumberFormat) -> String {
        let text = format.format(abs(delta))
        if text.allSatisfy({ $0 == "0" || $0 == "." }) { return "±" + text }
        return (delta < 0 ? "−" : "+") + text
    }

    /// The words after the difference: the verdict, as the table shows it.
    var note: String {
        switch verdict {
        case .exceeds: return "exceeds noise"
        case .withinNoise: return "within noise"
        case .spreadUnknown: return "1 seed: spread unknown"
        }
    }

    /// The test in full, for a tooltip and the CSV.
    var detail: String {
        guard let p else { return "a single seed has no spread; run seeds: 2 or more on both rows to test the difference" }
        return "Welch's t-test, p = \(NumberFormat.significant(p, digits: 2)) (\(rowSeeds) and \(referenceSeeds) seeds, "
            + "level \(NumberFormat.automatic.format(Self.level)))"
    }
}

/// Mean and standard deviation over seeds (docs/methods.md §12.1), for tables, curves, bars and analyses.
public enum SeedSpread {
    /// The mean of the finite values (NaN when there are none) and their sample standard deviation (nil for fewer
    /// than two).
    public static func of(_ values: [Double]) -> (mean: Double, std: Double?) {
        let x = values.filter(\.isFinite)
        guard !x.isEmpty else { return (.nan, nil) }
        return (SeedComparison.mean(x), x.count > 1 ? SeedComparison.variance(x).squareRoot() : nil)
    }

    /// Pointwise mean and standard deviation of equally long per-seed series (one array per seed). The spread is nil
    /// for a single seed, and NaN at a point fewer than two seeds have a finite value for.
    public static func pointwise(_ seeds: [[Double]]) -> (mean: [Double], std: [Double]?) {
        let n = seeds.map(\.count).min() ?? 0
        let points = (0..<n).map { i in of(seeds.map { $0[i] }) }
        return (points.map(\.mean), seeds.count > 1 ? points.map { $0.std ?? .nan } : nil)
    }
}
