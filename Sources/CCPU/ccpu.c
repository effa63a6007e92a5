// ccpu: cpuid and xgetbv readings for Loom's ISA dispatch, BLAS core choice and `loom doctor`.
#include "ccpu.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void ccpu_query(ccpu_info *out) {
    memset(out, 0, sizeof *out);
    unsigned a, b, c, d;
    unsigned maxLeaf = __get_cpuid_max(0, 0);
    if (maxLeaf == 0) return;
    __cpuid(0, a, b, c, d);
    memcpy(out->vendor + 0, &b, 4);
    memcpy(out->vendor + 4, &d, 4);
    memcpy(out->vendor + 8, &c, 4);
    out->vendor[12] = 0;

    __cpuid(1, a, b, c, d);
    unsigned baseFamily = (a >> 8) & 0xf, baseModel = (a >> 4) & 0xf;
    unsigned extFamily = (a >> 20) & 0xff, extModel = (a >> 16) & 0xf;
    out->stepping = a & 0xf;
    out->family = baseFamily == 0xf ? baseFamily + extFamily : baseFamily;
    out->model = (baseFamily == 0x6 || baseFamily == 0xf) ? (extModel << 4) + baseModel : baseModel;
    out->sse3 = (c >> 0) & 1;
    out->ssse3 = (c >> 9) & 1;
    out->fma = (c >> 12) & 1;
    out->sse41 = (c >> 19) & 1;
    out->sse42 = (c >> 20) & 1;
    out->popcnt = (c >> 23) & 1;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    out->f16c = (c >> 29) & 1;

    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    out->osAVX = (xcr0 & 0x6) == 0x6;
    out->osAVX512 = out->osAVX && (xcr0 & 0xe0) == 0xe0;
    out->avx = avx && out->osAVX;
    if (!out->osAVX) out->fma = 0, out->f16c = 0;

    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->avx2 = out->osAVX && ((b >> 5) & 1);
        out->bmi2 = (b >> 8) & 1;
        if (out->osAVX512) {
            out->avx512f = (b >> 16) & 1;
            out->avx512dq = (b >> 17) & 1;
            out->avx512ifma = (b >> 21) & 1;
            out->avx512cd = (b >> 28) & 1;
            out->avx512bw = (b >> 30) & 1;
            out->avx512vl = (b >> 31) & 1;
            out->avx512vbmi = (c >> 1) & 1;
            out->avx512vnni = (c >> 11) & 1;
            out->avx512fp16 = (d >> 23) & 1;
            __cpuid_count(7, 1, a, b, c, d);
            out->avx512bf16 = (a >> 5) & 1;
        }
    }

    if (__get_cpuid_max(0x80000000, 0) >= 0x80000004) {
        unsigned regs[12];
        for (unsigned i = 0; i < 3; i++)
            __cpuid(0x80000002 + i, regs[4 * i], regs[4 * i + 1], regs[4 * i + 2], regs[4 * i + 3]);
        memcpy(out->brand, regs, 48);
        out->brand[48] = 0;
    }
}

#include <immintrin.h>

#define CCPU_FMA_BODY(VEC, SET1, FMA, ADD, STORE, LANES)                                        \
    VEC a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f), a4 = SET1(1.4f),   \
        a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f), a8 = SET1(1.8f), a9 = SET1(1.9f),   \
        a10 = SET1(2.0f), a11 = SET1(2.1f);                                                    \
    const VEC m = SET1(0.999999f), c = SET1(1e-7f);                                            \
    for (long i = 0; i < iterations; i++) {                                                    \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c);        \
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);        \
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);    \
    }                                                                                          \
    VEC s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                 \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                               \
    float lanes[LANES];                                                                        \
    STORE(lanes, s);                                                                           \
    float total = 0;                                                                           \
    for (int l = 0; l < LANES; l++) total += lanes[l];                                         \
    return total;

__attribute__((target("avx2,fma"))) float ccpu_fma_loop_avx2(long iterations) {
    CCPU_FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}

__attribute__((target("avx512f"))) float ccpu_fma_loop_avx512(long iterations) {
    CCPU_FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}
#else
void ccpu_query(ccpu_info *out) { memset(out, 0, sizeof *out); }
float ccpu_fma_loop_avx2(long iterations) { (void)iterations; return 0; }
float ccpu_fma_loop_avx512(long iterations) { (void)iterations; return 0; }
#endif

#ifdef __GLIBC__
#include <malloc.h>
#endif

int ccpu_keep_large_buffers(long mmap_threshold, long trim_threshold) {
#ifdef __GLIBC__
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#else
    (void)mmap_threshold; (void)trim_threshold;
    return 0;
#endif
}
