import Foundation
import PapersCore

/// Papers and featured entries that are written together, all or nothing.
public struct ImportBatch: Sendable {
    public var papers: [Paper]
    public var featured: [FeaturedEntry]

    public init(papers: [Paper] = [], featured: [FeaturedEntry] = []) {
        self.papers = papers
        self.featured = featured
    }

    public var isEmpty: Bool { papers.isEmpty && featured.isEmpty }
}

/// What writing a batch changed.
public struct BatchOutcome: Sendable, Equatable {
    public var papersNew = 0
    public var papersUpdated = 0
    public var papersUnchanged = 0
    public var featuredNew = 0
    public var featuredUpdated = 0
    public var featuredUnchanged = 0

    public init() {}

    public static func += (a: inout BatchOutcome, b: BatchOutcome) {
        a.papersNew += b.papersNew
        a.papersUpdated += b.papersUpdated
        a.papersUnchanged += b.papersUnchanged
        a.featuredNew += b.featuredNew
        a.featuredUpdated += b.featuredUpdated
        a.featuredUnchanged += b.featuredUnchanged
    }
}

/// Counts for `dailypapers stats`.
public struct CatalogStats: Sendable, Equatable {
    public var papers: Int
    public var featuredEntries: Int
    public var featuredDays: Int
    public var firstDay: Day?
    public var lastDay: Day?

    public init(papers: Int, featuredEntries: Int, featuredDays: Int, firstDay: Day?, lastDay: Day?) {
        self.papers = papers
        self.featuredEntries = featuredEntries
        self.featuredDays = featuredDays
        self.firstDay = firstDay
        self.lastDay = lastDay
    }
}

/// Which featured entries to list.
public struct FeaturedQuery: Sendable, Hashable {
    /// Featured days to include; nil for every day.
    public var days: ClosedRange<Day>?
    /// Only entries submitted by this user name.
    public var submitter: String?
    /// When set, the store sorts (newest or most upvoted first) and returns one page.
    public var page: Page?

    public struct Page: Sendable, Hashable {
        public var sort: FeedSort
        public var limit: Int
        public var offset: Int
        public init(sort: FeedSort, limit: Int, offset: Int) {
            self.sort = sort
            self.limit = limit
            self.offset = offset
        }
    }

    public init(days: ClosedRange<Day>? = nil, submitter: String? = nil, page: Page? = nil) {
        self.days = days
        self.submitter = submitter
        self.page = page
    }
}

/// Narrows a search: arXiv publication dates (inclusive) and a category.
public struct SearchFilter: Sendable, Hashable {
    public var from: Day?
    public var to: Day?
    public var category: String?
    /// One author's papers only (the name as written; case, accents and punctuation aside).
    /// The search engine applies it; `admits` does not know the authors.
    public var author: String?

    public init(from: Day? = nil, to: Day? = nil, category: String? = nil, author: String? = nil) {
        self.from = from
        self.to = to
        self.category = category
        self.author = author
    }

    public var isEmpty: Bool { from == nil && to == nil && category == nil && author == nil }

    /// Whether a paper passes (for results that did not come from the store's own query).
    public func admits(published: Date?, categories: [String]) -> Bool {
        if from != nil || to != nil {
            guard let published else { return false }
            let day = Day(published)
            if let from, day < from { return false }
            if let to, day > to { return false }
        }
        if let category, !categories.contains(category) { return false }
        return true
    }
}

/// A keyword search over titles, abstracts and authors.
public struct KeywordQuery: Sendable, Hashable {
    /// What the user typed; the store turns it into a safe query of its own dialect.
    public var text: String
    public var limit: Int
    public var offset: Int
    public var filter: SearchFilter

    public init(text: String, limit: Int = 20, offset: Int = 0, filter: SearchFilter = SearchFilter()) {
        self.text = text
        self.limit = limit
        self.offset = offset
        self.filter = filter
    }
}

/// A stored vector with what the in-memory index needs to filter on.
public struct StoredEmbedding: Sendable {
    public var paperID: ArxivID
    public var vector: [Float]
    public var publishedAt: Date?
    public var categories: [String]

    public init(paperID: ArxivID, vector: [Float], publishedAt: Date?, categories: [String]) {
        self.paperID = paperID
        self.vector = vector
        self.publishedAt = publishedAt
        self.categories = categories
    }
}

/// A paper whose vector is missing or stale, with the text to embed.
public struct EmbeddingWork: Sendable {
    public var paperID: ArxivID
    public var text: String
    public var textHash: Int64

    public init(paperID: ArxivID, text: String, textHash: Int64) {
        self.paperID = paperID
        self.text = text
        self.textHash = textHash
    }
}

/// The storage interface. Everything dialect-specific lives behind it; the SQLite
/// implementation is `SQLiteStore`.
public protocol PaperStore: Sendable {
    /// Upserts a batch in one transaction: either all of it is written or none of it.
    func write(_ batch: ImportBatch) async throws -> BatchOutcome
    func paper(_ id: ArxivID) async throws -> Paper?
    func featuredEntries(for id: ArxivID) async throws -> [FeaturedEntry]
    func stats() async throws -> CatalogStats

    /// Featured entries as cards, one per entry: in no particular order, or one sorted page
    /// when `query.page` is set (sort `trending` is not supported there).
    func featuredCards(_ query: FeaturedQuery) async throws -> [PaperCard]
    /// The newest day with featured papers.
    func latestFeaturedDay() async throws -> Day?
    /// The nearest day with featured papers before (or after) `day`.
    func featuredDay(before day: Day) async throws -> Day?
    func featuredDay(after day: Day) async throws -> Day?
    /// One paper as a card with paper-level counts; `featured` is its latest entry.
    func card(_ id: ArxivID) async throws -> PaperCard?
    /// Ranked keyword matches with excerpts, and how many match in all.
    func keywordSearch(_ query: KeywordQuery) async throws -> (cards: [PaperCard], total: Int)
    /// Every paper (for building in-memory indexes).
    func allPapers() async throws -> [Paper]
    /// The papers added or changed at or after `since` (for keeping in-memory indexes up to
    /// date), with the latest change among them.
    func papers(modifiedSince since: Date) async throws -> (papers: [Paper], latest: Date?)
    /// When the newest paper was added or changed (nil for an empty catalog).
    func latestModification() async throws -> Date?
    /// Cards for these papers, in the order given (unknown ids are left out).
    func cards(_ ids: [ArxivID]) async throws -> [PaperCard]

    /// Up to `limit` papers without a current vector for `model`, the most recently added or changed first (what a harvest brings is searchable first).
    func embeddingWork(model: String, limit: Int) async throws -> [EmbeddingWork]
    /// How many papers lack a current vector for `model`.
    func embeddingBacklog(model: String) async throws -> Int
    /// Stores vectors (replacing older ones) in one transaction.
    func saveEmbeddings(_ vectors: [(work: EmbeddingWork, vector: [Float])], model: String) async throws
    /// The current vectors for `model`: all of them, or those saved at or after `savedSince`
    /// (by any process: another node's background embedding), with the latest save among them.
    /// Saves are stamped in the order they commit, so catching up from `latest` misses none.
    func embeddings(model: String, savedSince: Date?) async throws -> (vectors: [StoredEmbedding], latest: Date?)
}

extension PaperStore {
    /// Every current vector for `model`.
    public func embeddings(model: String) async throws -> [StoredEmbedding] {
        try await embeddings(model: model, savedSince: nil).vectors
    }
}

/// The text a paper is embedded from, and its hash (FNV-1a, stable across runs).
public enum EmbeddingText {
    public static func of(title: String, abstract: String) -> String { title + ". " + abstract }

    public static func hash(_ text: String) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: h)
    }
}

/// Errors from the store, with the context a user needs.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The database cannot be reached or stopped answering (a server that is down or restarting,
/// a pool that stays full past its timeout): the web layer answers 503 and the next request
/// tries again.
public struct StoreUnavailable: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
