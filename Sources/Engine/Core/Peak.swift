// Peak: the machine's measured fused multiply-add peak per vector ISA (register-only loops in
// CCPU), the ceiling `loom bench --peak` compares a model's training GFLOP/s with.
import CCPU
import Dispatch
import Foundation

public enum FMAPeak {
    /// A vector width the CPU can run FMAs at.
    public enum Width: String, CaseIterable, Sendable {
        case avx2, avx512

        /// FLOPs of one iteration of the loop: 12 FMAs × lanes × 2.
        var flopsPerIteration: Double { self == .avx2 ? 12 * 8 * 2 : 12 * 16 * 2 }

        public func supported(on cpu: CPUFacts = .current) -> Bool {
            self == .avx2 ? cpu.hasAVX2FMA : cpu.has(.avx512f)
        }
    }

    /// GFLOP/s of `threads` threads each running the register-only FMA loop at `width`, best of
    /// `reps` timings of about `seconds` each; nil when the CPU lacks the width.
    public static func measure(_ width: Width, threads: Int, seconds: Double = 0.2, reps: Int = 3) -> Double? {
        guard width.supported() else { return nil }
        let loop: (Int) -> Float = width == .avx2 ? { ccpu_fma_loop_avx2($0) } : { ccpu_fma_loop_avx512($0) }
        // Calibrate the iteration count on one thread, then time all threads together.
        var iterations = 1 << 16
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = loop(iterations)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if dt > seconds / 4 || iterations > 1 << 34 { iterations = Int(Double(iterations) * seconds / max(dt, 1e-9)); break }
            iterations *= 4
        }
        var best = 0.0
        for _ in 0..<max(1, reps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in _ = loop(iterations) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, Double(max(1, threads)) * Double(iterations) * width.flopsPerIteration / dt / 1e9)
        }
        return best
    }
}
