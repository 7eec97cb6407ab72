import Foundation
import PapersCore
import PapersSearch
import PapersStore
import Synchronization

/// The read side of the site: the lists, trending and search that pages, feeds, the JSON API
/// and the command line share, with a short in-memory cache so hot lists (today's page) do
/// not hit the database on every request.
public final class Catalog: Sendable {
    public let store: any PaperStore
    /// Keyword, semantic and hybrid search over the same store.
    public let searchEngine: SearchEngine
    /// The clock; tests pin it.
    public let now: @Sendable () -> Date
    private let cache: TTLCache

    /// How many days the trending list looks back.
    public static let trendingWindowDays = 7

    public init(store: any PaperStore, searchEngine: SearchEngine? = nil, now: @escaping @Sendable () -> Date = { Date() },
                cacheSeconds: Double = 2) {
        self.store = store
        self.searchEngine = searchEngine ?? SearchEngine(store: store, embedder: nil)
        self.now = now
        cache = TTLCache(ttl: cacheSeconds)
    }

    /// Forgets cached lists (after a write by this process).
    public func invalidate() { cache.removeAll() }

    public func latestDay() async throws -> Day? {
        try await cache.value(for: "latest-day") { try await self.store.latestFeaturedDay() }
    }

    /// Featured papers in a range of days (every day when nil), sorted.
    public func featured(days: ClosedRange<Day>?, submitter: String? = nil, sort: FeedSort) async throws -> [PaperCard] {
        let key = "featured|\(days.map { "\($0.lowerBound)|\($0.upperBound)" } ?? "all")|\(submitter ?? "")|\(sort.rawValue)"
        return try await cache.value(for: key) {
            let cards = try await self.store.featuredCards(FeaturedQuery(days: days, submitter: submitter))
            return sort.apply(cards, now: try await self.trendingNow())
        }
    }

    /// One page of featured papers. Over every day, newest and most-upvoted pages are sorted
    /// and cut by the database, and trending covers the trending window; within a period the
    /// period's papers are sorted here.
    public func featuredPage(days: ClosedRange<Day>?, submitter: String?, sort: FeedSort, limit: Int, offset: Int) async throws -> [PaperCard] {
        guard days == nil else {
            let cards = try await featured(days: days, submitter: submitter, sort: sort)
            return Array(cards[min(cards.count, offset)..<min(cards.count, offset + limit)])
        }
        if sort == .trending {
            let cards = try await trending().filter { submitter == nil || $0.featured?.submitter?.user == submitter }
            return Array(cards[min(cards.count, offset)..<min(cards.count, offset + limit)])
        }
        return try await store.featuredCards(FeaturedQuery(submitter: submitter, page: .init(sort: sort, limit: limit, offset: offset)))
    }

    /// A category's papers published on `day` (the newest day with any when nil), newest
    /// first, with the nearest such days before and after; nil when the category has none.
    public func category(_ category: String, on day: Day?) async throws -> (day: Day, cards: [PaperCard], previous: Day?, next: Day?)? {
        try await searchEngine.refreshKeywordIndex()
        let papers = searchEngine.keywordIndex.papers(inCategory: category).compactMap { paper in paper.published.map { (paper.id, Day($0)) } }
        let days = Array(Set(papers.map(\.1))).sorted()
        guard let shown = day ?? days.last else { return nil }
        let ids = papers.filter { $0.1 == shown }.map(\.0)
        return (shown, try await store.cards(ids), days.last { $0 < shown }, days.first { $0 > shown })
    }

    /// A category's newest papers (by arXiv publication; papers without a date are left out, as on its pages).
    public func newest(inCategory category: String, limit: Int) async throws -> [PaperCard] {
        try await searchEngine.refreshKeywordIndex()
        let dated = searchEngine.keywordIndex.papers(inCategory: category).filter { $0.published != nil }
        return try await store.cards(dated.prefix(limit).map(\.id))
    }

    /// The trending list narrowed to one category.
    public func trending(inCategory category: String) async throws -> [PaperCard] {
        try await trending().filter { $0.paper.categories.contains(category) }
    }

    /// Every paper of an author (the name as written anywhere), newest first.
    public func papers(byAuthor name: String) async throws -> [PaperCard] {
        try await searchEngine.refreshKeywordIndex()
        return try await store.cards(searchEngine.keywordIndex.papers(byAuthor: name))
    }

    /// The nearest days with papers before and after `day`.
    public func neighbours(of day: Day) async throws -> (previous: Day?, next: Day?) {
        try await cache.value(for: "neighbours|\(day)") {
            (try await self.store.featuredDay(before: day), try await self.store.featuredDay(after: day))
        }
    }

    /// The instant trending is computed at: now, or the end of the newest featured day when
    /// the catalog stops earlier (an archive still has a trending list).
    public func trendingNow() async throws -> Date {
        let clock = now()
        guard let latest = try await latestDay() else { return clock }
        return min(clock, latest.adding(days: 1).start)
    }

    /// Papers featured in the last `trendingWindowDays` days, by `TrendingScore`.
    public func trending() async throws -> [PaperCard] {
        try await cache.value(for: "trending") {
            let at = try await self.trendingNow()
            let last = Day(at.addingTimeInterval(-1))
            return try await self.store.trending(featuredOn: last.adding(days: -(Self.trendingWindowDays - 1))...last, at: at)
        }
    }

    /// Whether the catalog holds a paper.
    public func contains(_ id: ArxivID) async throws -> Bool {
        try await store.paper(id) != nil
    }

    /// How many papers and featured days the catalog holds (nil when the database does not answer).
    public func stats() async throws -> CatalogStats {
        try await store.stats()
    }

    /// A paper's card and every day it was featured.
    public func paper(_ id: ArxivID) async throws -> (card: PaperCard, featured: [FeaturedEntry])? {
        guard let card = try await store.card(id) else { return nil }
        return (card, try await store.featuredEntries(for: id))
    }

    public func search(_ text: String, mode: SearchMode = .hybrid, filter: SearchFilter = SearchFilter(),
                       page: Int = 1, perPage: Int = 20) async throws -> SearchResults {
        try await searchEngine.search(text, mode: mode, filter: filter, page: page, perPage: perPage)
    }

    /// Nearest papers by meaning; nil when the paper has no vector or there is no model.
    public func similar(_ id: ArxivID, limit: Int = 6) async throws -> [PaperCard]? {
        try await searchEngine.similar(to: id, limit: limit)
    }
}

/// A tiny time-limited cache with single flight: concurrent requests for a key that is
/// being computed wait for that one computation instead of each starting their own (no
/// thundering herd when an entry expires under load). Failures are not cached.
public final class TTLCache: Sendable {
    private let ttl: Duration
    private let maximumEntries: Int
    private let entries = Mutex<[String: (expires: ContinuousClock.Instant, task: Task<any Sendable, any Error>)]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    /// `now` is the clock entries expire by (tests move it by hand).
    public init(ttl seconds: Double, maximumEntries: Int = 10_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        ttl = .milliseconds(Int64(seconds * 1000))
        self.maximumEntries = maximumEntries
        self.now = now
    }

    public func value<T: Sendable>(for key: String, compute: @escaping @Sendable () async throws -> T) async throws -> T {
        guard ttl > .zero else { return try await compute() }
        let now = now()
        let task = entries.withLock { entries in
            if let entry = entries[key], entry.expires > now { return entry.task }
            if entries.count >= maximumEntries { entries.removeAll() }
            let task = Task<any Sendable, any Error> { try await compute() }
            entries[key] = (now + ttl, task)
            return task
        }
        do {
            return try await task.value as! T
        } catch {
            entries.withLock { entries in
                if let entry = entries[key], entry.task == task { entries[key] = nil }
            }
            throw error
        }
    }

    public func removeAll() { entries.withLock { $0.removeAll() } }
}
