// CPUFactsTests: cpuid readings agree with the kernel's view of the processor.
import Foundation
import Testing
@testable import Engine

@Suite struct CPUFactsTests {
    @Test func agreesWithProcCPUInfo() throws {
        #if os(Linux) && arch(x86_64)
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        let cpu = CPUFacts.current
        #expect(["GenuineIntel", "AuthenticAMD"].contains(cpu.vendor) || !cpu.vendor.isEmpty)
        #expect(!cpu.brand.isEmpty)
        for (flag, feature) in [("avx2", CPUFeature.avx2), ("fma", .fma), ("avx512f", .avx512f),
                                ("avx512bw", .avx512bw), ("avx512vl", .avx512vl), ("avx512dq", .avx512dq)] {
            #expect(flags.contains(flag) == cpu.has(feature), "\(flag): /proc/cpuinfo and cpuid disagree")
        }
        #endif
    }

    @Test func summaryNamesTheVectorFeatures() {
        let zen4 = CPUFacts(vendor: "AuthenticAMD", features: [.avx, .avx2, .fma, .avx512f, .avx512dq, .avx512cd,
                                                                 .avx512bw, .avx512vl, .avx512vnni])
        #expect(zen4.isaSummary == "AVX AVX2 FMA AVX-512 (F DQ CD BW VL VNNI)")
        #expect(zen4.hasAVX512 && zen4.hasAVX2FMA)
        let old = CPUFacts(vendor: "GenuineIntel", features: [.sse3, .ssse3])
        #expect(old.isaSummary == "SSE only")
        #expect(!old.hasAVX2FMA && !old.hasAVX512)
    }
}

@Suite struct FMAPeakTests {
    /// Each width the CPU has gives a positive, finite peak (debug builds and a busy machine make it low); the
    /// widths it lacks give nil instead of an illegal instruction.
    @Test func measuresEverySupportedWidth() {
        for width in FMAPeak.Width.allCases {
            let gf = FMAPeak.measure(width, threads: 1, seconds: 0.01, reps: 1)
            #expect((gf != nil) == width.supported(), "\(width)")
            if let gf { #expect(gf.isFinite && gf > 0 && gf < 10_000, "\(width): \(gf) GFLOP/s") }
        }
    }
}
