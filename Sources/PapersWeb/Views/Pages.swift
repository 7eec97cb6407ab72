import Foundation
import PapersCore
import PapersSearch
import PapersServices

/// Page bodies. Every function returns a whole page through `Layout.page`.
struct Pages {
    let siteName: String
    let now: Date
    /// Who is looking; nil for the anonymous (cacheable) version of a page.
    var viewer: Viewer? = nil

    func layout(title: String, siteName: String, query: String = "", head: HTML = .empty, body: HTML) -> HTML {
        Layout.page(title: title, siteName: siteName, query: query, head: head, viewer: viewer, body: body)
    }

    enum Period {
        case day(Day), week(ISOWeek), month(YearMonth)

        func route(_ sort: FeedSort?) -> SiteRoute {
            switch self {
            case let .day(d): return .day(d, sort: sort)
            case let .week(w): return .week(w, sort: sort)
            case let .month(m): return .month(m, sort: sort)
            }
        }
    }

    func list(period: Period, heading: String, cards: [PaperCard], sort: FeedSort,
              previous: SiteRoute?, next: SiteRoute?, extraNav: HTML = .empty) -> HTML {
        let sorts = FeedSort.allCases.map { s -> HTML in
            let label = s == .upvotes ? "Upvotes" : s == .trending ? "Trending" : "Newest"
            return s == sort ? "<strong>\(label)</strong>" : "<a href=\"\(period.route(s == .upvotes ? nil : s).url)\">\(label)</a>"
        }
        let nav = pager(previous: previous, next: next, extra: extraNav, sorts: sorts.joined())
        let content = cards.isEmpty
            ? HTML("<p class=\"empty\">No papers were featured in this period.</p>")
            : CardView.list(cards, now: now, viewer: viewer)
        return layout(title: heading, siteName: siteName, body: """
            <h1>\(heading)</h1>
            \(nav)
            \(content)
            """)
    }

    /// Previous and next links, and the sort choices.
    func pager(previous: SiteRoute?, next: SiteRoute?, extra: HTML = .empty, sorts: HTML) -> HTML {
        """
        <div class="pager">
          \(previous.map { (r: SiteRoute) -> HTML in "<a rel=\"prev\" href=\"\(r.url)\">← Previous</a>" })
          \(next.map { (r: SiteRoute) -> HTML in "<a rel=\"next\" href=\"\(r.url)\">Next →</a>" })
          \(extra)
          <span class="spacer"></span>
          <span class="sorts">Sort:\(sorts)</span>
        </div>
        """
    }

    /// A category's papers published on `day` (with links to the days before and after), or,
    /// without a day, its trending list.
    func category(_ category: String, day: Day?, cards: [PaperCard], previous: Day?, next: Day?) -> HTML {
        let heading = day.map { "\(category) · \(DisplayDate.short($0, now: now))" } ?? "\(category) · trending"
        let sorts: HTML = day == nil
            ? "<a href=\"\(SiteRoute.category(category).url)\">Newest</a> <strong>Trending</strong>"
            : "<strong>Newest</strong> <a href=\"\(SiteRoute.category(category, trending: true).url)\">Trending</a>"
        let nav = pager(previous: previous.map { .category(category, day: $0) }, next: next.map { .category(category, day: $0) }, sorts: sorts)
        let content = cards.isEmpty
            ? HTML("<p class=\"empty\">Nothing in \(category) has been featured in the last \(Catalog.trendingWindowDays) days.</p>")
            : CardView.list(cards, now: now, viewer: viewer)
        return layout(title: heading, siteName: siteName, body: """
            <h1>\(heading)</h1>
            <p class="follow">Papers in the arXiv category \(category)\(day == nil ? "" : ", by the day arXiv published them"):
            <a href="\(SiteRoute.feedCategory(category).url)">RSS</a> ·
            <a href="\(SiteRoute.subscribeCategory(category).url)">Mail me new papers in \(category)</a></p>
            \(nav)
            \(content)
            """)
    }

    /// Every paper of an author, newest first.
    func author(_ name: String, cards: [PaperCard]) -> HTML {
        let alert = SiteRoute.newAlert(.author, query: name)
        let mail: HTML = viewer?.member == nil
            ? "<a href=\"\(SiteRoute.signIn(next: alert.url.path).url)\">Sign in</a> to be mailed new papers by \(name)"
            : "<a href=\"\(alert.url)\">Mail me new papers by \(name)</a>"
        return layout(title: name, siteName: siteName, body: """
            <h1>\(name)</h1>
            <p class="follow">\(cards.count) paper\(cards.count == 1 ? "" : "s") in this catalog, newest first:
            <a href="\(SiteRoute.feedAuthor(name).url)">RSS</a> · \(mail)</p>
            \(CardView.list(cards, now: now, viewer: viewer))
            """)
    }

    func trending(_ cards: [PaperCard], windowDays: Int) -> HTML {
        let content = cards.isEmpty
            ? HTML("<p class=\"empty\">Nothing has been featured in the last \(windowDays) days.</p>")
            : CardView.list(cards, now: now, viewer: viewer)
        return layout(title: "Trending", siteName: siteName, body: """
            <h1>Trending papers</h1>
            <p class="pager">Papers featured in the last \(windowDays) days, ranked by upvotes that decay with age:
            score = (upvotes + 1) / (days since featured + 1)^\(String(TrendingScore.gravity)). <a href="\(SiteRoute.feedTrending.url)">RSS</a></p>
            \(content)
            """)
    }

    /// The first-run page: no papers yet, and how to get some.
    func emptyCatalog() -> HTML {
        layout(title: "", siteName: siteName, body: """
            <h1>No papers yet</h1>
            <div class="empty">
            <p>This Daily Papers site has no papers in its database yet. Import some:</p>
            <pre>dailypapers import path/to/hf-daily/          # Hugging Face daily-papers JSON files
            dailypapers import arxiv-metadata.jsonl.gz       # the arXiv metadata snapshot</pre>
            <p>Then reload this page. <code>dailypapers import --help</code> lists every format.</p>
            </div>
            """)
    }

    func paper(_ card: PaperCard, featured: [FeaturedEntry], similar: [PaperCard]?, semanticAvailable: Bool, comments: [PaperComment] = []) -> HTML {
        let p = card.paper
        var links: [HTML] = [
            "<a href=\"\(p.absURL)\">arXiv abstract</a>",
            "<a href=\"\(p.pdfURL)\">PDF</a>",
        ]
        if let repo = p.githubRepo {
            links.append("<a href=\"\(repo.url)\">GitHub\(p.githubStars.map { " ★ \($0)" } ?? "")</a>")
        }
        if let page = p.projectPage { links.append("<a href=\"\(page.url)\">Project page</a>") }
        links.append("<a href=\"\(SiteRoute.paperMarkdown(p.id).url)\">Markdown</a>")
        let featuredList = featured.map { entry -> HTML in
            let by = entry.submitter.map { (u: HubUser) -> HTML in " · submitted by \(u.fullname ?? u.user) (\(u.user))" }
            return "<li><a href=\"\(SiteRoute.day(entry.day).url)\">\(DisplayDate.short(entry.day, now: now))</a>\(by)</li>"
        }
        let published = p.publishedAt.map { (d: Date) -> HTML in "<p>Published on arXiv \(DisplayDate.short(d, now: now))\(p.version > 0 ? " (v\(p.version))" : "")</p>" }
        let categories = p.categories.map { (c: String) -> HTML in "<a class=\"tag\" href=\"\(SiteRoute.category(c).url)\">\(c)</a> " }
        let authors = p.authors.map { (name: String) -> HTML in "<a href=\"\(SiteRoute.author(name).url)\">\(name)</a>" }
        return layout(title: p.title, siteName: siteName, body: """
            <article class="paper">
            <h1>\(p.title)</h1>
            <p class="authors">\(authors.joined(separator: ", "))</p>
            \(published)
            <p>\(categories)</p>
            <p class="links">\(links.joined(separator: " "))</p>
            <div class="paper-votes">\(VoteControl.render(card, viewer: viewer, next: SiteRoute.paper(p.id).url.path))</div>
            <section><h2>Abstract</h2><p class="abstract">\(p.abstract)</p></section>
            \(p.aiSummary.map { (s: String) -> HTML in "<section><h2>Summary</h2><p>\(s)</p></section>" })
            <section><h2>Featured</h2>\(featured.isEmpty ? HTML("<p class=\"placeholder\">Not featured on a daily page yet.</p>") : "<ul>\(featuredList)</ul>")</section>
            <section id="similar"><h2>Similar papers</h2>\(similarSection(similar, semanticAvailable: semanticAvailable))</section>
            \(followAuthors(p.authors))
            \(adminTools(p.id, featured: featured))
            \(commentsSection(p.id, comments: comments))
            </article>
            """)
    }

    func similarSection(_ similar: [PaperCard]?, semanticAvailable: Bool) -> HTML {
        guard semanticAvailable else {
            return "<p class=\"placeholder\">Similar papers need the embedding model, which this server does not have.</p>"
        }
        guard let similar else {
            return "<p class=\"placeholder\">This paper has not been embedded yet; similar papers appear once it has.</p>"
        }
        return similar.isEmpty ? "<p class=\"placeholder\">No similar papers found.</p>" : CardView.list(similar, now: now, viewer: viewer)
    }

    func search(_ parameters: SearchParameters, result: SearchResults?, semanticAvailable: Bool) -> HTML {
        let form = searchForm(parameters, semanticAvailable: semanticAvailable)
        guard let result else {
            return layout(title: "Search", siteName: siteName, body: """
                <h1>Search</h1>
                \(form)
                <p>Search titles, abstracts and authors by keyword, by meaning, or both (hybrid). Use "quotes" for a phrase.</p>
                """)
        }
        let query = parameters.query
        let previous = result.page > 1 ? HTML("<a rel=\"prev\" href=\"\(SiteRoute.search(parameters.with(page: result.page - 1)).url)\">← Previous</a>") : .empty
        let next = result.page < result.pageCount ? HTML("<a rel=\"next\" href=\"\(SiteRoute.search(parameters.with(page: result.page + 1)).url)\">Next →</a>") : .empty
        var content = result.cards.isEmpty ? HTML("<p class=\"empty\">No paper matches “\(query)”.</p>") : CardView.list(result.cards, now: now, viewer: viewer)
        if let id = result.arxivID, result.cards.isEmpty {
            content = """
                <p class="empty">arXiv:\(id.rawValue) is not in this catalog yet.
                <a href="\(SiteRoute.submitPaper(id).url)">Fetch it from arXiv</a> and put it on today's page,
                or read it <a href="https://arxiv.org/abs/\(id.rawValue)">on arXiv</a>.</p>
                """
        }
        var notices = [HTML]()
        if let n = result.notice { notices.append("<p class=\"notice\">\(n)</p>") }
        if let correction = result.correction {
            var corrected = parameters
            corrected.query = correction
            corrected.page = 1
            var asTyped = parameters
            asTyped.query = "\"\(query)\""
            asTyped.page = 1
            notices.append("""
                <p class="notice">Did you mean <a href="\(SiteRoute.search(corrected).url)"><strong>\(correction)</strong></a>? Showing its results.
                Search for <a href="\(SiteRoute.search(asTyped).url)">“\(query)”</a> as typed instead.</p>
                """)
        }
        let notice = notices.joined()
        return layout(title: "Search: \(query)", siteName: siteName, query: query, body: """
            <h1>Search</h1>
            \(form)
            \(notice)
            <div class="pager"><span>\(result.total) result\(result.total == 1 ? "" : "s") for “\(query)” (\(result.mode.rawValue)) · page \(result.page) of \(result.pageCount)</span>
            <span class="spacer"></span><a href="\(SiteRoute.feedSearch(parameters).url)">RSS</a></div>
            \(followSearch(query))
            \(content)
            <div class="pager">\(previous) \(next)</div>
            """)
    }

    func searchForm(_ p: SearchParameters, semanticAvailable: Bool) -> HTML {
        let modes = SearchMode.allCases.map { mode -> HTML in
            let checked = mode == p.mode ? " checked" : ""
            let label = mode == .hybrid ? "Hybrid" : mode == .keyword ? "Keyword" : "Semantic"
            return "<label><input type=\"radio\" name=\"mode\" value=\"\(mode.rawValue)\"\(HTML(raw: checked))> \(label)</label>"
        }
        return """
        <form class="searchform" action="\(SiteRoute.search(nil).url)" method="get">
          <input type="search" name="q" value="\(p.query)" placeholder="Search papers" aria-label="Search words">
          <fieldset class="modes"><legend>Mode</legend>\(modes)</fieldset>
          <label>From <input type="date" name="from" value="\(p.filter.from?.description ?? "")"></label>
          <label>To <input type="date" name="to" value="\(p.filter.to?.description ?? "")"></label>
          <label>Category <input type="text" name="category" value="\(p.filter.category ?? "")" placeholder="cs.CL" size="8"></label>
          <label>Author <input type="text" name="author" value="\(p.filter.author ?? "")" placeholder="Yejin Choi" size="14"></label>
          <button type="submit">Search</button>
          \(semanticAvailable ? HTML.empty : HTML("<p class=\"notice\">Keyword search only: this server has no embedding model.</p>"))
        </form>
        """
    }

    func error(status: Int, message: String) -> HTML {
        layout(title: "Error \(status)", siteName: siteName, body: """
            <h1>\(status == 404 ? "Not found" : "Something is wrong")</h1>
            <p class="empty">\(message)</p>
            <p><a href="\(SiteRoute.home.url)">Back to today's papers</a></p>
            """)
    }
}

/// The Markdown version of a paper page (`/papers/{id}.md`, Hugging Face's `read_paper`).
enum PaperMarkdown {
    static func render(_ card: PaperCard, featured: [FeaturedEntry]) -> String {
        let p = card.paper
        var lines = ["# \(p.title)", ""]
        lines.append("**Authors:** \(p.authors.joined(separator: ", "))")
        if let published = p.publishedAt { lines.append("**Published:** \(Day(published))") }
        lines.append("**arXiv:** [\(p.id)](\(p.absURL)) · [PDF](\(p.pdfURL))")
        if !p.categories.isEmpty { lines.append("**Categories:** \(p.categories.joined(separator: ", "))") }
        if let repo = p.githubRepo { lines.append("**Code:** \(repo.url)\(p.githubStars.map { " (\($0) stars)" } ?? "")") }
        if let page = p.projectPage { lines.append("**Project page:** \(page.url)") }
        lines.append("**Upvotes:** \(card.upvotes)")
        if !featured.isEmpty { lines.append("**Featured:** \(featured.map { $0.day.description }.joined(separator: ", "))") }
        lines += ["", "## Abstract", "", p.abstract]
        if let summary = p.aiSummary { lines += ["", "## Summary", "", summary] }
        return lines.joined(separator: "\n") + "\n"
    }
}
