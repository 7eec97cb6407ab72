// A kernel for products of a few rows (a short query's tokens) with a weight matrix.
// OpenBLAS packs the whole weight matrix on every call, which for a handful of rows costs
// more than the arithmetic; this streams every weight row once instead. Compiled for
// AVX2/FMA with a function attribute and used only when the CPU has them.
#include "minilm_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
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
// The same product for a short query from the weights stored as half floats in blocks of
// eight output columns ([n / 8, k, 8], each block read front to back): eight columns at a time, each weight vector loaded once and multiplied by up
// to eight rows' broadcast inputs, so no horizontal sums and half the bytes.
// Two column blocks at once give 2 x nr independent accumulators: enough to keep the FMA
// units busy despite their latency (one block of 4 rows would wait on its own sums).
static inline __attribute__((always_inline, target("avx2,fma,f16c")))
void rows_block_t16(const float *a, int k, const unsigned short *wt, int n, int j, int pair, float *out, const int nr) {
    __m256 acc0[8], acc1[8];
    for (int r = 0; r < nr; r++) { acc0[r] = _mm256_setzero_ps(); acc1[r] = _mm256_setzero_ps(); }
    const unsigned short *b0 = wt + (long)(j / 8) * k * 8, *b1 = b0 + (long)k * 8;
    for (int i = 0; i < k; i++) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b0 + (long)i * 8)));
        __m256 w1 = pair ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b1 + (long)i * 8))) : w0;
        for (int r = 0; r < nr; r++) {
            __m256 x = _mm256_broadcast_ss(a + (long)r * k + i);
            acc0[r] = _mm256_fmadd_ps(x, w0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(x, w1, acc1[r]);
        }
    }
    for (int r = 0; r < nr; r++) {
        float *o = out + (long)r * n + j;
        _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), acc0[r]));
        if (pair) _mm256_storeu_ps(o + 8, _mm256_add_ps(_mm256_loadu_ps(o + 8), acc1[r]));
    }
}

__attribute__((target("avx2,fma,f16c")))
void minilm_small_rows_linear_t16_avx2(const float *a, int rows, int k, const unsigned short *wt, int n,
                                       int j0, int j1, float *out) {
    int blocks = (rows + 5) / 6;
    int per = (rows + blocks - 1) / blocks;  // at most 6 rows a pass (12 accumulators), e.g. 9 as 5 + 4
    for (int r0 = 0; r0 < rows; r0 += per) {
        int nr = rows - r0 < per ? rows - r0 : per;
        const float *ar = a + (long)r0 * k;
        float *or_ = out + (long)r0 * n;
        for (int j = j0; j < j1; j += 16) {
            int pair = j + 16 <= j1;
            switch (nr) {
            case 1: rows_block_t16(ar, k, wt, n, j, pair, or_, 1); break;
            case 2: rows_block_t16(ar, k, wt, n, j, pair, or_, 2); break;
            case 3: rows_block_t16(ar, k, wt, n, j, pair, or_, 3); break;
            case 4: rows_block_t16(ar, k, wt, n, j, pair, or_, 4); break;
            case 5: rows_block_t16(ar, k, wt, n, j, pair, or_, 5); break;
            default: rows_block_t16(ar, k, wt, n, j, pair, or_, 6); break;
            }
        }
    }
}

int minilm_has_avx512(void) {
    __builtin_cpu_init();
    return minilm_has_f16c() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
}

// The same product with AVX-512: 16 columns a register (two blocks of 8, loaded side by
// side), two registers at once, up to 12 rows a pass (24 accumulators of the 32 registers),
// so a query of up to 12 tokens reads each weight once where the AVX2 kernel reads it once
// per 6 rows. Each output is summed in the same order, one fused multiply-add per weight,
// so the results are bit for bit those of the AVX2 kernel (a test checks it).
static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,f16c,fma")))
void rows_block_z(const float *a, int k, const unsigned short *wt, int n, int j, int two, float *out, const int nr) {
    __m512 acc0[12], acc1[12];
    for (int r = 0; r < nr; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    const unsigned short *b0 = wt + (long)(j / 8) * k * 8, *b1 = b0 + (long)k * 8, *b2 = b1 + (long)k * 8, *b3 = b2 + (long)k * 8;
    for (int i = 0; i < k; i++) {
        __m512 w0 = _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(b0 + (long)i * 8))),
                                                            _mm_loadu_si128((const __m128i *)(b1 + (long)i * 8)), 1));
        __m512 w1 = two ? _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(b2 + (long)i * 8))),
                                                                  _mm_loadu_si128((const __m128i *)(b3 + (long)i * 8)), 1)) : w0;
        for (int r = 0; r < nr; r++) {
            __m512 x = _mm512_set1_ps(a[(long)r * k + i]);
            acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
            if (two) acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
        }
    }
    for (int r = 0; r < nr; r++) {
        float *o = out + (long)r * n + j;
        _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), acc0[r]));
        if (two) _mm512_storeu_ps(o + 16, _mm512_add_ps(_mm512_loadu_ps(o + 16), acc1[r]));
    }
}

#define MINILM_Z_ROWS(N) case N: rows_block_z(ar, k, wt, n, j, two, or_, N); break;
__attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
void minilm_small_rows_linear_t16_avx512(const float *a, int rows, int k, const unsigned short *wt, int n,
                                         int j0, int j1, float *out) {
    int passes = (rows + 11) / 12;
    int per = (rows + passes - 1) / passes;  // at most 12 rows a pass, e.g. 14 as 7 + 7
    for (int r0 = 0; r0 < rows; r0 += per) {
        int nr = rows - r0 < per ? rows - r0 : per;
        const float *ar = a + (long)r0 * k;
        float *or_ = out + (long)r0 * n;
        int j = j0;
        for (; j + 16 <= j1; j += 32) {
            int two = j + 32 <= j1;
            switch (nr) {
            MINILM_Z_ROWS(1) MINILM_Z_ROWS(2) MINILM_Z_ROWS(3) MINILM_Z_ROWS(4) MINILM_Z_ROWS(5) MINILM_Z_ROWS(6)
            MINILM_Z_ROWS(7) MINILM_Z_ROWS(8) MINILM_Z_ROWS(9) MINILM_Z_ROWS(10) MINILM_Z_ROWS(11)
            default: rows_block_z(ar, k, wt, n, j, two, or_, 12); break;
            }
            if (!two) j -= 16;  // one register's 16 columns done
        }
        if (j < j1) minilm_small_rows_linear_t16_avx2(ar, nr, k, wt, n, j, j1, or_);  // 8 columns left
    }
}
#undef MINILM_Z_ROWS

// Set once, when the library loads. MINILM_KERNEL=avx2 keeps the AVX2 kernel (benchmarks
// set the two side by side).
static int minilm_avx512, minilm_avx512_vnni;
int minilm_has_avx512_vnni(void);
__attribute__((constructor)) static void minilm_detect_avx512(void) {
    const char *forced = getenv("MINILM_KERNEL");
    int avx2 = forced && strcmp(forced, "avx2") == 0;
    minilm_avx512 = minilm_has_avx512() && !avx2;
    minilm_avx512_vnni = minilm_has_avx512_vnni() && !avx2;
}

void minilm_small_rows_linear_t16(const float *a, int rows, int k, const unsigned short *wt, int n,
                                  int j0, int j1, float *out) {
    if (minilm_avx512) minilm_small_rows_linear_t16_avx512(a, rows, k, wt, n, j0, j1, out);
    else minilm_small_rows_linear_t16_avx2(a, rows, k, wt, n, j0, j1, out);
}

// out[r] = scale * scales[r] * dot(int8 row r, int16 query): a first pass over every vector
// that reads a quarter of the float bytes and does one multiply-add instruction per 16
// products (candidates are then rescored exactly). No overflow: |row| <= 127, |query| <=
// 32767, so each 32-bit lane gains at most 2 * 127 * 32767 per 16 elements.
__attribute__((target("avx2,fma")))
void minilm_dot_i8_rows(const signed char *matrix, int dim, const short *query, const float *scales, float scale,
                        int r0, int r1, float *out) {
    for (int r = r0; r < r1; r++) {
        const signed char *row = matrix + (long)r * dim;
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        int i = 0;
        for (; i + 32 <= dim; i += 32) {
            __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i + 16)));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a, _mm256_loadu_si256((const __m256i *)(query + i))));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(b, _mm256_loadu_si256((const __m256i *)(query + i + 16))));
        }
        for (; i < dim; i += 16) {
            __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a, _mm256_loadu_si256((const __m256i *)(query + i))));
        }
        __m256i acc = _mm256_add_epi32(acc0, acc1);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        out[r] = scale * scales[r] * (float)_mm_cvtsi128_si32(s4);
    }
}
// out[r] = scale * scales[r] * (dot(4-bit row r, int8 query) - 8 * querySum): a first pass
// that reads an eighth of the float bytes. Each row holds dim / 2 bytes; byte j keeps
// dimension j in its low four bits and dimension j + dim / 2 in its high four, each as the
// value + 8 (1 to 15). Bytes times signed bytes, four products a lane (vpmaddubsw, then
// vpmaddwd by ones): no overflow, as 2 * 15 * 127 fits 16 bits.
__attribute__((target("avx2,fma")))
void minilm_dot_u4_rows_avx2(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                             const float *scales, float scale, int r0, int r1, float *out) {
    const int half = dim / 2;
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int r = r0; r < r1; r++) {
        const unsigned char *row = matrix + (long)r * half;
        __m256i acc = _mm256_setzero_si256();
        for (int i = 0; i < half; i += 32) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(row + i));
            __m256i lo = _mm256_and_si256(x, low), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
            __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(query + i))),
                                         _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(query + half + i))));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
        }
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        out[r] = scale * scales[r] * (float)(_mm_cvtsi128_si32(s4) - 8 * querySum);
    }
}

// The same with AVX-512 VNNI: one vpdpbusd per 64 bytes of a half.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
void minilm_dot_u4_rows_avx512(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                               const float *scales, float scale, int r0, int r1, float *out) {
    const int half = dim / 2;
    if (half % 64 != 0) { minilm_dot_u4_rows_avx2(matrix, dim, query, querySum, scales, scale, r0, r1, out); return; }
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int r = r0; r < r1; r++) {
        const unsigned char *row = matrix + (long)r * half;
        __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
        for (int i = 0; i < half; i += 64) {
            __m512i x = _mm512_loadu_si512((const void *)(row + i));
            acc0 = _mm512_dpbusd_epi32(acc0, _mm512_and_si512(x, low), _mm512_loadu_si512((const void *)(query + i)));
            acc1 = _mm512_dpbusd_epi32(acc1, _mm512_and_si512(_mm512_srli_epi16(x, 4), low),
                                       _mm512_loadu_si512((const void *)(query + half + i)));
        }
        out[r] = scale * scales[r] * (float)(_mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)) - 8 * querySum);
    }
}

int minilm_has_avx512_vnni(void) {
    __builtin_cpu_init();
    return minilm_has_avx512() && __builtin_cpu_supports("avx512vnni");
}

void minilm_dot_u4_rows(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                        const float *scales, float scale, int r0, int r1, float *out) {
    if (minilm_avx512_vnni) minilm_dot_u4_rows_avx512(matrix, dim, query, querySum, scales, scale, r0, r1, out);
    else minilm_dot_u4_rows_avx2(matrix, dim, query, querySum, scales, scale, r0, r1, out);
}

// Softmax's inner step on 8 floats at a time: p[j] = e^(p[j] - max p), returning 1 / sum.
// The same Cody-Waite reduction and degree-6 polynomial as fastExp in Kernels.swift, which
// the compiler can only vectorise 4 wide for the baseline x86-64 target.
__attribute__((target("avx2,fma")))
float minilm_exp_shifted_row(float *p, int count) {
    int full = count & ~7, i = 0;
    float m = -3.402823466e38f;
    __m256 mv = _mm256_set1_ps(m);
    for (; i < full; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(p + i));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_shuffle_ps(m4, m4, 0x4E));
    m4 = _mm_max_ps(m4, _mm_shuffle_ps(m4, m4, 0xB1));
    m = _mm_cvtss_f32(m4);
    for (; i < count; i++) if (p[i] > m) m = p[i];
    const __m256 maxv = _mm256_set1_ps(m), lo = _mm256_set1_ps(-87.0f), hi = _mm256_set1_ps(88.0f);
    const __m256 magic = _mm256_set1_ps(12582912.0f), log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 ln2hi = _mm256_set1_ps(0.693145751953125f), ln2lo = _mm256_set1_ps(1.428606765330187045e-06f);
    __m256 sum = _mm256_setzero_ps();
    for (i = 0; i < full; i += 8) {
        __m256 x = _mm256_min_ps(_mm256_max_ps(_mm256_sub_ps(_mm256_loadu_ps(p + i), maxv), lo), hi);
        __m256 shifted = _mm256_fmadd_ps(x, log2e, magic);
        __m256 n = _mm256_sub_ps(shifted, magic);
        __m256 r = _mm256_fnmadd_ps(n, ln2hi, x);
        r = _mm256_fnmadd_ps(n, ln2lo, r);
        __m256 q = _mm256_set1_ps(1.0f / 720.0f);
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 120.0f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 24.0f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 6.0f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
        __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
        __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
        __m256 e = _mm256_mul_ps(q, scale);
        _mm256_storeu_ps(p + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    float total = hsum(sum);
    for (; i < count; i++) {
        float e = expf(p[i] - m);
        p[i] = e;
        total += e;
    }
    return 1.0f / total;
}
#else
float minilm_exp_shifted_row(float *p, int count) { (void)p; (void)count; return 0; }
void minilm_small_rows_linear_t16(const float *a, int rows, int k, const unsigned short *wt, int n, int j0, int j1, float *out) {
    (void)a; (void)rows; (void)k; (void)wt; (void)n; (void)j0; (void)j1; (void)out;
}
void minilm_dot_i8_rows(const signed char *matrix, int dim, const short *query, const float *scales, float scale,
                        int r0, int r1, float *out) {
    (void)matrix; (void)dim; (void)query; (void)scales; (void)scale; (void)r0; (void)r1; (void)out;
}
int minilm_has_f16c(void) { return 0; }
int minilm_has_avx512(void) { return 0; }
int minilm_has_avx512_vnni(void) { return 0; }
void minilm_dot_u4_rows(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                        const float *scales, float scale, int r0, int r1, float *out) {
    (void)matrix; (void)dim; (void)query; (void)querySum; (void)scales; (void)scale; (void)r0; (void)r1; (void)out;
}
void minilm_dot_u4_rows_avx2(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                             const float *scales, float scale, int r0, int r1, float *out) {
    minilm_dot_u4_rows(matrix, dim, query, querySum, scales, scale, r0, r1, out);
}
void minilm_dot_u4_rows_avx512(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                               const float *scales, float scale, int r0, int r1, float *out) {
    minilm_dot_u4_rows(matrix, dim, query, querySum, scales, scale, r0, r1, out);
}
void minilm_small_rows_linear_t16_avx2(const float *a, int rows, int k, const unsigned short *wt, int n, int j0, int j1, float *out) {
    (void)a; (void)rows; (void)k; (void)wt; (void)n; (void)j0; (void)j1; (void)out;
}
void minilm_small_rows_linear_t16_avx512(const float *a, int rows, int k, const unsigned short *wt, int n, int j0, int j1, float *out) {
    (void)a; (void)rows; (void)k; (void)wt; (void)n; (void)j0; (void)j1; (void)out;
}
void minilm_dot_f16_rows(const unsigned short *matrix, int dim, const float *query, int r0, int r1, float *out) {
    (void)matrix; (void)dim; (void)query; (void)r0; (void)r1; (void)out;
}
int minilm_has_avx2_fma(void) { return 0; }
void minilm_small_rows_linear(const float *a, int rows, int k, const float *w, int n, int j0, int j1, float *out) {
    (void)a; (void)rows; (void)k; (void)w; (void)n; (void)j0; (void)j1; (void)out;
}
#endif
