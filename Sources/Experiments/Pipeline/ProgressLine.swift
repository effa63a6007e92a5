// Progress lines: what `loom run` shows of a training event — a line for the log, or the bar of the batch in flight.
import Foundation
import Vision

/// A training event of a planned run as the terminal shows it.
public enum ProgressLine {
    /// The bar of the batch in flight, redrawn in place on a terminal; `last` marks an epoch's last batch (always
    /// drawn, where others may be skipped). The text is built only when drawn.
    case bar(last: Bool, text: () -> String)
    /// A line for the log: an epoch's metrics, a resume, a warning.
    case log(String)

    /// The line of `event` from seed `seedIndex` (of `seeds`) of `e`.
    public init(_ e: PlannedExperiment, seedIndex: Int, seeds: Int, event: TrainingEvent) {
        let seedText = (seeds > 1 ? " seed \(seedIndex + 1)/\(seeds)" : "") + " (cell \(e.cellIndex + 1))"
        switch event {
        case let .batch(epoch, batch, of, loss, ips):
            self = .bar(last: batch + 1 == of, text: {
                let epochs = e.spec.epochs
                let done = Double(epoch) + Double(batch + 1) / Double(of)
                let width = 24, filled = Int(done / Double(max(epochs, 1)) * Double(width))
                let bar = String(repeating: "█", count: min(filled, width)) + String(repeating: "·", count: max(0, width - filled))
                // The ETA counts the experiment's later seeds too, each a full run at this throughput.
                let later = max(0, seeds - seedIndex - 1)
                let remaining = (Double(epochs) * Double(1 + later) - done) * Double(of) * Double(e.spec.batchSize) / max(ips, 1e-9)
                return "\(e.name)\(seedText) [\(bar)] epoch \(epoch + 1)/\(epochs) batch \(batch + 1)/\(of) loss "
                    + String(format: "%.3f %.0f img/s ETA ", loss, ips) + Self.eta(remaining)
                    + (later > 0 ? " (with \(later) more seed\(later == 1 ? "" : "s"))" : "")
            })
        case let .epoch(m):
            self = .log("\(e.name)\(seedText) epoch \(m.epoch + 1)/\(e.spec.epochs)  "
                + String(format: "train loss %.4f  test loss %.4f  top-1 %.2f%%  top-5 %.2f%%  lr %.4g  %.0f img/s  %.1f s",
                         m.trainLoss, m.testLoss, m.top1 * 100, m.top5 * 100, m.learningRate, m.imagesPerSecond, m.seconds))
        case let .resumed(epoch, batch):
            self = .log("\(e.name)\(seedText): resuming at epoch \(epoch + 1), batch \(batch + 1)")
        case let .warning(w):
            self = .log("warning: \(e.name)\(seedText): \(w)")
        }
    }

    private static func eta(_ s: Double) -> String {
        // Whole seconds as Int without String(format:) (`%d` reads 32 bits of a Swift Int); clamped so an absurd
        // estimate cannot trap in the conversion.
        let t = Int(min(max(s.isFinite ? s : 0, 0), 1e12)), two: (Int) -> String = { $0 < 10 ? "0\($0)" : "\($0)" }
        return s < 60 ? String(format: "%.0fs", s) : s < 3600 ? "\(t / 60)m\(two(t % 60))s" : "\(t / 3600)h\(two(t % 3600 / 60))m"
    }
}
