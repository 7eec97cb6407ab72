import Hummingbird
import PapersCore
import PapersServices

/// RSS 2.0 feeds: the latest day, trending and a search.
struct FeedsController: SiteController {
    let app: WebApp
    var catalog: Catalog { app.catalog }
    var siteName: String { app.configuration.siteName }

    func addRoutes(to routes: SiteRoutes) {
        let cache = app.cache
        routes.pages
            .on(.feedDaily) { request, _ in try await cache.respond(request) { try await daily() } }
            .on(.feedTrending) { request, _ in try await cache.respond(request) { try await trending() } }
            .on(.feedSearch) { request, _ in try await cache.respond(request) { try await search(request) } }
            .on(.feedCategory) { request, _ in try await cache.respond(request) { try await category(request) } }
            .on(.feedAuthor) { request, _ in try await cache.respond(request) { try await author(request) } }
    }

    func daily() async throws -> Rendered {
        let latest = try await catalog.latestDay()
        var cards = [PaperCard]()
        if let latest { cards = try await catalog.featured(days: latest...latest, sort: .upvotes) }
        return rss(title: "\(siteName): daily papers", description: "Papers featured \(latest.map { "on \($0)" } ?? "daily")",
                   link: .home, feed: .feedDaily, cards: cards)
    }

    func trending() async throws -> Rendered {
        rss(title: "\(siteName): trending papers", description: "Trending papers, by time-decayed upvotes",
            link: .trending, feed: .feedTrending, cards: Array(try await catalog.trending().prefix(50)))
    }

    func search(_ request: Request) async throws -> Rendered {
        let parameters = try RequestInput.search(request, required: true)!
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter, page: 1, perPage: 50)
        return rss(title: "\(siteName): search “\(parameters.query)”", description: "Papers matching \(parameters.query)",
                   link: .search(parameters), feed: .feedSearch(parameters), cards: result.cards)
    }

    /// A category's newest 50 papers (by arXiv publication).
    func category(_ request: Request) async throws -> Rendered {
        let category = try RequestInput.category(RequestInput.query(request)["category"] ?? "")
        return rss(title: "\(siteName): \(category)", description: "New papers in \(category)",
                   link: .category(category), feed: .feedCategory(category), cards: try await catalog.newest(inCategory: category, limit: 50))
    }

    /// An author's newest 50 papers.
    func author(_ request: Request) async throws -> Rendered {
        let name = try RequestInput.authorName(RequestInput.query(request)["name"] ?? "")
        return rss(title: "\(siteName): papers by \(name)", description: "Papers by \(name)",
                   link: .author(name), feed: .feedAuthor(name), cards: Array(try await catalog.papers(byAuthor: name).prefix(50)))
    }

    func rss(title: String, description: String, link: SiteRoute, feed: SiteRoute, cards: [PaperCard]) -> Rendered {
        let base = app.configuration.resolvedBaseURL
        return Responses.text(RSSFeed.render(title: title, description: description, link: link.url.absolute(base: base),
                                             selfURL: feed.url.absolute(base: base), cards: cards, baseURL: base),
                              contentType: "application/rss+xml; charset=utf-8")
    }
}
