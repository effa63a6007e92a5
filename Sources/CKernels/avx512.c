// avx512.c: Loom's AVX-512 kernels. Every function is compiled for AVX-512 (F, DQ, CD, BW, VL)
// by its own target attribute, so the rest of the program stays x86-64-v3 and these run only
// where Engine's dispatch (KernelISA) found the features. min_vector_width(512) keeps LLVM on
// zmm registers (its Skylake/Zen 4 tuning otherwise prefers 256-bit vectors).
//
// Element-wise arithmetic follows the Swift kernels operation by operation (the same multiplies,
// adds and fused multiply-adds in the same order), so those results are the same bits on both
// paths; sums run in sixteen lanes instead of eight and round differently.
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// No fused multiply-adds but the explicit ones: the Swift kernels do not contract a·b + c either.
#pragma STDC FP_CONTRACT OFF

#define LK512 __attribute__((target("avx512f,avx512dq,avx512cd,avx512bw,avx512vl,avx2,fma,bmi2"), min_vector_width(512)))
#define LKINLINE static inline __attribute__((always_inline)) LK512

typedef __m512 V;

LKINLINE __mmask16 tail(long rem) { return (__mmask16)((1u << rem) - 1u); }
LKINLINE V ld(const float *p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
LKINLINE void st(float *p, V v, __mmask16 m) { _mm512_mask_storeu_ps(p, m, v); }
LKINLINE V splat(float x) { return _mm512_set1_ps(x); }
LKINLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
LKINLINE V sub(V a, V b) { return _mm512_sub_ps(a, b); }
LKINLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
LKINLINE V fma_(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }  // a·b + c, one rounding
LKINLINE V neg(V a) { return _mm512_xor_ps(a, splat(-0.0f)); }
LKINLINE V relu0(V a) {  // a > 0 ? a : 0 (NaN → 0, as the Swift select)
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GT_OQ), a);
}

// Runs BODY(i, mask) over [0, n) sixteen floats at a time, then once with a partial mask.
#define LANES(n, BODY)                                                         \
    do {                                                                       \
        long i_ = 0;                                                           \
        for (; i_ + 16 <= (n); i_ += 16) { BODY(i_, (__mmask16)0xFFFF); }      \
        if (i_ < (n)) { BODY(i_, tail((n) - i_)); }                            \
    } while (0)

// LANES for kernels whose output never aliases their inputs: from 16 floats up, the remainder is
// one full vector ending at n (its overlap with the last one is computed again, to the same
// values) instead of a masked store, which on Zen 4 made 7×7 planes slower than 256-bit code.
#define LANES_OUT(n, BODY)                                                     \
    do {                                                                       \
        long i_ = 0;                                                           \
        if ((n) >= 16) {                                                       \
            for (; i_ + 16 <= (n); i_ += 16) { BODY(i_, (__mmask16)0xFFFF); }  \
            if (i_ < (n)) { BODY((n) - 16, (__mmask16)0xFFFF); }               \
        } else if ((n) > 0) { BODY(0, tail(n)); }                              \
    } while (0)

// MARK: - fast math (FastMath.swift's fastExp, erf, GELU)

LKINLINE V lk_exp(V x) {
    // NaN-preserving clamp: max/min return their second operand when either is NaN.
    V xc = _mm512_min_ps(splat(88.0f), _mm512_max_ps(splat(-87.33f), x));
    V magic = splat(12582912.0f);
    V t = add(mul(xc, splat(1.44269504088896341f)), magic);
    V n = sub(t, magic);
    V r = add(sub(xc, mul(n, splat(0.693359375f))), mul(n, splat(2.12194440e-4f)));
    V z = mul(r, r);
    V p = splat(1.9875691500e-4f);
    p = fma_(p, r, splat(1.3981999507e-3f));
    p = fma_(p, r, splat(8.3334519073e-3f));
    p = fma_(p, r, splat(4.1665795894e-2f));
    p = fma_(p, r, splat(1.6666665459e-1f));
    p = fma_(p, r, splat(5.0000001201e-1f));
    V er = fma_(p, z, add(r, splat(1.0f)));
    __m512i ni = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(magic));
    V scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23));
    return mul(er, scale);
}

/// erf(x) given e = e^(−x²) (Abramowitz–Stegun 7.1.26).
LKINLINE V lk_erf(V x, V e) {
    V one = splat(1.0f);
    V a = _mm512_abs_ps(x);
    V t = _mm512_div_ps(one, add(one, mul(splat(0.3275911f), a)));
    V p = splat(1.061405429f);
    p = fma_(p, t, splat(-1.453152027f));
    p = fma_(p, t, splat(1.421413741f));
    p = fma_(p, t, splat(-0.284496736f));
    p = fma_(p, t, splat(0.254829592f));
    V y = sub(one, mul(mul(p, t), e));
    __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_xor_ps(y, negative, y, splat(-0.0f));
}

LKINLINE V lk_gelu(V x) {
    V u = mul(x, splat(0.70710678118654752f));
    V erfU = lk_erf(u, lk_exp(mul(neg(u), u)));
    return mul(mul(splat(0.5f), x), add(splat(1.0f), erfU));
}

LKINLINE void lk_gelu_both(V x, V *y, V *dy) {
    V u = mul(x, splat(0.70710678118654752f));
    V e = lk_exp(mul(neg(u), u));
    V cdf = mul(splat(0.5f), add(splat(1.0f), lk_erf(u, e)));
    *y = mul(x, cdf);
    *dy = add(cdf, mul(mul(x, e), splat(0.39894228040143268f)));
}

// MARK: - rows

LK512 float lk512_row_sum(const float *p, long n) {
    V acc = _mm512_setzero_ps();
#define B(i, m) acc = add(acc, ld(p + i, m))
    LANES(n, B);
#undef B
    return _mm512_reduce_add_ps(acc);
}

LK512 float lk512_row_dot(const float *a, const float *b, long n) {
    V acc = _mm512_setzero_ps();
#define B(i, m) acc = add(acc, mul(ld(a + i, m), ld(b + i, m)))
    LANES(n, B);
#undef B
    return _mm512_reduce_add_ps(acc);
}

LK512 float lk512_centred_squares(const float *p, long n, float mu) {
    V acc = _mm512_setzero_ps(), m16 = splat(mu);
    // Masked-off lanes must add 0, not mu²: subtract under the mask.
#define B(i, m) { V t = _mm512_maskz_sub_ps(m, ld(p + i, m), m16); acc = add(acc, mul(t, t)); }
    LANES(n, B);
#undef B
    return _mm512_reduce_add_ps(acc);
}

LK512 void lk512_softmax_row(const float *x, float *y, long n) {
    if (n <= 0) return;
    // Row max by compare-and-select (a NaN is skipped here and still poisons the exponentials).
    V mx = splat(-__builtin_inff());
#define B(i, m) { V v = _mm512_mask_loadu_ps(mx, m, x + i); mx = _mm512_mask_mov_ps(mx, _mm512_cmp_ps_mask(v, mx, _CMP_GT_OQ), v); }
    LANES(n, B);
#undef B
    V mv = splat(_mm512_reduce_max_ps(mx));
    V acc = _mm512_setzero_ps();
#define B(i, m) { V e = _mm512_maskz_mov_ps(m, lk_exp(sub(ld(x + i, m), mv))); st(y + i, e, m); acc = add(acc, e); }
    LANES(n, B);
#undef B
    V inv = splat(1.0f / _mm512_reduce_add_ps(acc));
#define B(i, m) st(y + i, mul(ld(y + i, m), inv), m)
    LANES(n, B);
#undef B
}

LK512 void lk512_softmax_grad_row(const float *y, const float *g, float *d, long n, float scale) {
    V dot = splat(lk512_row_dot(g, y, n)), s = splat(scale);
#define B(i, m) st(d + i, mul(mul(ld(y + i, m), sub(ld(g + i, m), dot)), s), m)
    LANES(n, B);
#undef B
}

LK512 void lk512_layernorm_row(const float *s, float *o, const float *w, const float *b, long d, float eps,
                               float *mu, float *istd) {
    float m = lk512_row_sum(s, d) / (float)d;
    float v = lk512_centred_squares(s, d, m);
    float is = 1.0f / __builtin_sqrtf(v / (float)d + eps);
    *mu = m; *istd = is;
    V mv = splat(m), iv = splat(is);
#define B(i, k) st(o + i, add(mul(mul(sub(ld(s + i, k), mv), iv), ld(w + i, k)), ld(b + i, k)), k)
    LANES(d, B);
#undef B
}

LK512 void lk512_layernorm_grad_row(const float *s, const float *g, const float *w, float *o, long d, float mu,
                                    float istd, float *xh, float *dh) {
    V mv = splat(mu), iv = splat(istd);
#define B(i, k) { st(xh + i, mul(sub(ld(s + i, k), mv), iv), k); st(dh + i, mul(ld(g + i, k), ld(w + i, k)), k); }
    LANES(d, B);
#undef B
    float inv = 1.0f / (float)d;
    V s1 = splat(lk512_row_sum(dh, d) * inv), s2 = splat(lk512_row_dot(dh, xh, d) * inv);
#define B(i, k) st(o + i, mul(iv, sub(sub(ld(dh + i, k), s1), mul(ld(xh + i, k), s2))), k)
    LANES(d, B);
#undef B
}

LK512 void lk512_layernorm_param_row(float *aw, float *ab, const float *s, const float *g, long n, float mu,
                                     float istd) {
    V mv = splat(mu), iv = splat(istd);
#define B(i, k) {                                                                   \
        V gv = ld(g + i, k);                                                        \
        st(aw + i, add(ld(aw + i, k), mul(gv, mul(sub(ld(s + i, k), mv), iv))), k); \
        st(ab + i, add(ld(ab + i, k), gv), k); }
    LANES(n, B);
#undef B
}

// MARK: - element-wise

LK512 void lk512_gelu(const float *x, float *y, long n) {
#define B(i, m) st(y + i, lk_gelu(ld(x + i, m)), m)
    LANES(n, B);
#undef B
}

LK512 void lk512_gelu_and_derivative(float *q, float *y, long n) {
#define B(i, m) { V a, b; lk_gelu_both(ld(q + i, m), &a, &b); st(y + i, a, m); st(q + i, b, m); }
    LANES(n, B);
#undef B
}

LK512 void lk512_gelu_grad(const float *g, const float *x, float *d, long n) {
#define B(i, m) { V a, b; lk_gelu_both(ld(x + i, m), &a, &b); (void)a; st(d + i, mul(ld(g + i, m), b), m); }
    LANES(n, B);
#undef B
}

// Batch norm works on one channel: `planes` planes of hw floats, `stride` floats apart. Sums run
// per plane in sixteen Float lanes; each plane's lanes are added into Double lanes (no horizontal
// sum per plane, which on 7×7 maps would cost as much as the plane itself), reduced once at the end.

LKINLINE void add_pd(__m512d *acc, V v) {
    acc[0] = _mm512_add_pd(acc[0], _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    acc[1] = _mm512_add_pd(acc[1], _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}
LKINLINE double sum_pd(const __m512d *acc) { return _mm512_reduce_add_pd(_mm512_add_pd(acc[0], acc[1])); }

LK512 double lk512_planes_sum(const float *x, long planes, long stride, long hw) {
    __m512d acc[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
    for (long pl = 0; pl < planes; pl++) {
        const float *p = x + pl * stride;
        V a = _mm512_setzero_ps();
#define B(i, m) a = add(a, ld(p + i, m))
        LANES(hw, B);
#undef B
        add_pd(acc, a);
    }
    return sum_pd(acc);
}

LK512 double lk512_planes_centred_squares(const float *x, long planes, long stride, long hw, float mu) {
    __m512d acc[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
    V m16 = splat(mu);
    for (long pl = 0; pl < planes; pl++) {
        const float *p = x + pl * stride;
        V a = _mm512_setzero_ps();
#define B(i, m) { V t = _mm512_maskz_sub_ps(m, ld(p + i, m), m16); a = add(a, mul(t, t)); }
        LANES(hw, B);
#undef B
        add_pd(acc, a);
    }
    return sum_pd(acc);
}

LK512 void lk512_bn_sums(const float *x, const float *grad, long planes, long stride, long hw, float mu, float istd,
                         int masked, float scale, float shift, double *sumG, double *sumGX) {
    __m512d accA[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, accB[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
    V mv = splat(mu), iv = splat(istd), sc = splat(scale), sh = splat(shift), z = _mm512_setzero_ps();
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * stride, *g = grad + pl * stride;
        V a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
        if (masked) {
#define B(i, m) {                                                                                   \
                V xv = ld(xp + i, m), xh = mul(sub(xv, mv), iv);                                    \
                __mmask16 pass = _mm512_mask_cmp_ps_mask(m, add(mul(xv, sc), sh), z, _CMP_GT_OQ);   \
                V gm = _mm512_maskz_loadu_ps(pass, g + i);                                          \
                a = add(a, gm); b = add(b, mul(gm, xh)); }
            LANES(hw, B);
#undef B
        } else {
#define B(i, m) { V xh = mul(sub(ld(xp + i, m), mv), iv); V gv = ld(g + i, m); a = add(a, gv); b = add(b, mul(gv, xh)); }
            LANES(hw, B);
#undef B
        }
        add_pd(accA, a); add_pd(accB, b);
    }
    *sumG = sum_pd(accA);
    *sumGX = sum_pd(accB);
}

LK512 void lk512_bn_grad(const float *x, const float *grad, float *out, long planes, long stride, long hw, float mu,
                         float istd, int masked, float scale, float shift, float k, float meanG, float meanX) {
    V mv = splat(mu), iv = splat(istd), sc = splat(scale), sh = splat(shift), kv = splat(k);
    V mg = splat(meanG), mx = splat(meanX), z = _mm512_setzero_ps();
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * stride, *g = grad + pl * stride;
        float *d = out + pl * stride;
#define B(i, m) {                                                                                       \
            V xv = ld(xp + i, m), xh = mul(sub(xv, mv), iv), gv = ld(g + i, m);                         \
            if (masked) gv = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(add(mul(xv, sc), sh), z, _CMP_NLE_UQ), gv); \
            st(d + i, mul(kv, sub(sub(gv, mg), mul(xh, mx))), m); }
        LANES_OUT(hw, B);
#undef B
    }
}

LK512 void lk512_lion(float *x, const float *g, float *mm, long n, float decay, float lr, float b1, float c1, float b2,
                      float c2) {
    V dec = splat(decay), l = splat(lr), B1 = splat(b1), C1 = splat(c1), B2 = splat(b2), C2 = splat(c2);
    V z = _mm512_setzero_ps(), one = splat(1.0f);
#define B(i, k) {                                                                                   \
        V xv = mul(ld(x + i, k), dec), gv = ld(g + i, k), mv = ld(mm + i, k);                       \
        V c = add(mul(B1, mv), mul(C1, gv));                                                        \
        V sg = _mm512_mask_mov_ps(_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, z, _CMP_GT_OQ), one),   \
                                  _mm512_cmp_ps_mask(c, z, _CMP_LT_OQ), neg(one));                  \
        st(x + i, sub(xv, mul(l, sg)), k);                                                          \
        st(mm + i, add(mul(B2, mv), mul(C2, gv)), k); }
    LANES(n, B);
#undef B
}

#endif
