import Foundation
import PapersCore
import PapersStore
import Synchronization

/// The read side of the site: the queries pages, feeds and the JSON API share, with a short
/// in-memory cache so hot lists (today's page) do not hit the database on every request.
public final class Catalog: Sendable {
    public let store: any PaperStore
    /// The clock; tests pin it.
    public let now: @Sendable () -> Date
    private let cache: TTLCache

    /// How many days the trending list looks back.
    public static let trendingWindowDays = 7

    public init(store: any PaperStore, now: @escaping @Sendable () -> Date = { Date() }, cacheSeconds: Double = 2) {
        self.store = store
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
            let cards = try await self.store.featuredCards(
                FeaturedQuery(days: last.adding(days: -(Self.trendingWindowDays - 1))...last))
            return TrendingScore.rank(Self.onePerPaper(cards), now: at)
        }
    }

    /// A paper's card and every day it was featured.
    public func paper(_ id: ArxivID) async throws -> (card: PaperCard, featured: [FeaturedEntry])? {
        guard let card = try await store.card(id) else { return nil }
        return (card, try await store.featuredEntries(for: id))
    }

    public struct SearchPage: Sendable {
        public var cards: [PaperCard]
        public var total: Int
        public var page: Int
        public var perPage: Int
        public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
    }

    public func search(_ text: String, page: Int = 1, perPage: Int = 20) async throws -> SearchPage {
        let result = try await store.keywordSearch(KeywordQuery(text: text, limit: perPage, offset: (page - 1) * perPage))
        return SearchPage(cards: result.cards, total: result.total, page: page, perPage: perPage)
    }

    /// Keeps each paper's highest-voted entry (a paper featured on two days shows once).
    static func onePerPaper(_ cards: [PaperCard]) -> [PaperCard] {
        var best = [ArxivID: PaperCard]()
        for card in cards where (best[card.paper.id]?.upvotes ?? -1) < card.upvotes {
            best[card.paper.id] = card
        }
        return Array(best.values)
    }
}

/// A tiny time-limited cache of query results.
final class TTLCache: Sendable {
    private let ttl: Double
    private let entries = Mutex<[String: (expires: ContinuousClock.Instant, value: any Sendable)]>([:])

    init(ttl: Double) { self.ttl = ttl }

    func value<T: Sendable>(for key: String, compute: () async throws -> T) async throws -> T {
        let now = ContinuousClock.now
        if ttl > 0, let hit = entries.withLock({ $0[key] }), hit.expires > now, let value = hit.value as? T {
            return value
        }
        let value = try await compute()
        if ttl > 0 {
            entries.withLock { entries in
                if entries.count > 10_000 { entries.removeAll() }
                entries[key] = (now + .milliseconds(Int64(ttl * 1000)), value)
            }
        }
        return value
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}
