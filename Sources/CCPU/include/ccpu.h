// ccpu: what the x86-64 processor offers (cpuid) and what the OS lets it use (xgetbv).
#ifndef CCPU_H
#define CCPU_H

/// One reading of cpuid. On a non-x86 build every feature reads 0 and vendor/brand are empty.
typedef struct {
    char vendor[13];      ///< "GenuineIntel", "AuthenticAMD", …
    char brand[49];       ///< the processor brand string, e.g. "AMD EPYC 9R14 96-Core Processor"
    unsigned family;      ///< display family (base + extended)
    unsigned model;       ///< display model (base + extended)
    unsigned stepping;
    int sse3, ssse3, sse41, sse42, popcnt;
    int avx, avx2, fma, f16c, bmi2;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl;
    int avx512ifma, avx512vbmi, avx512vnni, avx512bf16, avx512fp16;
    int osAVX;            ///< the OS saves YMM state (XCR0 bits 1–2)
    int osAVX512;         ///< the OS saves opmask and ZMM state (XCR0 bits 5–7)
} ccpu_info;

/// Fills `out` from cpuid leaves 0, 1, 7 (subleaves 0 and 1) and 0x80000002–4, and xgetbv.
/// Feature flags that need OS support (AVX, AVX-512) read 1 only when the OS enables them.
void ccpu_query(ccpu_info *out);

/// Keeps large allocations in the C heap: glibc's mmap threshold and trim threshold set to these byte counts
/// (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD). Returns 1 when both were set, 0 elsewhere (not glibc) or on refusal.
int ccpu_keep_large_buffers(long mmap_threshold, long trim_threshold);

#endif

/// Register-only fused multiply-add loops for the machine's peak: `iterations` rounds of 12
/// independent FMAs on 256-bit (AVX2+FMA, 16 FLOP each) or 512-bit (AVX-512F, 32 FLOP each)
/// vectors; returns a value that depends on every result so the loop cannot be removed.
/// Call only when the CPU has the features (see ccpu_query).
float ccpu_fma_loop_avx2(long iterations);
float ccpu_fma_loop_avx512(long iterations);
