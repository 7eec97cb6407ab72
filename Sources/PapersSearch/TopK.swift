/// The best `k` of a stream of scored rows, kept in a min-heap (the worst kept at the root),
/// so choosing them costs n·log k rather than a sort of all n. Equal scores go to the row
/// that `precedes` puts first.
struct TopK {
    private(set) var heap: [(score: Float, row: Int)] = []
    let k: Int
    let precedes: (Int, Int) -> Bool

    init(_ k: Int, precedes: @escaping (Int, Int) -> Bool) {
        self.k = k
        self.precedes = precedes
        heap.reserveCapacity(k + 1)
    }

    /// True when a row of this score would not be kept (cheap to ask before any other work).
    func rejects(_ score: Float) -> Bool { k == 0 || (heap.count == k && score < heap[0].score) }

    mutating func offer(_ score: Float, _ row: Int) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append((score, row))
            siftUp(heap.count - 1)
        } else if worse(heap[0], (score, row)) {
            heap[0] = (score, row)
            siftDown(0)
        }
    }

    /// The rows kept, best first.
    func sorted() -> [(score: Float, row: Int)] { heap.sorted { worse($1, $0) } }

    private func worse(_ a: (score: Float, row: Int), _ b: (score: Float, row: Int)) -> Bool {
        a.score < b.score || (a.score == b.score && precedes(b.row, a.row))
    }

    private mutating func siftUp(_ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            guard worse(heap[i], heap[parent]) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ i: Int) {
        var i = i
        while true {
            let l = 2 * i + 1, r = l + 1
            var worst = i
            if l < heap.count, worse(heap[l], heap[worst]) { worst = l }
            if r < heap.count, worse(heap[r], heap[worst]) { worst = r }
            if worst == i { return }
            heap.swapAt(i, worst)
            i = worst
        }
    }
}
