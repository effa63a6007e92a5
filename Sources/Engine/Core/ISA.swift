// ISA: which instruction-set path Loom's own kernels take (KernelISA), chosen once per process
// from cpuid and LOOM_ISA, with a per-scope override for tests.
import Foundation

/// The instruction-set path of Loom's own kernels. On the AVX-512 path, sixteen-lane kernels run
/// softmax, GELU (also linearGELU's), layer norm, batch norm's statistics and gradient (with its
/// fused ReLU mask) and Lion. The rest measured no faster at 512 bits on Zen 4 and run their
/// 256-bit code on every path, each with its measurement in a comment: Winograd transforms,
/// im2col/col2im, attention's softmax, batch norm's output pass and residual mask, SGD, AdamW
/// (whose eight-lane C kernel both x86 paths share). BLAS chooses its own kernels. Timings:
/// scripts/kernel-timings.
///
/// One release binary carries both x86-64 paths: the Swift kernels (eight-float SIMD lanes,
/// compiled for AVX2/FMA) and the C kernels of `CKernels` (sixteen-float lanes, each function
/// compiled for AVX-512). The best path the CPU supports is chosen at start-up; `LOOM_ISA`
/// forces one, and a path the CPU cannot run is refused with a warning (never an illegal
/// instruction).
public enum KernelISA: String, Sendable, CaseIterable {
    /// 512-bit kernels (AVX-512 F, DQ, CD, BW, VL): `CKernels`.
    case avx512
    /// 256-bit kernels: the Swift kernels as the release build compiles them (x86-64-v3).
    case avx2
    /// The Swift kernels on a CPU without AVX2 and FMA (a debug build on an old x86-64, or
    /// arm64): the same arithmetic as `avx2`, in whatever vectors the build targets.
    case portable

    /// A human-readable name, e.g. "AVX-512 (512-bit vectors)".
    public var name: String {
        switch self {
        case .avx512: return "AVX-512 (512-bit vectors)"
        case .avx2: return "AVX2 + FMA (256-bit vectors)"
        case .portable: return "portable (no AVX2)"
        }
    }

    /// The values `LOOM_ISA` accepts.
    public static let choices = ["auto", "avx512", "avx2"]

    /// Whether `cpu` can run this path in this build.
    public func isSupported(on cpu: CPUFacts) -> Bool {
        #if arch(x86_64)
        switch self {
        case .avx512: return cpu.hasAVX512
        case .avx2: return cpu.hasAVX2FMA
        case .portable: return true
        }
        #else
        return self == .portable
        #endif
    }

    /// The paths `cpu` can run, best first.
    public static func supported(on cpu: CPUFacts = .current) -> [KernelISA] {
        allCases.filter { $0.isSupported(on: cpu) }
    }

    /// The best path `cpu` supports.
    public static func best(on cpu: CPUFacts) -> KernelISA { supported(on: cpu)[0] }

    /// The path for `LOOM_ISA` = `value` on `cpu`: the best one when unset, empty or `auto`; the
    /// named one when the CPU runs it; otherwise a message naming the variable, the value, what
    /// the CPU lacks and the path that applies instead.
    public static func choose(_ value: String?, cpu: CPUFacts) -> Result<KernelISA, KnobError> {
        let best = best(on: cpu)
        switch Knobs.choice("LOOM_ISA", value, choices) {
        case .failure(let e):
            return .failure(KnobError(message: e.message.replacingOccurrences(of: "the default applies",
                                                                              with: "the \(best.rawValue) path applies")))
        case .success(nil), .success("auto"): return .success(best)
        case .success(let name?):
            let isa = KernelISA(rawValue: name)!
            if isa.isSupported(on: cpu) { return .success(isa) }
            let needs = isa == .avx512 ? "AVX-512 (F, DQ, CD, BW, VL)" : "AVX2 and FMA"
            #if arch(x86_64)
            let cpuName = cpu.brand.isEmpty ? "this CPU" : "this CPU (\(cpu.brand))"
            let lacks = "\(cpuName) does not offer it"
            #else
            let lacks = "this is not an x86-64 build"
            #endif
            return .failure(KnobError(message: "LOOM_ISA=\(name) needs \(needs), and \(lacks); the \(best.rawValue) "
                                      + "path applies (unset LOOM_ISA for the best path this CPU runs)"))
        }
    }

    /// The process's path, read once: `LOOM_ISA` if the CPU runs it, else the best it supports.
    public static let active: KernelISA = {
        switch choose(ProcessInfo.processInfo.environment["LOOM_ISA"], cpu: .current) {
        case .success(let isa): return isa
        case .failure(let e):
            FileHandle.standardError.write(Data("warning: \(e.message)\n".utf8))
            return best(on: .current)
        }
    }()

    /// A path for the current scope (`with(_:_:)`).
    @TaskLocal static var scoped: KernelISA? = nil

    /// The path an op takes: the scope's (`with(_:_:)`), else the process's. Ops read it once on
    /// entry and hand it to their kernels (and backward passes), so worker threads and a later
    /// backward pass follow the choice made when the op ran.
    public static var current: KernelISA { scoped ?? active }

    /// Runs `body` with the engine's kernels on path `isa` in the calling scope only (to test every
    /// path in one process). `isa` must be supported by this CPU.
    public static func with<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T {
        precondition(isa.isSupported(on: .current), "KernelISA.with: \(isa.rawValue) is not supported on this CPU")
        return try $scoped.withValue(isa) { try body() }
    }
}
