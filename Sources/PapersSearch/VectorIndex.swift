import COpenBLAS
import Foundation
import PapersCore
import PapersStore
import Synchronization

/// Every paper's vector in one contiguous matrix, searched exactly (a matrix-vector product
/// on OpenBLAS and a top-k selection): 54,000 papers x 384 dimensions is 83 MB and about
/// a millisecond a query, so no approximate index is needed at this scale.
public final class VectorIndex: Sendable {
    public let dimension: Int

    struct Storage {
        var matrix: [Float] = []
        var ids: [ArxivID] = []
        var rows: [ArxivID: Int] = [:]
        var published: [Date?] = []
        var categories: [[String]] = []
    }

    private let storage = Mutex(Storage())

    public init(dimension: Int) { self.dimension = dimension }

    public var count: Int { storage.withLock { $0.ids.count } }

    /// Adds vectors, replacing the ones of papers already in the index.
    public func upsert(_ embeddings: [StoredEmbedding]) {
        storage.withLock { s in
            for e in embeddings where e.vector.count == dimension {
                if let row = s.rows[e.paperID] {
                    s.matrix.replaceSubrange(row * dimension..<(row + 1) * dimension, with: e.vector)
                    s.published[row] = e.publishedAt
                    s.categories[row] = e.categories
                } else {
                    s.rows[e.paperID] = s.ids.count
                    s.ids.append(e.paperID)
                    s.matrix.append(contentsOf: e.vector)
                    s.published.append(e.publishedAt)
                    s.categories.append(e.categories)
                }
            }
        }
    }

    /// The stored vector of a paper.
    public func vector(of id: ArxivID) -> [Float]? {
        storage.withLock { s in
            s.rows[id].map { row in Array(s.matrix[row * dimension..<(row + 1) * dimension]) }
        }
    }

    /// The `k` most similar papers by cosine (vectors are unit length, so the dot product),
    /// best first, passing the filter.
    public func nearest(to query: [Float], k: Int, filter: SearchFilter = SearchFilter(),
                        excluding: ArxivID? = nil) -> [(id: ArxivID, score: Float)] {
        precondition(query.count == dimension)
        return storage.withLock { s in
            let n = s.ids.count
            guard n > 0, k > 0 else { return [] }
            var scores = [Float](repeating: 0, count: n)
            s.matrix.withUnsafeBufferPointer { m in
                query.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimension), 1,
                                    m.baseAddress, Int32(dimension), q.baseAddress, 1, 0, out.baseAddress, 1)
                    }
                }
            }
            // Top k with a small min-heap of (score, row).
            var heap = [(Float, Int)]()
            heap.reserveCapacity(k + 1)
            for row in 0..<n {
                let score = scores[row]
                if heap.count == k, score <= heap[0].0 { continue }
                if let excluding, s.ids[row] == excluding { continue }
                if !filter.isEmpty, !filter.admits(published: s.published[row], categories: s.categories[row]) { continue }
                if heap.count < k {
                    heap.append((score, row))
                    siftUp(&heap, heap.count - 1)
                } else {
                    heap[0] = (score, row)
                    siftDown(&heap, 0)
                }
            }
            return heap.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : s.ids[$0.1] < s.ids[$1.1] }.map { (s.ids[$0.1], $0.0) }
        }
    }

    private func siftUp(_ h: inout [(Float, Int)], _ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            guard h[i].0 < h[parent].0 else { return }
            h.swapAt(i, parent)
            i = parent
        }
    }

    private func siftDown(_ h: inout [(Float, Int)], _ i: Int) {
        var i = i
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < h.count, h[l].0 < h[smallest].0 { smallest = l }
            if r < h.count, h[r].0 < h[smallest].0 { smallest = r }
            if smallest == i { return }
            h.swapAt(i, smallest)
            i = smallest
        }
    }
}
