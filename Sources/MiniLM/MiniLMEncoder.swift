import Foundation
import CMiniLMKernels
import COpenBLAS

/// all-MiniLM-L6-v2 sentence embeddings (6-layer BERT, mean pooling, L2
/// normalisation) computed natively on memory-mapped weights with OpenBLAS.
public final class MiniLMEncoder: @unchecked Sendable {
    // @unchecked: all stored state is immutable after init (pointers into a
    // read-only mapping owned by `weights`); each call uses its own scratch buffers.

    public static let dimension = 384
    static let hidden = 384
    static let heads = 12
    static let headDim = 32
    static let intermediate = 1536
    static let layerCount = 6
    static let vocabSize = 30522
    static let maxPositions = 512
    static let eps: Float = 1e-12
    /// Rows per feed-forward block (intermediate buffer = rows × 1536 floats).
    static let ffnBlockRows = 256

    /// How a batch uses the CPU.
    public enum Parallelism: Sendable, Equatable {
        /// One worker; OpenBLAS runs each matrix product on `threads` threads.
        case blasThreads(Int)
        /// `workers` threads each encode a share of the batch, OpenBLAS single-threaded.
        /// A batch too small to split (e.g. one query) runs with OpenBLAS on `workers` threads.
        /// Note: OpenBLAS's thread count is process-wide; each call sets it.
        case batchWorkers(Int)

        /// Two batch workers (measured fastest on a 2-core machine, see BENCHMARKS-minilm.md).
        public static let `default` = Parallelism.batchWorkers(2)
    }

    public let files: MiniLMModelFiles
    public let tokenizer: WordPieceTokenizer
    /// Maximum tokens per text including [CLS] and [SEP] (longer texts are truncated).
    public let maxSequenceLength: Int
    public let parallelism: Parallelism

    private let weights: SafeTensorsFile
    private let model: Weights
    /// The layers' weight matrices in half floats, in blocks of eight output columns (keyed by
    /// the float matrix's address), for short queries on CPUs with F16C.
    private let transposedHalfWeights: [UnsafePointer<Float>: UnsafeSharedPointer<UInt16>]

    /// Loads the model with the default parallelism (`.batchWorkers(2)`).
    public convenience init(files: MiniLMModelFiles) throws {
        try self.init(files: files, parallelism: .default)
    }

    public init(files: MiniLMModelFiles, parallelism: Parallelism, maxSequenceLength: Int = 256) throws {
        self.files = files
        self.tokenizer = try WordPieceTokenizer(vocabularyURL: files.vocabularyURL)
        self.weights = try SafeTensorsFile(url: files.safetensorsURL)
        self.model = try Weights(weights)
        self.transposedHalfWeights = Self.hasHalfKernel ? model.transposedHalfCopies() : [:]
        self.maxSequenceLength = max(2, min(maxSequenceLength, Self.maxPositions))
        self.parallelism = parallelism
        if tokenizer.vocabularySize != Self.vocabSize {
            throw MiniLMError.badVocabulary(
                path: files.vocabularyURL.path,
                reason: "has \(tokenizer.vocabularySize) tokens, the model expects \(Self.vocabSize)")
        }
    }

    /// One L2-normalised 384-dim vector per text, in order.
    public func embed(_ texts: [String]) -> [[Float]] {
        embed(tokenIDs: texts.map { tokenizer.encode($0, maxLength: maxSequenceLength) })
    }

    /// The L2-normalised 384-dim vector of one text.
    public func embed(_ text: String) -> [Float] {
        embed([text])[0]
    }

    /// Embeds already tokenised sequences (each `[CLS] ... [SEP]`, at most
    /// `maxSequenceLength` ids; longer ones are cut).
    public func embed(tokenIDs: [[Int32]]) -> [[Float]] {
        if tokenIDs.isEmpty { return [] }
        let seqs = tokenIDs.map { ids -> [Int32] in
            let cut = ids.count > maxSequenceLength ? Array(ids.prefix(maxSequenceLength)) : ids
            return cut.map { ($0 >= 0 && Int($0) < Self.vocabSize) ? $0 : tokenizer.unknownID }
        }
        var output = [[Float]](repeating: [], count: seqs.count)

        let requested: Int
        let perChunkWorkers: Bool
        switch parallelism {
        case .blasThreads(let n): requested = max(1, n); perChunkWorkers = false
        case .batchWorkers(let n): requested = max(1, n); perChunkWorkers = n > 1
        }

        // Chunks of consecutive sequences, at most `budget` tokens each. Within a
        // chunk the sequences are packed without padding (ragged batch): each
        // sequence attends only to its own tokens and is pooled over its own
        // tokens, which is exactly a padded batch with an attention mask minus
        // the work on padding.
        let totalTokens = seqs.reduce(0) { $0 + $1.count }
        var budget = 4096
        if perChunkWorkers {
            budget = max(maxSequenceLength, min(budget, (totalTokens + 2 * requested - 1) / (2 * requested)))
        }
        var chunks: [Range<Int>] = []
        var start = 0
        var tokens = 0
        for (i, s) in seqs.enumerated() {
            if tokens > 0 && tokens + s.count > budget {
                chunks.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += s.count
        }
        chunks.append(start..<seqs.count)

        if !perChunkWorkers || chunks.count == 1 {
            // one worker; OpenBLAS uses the threads
            openblas_set_num_threads(Int32(requested))
            let ws = Workspace()
            for c in chunks {
                let vecs = forward(Array(seqs[c]), ws)
                for (k, v) in vecs.enumerated() { output[c.lowerBound + k] = v }
            }
        } else {
            // several workers pull chunks; OpenBLAS single-threaded in each
            openblas_set_num_threads(1)
            let queue = ChunkQueue(chunks)
            output.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer  // workers write disjoint ranges
                DispatchQueue.concurrentPerform(iterations: min(requested, chunks.count)) { _ in
                    let ws = Workspace()
                    while let c = queue.next() {
                        let vecs = forward(Array(seqs[c]), ws)
                        for (k, v) in vecs.enumerated() { out[c.lowerBound + k] = v }
                    }
                }
            }
        }
        return output
    }

    /// Hands out chunk ranges to workers.
    private final class ChunkQueue: @unchecked Sendable {
        private let lock = NSLock()
        private let chunks: [Range<Int>]
        private var index = 0
        init(_ chunks: [Range<Int>]) { self.chunks = chunks }
        func next() -> Range<Int>? {
            lock.lock()
            defer { lock.unlock() }
            guard index < chunks.count else { return nil }
            index += 1
            return chunks[index - 1]
        }
    }

    // MARK: - Forward pass

    /// Scratch buffers reused across chunks of one call.
    final class Workspace {
        var capacity = 0
        var x: UnsafeMutablePointer<Float>? = nil  // [T, H] hidden state
        var q: UnsafeMutablePointer<Float>? = nil
        var k: UnsafeMutablePointer<Float>? = nil
        var v: UnsafeMutablePointer<Float>? = nil
        var ctx: UnsafeMutablePointer<Float>? = nil
        var ffn: UnsafeMutablePointer<Float>? = nil  // [T, I]
        let scores: UnsafeMutablePointer<Float>  // [l, l] attention scores of one head
        let rowScale: UnsafeMutablePointer<Float>  // [l] softmax normalisers

        init() {
            scores = .allocate(capacity: MiniLMEncoder.maxPositions * MiniLMEncoder.maxPositions)
            rowScale = .allocate(capacity: MiniLMEncoder.maxPositions)
        }

        func reserve(tokens: Int) {
            if tokens <= capacity { return }
            free()
            let h = MiniLMEncoder.hidden
            x = .allocate(capacity: tokens * h)
            q = .allocate(capacity: tokens * h)
            k = .allocate(capacity: tokens * h)
            v = .allocate(capacity: tokens * h)
            ctx = .allocate(capacity: tokens * h)
            ffn = .allocate(capacity: min(tokens, MiniLMEncoder.ffnBlockRows) * MiniLMEncoder.intermediate)
            capacity = tokens
        }

        private func free() {
            for p in [x, q, k, v, ctx, ffn] { p?.deallocate() }
        }

        deinit {
            free()
            scores.deallocate()
            rowScale.deallocate()
        }
    }

    /// C[rows, n] = bias (broadcast) [+ residual]; then C += A[rows, k] · W[n, k]ᵀ.
    @inline(__always)
    private func linear(
        _ a: UnsafePointer<Float>, rows: Int, k: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int,
        out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil
    ) {
        if let res = residual {
            for r in 0..<rows {
                let o = out + r * n, s = res + r * n
                for j in 0..<n { o[j] = s[j] + bias[j] }
            }
        } else {
            for r in 0..<rows {
                (out + r * n).update(from: bias, count: n)
            }
        }
        if rows <= Self.smallRowLimit, Self.hasSmallRowKernel, k % 8 == 0 {
            // A short query: stream each weight row once (two threads split the columns)
            // instead of letting OpenBLAS pack the whole matrix for a handful of rows.
            let parts = n >= 256 ? 2 : 1
            if let half = transposedHalfWeights[weight], n % 16 == 0 {
                let a = UnsafeSharedPointer(a), o = UnsafeSharedPointer(UnsafePointer(out))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let j0 = n / 8 * part / parts * 8, j1 = n / 8 * (part + 1) / parts * 8
                    minilm_small_rows_linear_t16(a.pointer, Int32(rows), Int32(k), half.pointer, Int32(n), Int32(j0), Int32(j1),
                                                 UnsafeMutablePointer(mutating: o.pointer))
                }
                return
            }
            let a = UnsafeSharedPointer(a), w = UnsafeSharedPointer(weight), o = UnsafeSharedPointer(UnsafePointer(out))
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let j0 = n * part / parts, j1 = n * (part + 1) / parts
                minilm_small_rows_linear(a.pointer, Int32(rows), Int32(k), w.pointer, Int32(n), Int32(j0), Int32(j1),
                                         UnsafeMutablePointer(mutating: o.pointer))
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans,
            Int32(rows), Int32(n), Int32(k),
            1.0, a, Int32(k), weight, Int32(k),
            1.0, out, Int32(n))
    }

    /// Up to this many rows (tokens in a chunk), `linear` uses the small-row kernel.
    static let smallRowLimit = 16
    static let hasSmallRowKernel = minilm_has_avx2_fma() != 0
    static let hasHalfKernel = minilm_has_f16c() != 0



    private func forward(_ seqs: [[Int32]], _ ws: Workspace) -> [[Float]] {
        let H = Self.hidden, I = Self.intermediate, D = Self.headDim
        let lengths = seqs.map(\.count)
        let T = lengths.reduce(0, +)
        ws.reserve(tokens: T)
        let x = ws.x!, q = ws.q!, k = ws.k!, v = ws.v!, ctx = ws.ctx!, ffn = ws.ffn!
        let m = model

        // Embeddings: word + position + token type 0, then LayerNorm.
        var t = 0
        for s in seqs {
            for (pos, id) in s.enumerated() {
                let row = x + t * H
                let w = m.wordEmbeddings + Int(id) * H
                let p = m.positionEmbeddings + pos * H
                let ty = m.tokenTypeEmbeddings
                for j in 0..<H { row[j] = w[j] + p[j] + ty[j] }
                t += 1
            }
        }
        layerNormRows(x, rows: T, width: H, gamma: m.embeddingLNWeight, beta: m.embeddingLNBias, eps: Self.eps)

        let scale = 1.0 / Float(D).squareRoot()
        for layer in m.layers {
            linear(x, rows: T, k: H, weight: layer.qW, bias: layer.qB, n: H, out: q)
            linear(x, rows: T, k: H, weight: layer.kW, bias: layer.kB, n: H, out: k)
            linear(x, rows: T, k: H, weight: layer.vW, bias: layer.vB, n: H, out: v)
            var offset = 0
            for len in lengths {
                let l = Int32(len)
                for h in 0..<Self.heads {
                    let qh = q + offset * H + h * D
                    let kh = k + offset * H + h * D
                    let vh = v + offset * H + h * D
                    // scores[l, l] = scale · Q_h K_hᵀ
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans,
                        l, l, Int32(D), scale, qh, Int32(H), kh, Int32(H), 0, ws.scores, l)
                    // unnormalised softmax; 1/Σ is applied to the context rows below
                    for r in 0..<len { ws.rowScale[r] = expShiftedRow(ws.scores + r * len, count: len) }
                    // ctx_h[l, D] = softmax(scores) · V_h
                    let ch = ctx + offset * H + h * D
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        l, Int32(D), l, 1.0, ws.scores, l, vh, Int32(H), 0, ch, Int32(H))
                    for r in 0..<len {
                        let row = ch + r * H
                        let f = ws.rowScale[r]
                        for j in 0..<D { row[j] *= f }
                    }
                }
                offset += len
            }
            // attention output + residual, LayerNorm (result in q, then swapped into x)
            linear(ctx, rows: T, k: H, weight: layer.aoW, bias: layer.aoB, n: H, out: q, residual: x)
            layerNormRows(q, rows: T, width: H, gamma: layer.aoLNW, beta: layer.aoLNB, eps: Self.eps)
            // feed-forward, in row blocks so the [rows, 1536] intermediate stays in cache
            var r0 = 0
            while r0 < T {
                let rows = min(Self.ffnBlockRows, T - r0)
                linear(q + r0 * H, rows: rows, k: H, weight: layer.iW, bias: layer.iB, n: I, out: ffn)
                geluInPlace(ffn, count: rows * I)
                linear(ffn, rows: rows, k: I, weight: layer.oW, bias: layer.oB, n: H,
                       out: x + r0 * H, residual: q + r0 * H)
                r0 += rows
            }
            layerNormRows(x, rows: T, width: H, gamma: layer.oLNW, beta: layer.oLNB, eps: Self.eps)
        }

        // Mean pooling over each sequence's tokens, then L2 normalisation.
        var result: [[Float]] = []
        result.reserveCapacity(seqs.count)
        var offset = 0
        for len in lengths {
            var acc = [Float](repeating: 0, count: H)
            acc.withUnsafeMutableBufferPointer { a in
                for r in 0..<len {
                    let row = x + (offset + r) * H
                    for j in 0..<H { a[j] += row[j] }
                }
                let inv = 1.0 / Float(max(len, 1))
                var norm: Float = 0
                for j in 0..<H { a[j] *= inv; norm += a[j] * a[j] }
                let scaleN = 1.0 / max(norm.squareRoot(), 1e-12)
                for j in 0..<H { a[j] *= scaleN }
            }
            result.append(acc)
            offset += len
        }
        return result
    }

    // MARK: - Weights

    struct Layer {
        let qW, qB, kW, kB, vW, vB: UnsafePointer<Float>
        let aoW, aoB, aoLNW, aoLNB: UnsafePointer<Float>
        let iW, iB, oW, oB, oLNW, oLNB: UnsafePointer<Float>
    }

    struct Weights {
        let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings: UnsafePointer<Float>
        let embeddingLNWeight, embeddingLNBias: UnsafePointer<Float>
        let layers: [Layer]

        init(_ f: SafeTensorsFile) throws {
            let H = MiniLMEncoder.hidden, I = MiniLMEncoder.intermediate
            // Some exports prefix tensor names with "bert." or "0.auto_model.".
            let prefix: String
            if f.entries["embeddings.word_embeddings.weight"] != nil {
                prefix = ""
            } else if let p = ["bert.", "model.", "0.auto_model."].first(where: { f.entries[$0 + "embeddings.word_embeddings.weight"] != nil }) {
                prefix = p
            } else {
                prefix = ""
            }
            func t(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
                try f.tensor(prefix + name, shape: shape)
            }
            wordEmbeddings = try t("embeddings.word_embeddings.weight", [MiniLMEncoder.vocabSize, H])
            positionEmbeddings = try t("embeddings.position_embeddings.weight", [MiniLMEncoder.maxPositions, H])
            tokenTypeEmbeddings = try t("embeddings.token_type_embeddings.weight", [2, H])
            embeddingLNWeight = try t("embeddings.LayerNorm.weight", [H])
            embeddingLNBias = try t("embeddings.LayerNorm.bias", [H])
            var layers: [Layer] = []
            for i in 0..<MiniLMEncoder.layerCount {
                let p = "encoder.layer.\(i)."
                layers.append(Layer(
                    qW: try t(p + "attention.self.query.weight", [H, H]),
                    qB: try t(p + "attention.self.query.bias", [H]),
                    kW: try t(p + "attention.self.key.weight", [H, H]),
                    kB: try t(p + "attention.self.key.bias", [H]),
                    vW: try t(p + "attention.self.value.weight", [H, H]),
                    vB: try t(p + "attention.self.value.bias", [H]),
                    aoW: try t(p + "attention.output.dense.weight", [H, H]),
                    aoB: try t(p + "attention.output.dense.bias", [H]),
                    aoLNW: try t(p + "attention.output.LayerNorm.weight", [H]),
                    aoLNB: try t(p + "attention.output.LayerNorm.bias", [H]),
                    iW: try t(p + "intermediate.dense.weight", [I, H]),
                    iB: try t(p + "intermediate.dense.bias", [I]),
                    oW: try t(p + "output.dense.weight", [H, I]),
                    oB: try t(p + "output.dense.bias", [H]),
                    oLNW: try t(p + "output.LayerNorm.weight", [H]),
                    oLNB: try t(p + "output.LayerNorm.bias", [H])))
            }
            self.layers = layers
        }

        /// Every layer's weight matrices ([n, k]) in half floats, as [n / 8, k, 8] blocks.
        func transposedHalfCopies() -> [UnsafePointer<Float>: UnsafeSharedPointer<UInt16>] {
            let H = MiniLMEncoder.hidden, I = MiniLMEncoder.intermediate
            var copies = [UnsafePointer<Float>: UnsafeSharedPointer<UInt16>]()
            for layer in layers {
                for (matrix, n, k) in [(layer.qW, H, H), (layer.kW, H, H), (layer.vW, H, H), (layer.aoW, H, H),
                                       (layer.iW, I, H), (layer.oW, H, I)] {
                    // Kept for the life of the process, like the mapped weights they copy.
                    let half = UnsafeMutablePointer<UInt16>.allocate(capacity: n * k)
                    for j in 0..<n {
                        for i in 0..<k { half[(j / 8) * k * 8 + i * 8 + j % 8] = Float16(matrix[j * k + i]).bitPattern }
                    }
                    copies[matrix] = UnsafeSharedPointer(half)
                }
            }
            return copies
        }
    }
}


/// A pointer handed to worker threads that read it or write disjoint parts of its memory.
public struct UnsafeSharedPointer<T>: @unchecked Sendable {
    public let pointer: UnsafePointer<T>
    public init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = UnsafePointer(pointer) }
}
