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

/// A keyword search over titles, abstracts and authors.
public struct KeywordQuery: Sendable, Hashable {
    /// What the user typed; the store turns it into a safe query of its own dialect.
    public var text: String
    public var limit: Int
    public var offset: Int

    public init(text: String, limit: Int = 20, offset: Int = 0) {
        self.text = text
        self.limit = limit
        self.offset = offset
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
}

/// Errors from the store, with the context a user needs.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
