// BLASCoreTests: the OpenBLAS core correction as a pure function over real CPUs.
import Testing
@testable import Engine

@Suite struct BLASCoreTests {
    static let avx512: Set<CPUFeature> = [.avx, .avx2, .fma, .avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl]
    static let avx2: Set<CPUFeature> = [.sse3, .ssse3, .avx, .avx2, .fma]

    /// (CPU, core OpenBLAS reported, expected correction). Feature sets as cpuid reports them.
    static let cases: [(String, CPUFacts, String, String?)] = [
        // Debian 12's 0.3.21 on Sapphire Rapids / Emerald Rapids: unknown model, Prescott fallback.
        ("Xeon Platinum 8488C (Sapphire Rapids)",
         CPUFacts(vendor: "GenuineIntel", family: 6, model: 143, features: avx512.union([.avx512bf16, .avx512vnni, .avx512fp16])),
         "Prescott", "Cooperlake"),
        ("Xeon Platinum 8375C (Ice Lake)",
         CPUFacts(vendor: "GenuineIntel", family: 6, model: 106, features: avx512.union([.avx512vnni, .avx512ifma, .avx512vbmi])),
         "Prescott", "SkylakeX"),
        ("Xeon Gold 6148 (Skylake-SP), detected", CPUFacts(vendor: "GenuineIntel", family: 6, model: 85, features: avx512),
         "SkylakeX", nil),
        ("EPYC 9R14 (Zen 4), detected as Cooperlake",
         CPUFacts(vendor: "AuthenticAMD", family: 25, model: 17, features: avx512.union([.avx512bf16, .avx512vnni])),
         "Cooperlake", nil),
        ("EPYC (Zen 4) on an OpenBLAS that only knows Zen",
         CPUFacts(vendor: "AuthenticAMD", family: 25, model: 17, features: avx512.union([.avx512bf16])),
         "Zen", "Cooperlake"),
        ("EPYC 7R13 (Zen 3)", CPUFacts(vendor: "AuthenticAMD", family: 25, model: 1, features: avx2), "Zen", nil),
        ("EPYC 7R13 (Zen 3), fallback", CPUFacts(vendor: "AuthenticAMD", family: 25, model: 1, features: avx2), "Prescott", "Zen"),
        ("Hygon Dhyana", CPUFacts(vendor: "HygonGenuine", family: 24, model: 1, features: avx2), "Prescott", "Zen"),
        ("Core i9-12900K (Alder Lake, no AVX-512)", CPUFacts(vendor: "GenuineIntel", family: 6, model: 151, features: avx2),
         "Prescott", "Haswell"),
        ("Xeon E5-2680 v3 (Haswell)", CPUFacts(vendor: "GenuineIntel", family: 6, model: 63, features: avx2), "Haswell", nil),
        ("Xeon E5-2670 (Sandy Bridge, AVX only)",
         CPUFacts(vendor: "GenuineIntel", family: 6, model: 45, features: [.sse3, .ssse3, .sse41, .sse42, .avx]),
         "Prescott", "Sandybridge"),
        ("Core 2 (SSE only)", CPUFacts(vendor: "GenuineIntel", family: 6, model: 15, features: [.sse3, .ssse3]), "Core2", nil),
        ("a core name Loom does not know", CPUFacts(vendor: "GenuineIntel", family: 6, model: 207, features: avx512),
         "GraniteRapids", nil),
    ]

    @Test(arguments: 0..<cases.count) func choiceForRealCPUs(_ i: Int) {
        let (name, cpu, reported, expected) = Self.cases[i]
        #expect(BLASCore.correction(cpu: cpu, reported: reported, userSet: false, alreadyCorrected: false) == expected, "\(name)")
    }

    @Test func theUsersChoiceWinsAndNothingLoops() {
        let cpu = Self.cases[0].1
        #expect(BLASCore.correction(cpu: cpu, reported: "Prescott", userSet: true, alreadyCorrected: false) == nil)
        #expect(BLASCore.correction(cpu: cpu, reported: "Prescott", userSet: false, alreadyCorrected: true) == nil)
    }

    @Test func childrenDoNotInheritLoomsChoice() {
        let corrected = BLASCore.childEnvironment(["OPENBLAS_CORETYPE": "SkylakeX", BLASCore.correctedMarker: "Prescott", "PATH": "/bin"])
        #expect(corrected == ["PATH": "/bin"])
        let users = ["OPENBLAS_CORETYPE": "Haswell", "PATH": "/bin"]
        #expect(BLASCore.childEnvironment(users) == users)
    }

    @Test func everyKnownCoreHasALevelAndEveryBestCoreIsKnown() {
        for (_, cpu, _, _) in Self.cases {
            if let best = BLASCore.bestCore(for: cpu) {
                #expect(BLASCore.level(ofCore: best) == BLASCore.level(of: cpu), "\(best)")
            }
        }
        #expect(BLASCore.level(ofCore: "haswell") == .avx2)
    }
}
