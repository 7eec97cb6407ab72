// Element-wise kernels: exp, GELU (erf-based), softmax, LayerNorm.
//
// They are written as plain loops over unsafe pointers with branch-free bodies
// (selects, bit casts, polynomials) so that LLVM auto-vectorises them (4 or 8
// floats per instruction); the reductions use explicit SIMD4 accumulators.
// No scalar libm calls sit on the hot path.

import CMiniLMKernels

/// e^x for x in about [-87, 88]: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2,
/// degree-6 Taylor polynomial for e^r, 2^n assembled in the exponent bits.
/// Relative error ≈ 2e-7; inputs below -87 give ≈ 1.6e-38 instead of 0.
@inline(__always)
func fastExp(_ x0: Float) -> Float {
    let x = Swift.min(Swift.max(x0, -87.0), 88.0)
    let magic: Float = 12582912.0  // 1.5 · 2^23: adding it rounds to an integer
    let shifted = x * 1.44269504088896341 + magic
    let n = shifted - magic
    var r = x - n * 0.693145751953125  // ln2, high part
    r = r - n * 1.428606765330187045e-06  // ln2, low part
    var p: Float = 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    let ni = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: magic.bitPattern)
    return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
}

/// GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)) with erfc from Abramowitz & Stegun 7.1.26
/// (|erf error| ≤ 1.5e-7; max |GELU error| ≈ 5e-7 on [-10, 10]).
@inline(__always)
func fastGELU(_ x: Float) -> Float {
    let z = Float(bitPattern: x.bitPattern & 0x7fff_ffff) * 0.7071067811865476
    let t = 1.0 / (1.0 + 0.3275911 * z)
    var poly: Float = 1.061405429
    poly = poly * t - 1.453152027
    poly = poly * t + 1.421413741
    poly = poly * t - 0.284496736
    poly = poly * t + 0.254829592
    poly = poly * t
    let half = 0.5 * poly * fastExp(-(z * z))  // ½ erfc(|x|/√2)
    let phi = x < 0 ? half : 1.0 - half
    return x * phi
}

/// In-place GELU over `count` floats.
func geluInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = fastGELU(p[i]) }
}

@inline(__always)
func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

/// In-place softmax of one row of `count` floats.
@inline(__always)
func softmaxRow(_ p: UnsafeMutablePointer<Float>, count: Int) {
    let inv = expShiftedRow(p, count: count)
    for j in 0..<count { p[j] *= inv }
}

/// Unnormalised softmax: replaces the row by exp(x - max) and returns
/// 1 / Σ exp(x - max), so the caller can apply the normalisation later
/// (to the much smaller attention output row).
@inline(__always)
func expShiftedRow(_ p: UnsafeMutablePointer<Float>, count: Int) -> Float {
    if MiniLMEncoder.hasSmallRowKernel { return minilm_exp_shifted_row(p, Int32(count)) }
    let full = count & ~7
    // Max with plain compare-selects (SIMD pointwiseMax is a branchy NaN-aware
    // lane loop); 8 independent accumulators.
    var m0 = -Float.greatestFiniteMagnitude, m1 = m0, m2 = m0, m3 = m0
    var m4 = m0, m5 = m0, m6 = m0, m7 = m0
    var i = 0
    while i < full {
        m0 = p[i] > m0 ? p[i] : m0
        m1 = p[i + 1] > m1 ? p[i + 1] : m1
        m2 = p[i + 2] > m2 ? p[i + 2] : m2
        m3 = p[i + 3] > m3 ? p[i + 3] : m3
        m4 = p[i + 4] > m4 ? p[i + 4] : m4
        m5 = p[i + 5] > m5 ? p[i + 5] : m5
        m6 = p[i + 6] > m6 ? p[i + 6] : m6
        m7 = p[i + 7] > m7 ? p[i + 7] : m7
        i += 8
    }
    m0 = m1 > m0 ? m1 : m0
    m2 = m3 > m2 ? m3 : m2
    m4 = m5 > m4 ? m5 : m4
    m6 = m7 > m6 ? m7 : m6
    m0 = m2 > m0 ? m2 : m0
    m4 = m6 > m4 ? m6 : m4
    var m = m4 > m0 ? m4 : m0
    while i < count { if p[i] > m { m = p[i] }; i += 1 }
    for j in 0..<count { p[j] = fastExp(p[j] - m) }
    var s0 = SIMD4<Float>.zero, s1 = s0
    i = 0
    while i < full {
        s0 += load4(p + i)
        s1 += load4(p + i + 4)
        i += 8
    }
    var s = (s0 + s1).sum()
    while i < count { s += p[i]; i += 1 }
    return 1.0 / s
}

/// In-place LayerNorm of `rows` rows of width `width` (a multiple of 8).
func layerNormRows(
    _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
) {
    precondition(width % 8 == 0)
    let invW = 1.0 / Float(width)
    for r in 0..<rows {
        let row = x + r * width
        var s0 = SIMD4<Float>.zero, s1 = s0
        var i = 0
        while i < width {
            s0 += load4(row + i)
            s1 += load4(row + i + 4)
            i += 8
        }
        let mean = (s0 + s1).sum() * invW
        let mv = SIMD4<Float>(repeating: mean)
        var q0 = SIMD4<Float>.zero, q1 = q0
        i = 0
        while i < width {
            let d0 = load4(row + i) - mv
            let d1 = load4(row + i + 4) - mv
            q0 += d0 * d0
            q1 += d1 * d1
            i += 8
        }
        let variance = (q0 + q1).sum() * invW
        let rstd = 1.0 / (variance + eps).squareRoot()
        for j in 0..<width {
            row[j] = (row[j] - mean) * rstd * gamma[j] + beta[j]
        }
    }
}
