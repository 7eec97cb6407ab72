// A kernel for products of a few rows (a short query's tokens) with a weight matrix.
// OpenBLAS packs the whole weight matrix on every call, which for a handful of rows costs
// more than the arithmetic; this streams every weight row once instead. Compiled for
// AVX2/FMA with a function attribute and used only when the CPU has them.
#include "minilm_kernels.h"
#if defined(__x86_64__)
#include <immintrin.h>

int minilm_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int minilm_has_f16c(void) {
    __builtin_cpu_init();
    return minilm_has_avx2_fma() && __builtin_cpu_supports("f16c");
}

__attribute__((target("avx2,fma")))
static inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma")))
void minilm_small_rows_linear(const float *a, int rows, int k, const float *w, int n,
                              int j0, int j1, float *out) {
    for (int j = j0; j < j1; j++) {
        const float *wj = w + (long)j * k;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            const float *a0 = a + (long)r * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
            for (int i = 0; i < k; i += 8) {
                __m256 wv = _mm256_loadu_ps(wj + i);
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + i), wv, s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a1 + i), wv, s1);
                s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a2 + i), wv, s2);
                s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a3 + i), wv, s3);
            }
            out[(long)r * n + j] += hsum(s0);
            out[(long)(r + 1) * n + j] += hsum(s1);
            out[(long)(r + 2) * n + j] += hsum(s2);
            out[(long)(r + 3) * n + j] += hsum(s3);
        }
        for (; r < rows; r++) {
            const float *ar = a + (long)r * k;
            __m256 s = _mm256_setzero_ps();
            for (int i = 0; i < k; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(ar + i), _mm256_loadu_ps(wj + i), s);
            out[(long)r * n + j] += hsum(s);
        }
    }
}
__attribute__((target("avx2,fma,f16c")))
void minilm_dot_f16_rows(const unsigned short *matrix, int dim, const float *query, int r0, int r1, float *out) {
    for (int r = r0; r < r1; r++) {
        const unsigned short *row = matrix + (long)r * dim;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= dim; i += 16) {
            __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i + 8)));
            s0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(query + i), s0);
            s1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(query + i + 8), s1);
        }
        for (; i < dim; i += 8) {
            __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i)));
            s0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(query + i), s0);
        }
        out[r] = hsum(_mm256_add_ps(s0, s1));
    }
}
#else
int minilm_has_f16c(void) { return 0; }
void minilm_dot_f16_rows(const unsigned short *matrix, int dim, const float *query, int r0, int r1, float *out) {
    (void)matrix; (void)dim; (void)query; (void)r0; (void)r1; (void)out;
}
int minilm_has_avx2_fma(void) { return 0; }
void minilm_small_rows_linear(const float *a, int rows, int k, const float *w, int n, int j0, int j1, float *out) {
    (void)a; (void)rows; (void)k; (void)w; (void)n; (void)j0; (void)j1; (void)out;
}
#endif
