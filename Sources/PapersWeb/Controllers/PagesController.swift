import Foundation
import Hummingbird
import PapersCore
import PapersSearch
import PapersServices

/// The catalog's pages: the latest day, a day, week or month, trending, a paper (and its
/// Markdown) and search.
struct PagesController: SiteController {
    let app: WebApp
    var catalog: Catalog { app.catalog }
    var renderer: PageRenderer { app.renderer }

    func addRoutes(to routes: SiteRoutes) {
        let cache = app.cache
        routes.pages
            .on(.home) { request, context in try await cache.respond(request, context) { try await home(request, $0) } }
            .on(.day) { request, context in
                let text = try RequestInput.parameter(context, "day")
                return try await cache.respond(request, context) { try await day(request, text, $0) }
            }
            .on(.week) { request, context in
                let text = try RequestInput.parameter(context, "week")
                return try await cache.respond(request, context) { try await week(request, text, $0) }
            }
            .on(.month) { request, context in
                let text = try RequestInput.parameter(context, "month")
                return try await cache.respond(request, context) { try await month(request, text, $0) }
            }
            .on(.trending) { request, context in try await cache.respond(request, context) { try await trending($0) } }
            .on(.paper) { request, context in
                let text = RequestInput.paperIDText(context)
                return try await cache.respond(request, context) { try await paper(text, $0) }
            }
            .on(.search) { request, context in try await cache.respond(request, context) { try await search(request, $0) } }
            .on(.category) { request, context in
                let category = try RequestInput.category(try RequestInput.parameter(context, "category"))
                return try await cache.respond(request, context) { try await categoryPage(request, category, $0) }
            }
            .on(.author) { request, context in
                let name = try RequestInput.authorName(try RequestInput.parameter(context, "name"))
                return try await cache.respond(request, context) { try await authorPage(name, $0) }
            }
    }

    func home(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        guard let latest = try await catalog.latestDay() else { return Responses.html(try await renderer.pages(viewer, showing: []).emptyCatalog()) }
        return try await dayPage(latest, sort: try RequestInput.sort(request), viewer)
    }

    func day(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let day = Day(text) else { throw WebError.badRequest("\"\(text)\" is not a date: use YYYY-MM-DD, e.g. 2025-06-02.") }
        return try await dayPage(day, sort: try RequestInput.sort(request), viewer)
    }

    func dayPage(_ day: Day, sort: FeedSort, _ viewer: Viewer?) async throws -> Rendered {
        let cards = try await catalog.featured(days: day...day, sort: sort)
        let pages = try await renderer.pages(viewer, showing: cards)
        let (previous, next) = try await catalog.neighbours(of: day)
        let extra: HTML = "<a href=\"\(SiteRoute.week(day.isoWeek).url)\">Week</a> <a href=\"\(SiteRoute.month(day.yearMonth).url)\">Month</a>"
        return Responses.html(pages.list(period: .day(day), heading: DisplayDate.short(day, now: catalog.now()), cards: cards, sort: sort,
                                         previous: previous.map { .day($0, sort: sort.linkValue) },
                                         next: next.map { .day($0, sort: sort.linkValue) }, extraNav: extra))
    }

    func week(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let week = ISOWeek(text) else { throw WebError.badRequest("\"\(text)\" is not an ISO week: use YYYY-Www, e.g. 2025-W23.") }
        let heading = "Week \(week.week), \(week.year) · \(DisplayDate.range(week.firstDay, week.lastDay, now: catalog.now()))"
        return try await periodPage(.week(week), days: week.firstDay...week.lastDay, heading: heading, sort: try RequestInput.sort(request),
                                    previous: .week(week.previous), next: .week(week.next), viewer)
    }

    func month(_ request: Request, _ text: String, _ viewer: Viewer?) async throws -> Rendered {
        guard let month = YearMonth(text) else { throw WebError.badRequest("\"\(text)\" is not a month: use YYYY-MM, e.g. 2025-06.") }
        return try await periodPage(.month(month), days: month.firstDay...month.lastDay, heading: DisplayDate.monthName(month),
                                    sort: try RequestInput.sort(request), previous: .month(month.previous), next: .month(month.next), viewer)
    }

    /// A week or month: each paper once, sorted; "next" only when later days have papers.
    func periodPage(_ period: Pages.Period, days: ClosedRange<Day>, heading: String, sort: FeedSort,
                    previous: Pages.Period, next: Pages.Period, _ viewer: Viewer?) async throws -> Rendered {
        let cards = TrendingScore.onePerPaper(try await catalog.featured(days: days, sort: sort))
        let pages = try await renderer.pages(viewer, showing: cards)
        let latest = try await catalog.latestDay()
        return Responses.html(pages.list(period: period, heading: heading, cards: sort.apply(cards, now: try await catalog.trendingNow()), sort: sort,
                                         previous: previous.route(sort.linkValue),
                                         next: latest.map { $0 > days.upperBound } == true ? next.route(sort.linkValue) : nil))
    }

    func trending(_ viewer: Viewer?) async throws -> Rendered {
        let cards = try await catalog.trending()
        return Responses.html(try await renderer.pages(viewer, showing: cards).trending(cards, windowDays: Catalog.trendingWindowDays))
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
        let comments = try await app.communityService?.comments(paper: id) ?? []
        return Responses.html(try await renderer.pages(viewer, showing: [card] + (similar ?? [])).paper(
            card, featured: featured, similar: similar, semanticAvailable: catalog.searchEngine.semanticAvailable, comments: comments))
    }

    /// A category's papers by publication day, newest first, or its trending list (`?sort=trending`).
    func categoryPage(_ request: Request, _ category: String, _ viewer: Viewer?) async throws -> Rendered {
        let query = RequestInput.query(request)
        if let sort = query["sort"], !sort.isEmpty {
            guard sort == "trending" else { throw WebError.badRequest("sort \"\(sort)\" is not trending (or leave it out for the newest)") }
            let cards = try await catalog.trending(inCategory: category)
            return Responses.html(try await renderer.pages(viewer, showing: cards).category(category, day: nil, cards: cards, previous: nil, next: nil))
        }
        var day: Day?
        if let text = query["date"], !text.isEmpty {
            guard let parsed = Day(text) else { throw WebError.badRequest("date \"\(text)\" is not a valid date (YYYY-MM-DD)") }
            day = parsed
        }
        guard let found = try await catalog.category(category, on: day) else {
            throw WebError.notFound("No paper in this catalog is in \(category).")
        }
        return Responses.html(try await renderer.pages(viewer, showing: found.cards)
            .category(category, day: found.day, cards: found.cards, previous: found.previous, next: found.next))
    }

    func authorPage(_ name: String, _ viewer: Viewer?) async throws -> Rendered {
        let cards = try await catalog.papers(byAuthor: name)
        guard !cards.isEmpty else { throw WebError.notFound("No paper in this catalog is by \(name).") }
        return Responses.html(try await renderer.pages(viewer, showing: cards).author(name, cards: cards))
    }

    func search(_ request: Request, _ viewer: Viewer?) async throws -> Rendered {
        let available = catalog.searchEngine.semanticAvailable
        guard let parameters = try RequestInput.search(request, required: false) else {
            return Responses.html(try await renderer.pages(viewer, showing: []).search(SearchParameters(query: ""), result: nil, semanticAvailable: available))
        }
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter, page: parameters.page)
        // An arXiv id or link goes straight to the paper.
        if result.arxivID != nil, let card = result.cards.first { return Responses.redirecting(to: .paper(card.paper.id)) }
        return Responses.html(try await renderer.pages(viewer, showing: result.cards).search(parameters, result: result, semanticAvailable: available))
    }
}

extension FeedSort {
    /// The sort as it appears in links: the default is left out.
    var linkValue: FeedSort? { self == .upvotes ? nil : self }
}
