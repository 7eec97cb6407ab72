import Foundation
import Hummingbird
import Logging
import PapersCore
import PapersIngest
import PapersSearch
import PapersStore
import ServiceLifecycle

/// What the web layer needs to know; read once by the command line and passed down.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var siteName: String
    /// Absolute base URL for links in feeds (`http://host:port` when not set).
    public var baseURL: String?
    public var version: String
    /// How long finished list and paper responses are reused (0 turns the cache off).
    public var responseCacheSeconds: Double

    public init(host: String = "127.0.0.1", port: Int = 8080, siteName: String = "Daily Papers",
                baseURL: String? = nil, version: String = "0.1.0", responseCacheSeconds: Double = 2) {
        self.responseCacheSeconds = responseCacheSeconds
        self.host = host
        self.port = port
        self.siteName = siteName
        self.baseURL = baseURL
        self.version = version
    }

    public var resolvedBaseURL: String { baseURL ?? "http://\(host):\(port)" }
}

/// Builds the site: pages, feeds and the JSON API over one `Catalog`.
public struct WebApp: Sendable {
    public let catalog: Catalog
    public let configuration: WebConfiguration
    public let metrics: RequestMetrics
    /// Accounts, votes, comments and submissions; nil serves the catalog read-only.
    public let community: Community?
    /// Subscriptions, confirmations, unsubscribing and alerts; needs `community`.
    public let mail: WebMail?
    /// Finished responses of GET routes, for `responseCacheSeconds`.
    let responseCache: TTLCache
    /// The harvesters' last and next runs, shown on `/healthz` and `/metrics`; nil when `serve` does not harvest.
    public let harvest: HarvestMonitor?

    /// `cacheClock` is the clock cached responses expire by (tests move it by hand).
    public init(catalog: Catalog, configuration: WebConfiguration, community: Community? = nil, mail: WebMail? = nil,
                metrics: RequestMetrics = RequestMetrics(), harvest: HarvestMonitor? = nil,
                cacheClock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.catalog = catalog
        self.harvest = harvest
        self.community = community
        self.mail = community == nil ? nil : mail
        self.configuration = configuration
        self.metrics = metrics
        // At most 1,000 finished bodies (a daily page is ~40 KB, a full API page ~150 KB), so
        // a flood of distinct URIs cannot grow memory without bound.
        responseCache = TTLCache(ttl: configuration.responseCacheSeconds, maximumEntries: 1000, now: cacheClock)
    }

    /// The server, with `services` (background work) run and stopped alongside it.
    public func application(logger: Logger, services: [any Service] = []) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                         serverName: configuration.siteName),
                    services: services,
                    logger: logger)
    }

    /// Drops cached pages after a comment, a moderation or a change to what is featured, so
    /// visitors see it at once. (Votes are not: counts may trail by the cache's 2 seconds.)
    func contentChanged() {
        responseCache.removeAll()
        catalog.invalidate()
    }

    public func router() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(siteName: configuration.siteName, now: catalog.now))
        if let community { router.add(middleware: SessionMiddleware(community: community, now: catalog.now)) }
        let handlers = Handlers(app: self)
        let cache = responseCache
        /// Anonymous GETs of lists and papers are answered from a short-lived cache of finished
        /// bodies keyed by the whole URI, so hot pages cost a lookup, not a render. Members see
        /// their own votes and forms, so their pages are always made fresh.
        @Sendable func cached(_ request: Request, _ build: @escaping @Sendable () async throws -> Rendered) async throws -> Response {
            if request.headers[.authorization] != nil || request.headers[.cookie]?.contains(Community.sessionCookie + "=") == true {
                return try await build().response
            }
            return try await cache.value(for: request.uri.description, compute: build).response
        }
        @Sendable func cached(_ request: Request, _ context: AppRequestContext, _ build: @escaping @Sendable (Viewer?) async throws -> Rendered) async throws -> Response {
            guard let member = context.member else { return try await cached(request) { try await build(nil) } }
            return try await build(Viewer(member: member, csrf: context.csrfToken)).response
        }
        router.get("/") { request, context in try await cached(request, context) { try await handlers.home(request, $0) } }
        router.get("/papers/date/:day") { request, context in
            let day = try context.parameters.require("day")
            return try await cached(request, context) { try await handlers.day(request, day, $0) }
        }
        router.get("/papers/week/:week") { request, context in
            let week = try context.parameters.require("week")
            return try await cached(request, context) { try await handlers.week(request, week, $0) }
        }
        router.get("/papers/month/:month") { request, context in
            let month = try context.parameters.require("month")
            return try await cached(request, context) { try await handlers.month(request, month, $0) }
        }
        router.get("/papers/trending") { request, context in try await cached(request, context) { try await handlers.trending($0) } }
        router.get("/papers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await cached(request, context) { try await handlers.paper(id, $0) }
        }
        router.get("/papers/:id/:number") { request, context in
            let id = "\(try context.parameters.require("id"))/\(try context.parameters.require("number"))"
            return try await cached(request, context) { try await handlers.paper(id, $0) }
        }
        router.get("/search") { request, context in try await cached(request, context) { try await handlers.search(request, $0) } }
        router.get("/feeds/daily.xml") { request, _ in try await cached(request) { try await handlers.dailyFeed() } }
        router.get("/feeds/trending.xml") { request, _ in try await cached(request) { try await handlers.trendingFeed() } }
        router.get("/feeds/search.xml") { request, _ in try await cached(request) { try await handlers.searchFeed(request) } }
        router.get("/api/daily_papers") { request, _ in try await cached(request) { try await handlers.apiDailyPapers(request) } }
        router.get("/api/papers/search") { request, _ in try await cached(request) { try await handlers.apiSearch(request) } }
        router.get("/api/papers/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await cached(request) { try await handlers.apiPaper(id) }
        }
        router.get("/api/papers/:id/:number") { request, context in
            let id = "\(try context.parameters.require("id"))/\(try context.parameters.require("number"))"
            return try await cached(request) { try await handlers.apiPaper(id) }
        }
        router.get("/api/papers/:id/similar") { request, context in
            let id = try context.parameters.require("id")
            return try await cached(request) { try await handlers.apiSimilar(request, id) }
        }
        router.get("/api/papers/:id/:number/similar") { request, context in
            let id = "\(try context.parameters.require("id"))/\(try context.parameters.require("number"))"
            return try await cached(request) { try await handlers.apiSimilar(request, id) }
        }
        let openAPI = Responses.data(OpenAPIDocument.data(version: configuration.version), contentType: "application/json")
        router.get("/api/openapi.json") { _, _ in openAPI.response }
        router.get("/healthz") { _, _ in try await handlers.health().response }
        if let community {
            let communityHandlers = CommunityHandlers(app: self, community: community)
            addCommunityRoutes(to: router, handlers: communityHandlers)
            if let mail { addMailRoutes(to: router, handlers: MailHandlers(community: communityHandlers, mail: mail)) }
        }
        let harvest = self.harvest
        router.get("/metrics") { _, _ in
            Responses.text(metrics.prometheusText() + (harvest?.prometheusText() ?? ""), contentType: "text/plain; version=0.0.4; charset=utf-8").response
        }
        return router
    }
}

/// The request handlers; each parses its input at the edge and calls the catalog.
struct Handlers: Sendable {
    let app: WebApp
    var catalog: Catalog { app.catalog }
    var pages: Pages { Pages(siteName: app.configuration.siteName, now: catalog.now()) }

    /// Pages for `viewer` (nil: the anonymous, cacheable version), knowing which of `cards` they upvoted.
    func pages(_ viewer: Viewer?, showing cards: [PaperCard]) async throws -> Pages {
        guard var viewer, let member = viewer.member, let community = app.community else { return pages }
        viewer.votes = try await community.store.votedPapers(member: member.id, among: cards.map(\.paper.id))
        return Pages(siteName: app.configuration.siteName, now: catalog.now(), viewer: viewer)
    }

    // MARK: Pages

    func home(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        guard let latest = try await catalog.latestDay() else { return Responses.html(try await pages(viewer, showing: []).emptyCatalog()) }
        return try await dayPage(latest, sort: try sortParameter(request), viewer)
    }

    func day(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let day = Day(text) else { throw WebError.badRequest("\"\(text)\" is not a date: use YYYY-MM-DD, e.g. 2025-06-02.") }
        return try await dayPage(day, sort: try sortParameter(request), viewer)
    }

    func dayPage(_ day: Day, sort: FeedSort, _ viewer: Viewer?) async throws -> Rendered {
        let cards = try await catalog.featured(days: day...day, sort: sort)
        let pages = try await pages(viewer, showing: cards)
        let (previous, next) = try await catalog.neighbours(of: day)
        let extra: HTML = "<a href=\"\(SiteRoute.week(day.isoWeek).url)\">Week</a> <a href=\"\(SiteRoute.month(day.yearMonth).url)\">Month</a>"
        return Responses.html(pages.list(period: .day(day), heading: DisplayDate.short(day, now: catalog.now()), cards: cards, sort: sort,
                                         previous: previous.map { .day($0, sort: sort.linkValue) },
                                         next: next.map { .day($0, sort: sort.linkValue) }, extraNav: extra))
    }

    func week(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let week = ISOWeek(text) else { throw WebError.badRequest("\"\(text)\" is not an ISO week: use YYYY-Www, e.g. 2025-W23.") }
        let sort = try sortParameter(request)
        let cards = TrendingScore.onePerPaper(try await catalog.featured(days: week.firstDay...week.lastDay, sort: sort))
        let pages = try await pages(viewer, showing: cards)
        let latest = try await catalog.latestDay()
        let heading = "Week \(week.week), \(week.year) · \(DisplayDate.range(week.firstDay, week.lastDay, now: catalog.now()))"
        return Responses.html(pages.list(period: .week(week), heading: heading, cards: sort.apply(cards, now: try await catalog.trendingNow()), sort: sort,
                                         previous: .week(week.previous, sort: sort.linkValue),
                                         next: latest.map { $0 > week.lastDay } == true ? .week(week.next, sort: sort.linkValue) : nil))
    }

    func month(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let month = YearMonth(text) else { throw WebError.badRequest("\"\(text)\" is not a month: use YYYY-MM, e.g. 2025-06.") }
        let sort = try sortParameter(request)
        let cards = TrendingScore.onePerPaper(try await catalog.featured(days: month.firstDay...month.lastDay, sort: sort))
        let pages = try await pages(viewer, showing: cards)
        let latest = try await catalog.latestDay()
        return Responses.html(pages.list(period: .month(month), heading: DisplayDate.monthName(month), cards: sort.apply(cards, now: try await catalog.trendingNow()), sort: sort,
                                         previous: .month(month.previous, sort: sort.linkValue),
                                         next: latest.map { $0 > month.lastDay } == true ? .month(month.next, sort: sort.linkValue) : nil))
    }

    func trending(_ viewer: Viewer?) async throws -> Rendered {
        let cards = try await catalog.trending()
        return Responses.html(try await pages(viewer, showing: cards).trending(cards, windowDays: Catalog.trendingWindowDays))
    }

    func paper(_ text: String, _ viewer: Viewer?) async throws -> Rendered {
        let markdown = text.hasSuffix(".md")
        let idText = markdown ? String(text.dropLast(3)) : text
        guard let id = ArxivID(idText) else { throw WebError.notFound("\"\(idText)\" is not an arXiv id.") }
        guard let (card, featured) = try await catalog.paper(id) else {
            throw WebError.notFound("Paper \(id) is not in this catalog.")
        }
        if markdown {
            return Responses.text(PaperMarkdown.render(card, featured: featured), contentType: "text/markdown; charset=utf-8")
        }
        let similar = try await catalog.similar(id)
        let comments = try await app.community?.store.comments(paper: id) ?? []
        return Responses.html(try await pages(viewer, showing: [card] + (similar ?? [])).paper(
            card, featured: featured, similar: similar, semanticAvailable: catalog.searchEngine.semanticAvailable, comments: comments))
    }

    func search(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        let available = catalog.searchEngine.semanticAvailable
        guard let parameters = try searchParameters(request, required: false) else {
            return Responses.html(try await pages(viewer, showing: []).search(SearchParameters(query: ""), result: nil, semanticAvailable: available))
        }
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter, page: parameters.page)
        return Responses.html(try await pages(viewer, showing: result.cards).search(parameters, result: result, semanticAvailable: available))
    }

    // MARK: Feeds

    func dailyFeed() async throws -> Rendered {
        let latest = try await catalog.latestDay()
        var cards = [PaperCard]()
        if let latest { cards = try await catalog.featured(days: latest...latest, sort: .upvotes) }
        return rss(title: "\(app.configuration.siteName): daily papers", description: "Papers featured \(latest.map { "on \($0)" } ?? "daily")",
                   link: .home, feed: .feedDaily, cards: cards)
    }

    func trendingFeed() async throws -> Rendered {
        rss(title: "\(app.configuration.siteName): trending papers", description: "Trending papers, by time-decayed upvotes",
            link: .trending, feed: .feedTrending, cards: Array(try await catalog.trending().prefix(50)))
    }

    func searchFeed(_ request: Request) async throws -> Rendered {
        let parameters = try searchParameters(request, required: true)!
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter, page: 1, perPage: 50)
        return rss(title: "\(app.configuration.siteName): search “\(parameters.query)”", description: "Papers matching \(parameters.query)",
                   link: .search(parameters), feed: .feedSearch(parameters), cards: result.cards)
    }

    func rss(title: String, description: String, link: SiteRoute, feed: SiteRoute, cards: [PaperCard]) -> Rendered {
        let base = app.configuration.resolvedBaseURL
        return Responses.text(RSSFeed.render(title: title, description: description, link: link.url.absolute(base: base),
                                             selfURL: feed.url.absolute(base: base), cards: cards, baseURL: base),
                              contentType: "application/rss+xml; charset=utf-8")
    }

    // MARK: JSON API

    func apiDailyPapers(_ request: Request) async throws -> Rendered {
        let params = QueryParameters(request)
        let date = params["date"], week = params["week"], month = params["month"]
        guard [date, week, month].compactMap({ $0 }).count <= 1 else {
            throw WebError.badRequest("give at most one of date, week and month")
        }
        var days: ClosedRange<Day>?
        if let date {
            guard let day = Day(date) else { throw WebError.badRequest("date \"\(date)\" is not a valid date (YYYY-MM-DD)") }
            days = day...day
        } else if let week {
            guard let w = ISOWeek(week) else { throw WebError.badRequest("week \"\(week)\" is not a valid ISO week (YYYY-Www)") }
            days = w.firstDay...w.lastDay
        } else if let month {
            guard let m = YearMonth(month) else { throw WebError.badRequest("month \"\(month)\" is not a valid month (YYYY-MM)") }
            days = m.firstDay...m.lastDay
        }
        let sort: FeedSort
        switch params["sort"] {
        case nil: sort = days == nil ? .newest : .upvotes
        case "publishedAt"?: sort = .newest
        case "trending"?: sort = .trending
        case "upvotes"?: sort = .upvotes
        case let other?: throw WebError.badRequest("sort \"\(other)\" is not one of publishedAt, trending, upvotes")
        }
        let page = try intParameter(request, "p", default: 0, range: 0...1_000_000)
        let limit = try intParameter(request, "limit", default: 50, range: 1...100)
        let submitter = params["submitter"].flatMap { $0.isEmpty ? nil : $0 }
        let cards = try await catalog.featuredPage(days: days, submitter: submitter, sort: sort, limit: limit, offset: page * limit)
        return Responses.json(cards.map(API.DailyItem.init))
    }

    func apiSearch(_ request: Request) async throws -> Rendered {
        let parameters = try searchParameters(request, required: true)!
        let limit = try intParameter(request, "limit", default: 50, range: 1...100)
        let page = try intParameter(request, "p", default: 0, range: 0...10_000)
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter,
                                              page: page + 1, perPage: limit)
        return Responses.json(result.cards.map(API.DailyItem.init))
    }

    func apiSimilar(_ request: Request, _ text: String) async throws -> Rendered {
        guard let id = ArxivID(text) else { throw WebError.badRequest("\"\(text)\" is not an arXiv id") }
        let limit = try intParameter(request, "limit", default: 6, range: 1...50)
        guard try await catalog.store.paper(id) != nil else { throw WebError.notFound("paper \(id) not found") }
        guard catalog.searchEngine.semanticAvailable else {
            throw WebError(.serviceUnavailable, "similar papers need the embedding model, which this server does not have")
        }
        guard let similar = try await catalog.similar(id, limit: limit) else {
            throw WebError(.serviceUnavailable, "paper \(id) has not been embedded yet")
        }
        return Responses.json(similar.map(API.DailyItem.init))
    }

    func apiPaper(_ text: String) async throws -> Rendered {
        guard let id = ArxivID(text) else { throw WebError.badRequest("\"\(text)\" is not an arXiv id") }
        guard let (card, _) = try await catalog.paper(id) else { throw WebError.notFound("paper \(id) not found") }
        return Responses.json(API.PaperJSON(card))
    }

    func health() async throws -> Rendered {
        do {
            let stats = try await catalog.store.stats()
            var body: [String: Any] = ["status": "ok", "papers": stats.papers]
            if let harvest = app.harvest { body["harvest"] = harvest.healthJSON() }
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return Responses.text(String(decoding: data, as: UTF8.self), contentType: "application/json")
        } catch {
            return Responses.json(API.ErrorJSON(error: "database unavailable"), status: .serviceUnavailable)
        }
    }

    // MARK: Parameters

    func sortParameter(_ request: Request) throws -> FeedSort {
        guard let text = QueryParameters(request)["sort"] else { return .upvotes }
        guard let sort = FeedSort(rawValue: String(text)) else {
            throw WebError.badRequest("Sort \"\(text)\" is not one of upvotes, trending, newest.")
        }
        return sort
    }

    func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = QueryParameters(request)[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw WebError.badRequest("\(name) \"\(text)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// q, mode, from, to, category and page; nil when q is empty and not required.
    func searchParameters(_ request: Request, required: Bool) throws -> SearchParameters? {
        let params = QueryParameters(request)
        let q = params["q"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !q.isEmpty else {
            if required { throw WebError.badRequest("q is required: the words to search for") }
            return nil
        }
        guard q.count <= 500 else { throw WebError.badRequest("q is longer than 500 characters") }
        var parameters = SearchParameters(query: q)
        if let mode = params["mode"], !mode.isEmpty {
            guard let parsed = SearchMode(rawValue: mode) else {
                throw WebError.badRequest("mode \"\(mode)\" is not one of hybrid, keyword, semantic")
            }
            parameters.mode = parsed
        }
        for name in ["from", "to"] {
            guard let text = params[name], !text.isEmpty else { continue }
            guard let day = Day(text) else { throw WebError.badRequest("\(name) \"\(text)\" is not a valid date (YYYY-MM-DD)") }
            if name == "from" { parameters.filter.from = day } else { parameters.filter.to = day }
        }
        if let category = params["category"]?.trimmingCharacters(in: .whitespaces), !category.isEmpty {
            guard category.count <= 40, category.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw WebError.badRequest("category \"\(category)\" is not an arXiv category such as cs.CL")
            }
            parameters.filter.category = category
        }
        parameters.page = try intParameter(request, "page", default: 1, range: 1...10_000)
        return parameters
    }
}

extension FeedSort {
    /// The sort as it appears in links: the default is left out.
    var linkValue: FeedSort? { self == .upvotes ? nil : self }
}

/// Query parameters as browsers send them: `+` is a space, `%XX` a byte
/// (Hummingbird's own decoding keeps `+`).
struct QueryParameters {
    private let fields: FormFields

    init(_ request: Request) { fields = FormFields(request.uri.query ?? "") }

    subscript(_ name: String) -> String? { fields[name] }
}
