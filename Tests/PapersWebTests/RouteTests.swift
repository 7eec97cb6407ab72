import Foundation
import Hummingbird
import HummingbirdTesting
import PapersCore
import PapersStore
import PapersServices
@testable import PapersWeb
import Testing
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

struct Page {
    var status: Int
    var body: String
    var contentType: String?
}

/// Runs requests against the app in process and returns status and body.
func get(_ app: WebApp, _ uris: [String]) async throws -> [Page] {
    let application = Application(router: app.router())
    return try await application.test(.router) { client in
        var pages = [Page]()
        for uri in uris {
            let response = try await client.execute(uri: uri, method: .get)
            pages.append(Page(status: Int(response.status.code), body: String(buffer: response.body),
                              contentType: response.headers[.contentType]))
        }
        return pages
    }
}

func get(_ app: WebApp, _ uri: String) async throws -> Page { try await get(app, [uri])[0] }

func json(_ page: Page) throws -> Any { try JSONSerialization.jsonObject(with: Data(page.body.utf8)) }

@Suite(.stores) struct PageTests {
    @Test(arguments: StoreKind.available) func homeShowsTheLatestDaySortedByUpvotesAsCards(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let page = try await get(app, "/")
        #expect(page.status == 200)
        #expect(page.contentType == "text/html; charset=utf-8")
        #expect(page.body.contains("<h1>Jun 3</h1>"), "current-year days read \"Jun 3\"")
        let first = try #require(page.body.range(of: "Sparse Mixtures of Experts at Scale"))
        let second = try #require(page.body.range(of: "Diffusion Models for Protein Design"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(page.body.contains("• 2 authors"))
        #expect(page.body.contains("<span class=\"count\">40</span>"))
        #expect(page.body.contains("href=\"/papers/date/2025-06-02\""), "previous day with papers")
        #expect(page.body.contains("href=\"/papers/week/2025-W23\""))
        #expect(!page.body.contains("Old Favourite"))
    }

    @Test(arguments: StoreKind.available) func paperTextIsEscapedEverywhere(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/", "/papers/2506.00003", "/search?q=hostile", "/papers/trending"])
        for page in pages {
            #expect(page.status == 200)
            #expect(!page.body.contains("<script>alert"), "a title with <script> renders as text")
            #expect(!page.body.contains("<b>markup</b>"))
        }
        #expect(pages[0].body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Attention&quot;"))
    }

    @Test(arguments: StoreKind.available) func emptyCatalogExplainsHowToImport(_ kind: StoreKind) async throws {
        let page = try await get(Fixture.app(store: try await TestStores.make(kind)), "/")
        #expect(page.status == 200)
        #expect(page.body.contains("No papers yet"))
        #expect(page.body.contains("dailypapers import"))
    }

    @Test(arguments: StoreKind.available) func dayWeekAndMonthPages(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/papers/date/2025-06-02", "/papers/week/2025-W23", "/papers/month/2025-05",
                                        "/papers/date/2025-06-03?sort=newest", "/papers/date/2024-01-01"])
        #expect(pages[0].body.contains("Old Favourite"))
        #expect(pages[0].body.contains("href=\"/papers/date/2025-06-03\""), "next day")
        #expect(pages[1].body.contains("Week 23, 2025"))
        #expect(pages[1].body.contains("Old Favourite") && pages[1].body.contains("Sparse Mixtures"))
        #expect(!pages[1].body.contains("Last Week"))
        #expect(pages[1].body.contains("href=\"/papers/week/2025-W22\""))
        #expect(pages[2].body.contains("<h1>May 2025</h1>") && pages[2].body.contains("Last Week&#39;s Paper"))
        #expect(pages[2].body.contains("href=\"/papers/month/2025-06\""))
        // Newest first: the 10:00 entry before the 08:00 one.
        let newest = pages[3].body
        #expect(newest.range(of: "Hostile")!.lowerBound < newest.range(of: "Sparse Mixtures")!.lowerBound)
        #expect(pages[4].status == 200 && pages[4].body.contains("No papers were featured"))
    }

    @Test(arguments: StoreKind.available) func badDatesWeeksSortsAndPagesAre400s(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/papers/date/2025-02-30", "/papers/week/2025-W60", "/papers/month/2025-13",
                                        "/papers/date/2025-06-03?sort=loudest", "/search?q=x&page=0", "/search?q=x&page=abc"])
        for page in pages {
            #expect(page.status == 400)
            #expect(page.contentType == "text/html; charset=utf-8")
        }
        #expect(pages[0].body.contains("&quot;2025-02-30&quot; is not a date"))
    }

    @Test(arguments: StoreKind.available) func unknownPathsAndPapersAre404Pages(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/nowhere", "/papers/2512.99999", "/papers/not-an-id", "/papers/2512.99999.md"])
        for page in pages { #expect(page.status == 404) }
        #expect(pages[0].body.contains("Not found"))
    }

    @Test(arguments: StoreKind.available) func paperPageHasEverything(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        var paper = Fixture.paper("2506.00001", "Sparse Mixtures of Experts at Scale")
        paper.githubRepo = WebLink("https://github.com/example/moe")
        paper.githubStars = 321
        paper.projectPage = WebLink("https://example.org/moe")
        _ = try await store.write(ImportBatch(papers: [paper]))
        let page = try await get(Fixture.app(store: store), "/papers/2506.00001")
        #expect(page.status == 200)
        for text in ["Sparse Mixtures of Experts at Scale", "<a href=\"/authors/Ada%20Lovelace\">Ada Lovelace</a>, <a href=\"/authors/Alan%20Turing\">Alan Turing</a>", "We study things.",
                     "https://arxiv.org/abs/2506.00001", "https://arxiv.org/pdf/2506.00001",
                     "https://github.com/example/moe", "★ 321", "https://example.org/moe", "<span class=\"count\">40</span>",
                     "href=\"/papers/date/2025-06-03\"", "submitted by Akhaliq (akhaliq)", "Published on arXiv Jun 1",
                     "Similar papers", "Comments", "/papers/2506.00001.md"] {
            #expect(page.body.contains(text), "paper page lacks \(text)")
        }
    }

    @Test(arguments: StoreKind.available) func oldStyleIdsWork(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: [Fixture.paper("hep-th/9901001", "Strings")]))
        let pages = try await get(Fixture.app(store: store), ["/papers/hep-th/9901001", "/api/papers/hep-th/9901001", "/papers/hep-th/9901001.md"])
        #expect(pages.map(\.status) == [200, 200, 200])
        #expect(pages[2].body.hasPrefix("# Strings"))
    }

    @Test(arguments: StoreKind.available) func markdownVersion(_ kind: StoreKind) async throws {
        let page = try await get(Fixture.app(store: try await Fixture.store(kind)), "/papers/2506.00002.md")
        #expect(page.status == 200)
        #expect(page.contentType == "text/markdown; charset=utf-8")
        #expect(page.body.hasPrefix("# Diffusion Models for Protein Design\n"))
        #expect(page.body.contains("**Authors:** Ada Lovelace, Alan Turing"))
        #expect(page.body.contains("## Abstract\n\nA diffusion model that designs proteins."))
    }

    @Test(arguments: StoreKind.available) func searchPageMarksMatchesAndPaginates(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let papers = (1...25).map { Fixture.paper(String(format: "2506.%05d", $0), "Graph paper \($0)", abstract: "Graph neural networks, part \($0).") }
        _ = try await store.write(ImportBatch(papers: papers))
        let app = Fixture.app(store: store)
        let pages = try await get(app, ["/search?q=graph", "/search?q=graph&page=2", "/search?q=%22unbalanced", "/search?q=NOT+AND+OR*", "/search"])
        #expect(pages[0].body.contains("25 results for “graph” (keyword) · page 1 of 2"))
        #expect(pages[0].body.contains("no embedding model"), "the page says semantic search is off")
        #expect(pages[0].body.contains("<mark>Graph</mark> neural networks"))
        #expect(pages[0].body.contains("href=\"/search?q=graph&amp;page=2\""))
        #expect(pages[1].body.contains("page 2 of 2"))
        #expect(pages[2].status == 200 && pages[3].status == 200, "FTS syntax never errors")
        #expect(pages[4].status == 200)
    }

    @Test(arguments: StoreKind.available) func trendingRanksByDecayedVotesLikeTheAPI(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let page = try await get(app, "/papers/trending")
        let api = try #require(try json(try await get(app, "/api/daily_papers?sort=trending&limit=100")) as? [[String: Any]])
        let apiOrder = api.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
        // The README's formula, written out: (upvotes + 1) / (days since featured + 1) ^ 1.5,
        // over the papers featured in the 7 days before now (2025-06-04 12:00).
        let hoursSinceFeatured: [String: Double] = ["2506.00004": 52, "2506.00001": 28, "2506.00002": 27, "2506.00003": 26]
        let upvotes: [String: Double] = ["2506.00004": 90, "2506.00001": 40, "2506.00002": 12, "2506.00003": 3]
        func readmeScore(_ id: String) -> Double { (upvotes[id]! + 1) / pow(hoursSinceFeatured[id]! / 24 + 1, 1.5) }
        let expected = hoursSinceFeatured.keys.sorted { readmeScore($0) > readmeScore($1) }
        // 91 / 3.17^1.5 = 16.1 beats 41 / 2.17^1.5 = 12.9: two days old and 90 votes beat one day old and 40.
        #expect(expected == ["2506.00004", "2506.00001", "2506.00002", "2506.00003"])
        #expect(apiOrder == expected, "2505.00005, featured on May 27, is outside the 7-day window")
        // The page lists the same papers in the same order.
        let positions = try expected.map { try #require(page.body.range(of: "/papers/\($0)\"")).lowerBound }
        #expect(positions == positions.sorted())
        #expect(!page.body.contains("/papers/2505.00005\""))
        // The shared function computes exactly the README's score (gravity 1.5, not another).
        let featured = Day("2025-06-02")!.start.addingTimeInterval(8 * 3600)
        #expect(abs(TrendingScore.score(upvotes: 90, featuredAt: featured, now: Fixture.now) - readmeScore("2506.00004")) < 1e-9)
    }

    @Test func aFailingDatabaseGivesAPlain500NeverATrace() async throws {
        let app = Fixture.app(store: FailingStore())
        let pages = try await get(app, ["/", "/api/daily_papers?date=2025-06-03", "/healthz"])
        #expect(pages[0].status == 500)
        #expect(pages[0].body.contains("could not answer this request"))
        #expect(!pages[0].body.contains("disk I/O"))
        #expect(pages[1].status == 500)
        #expect(try json(pages[1]) as? [String: String] == ["error": "The server could not answer this request. It has been logged."])
        #expect(pages[2].status == 503)
    }
}

/// A store whose database is gone.
struct FailingStore: PaperStore {
    struct Failure: Error, CustomStringConvertible { var description = "disk I/O error at /var/lib/secret.sqlite" }
    func write(_ batch: ImportBatch) async throws -> BatchOutcome { throw Failure() }
    func paper(_ id: ArxivID) async throws -> Paper? { throw Failure() }
    func featuredEntries(for id: ArxivID) async throws -> [FeaturedEntry] { throw Failure() }
    func stats() async throws -> CatalogStats { throw Failure() }
    func featuredCards(_ query: FeaturedQuery) async throws -> [PaperCard] { throw Failure() }
    func latestFeaturedDay() async throws -> Day? { throw Failure() }
    func featuredDay(before day: Day) async throws -> Day? { throw Failure() }
    func featuredDay(after day: Day) async throws -> Day? { throw Failure() }
    func card(_ id: ArxivID) async throws -> PaperCard? { throw Failure() }
    func keywordSearch(_ query: KeywordQuery) async throws -> (cards: [PaperCard], total: Int) { throw Failure() }
    func cards(_ ids: [ArxivID]) async throws -> [PaperCard] { throw Failure() }
    func allPapers() async throws -> [Paper] { throw Failure() }
    func papers(modifiedSince since: Date) async throws -> (papers: [Paper], latest: Date?) { throw Failure() }
    func latestModification() async throws -> Date? { throw Failure() }
    func embeddingWork(model: String, limit: Int) async throws -> [EmbeddingWork] { throw Failure() }
    func embeddingBacklog(model: String) async throws -> Int { throw Failure() }
    func saveEmbeddings(_ vectors: [(work: EmbeddingWork, vector: [Float])], model: String) async throws { throw Failure() }
    func embeddings(model: String, savedSince: Date?) async throws -> (vectors: [StoredEmbedding], latest: Date?) { throw Failure() }
}
