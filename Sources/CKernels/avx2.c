// avx2.c: the AVX2 kernels Swift cannot express: loops LLVM leaves scalar when compiled from Swift
// (AdamW's square root and division stay vsqrtss/vdivss even with explicit SIMD8 types). Each
// function is compiled for AVX2 + FMA by its own target attribute and called on the avx2 path only.
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// No fused multiply-adds but the explicit ones: the Swift kernels do not contract a·b + c either.
#pragma STDC FP_CONTRACT OFF

#define LK256 __attribute__((target("avx2,fma")))

LK256 void lk256_adamw(float *x, const float *g, float *m, float *v, long n, float decay, float b1, float c1, float b2,
                       float c2, float step, float bc2Sqrt, float eps) {
    const __m256 dec = _mm256_set1_ps(decay), B1 = _mm256_set1_ps(b1), C1 = _mm256_set1_ps(c1);
    const __m256 B2 = _mm256_set1_ps(b2), C2 = _mm256_set1_ps(c2), stp = _mm256_set1_ps(step);
    const __m256 bc = _mm256_set1_ps(bc2Sqrt), ep = _mm256_set1_ps(eps);
    long i = 0;
    // The operations of Optimizer.swift's scalar loop, in its order (no fused multiply-adds).
    for (; i + 8 <= n; i += 8) {
        __m256 xv = _mm256_mul_ps(_mm256_loadu_ps(x + i), dec), gv = _mm256_loadu_ps(g + i);
        __m256 mv = _mm256_add_ps(_mm256_mul_ps(B1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(C1, gv));
        __m256 vv = _mm256_add_ps(_mm256_mul_ps(B2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(C2, gv), gv));
        _mm256_storeu_ps(m + i, mv);
        _mm256_storeu_ps(v + i, vv);
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), bc), ep);
        _mm256_storeu_ps(x + i, _mm256_sub_ps(xv, _mm256_div_ps(_mm256_mul_ps(stp, mv), den)));
    }
    for (; i < n; i++) {
        float xs = x[i] * decay;
        float ms = b1 * m[i] + c1 * g[i];
        float vs = b2 * v[i] + c2 * g[i] * g[i];
        m[i] = ms; v[i] = vs;
        x[i] = xs - step * ms / (__builtin_sqrtf(vs) / bc2Sqrt + eps);
    }
}

#endif
