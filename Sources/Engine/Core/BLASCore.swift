// BLASCore: which OpenBLAS kernel core this process runs, and the correction of a core weaker than
// the CPU allows (Debian 12's OpenBLAS 0.3.21 falls back to Prescott/SSE3 on CPUs it does not know).
import CBLAS
import Foundation

/// OpenBLAS's kernel core and Loom's check of it against the CPU.
///
/// OpenBLAS (DYNAMIC_ARCH builds) picks its kernels once, when the library loads, from cpuid —
/// unless `OPENBLAS_CORETYPE` names a core. Versions before 0.3.25 do not recognise several newer
/// Intel CPUs and fall back to their slowest core (Prescott, SSE3: 3–10× slower GEMMs). Loom checks
/// the core at start-up and, when it is weaker than the CPU allows and the user did not choose one,
/// re-executes itself once with `OPENBLAS_CORETYPE` set to the best core for this CPU. A user's own
/// `OPENBLAS_CORETYPE` always wins.
public enum BLASCore {
    /// The vector level a core's kernels use (or the CPU offers).
    public enum Level: Int, Comparable, Sendable, CustomStringConvertible {
        case sse = 0, avx, avx2, avx512
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var description: String { ["SSE", "AVX", "AVX2", "AVX-512"][rawValue] }
    }

    /// OpenBLAS's x86-64 core names by the vector level of their kernels (OpenBLAS `driver/others/
    /// dynamic.c`); a name not listed is one Loom does not know and never overrides.
    static let levels: [String: Level] = {
        var m: [String: Level] = [:]
        for n in ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Athlon", "Opteron",
                  "Opteron_SSE3", "Barcelona", "Bobcat", "Nano", "Katmai", "Coppermine", "Northwood"] { m[n.lowercased()] = .sse }
        for n in ["Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator"] { m[n.lowercased()] = .avx }
        for n in ["Haswell", "Zen"] { m[n.lowercased()] = .avx2 }
        for n in ["SkylakeX", "Cooperlake", "SapphireRapids"] { m[n.lowercased()] = .avx512 }
        return m
    }()

    /// The level of a core name OpenBLAS reports (case-insensitive), nil for an unknown name.
    public static func level(ofCore name: String) -> Level? { levels[name.lowercased()] }

    /// The highest level the CPU supports (OS-enabled features only).
    public static func level(of cpu: CPUFacts) -> Level {
        if cpu.hasAVX512 { return .avx512 }
        if cpu.hasAVX2FMA { return .avx2 }
        if cpu.has(.avx) { return .avx }
        return .sse
    }

    /// The best core an OpenBLAS build has for `cpu`: Cooperlake (AVX-512 with BF16) or SkylakeX for
    /// AVX-512; Zen on AMD and Haswell elsewhere for AVX2 with FMA; Sandybridge for AVX; nil for SSE.
    public static func bestCore(for cpu: CPUFacts) -> String? {
        switch level(of: cpu) {
        case .avx512: return cpu.has(.avx512bf16) ? "Cooperlake" : "SkylakeX"
        case .avx2: return cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine" ? "Zen" : "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return nil
        }
    }

    /// What to do about the core OpenBLAS chose, as a pure function of the facts: the core to
    /// re-execute with, or nil to keep the reported one. Nil when the user set `OPENBLAS_CORETYPE`
    /// (their choice wins), when Loom already corrected once (no loops), when the reported name is
    /// unknown (a newer library knows better), or when the reported core is as strong as the CPU.
    public static func correction(cpu: CPUFacts, reported: String, userSet: Bool, alreadyCorrected: Bool) -> String? {
        guard !userSet, !alreadyCorrected, let have = level(ofCore: reported) else { return nil }
        guard have < level(of: cpu), let best = bestCore(for: cpu) else { return nil }
        return best
    }

    /// The core OpenBLAS is running (`openblas_get_corename`), e.g. "Haswell".
    public static var current: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }

    /// Set in the environment of a re-executed Loom: the core OpenBLAS had chosen by itself.
    public static let correctedMarker = "LOOM_BLAS_CORE_CORRECTED_FROM"

    /// How this process came by its core, for `loom doctor` and provenance.
    public enum Origin: Equatable, Sendable {
        /// OpenBLAS's own detection, kept.
        case detected
        /// The user's `OPENBLAS_CORETYPE`.
        case userSet(String)
        /// Loom replaced a weaker core OpenBLAS had chosen (named here).
        case corrected(from: String)
    }

    public static var origin: Origin {
        let env = ProcessInfo.processInfo.environment
        if let from = env[correctedMarker], !from.isEmpty { return .corrected(from: from) }
        if let user = env["OPENBLAS_CORETYPE"], !user.isEmpty { return .userSet(user) }
        return .detected
    }

    /// "Cooperlake", "Cooperlake (corrected from Prescott)" or "Prescott (OPENBLAS_CORETYPE)".
    public static var summary: String {
        switch origin {
        case .detected: return current
        case .userSet: return "\(current) (OPENBLAS_CORETYPE)"
        case .corrected(let from): return "\(current) (corrected from \(from))"
        }
    }

    /// Re-executes this program once with `OPENBLAS_CORETYPE` set when OpenBLAS chose a core weaker
    /// than the CPU allows (see `correction`). Call first thing in `main`, before any BLAS work;
    /// returns normally when nothing needs doing or the re-execution fails (then the weaker core runs).
    public static func reexecIfWeaker() {
        let env = ProcessInfo.processInfo.environment
        // Tests stand in for a library that fell back (the real fallback needs such a CPU).
        let reported = env["LOOM_TEST_BLAS_REPORTED_CORE"].flatMap { $0.isEmpty ? nil : $0 } ?? current
        guard let best = correction(cpu: .current, reported: reported,
                                    userSet: !(env["OPENBLAS_CORETYPE"] ?? "").isEmpty,
                                    alreadyCorrected: env[correctedMarker] != nil) else { return }
        setenv(correctedMarker, reported, 1)
        unsetenv("LOOM_TEST_BLAS_REPORTED_CORE")
        setenv("OPENBLAS_CORETYPE", best, 1)
        let args = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Only reached when exec failed: stay on the weaker core, and tell children nothing.
        unsetenv(correctedMarker)
        unsetenv("OPENBLAS_CORETYPE")
        for p in argv { free(p) }
    }

    /// The environment for a child process (a Python trainer): without the `OPENBLAS_CORETYPE` that
    /// Loom set for itself, so a newer OpenBLAS in the child detects its own core.
    public static func childEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var e = env
        if e[correctedMarker] != nil {
            e.removeValue(forKey: "OPENBLAS_CORETYPE")
            e.removeValue(forKey: correctedMarker)
        }
        return e
    }
}
