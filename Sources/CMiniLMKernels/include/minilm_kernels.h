#ifndef MINILM_KERNELS_H
#define MINILM_KERNELS_H

/// Whether this CPU has AVX2 and FMA (checked once, at run time).
int minilm_has_avx2_fma(void);

/// out[r * n + j] += sum_i a[r * k + i] * w[j * k + i] for rows r < rows and columns
/// j0 <= j < j1: a few rows times a weight matrix stored [n, k], reading each weight row
/// once. Needs AVX2 and FMA and k a multiple of 8; callers check minilm_has_avx2_fma().
void minilm_small_rows_linear(const float *a, int rows, int k, const float *w, int n,
                              int j0, int j1, float *out);

/// out[r * n + j] += sum_i a[r * k + i] * w[j, i] for rows r < rows and columns j0 <= j < j1,
/// with the weight in IEEE half floats laid out in column blocks: w[j, i] is at
/// wt[(j / 8) * k * 8 + i * 8 + j % 8]. j0, j1 and n must be multiples of 8. Needs AVX2, FMA and F16C; uses AVX-512 where the CPU has it.
void minilm_small_rows_linear_t16(const float *a, int rows, int k, const unsigned short *wt, int n,
                                  int j0, int j1, float *out);

/// The two implementations minilm_small_rows_linear_t16 chooses between (AVX-512 where the
/// CPU has AVX-512 F, BW and VL; their results are identical), for tests and benchmarks.
void minilm_small_rows_linear_t16_avx2(const float *a, int rows, int k, const unsigned short *wt, int n,
                                       int j0, int j1, float *out);
void minilm_small_rows_linear_t16_avx512(const float *a, int rows, int k, const unsigned short *wt, int n,
                                         int j0, int j1, float *out);

/// Whether this CPU has AVX-512 F, BW and VL (and AVX2, FMA and F16C).
int minilm_has_avx512(void);

/// Whether this CPU also converts half floats (F16C), for minilm_dot_f16_rows.
int minilm_has_f16c(void);

/// out[r] = dot(matrix row r, query) for rows r0 <= r < r1, where the matrix holds `dim`
/// IEEE half floats per row. Needs AVX2, FMA and F16C and dim a multiple of 8.
void minilm_dot_f16_rows(const unsigned short *matrix, int dim, const float *query, int r0, int r1, float *out);

/// out[r] = scale * scales[r] * dot(matrix row r, query) for rows r0 <= r < r1, the matrix
/// holding `dim` signed bytes per row and the query `dim` 16-bit integers. Needs AVX2 and dim
/// a multiple of 16.
void minilm_dot_i8_rows(const signed char *matrix, int dim, const short *query, const float *scales, float scale,
                        int r0, int r1, float *out);

/// out[r] = scale * scales[r] * (dot(row r, query) - 8 * querySum) for rows r0 <= r < r1: a
/// first pass over 4-bit vectors. A row is dim / 2 bytes, byte j holding dimension j + 8 in its
/// low four bits and dimension j + dim / 2, + 8, in its high four; the query is dim signed
/// bytes and querySum their sum. Needs AVX2 and dim a multiple of 64; uses AVX-512 VNNI where
/// the CPU has it (same results: integer sums).
void minilm_dot_u4_rows(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                        const float *scales, float scale, int r0, int r1, float *out);
void minilm_dot_u4_rows_avx2(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                             const float *scales, float scale, int r0, int r1, float *out);
void minilm_dot_u4_rows_avx512(const unsigned char *matrix, int dim, const signed char *query, int querySum,
                               const float *scales, float scale, int r0, int r1, float *out);

/// Whether this CPU has AVX-512 VNNI too.
int minilm_has_avx512_vnni(void);

/// Softmax's inner step: p[j] = e^(p[j] - max p) for j < count; returns 1 / the sum.
/// Needs AVX2 and FMA.
float minilm_exp_shifted_row(float *p, int count);

#endif
