import CMiniLMKernels
import Dispatch
import MiniLM
import Foundation
import PapersCore
import PapersStore
import Synchronization

/// Every paper's vector in one contiguous matrix of half floats, searched exactly (a dot
/// product per paper and a top-k selection). Half floats halve the memory read per query
/// (58,000 papers x 384 dimensions is 45 MB instead of 89 MB) and change cosine scores by
/// about 1e-3, well below what separates neighbours. At this scale no approximate index is
/// needed, but the scan is bound by memory bandwidth, so it reads smaller copies first:
/// - every vector in 4 bits a dimension (an eighth of the float bytes, scaled per vector),
///   against the query in signed bytes; at least the best max(2m, m + 1000) pass on,
/// - those in 8 bits a dimension (a quarter of the float bytes), against the query in 16-bit
///   integers; the best m = max(k, 4 x exact) pass on,
/// - those rescored exactly from the half floats.
/// On 58,041 papers, the API's first 100 semantic and hybrid results for the 30 benchmark
/// queries are those of the 8-bit pass over every vector (BENCHMARKS.md).
public final class VectorIndex: Sendable {
    public let dimension: Int

    struct Storage {
        var matrix: [UInt16] = []  // Float16 bit patterns, row-major
        var ids: [ArxivID] = []
        var rows: [ArxivID: Int] = [:]
        var published: [Date?] = []
        var categories: [[String]] = []
        var quantized: [Int8] = []  // per-vector scaled int8, row-major
        var scales: [Float] = []
        var nibbles: [UInt8] = []  // per-vector scaled 4-bit, dimension / 2 bytes a row (`quantize4`)
        var nibbleScales: [Float] = []
    }

    private let storage = Mutex(Storage())

    public init(dimension: Int) { self.dimension = dimension }

    public var count: Int { storage.withLock { $0.ids.count } }

    /// Adds vectors, replacing the ones of papers already in the index.
    public func upsert(_ embeddings: [StoredEmbedding]) {
        storage.withLock { s in
            for e in embeddings where e.vector.count == dimension {
                let half = e.vector.map { Float16($0).bitPattern }
                let (bytes, scale) = Self.quantize(e.vector)
                let (nibbles, nibbleScale) = Self.quantize4(e.vector)
                if let row = s.rows[e.paperID] {
                    s.matrix.replaceSubrange(row * dimension..<(row + 1) * dimension, with: half)
                    s.quantized.replaceSubrange(row * dimension..<(row + 1) * dimension, with: bytes)
                    s.scales[row] = scale
                    s.nibbles.replaceSubrange(row * dimension / 2..<(row + 1) * dimension / 2, with: nibbles)
                    s.nibbleScales[row] = nibbleScale
                    s.published[row] = e.publishedAt
                    s.categories[row] = e.categories
                } else {
                    s.rows[e.paperID] = s.ids.count
                    s.ids.append(e.paperID)
                    s.matrix.append(contentsOf: half)
                    s.quantized.append(contentsOf: bytes)
                    s.scales.append(scale)
                    s.nibbles.append(contentsOf: nibbles)
                    s.nibbleScales.append(nibbleScale)
                    s.published.append(e.publishedAt)
                    s.categories.append(e.categories)
                }
            }
        }
    }

    /// Bytes v / scale rounded, with scale = max |v| / 127.
    static func quantize(_ v: [Float]) -> ([Int8], Float) {
        let largest = v.reduce(0) { max($0, abs($1)) }
        guard largest > 0 else { return ([Int8](repeating: 0, count: v.count), 0) }
        let scale = largest / 127
        return (v.map { Int8(($0 / scale).rounded()) }, scale)
    }

    /// Four bits a dimension: v / scale rounded (-7 to 7, scale = max |v| / 7), plus 8; byte j
    /// holds dimension j in its low four bits and dimension j + count / 2 in its high four.
    static func quantize4(_ v: [Float]) -> ([UInt8], Float) {
        let half = v.count / 2
        let largest = v.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 7 : 1
        func nibble(_ x: Float) -> UInt8 { UInt8(Int(max(-7, min(7, (x / scale).rounded()))) + 8) }
        return ((0..<half).map { nibble(v[$0]) | nibble(v[$0 + half]) << 4 }, largest > 0 ? scale : 0)
    }

    /// The dot product of two vectors (their cosine, as both are unit vectors).
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
        return sum
    }

    /// The stored vector of a paper.
    public func vector(of id: ArxivID) -> [Float]? {
        storage.withLock { s in
            s.rows[id].map { row in s.matrix[row * dimension..<(row + 1) * dimension].map { Float(Float16(bitPattern: $0)) } }
        }
    }

    /// The `k` most similar papers by cosine (vectors are unit length, so the dot product),
    /// best first, passing the filter. With `exact` smaller than `k`, only that many of the best
    /// are sure to be in exact order with exact cosines; the rest keep the first pass's
    /// approximate ones (within about 0.01), which is enough for candidates further down.
    public func nearest(to query: [Float], k: Int, filter: SearchFilter = SearchFilter(),
                        excluding: ArxivID? = nil, exact: Int? = nil) -> [(id: ArxivID, score: Float)] {
        precondition(query.count == dimension)
        return storage.withLock { s in
            let n = s.ids.count
            guard n > 0, k > 0 else { return [] }
            let ids = s.ids
            func admitted(_ row: Int) -> Bool {
                if let excluding, ids[row] == excluding { return false }
                return filter.isEmpty || filter.admits(published: s.published[row], categories: s.categories[row])
            }
            let twoPass = Self.hasInt8Kernel && dimension % 16 == 0
            // Enough candidates from the approximate passes that the exact top `exact` is among
            // those rescored: k of them, or more when the first `rescored` are rescored exactly.
            let sure = min(exact ?? k, k)
            let rescored = twoPass ? min(n, max(4 * sure, sure + 100)) : 0
            let wanted = min(n, max(k, rescored))
            let coarse = min(n, max(2 * wanted, wanted + 1000))
            var top = TopK(wanted) { ids[$0] < ids[$1] }
            var scores = [Float](repeating: 0, count: n)
            if twoPass, dimension % 64 == 0, coarse < n {
                // 4 bits for every vector, then 8 bits for the best `coarse` of them.
                Self.fourBitScores(s, rows: n, dimension: dimension, query: query, into: &scores)
                let rows = Self.rows(atLeast: coarse, bestOf: scores, count: n, where: admitted)
                Self.approximateScores(s, rows: rows, dimension: dimension, query: query, into: &scores)
                for row in rows where !top.rejects(scores[row]) { top.offer(scores[row], row) }
            } else {
                if twoPass {
                    Self.approximateScores(s, rows: nil, dimension: dimension, query: query, into: &scores)
                } else {
                    Self.scores(matrix: s.matrix, rows: n, dimension: dimension, query: query, into: &scores)
                }
                for row in 0..<n where !top.rejects(scores[row]) && admitted(row) { top.offer(scores[row], row) }
            }
            var kept = top.heap
            if twoPass {
                if rescored < kept.count { kept = top.sorted() }  // the best first, to rescore those
                for i in 0..<min(rescored, kept.count) {
                    kept[i].score = Self.exactScore(s.matrix, row: kept[i].row, dimension: dimension, query: query)
                }
            }
            return kept.sorted { $0.score != $1.score ? $0.score > $1.score : ids[$0.row] < ids[$1.row] }
                .prefix(k).map { (ids[$0.row], $0.score) }
        }
    }

    /// At least the best `m` rows by score that pass `admitted` (all of them when fewer do):
    /// those at or above a threshold read from every 32nd score with a margin (about 1.25 m
    /// rows; no heap, whose sifting cost more than the 4-bit scan), or, when the sample misled
    /// or a filter leaves few rows, every passing row, best first.
    static func rows(atLeast m: Int, bestOf scores: [Float], count n: Int, where admitted: (Int) -> Bool) -> [Int] {
        scores.withUnsafeBufferPointer { scores in
            var sample = [Float]()
            sample.reserveCapacity(n / 32 + 1)
            for row in stride(from: 0, to: n, by: 32) { sample.append(scores[row]) }
            sample.sort(by: >)
            let threshold = sample[min(sample.count - 1, m * 5 / 4 / 32)]
            var rows = [Int]()
            rows.reserveCapacity(2 * m)
            for row in 0..<n where scores[row] >= threshold && admitted(row) { rows.append(row) }
            if rows.count >= m { return rows }
            return Array((0..<n).filter(admitted).sorted { scores[$0] > scores[$1] }.prefix(m))
        }
    }

    static let hasInt8Kernel = minilm_has_avx2_fma() != 0

    /// Scaled int8 dot products with the query (itself as 16-bit integers): of every row on two
    /// threads, or of the rows listed.
    static func approximateScores(_ s: Storage, rows: [Int]?, dimension: Int, query floats: [Float], into scores: inout [Float]) {
        let largest = floats.reduce(0) { max($0, abs($1)) }
        let queryScale = largest > 0 ? largest / 32767 : 1
        let query = floats.map { Int16(($0 / queryScale).rounded()) }
        let n = s.ids.count
        s.quantized.withUnsafeBufferPointer { m in
            s.scales.withUnsafeBufferPointer { scales in
                query.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        let shared = (m: UnsafeSharedPointer(m.baseAddress!), q: UnsafeSharedPointer(q.baseAddress!),
                                      sc: UnsafeSharedPointer(scales.baseAddress!), o: UnsafeSharedPointer(out.baseAddress!))
                        if let rows {
                            // Rows scattered over the matrix: each read from memory, so two threads.
                            let parts = rows.count >= 512 ? 2 : 1
                            rows.withUnsafeBufferPointer { list in
                                let list = UnsafeSharedPointer(list.baseAddress!), count = rows.count
                                DispatchQueue.concurrentPerform(iterations: parts) { part in
                                    for i in (count * part / parts)..<(count * (part + 1) / parts) {
                                        let row = Int32(list.pointer[i])
                                        minilm_dot_i8_rows(shared.m.pointer, Int32(dimension), shared.q.pointer, shared.sc.pointer, queryScale,
                                                           row, row + 1, UnsafeMutablePointer(mutating: shared.o.pointer))
                                    }
                                }
                            }
                            return
                        }
                        let parts = n >= 4096 ? 2 : 1
                        DispatchQueue.concurrentPerform(iterations: parts) { part in
                            minilm_dot_i8_rows(shared.m.pointer, Int32(dimension), shared.q.pointer, shared.sc.pointer, queryScale,
                                               Int32(n * part / parts), Int32(n * (part + 1) / parts),
                                               UnsafeMutablePointer(mutating: shared.o.pointer))
                        }
                    }
                }
            }
        }
    }

    /// Scaled 4-bit dot products of every row with the query (itself as signed bytes), on two threads.
    static func fourBitScores(_ s: Storage, rows n: Int, dimension: Int, query floats: [Float], into scores: inout [Float]) {
        let (query, queryScale) = quantize(floats)  // a zero query scores 0 whatever its scale
        let querySum = Int32(query.reduce(0) { $0 + Int($1) })
        s.nibbles.withUnsafeBufferPointer { m in
            s.nibbleScales.withUnsafeBufferPointer { scales in
                query.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        let parts = n >= 4096 ? 2 : 1
                        let shared = (m: UnsafeSharedPointer(m.baseAddress!), q: UnsafeSharedPointer(q.baseAddress!),
                                      sc: UnsafeSharedPointer(scales.baseAddress!), o: UnsafeSharedPointer(out.baseAddress!))
                        DispatchQueue.concurrentPerform(iterations: parts) { part in
                            minilm_dot_u4_rows(shared.m.pointer, Int32(dimension), shared.q.pointer, querySum, shared.sc.pointer, queryScale,
                                               Int32(n * part / parts), Int32(n * (part + 1) / parts),
                                               UnsafeMutablePointer(mutating: shared.o.pointer))
                        }
                    }
                }
            }
        }
    }

    /// One row's dot product with the query from the half floats.
    static func exactScore(_ matrix: [UInt16], row: Int, dimension: Int, query: [Float]) -> Float {
        matrix.withUnsafeBufferPointer { m in
            if hasHalfKernel, dimension % 8 == 0 {
                var out: Float = 0
                query.withUnsafeBufferPointer { q in
                    minilm_dot_f16_rows(m.baseAddress! + row * dimension, Int32(dimension), q.baseAddress!, 0, 1, &out)
                }
                return out
            }
            var sum: Float = 0
            for i in 0..<dimension { sum += Float(Float16(bitPattern: m[row * dimension + i])) * query[i] }
            return sum
        }
    }

    static let hasHalfKernel = minilm_has_f16c() != 0

    /// Dot products of every row with the query: the AVX2/F16C kernel on two threads where
    /// the CPU has it, a plain loop otherwise.
    static func scores(matrix: [UInt16], rows n: Int, dimension: Int, query: [Float], into scores: inout [Float]) {
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { out in
                    if hasHalfKernel, dimension % 8 == 0 {
                        let parts = n >= 4096 ? 2 : 1
                        let shared = (m: UnsafeSharedPointer(m.baseAddress!), q: UnsafeSharedPointer(q.baseAddress!), o: UnsafeSharedPointer(out.baseAddress!))
                        DispatchQueue.concurrentPerform(iterations: parts) { part in
                            minilm_dot_f16_rows(shared.m.pointer, Int32(dimension), shared.q.pointer,
                                                Int32(n * part / parts), Int32(n * (part + 1) / parts),
                                                UnsafeMutablePointer(mutating: shared.o.pointer))
                        }
                    } else {
                        for row in 0..<n {
                            var sum: Float = 0
                            for i in 0..<dimension { sum += Float(Float16(bitPattern: m[row * dimension + i])) * q[i] }
                            out[row] = sum
                        }
                    }
                }
            }
        }
    }
}
