import CMiniLMKernels
import Dispatch
import MiniLM
import Foundation
import PapersCore
import PapersStore
import Synchronization

/// Every paper's vector in one contiguous matrix of half floats, searched exactly (a dot
/// product per paper and a top-k selection). Half floats halve the memory read per query
/// (58,000 papers x 384 dimensions is 45 MB instead of 89 MB; the scan is bound by memory
/// bandwidth) and change cosine scores by about 1e-3, well below what separates neighbours.
/// At this scale no approximate index is needed: a first pass reads int8 copies of the
/// vectors (a quarter of the float bytes, scaled per vector), and the best few hundred are
/// rescored exactly from the half floats.
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
                if let row = s.rows[e.paperID] {
                    s.matrix.replaceSubrange(row * dimension..<(row + 1) * dimension, with: half)
                    s.quantized.replaceSubrange(row * dimension..<(row + 1) * dimension, with: bytes)
                    s.scales[row] = scale
                    s.published[row] = e.publishedAt
                    s.categories[row] = e.categories
                } else {
                    s.rows[e.paperID] = s.ids.count
                    s.ids.append(e.paperID)
                    s.matrix.append(contentsOf: half)
                    s.quantized.append(contentsOf: bytes)
                    s.scales.append(scale)
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

    /// The stored vector of a paper.
    /// The dot product of two vectors (their cosine, as both are unit vectors).
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
        return sum
    }

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
            var scores = [Float](repeating: 0, count: n)
            let twoPass = Self.hasInt8Kernel && dimension % 16 == 0
            if twoPass {
                Self.approximateScores(s, rows: n, dimension: dimension, query: query, into: &scores)
            } else {
                Self.scores(matrix: s.matrix, rows: n, dimension: dimension, query: query, into: &scores)
            }
            // Top candidates with a small min-heap: k of them, or with the approximate first
            // pass enough more that the exact top `exact` is among those rescored.
            let sure = min(exact ?? k, k)
            let rescored = twoPass ? min(n, max(4 * sure, sure + 100)) : 0
            let wanted = min(n, max(k, rescored))
            let ids = s.ids
            var top = TopK(wanted) { ids[$0] < ids[$1] }
            for row in 0..<n {
                let score = scores[row]
                if top.rejects(score) { continue }
                if let excluding, ids[row] == excluding { continue }
                if !filter.isEmpty, !filter.admits(published: s.published[row], categories: s.categories[row]) { continue }
                top.offer(score, row)
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

    static let hasInt8Kernel = minilm_has_avx2_fma() != 0

    /// Scaled int8 dot products of every row with the query (itself as 16-bit integers), on two threads.
    static func approximateScores(_ s: Storage, rows n: Int, dimension: Int, query floats: [Float], into scores: inout [Float]) {
        let largest = floats.reduce(0) { max($0, abs($1)) }
        let queryScale = largest > 0 ? largest / 32767 : 1
        let query = floats.map { Int16(($0 / queryScale).rounded()) }
        s.quantized.withUnsafeBufferPointer { m in
            s.scales.withUnsafeBufferPointer { scales in
                query.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        let parts = n >= 4096 ? 2 : 1
                        let shared = (m: UnsafeSharedPointer(m.baseAddress!), q: UnsafeSharedPointer(q.baseAddress!),
                                      sc: UnsafeSharedPointer(scales.baseAddress!), o: UnsafeSharedPointer(out.baseAddress!))
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
