// ckernels: Loom's AVX-512 kernels (512-bit vectors, masked tails), called by Engine only after
// cpuid says the CPU has AVX-512 F/DQ/CD/BW/VL (KernelISA.avx512), and the one AVX2 kernel Swift
// leaves scalar (both x86 paths). Each has a Swift twin and a naive reference in the tests; kernels
// that measured no faster at 512 bits were left out (see KernelISA).
#ifndef CKERNELS_H
#define CKERNELS_H

#if defined(__x86_64__)

// MARK: rows (softmax, sums, layer norm)

/// Σ p[0..<n] in sixteen lanes.
float lk512_row_sum(const float *p, long n);
/// Σ a[i]·b[i] in sixteen lanes.
float lk512_row_dot(const float *a, const float *b, long n);
/// Σ (p[i] − mu)².
float lk512_centred_squares(const float *p, long n, float mu);
/// y = softmax(x) over n floats (y may be x).
void lk512_softmax_row(const float *x, float *y, long n);
/// d = y ⊙ (g − Σ g·y) · scale: the softmax gradient of one row (d may be g).
void lk512_softmax_grad_row(const float *y, const float *g, float *d, long n, float scale);
/// One layer-norm row: o = (s − μ)·σ⁻¹·w + b; writes μ and σ⁻¹.
void lk512_layernorm_row(const float *s, float *o, const float *w, const float *b, long d, float eps,
                         float *mu, float *istd);
/// One layer-norm row's dx (xh, dh: d floats of scratch).
void lk512_layernorm_grad_row(const float *s, const float *g, const float *w, float *o, long d, float mu, float istd,
                              float *xh, float *dh);
/// aw[i] += g[i]·(s[i] − μ)·σ⁻¹, ab[i] += g[i] over n columns of one row.
void lk512_layernorm_param_row(float *aw, float *ab, const float *s, const float *g, long n, float mu, float istd);

// MARK: element-wise (GELU, optimizers)

/// y = GELU(x) (y may be x).
void lk512_gelu(const float *x, float *y, long n);
/// y = GELU(q), then q = GELU′(q).
void lk512_gelu_and_derivative(float *q, float *y, long n);
/// d = g · GELU′(x).
void lk512_gelu_grad(const float *g, const float *x, float *d, long n);
// Batch norm on one channel: `planes` planes of hw floats, `stride` floats apart (C·H·W in NCHW).

/// Σ of x over the planes: each plane in sixteen Float lanes, the lanes added in Double.
double lk512_planes_sum(const float *x, long planes, long stride, long hw);
/// Σ (x − mu)² over the planes, summed as lk512_planes_sum.
double lk512_planes_centred_squares(const float *x, long planes, long stride, long hw, float mu);
/// (Σ g, Σ g·(x − μ)·σ⁻¹) over the planes; with `masked`, g counts only where x·scale + shift > 0.
void lk512_bn_sums(const float *x, const float *g, long planes, long stride, long hw, float mu, float istd, int masked,
                   float scale, float shift, double *sumG, double *sumGX);
/// d = k·(g′ − meanG − (x − μ)·σ⁻¹·meanX), g′ = g masked as in lk512_bn_sums.
void lk512_bn_grad(const float *x, const float *g, float *d, long planes, long stride, long hw, float mu, float istd,
                   int masked, float scale, float shift, float k, float meanG, float meanX);
/// Lion: x ·= decay; x −= lr·sign(β₁m + c1·g); m = β₂m + c2·g.
void lk512_lion(float *x, const float *g, float *m, long n, float decay, float lr, float b1, float c1, float b2,
                float c2);

// MARK: AVX2 (the avx2 path, where the Swift loop stays scalar)

/// AdamW: x ·= decay; m = β₁m + c1·g; v = β₂v + c2·g²; x −= step·m / (√v / bc2Sqrt + eps), eight lanes.
void lk256_adamw(float *x, const float *g, float *m, float *v, long n, float decay, float b1, float c1, float b2,
                 float c2, float step, float bc2Sqrt, float eps);

#endif
#endif
