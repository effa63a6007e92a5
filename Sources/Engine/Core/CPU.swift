// CPU: what the processor offers (cpuid through CCPU), read once; the facts behind ISA dispatch,
// the BLAS core check and `loom doctor`.
import CCPU

/// An instruction-set feature Loom cares about (only those the OS lets programs use).
public enum CPUFeature: String, CaseIterable, Sendable, Comparable {
    case sse3, ssse3, sse41 = "sse4.1", sse42 = "sse4.2", popcnt
    case avx, avx2, fma, f16c, bmi2
    case avx512f, avx512dq, avx512cd, avx512bw, avx512vl
    case avx512ifma, avx512vbmi, avx512vnni, avx512bf16, avx512fp16

    public static func < (a: CPUFeature, b: CPUFeature) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The processor Loom runs on: vendor, brand string, family/model and usable features.
public struct CPUFacts: Sendable, Equatable {
    public var vendor: String
    public var brand: String
    public var family: Int
    public var model: Int
    public var features: Set<CPUFeature>

    public init(vendor: String, brand: String = "", family: Int = 0, model: Int = 0, features: Set<CPUFeature>) {
        self.vendor = vendor
        self.brand = brand
        self.family = family
        self.model = model
        self.features = features
    }

    /// This machine, read once per process.
    public static let current: CPUFacts = {
        var info = ccpu_info()
        ccpu_query(&info)
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { raw in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " ")
            }
        }
        let flags: [(Int32, CPUFeature)] = [
            (info.sse3, .sse3), (info.ssse3, .ssse3), (info.sse41, .sse41), (info.sse42, .sse42),
            (info.popcnt, .popcnt), (info.avx, .avx), (info.avx2, .avx2), (info.fma, .fma),
            (info.f16c, .f16c), (info.bmi2, .bmi2), (info.avx512f, .avx512f), (info.avx512dq, .avx512dq),
            (info.avx512cd, .avx512cd), (info.avx512bw, .avx512bw), (info.avx512vl, .avx512vl),
            (info.avx512ifma, .avx512ifma), (info.avx512vbmi, .avx512vbmi), (info.avx512vnni, .avx512vnni),
            (info.avx512bf16, .avx512bf16), (info.avx512fp16, .avx512fp16),
        ]
        return CPUFacts(vendor: text(info.vendor), brand: text(info.brand), family: Int(info.family),
                        model: Int(info.model), features: Set(flags.filter { $0.0 != 0 }.map(\.1)))
    }()

    public func has(_ f: CPUFeature) -> Bool { features.contains(f) }

    /// AVX2 with FMA: x86-64-v3, what Loom's release build is compiled for.
    public var hasAVX2FMA: Bool { has(.avx2) && has(.fma) }

    /// The AVX-512 subsets of x86-64-v4 (F, DQ, CD, BW, VL), usable together.
    public var hasAVX512: Bool { [.avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl].allSatisfy(has) }

    /// "AVX2 FMA AVX-512 (F DQ CD BW VL VNNI BF16)": the vector features, in one line.
    public var isaSummary: String {
        var parts = [CPUFeature.avx, .avx2, .fma].filter(has).map { $0.rawValue.uppercased() }
        let wide = features.filter { $0.rawValue.hasPrefix("avx512") }.sorted()
        if !wide.isEmpty {
            parts.append("AVX-512 (" + wide.map { String($0.rawValue.dropFirst(6)).uppercased() }.joined(separator: " ") + ")")
        }
        return parts.isEmpty ? "SSE only" : parts.joined(separator: " ")
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
