import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PapersCore
import PapersIngest
import PapersMail
import PapersStore
import PapersSearch
import TestSupport
import PapersServices
@testable import PapersWeb
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite(.stores) struct APITests {
    func items(_ app: WebApp, _ uri: String) async throws -> [[String: Any]] {
        let page = try await get(app, uri)
        #expect(page.status == 200, "\(uri): \(page.body)")
        return try #require(try json(page) as? [[String: Any]])
    }

    func ids(_ items: [[String: Any]]) -> [String] {
        items.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
    }

    @Test(arguments: StoreKind.available) func dailyPapersByDateHasTheHuggingFaceShape(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let list = try await items(app, "/api/daily_papers?date=2025-06-03")
        #expect(ids(list) == ["2506.00001", "2506.00002", "2506.00003"], "a day's papers, most upvoted first")
        let item = list[0]
        let paper = try #require(item["paper"] as? [String: Any])
        #expect(paper["title"] as? String == "Sparse Mixtures of Experts at Scale")
        #expect(paper["upvotes"] as? Int == 40)
        #expect((paper["authors"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Ada Lovelace", "Alan Turing"])
        #expect(paper["publishedAt"] as? String == "2025-06-01T00:00:00.000Z")
        #expect(paper["submittedOnDailyAt"] as? String == "2025-06-03T08:00:00.000Z")
        #expect(paper["discussionId"] as? String == "2506.00001")
        #expect(item["publishedAt"] as? String == "2025-06-03T08:00:00.000Z", "the item's publishedAt is when it was featured")
        #expect(item["numComments"] as? Int == 1)
        #expect((item["submittedBy"] as? [String: Any])?["user"] as? String == "akhaliq")
        #expect(item["title"] as? String == paper["title"] as? String)
    }

    @Test(arguments: StoreKind.available) func weekMonthSubmitterSortPageAndLimit(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        #expect(ids(try await items(app, "/api/daily_papers?week=2025-W23")) == ["2506.00004", "2506.00001", "2506.00002", "2506.00003"])
        #expect(ids(try await items(app, "/api/daily_papers?month=2025-05")) == ["2505.00005"])
        #expect(ids(try await items(app, "/api/daily_papers?submitter=someone")) == ["2506.00002", "2505.00005"])
        #expect(ids(try await items(app, "/api/daily_papers?week=2025-W23&sort=publishedAt")) == ["2506.00003", "2506.00002", "2506.00001", "2506.00004"])
        #expect(ids(try await items(app, "/api/daily_papers?week=2025-W23&limit=2")) == ["2506.00004", "2506.00001"])
        #expect(ids(try await items(app, "/api/daily_papers?week=2025-W23&limit=2&p=1")) == ["2506.00002", "2506.00003"])
        #expect(ids(try await items(app, "/api/daily_papers?week=2025-W23&limit=2&p=2")) == [], "a page past the end is []")
        #expect(ids(try await items(app, "/api/daily_papers?limit=1")) == ["2506.00003"], "no period: newest first")
    }

    @Test(arguments: ["date=2025-13-01", "date=yesterday", "week=2025-W99", "month=2025-00", "limit=0", "limit=101",
                      "limit=ten", "p=-1", "sort=best", "date=2025-06-03&week=2025-W23"])
    func invalidParametersAre400JSON(query: String) async throws {
        let page = try await get(Fixture.app(store: try await Fixture.store(.sqlite)), "/api/daily_papers?\(query)")
        #expect(page.status == 400)
        #expect(page.contentType?.hasPrefix("application/json") == true)
        let error = try #require(try json(page) as? [String: String])
        let name = String(query.split(separator: "=")[0])
        #expect(error["error"]?.contains(name) == true, "the message names \(name): \(error)")
    }

    @Test(arguments: StoreKind.available) func paperAndSearchEndpoints(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let paper = try #require(try json(try await get(app, "/api/papers/2506.00002")) as? [String: Any])
        #expect(paper["id"] as? String == "2506.00002")
        #expect(paper["summary"] as? String == "A diffusion model that designs proteins.")
        #expect((paper["submittedOnDailyBy"] as? [String: Any])?["user"] as? String == "someone")
        let versioned = try await get(app, "/api/papers/2506.00002v1")
        #expect(versioned.status == 200)
        let missing = try await get(app, "/api/papers/2512.99999")
        #expect(missing.status == 404)
        #expect(try json(missing) as? [String: String] == ["error": "paper 2512.99999 not found"])
        #expect(try await get(app, "/api/papers/nonsense").status == 400)
        let found = try await items(app, "/api/papers/search?q=protein+diffusion")
        #expect(ids(found) == ["2506.00002"])
        #expect((found.first?["highlightedSummary"] as? String)?.contains("<mark>diffusion</mark>") == true)
        #expect(try await get(app, "/api/papers/search").status == 400)
        #expect(try await items(app, "/api/papers/search?q=%22%28%29*%3A").isEmpty)
    }

    @Test(arguments: StoreKind.available) func openAPIDocumentDescribesEveryRoute(_ kind: StoreKind) async throws {
        let app = Fixture.communityApp(store: try await Fixture.store(kind))
        let doc = try #require(try json(try await get(app, "/api/openapi.json")) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        let documented = Set(paths.keys)
        // Every public route is documented (pages excepted), and every documented operation answers.
        let apiPatterns = SiteRoute.Endpoint.allCases.map(\.pattern).filter { $0.hasPrefix("/api/") || $0.hasPrefix("/feeds/") || $0 == "/healthz" || $0 == "/metrics" }
        #expect(apiPatterns.contains("/api/daily_papers") && apiPatterns.contains("/api/submit") && apiPatterns.contains("/feeds/daily.xml"))
        for pattern in apiPatterns where !pattern.contains(":number") {
            let openAPIPath = pattern.replacingOccurrences(of: ":id", with: "{id}")
            #expect(documented.contains(openAPIPath), "\(pattern) is not in the OpenAPI document")
        }
        // (method names and whether each operation declares security), Sendable for the test client.
        let operations: [(path: String, get: Bool, post: Bool, secured: Bool)] = paths.map { path, ops in
            (path, ops["get"] != nil, ops["post"] != nil, (ops["post"] as? [String: Any])?["security"] != nil)
        }
        #expect(operations.filter(\.get).count >= 5 && operations.filter(\.post).count >= 3, "\(operations.map(\.path))")
        let application = Application(router: app.router())
        try await application.test(.router) { client in
            for operation in operations {
                let path = operation.path
                let query = path.contains("search") ? "?q=sparse" : path.hasSuffix("category.xml") ? "?category=cs.LG"
                    : path.hasSuffix("author.xml") ? "?name=Ada+Lovelace" : ""
                let uri = path.replacingOccurrences(of: "{id}", with: "2506.00001") + query
                if operation.get {
                    // Without a model, similar papers answer 503 as documented.
                    let expected: UInt = path.hasSuffix("/similar") ? 503 : 200
                    #expect(try await client.execute(uri: uri, method: .get).status.code == expected, "GET \(uri) is documented but does not answer")
                }
                if operation.post {
                    // Every POST needs an API token, as documented.
                    #expect(operation.secured)
                    let response = try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
                    #expect(response.status == .unauthorized, "POST \(uri) without a token must answer 401")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available) func feedsAreWellFormedRSS(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        for uri in ["/feeds/daily.xml", "/feeds/trending.xml", "/feeds/search.xml?q=diffusion"] {
            let page = try await get(app, uri)
            #expect(page.status == 200)
            #expect(page.contentType == "application/rss+xml; charset=utf-8")
            let parser = XMLParser(data: Data(page.body.utf8))
            #expect(parser.parse(), "\(uri) is not well-formed XML")
            #expect(page.body.contains("<link>http://papers.test/papers/"))
        }
        let daily = try await get(app, "/feeds/daily.xml")
        #expect(daily.body.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Attention&quot;</title>"))
        #expect(daily.body.contains("<pubDate>Tue, 03 Jun 2025 08:00:00 GMT</pubDate>"))
    }

    @Test(arguments: StoreKind.available) func healthAndMetrics(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/healthz", "/papers/2506.00001", "/papers/2506.00002", "/nowhere", "/metrics"])
        let health = try #require(try json(pages[0]) as? [String: Any])
        #expect(health["status"] as? String == "ok")
        #expect(health["papers"] as? Int == 5)
        let metrics = pages[4].body
        #expect(metrics.contains("# TYPE http_requests_total counter"))
        #expect(metrics.contains("http_requests_total{route=\"/papers/{id}\",method=\"GET\",status=\"200\"} 2"))
        #expect(metrics.contains("http_requests_total{route=\"NotFound\",method=\"GET\",status=\"404\"} 1"))
        #expect(metrics.contains("http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"))
    }
}

@Suite(.stores) struct CoreDisplayTests {
    @Test func cardDatesReadLikeTheReferenceSite() {
        let now = Fixture.now
        #expect(DisplayDate.short(Day("2023-08-31")!, now: now) == "Aug 31, 2023")
        #expect(DisplayDate.short(Day("2025-02-21")!, now: now) == "Feb 21")
        // Email is read later than it is sent: its dates always carry the year.
        #expect(DisplayDate.long(Day("2025-02-21")!) == "Feb 21, 2025")
        #expect(DisplayDate.longRange(Day("2026-03-27")!...Day("2026-03-27")!) == "Mar 27, 2026")
        #expect(DisplayDate.longRange(Day("2026-03-27")!...Day("2026-04-02")!) == "Mar 27 – Apr 2, 2026")
        #expect(DisplayDate.longRange(Day("2025-12-29")!...Day("2026-01-04")!) == "Dec 29, 2025 – Jan 4, 2026")
    }

    @Test func trendingScoreDecaysWithAge() {
        let now = Fixture.now
        let fresh = TrendingScore.score(upvotes: 10, featuredAt: now.addingTimeInterval(-3600), now: now)
        let old = TrendingScore.score(upvotes: 10, featuredAt: now.addingTimeInterval(-48 * 3600), now: now)
        #expect(fresh > old)
        #expect(abs(fresh - 11 / pow(1 + 1.0 / 24, 1.5)) < 1e-12)
        let popularOld = TrendingScore.score(upvotes: 500, featuredAt: now.addingTimeInterval(-48 * 3600), now: now)
        #expect(popularOld > fresh)
    }

    @Test func htmlInterpolationEscapes() {
        let title = "<img src=x onerror=alert(1)>"
        let html: HTML = "<h1 title=\"\(title)\">\(title)</h1>"
        #expect(html.rendered == "<h1 title=\"&lt;img src=x onerror=alert(1)&gt;\">&lt;img src=x onerror=alert(1)&gt;</h1>")
        #expect(CardView.marked("a \u{2}<b>\u{3} c").rendered == "a <mark>&lt;b&gt;</mark> c")
        #expect(CardView.marked("é\u{2}中\u{3}🦄\u{2}x&").rendered == "é<mark>中</mark>🦄<mark>x&amp;</mark>", "an open mark is closed")
        #expect(CardView.marked("\u{2}\u{3}").rendered == "<mark></mark>")
    }
}

@Suite(.stores) struct SemanticWebTests {
    func app(_ kind: StoreKind) async throws -> WebApp {
        let store = try await Fixture.store(kind)
        let engine = SearchEngine(store: store, embedder: try TestModel.embedder.get())
        while try await engine.embedPending() > 0 {}
        return WebApp(catalog: Catalog(store: store, searchEngine: engine, now: { Fixture.now }, cacheSeconds: 0),
                      configuration: WebConfiguration(baseURL: "http://papers.test"))
    }

    @Test(arguments: StoreKind.available) func similarPapersOnThePageAndInTheAPI(_ kind: StoreKind) async throws {
        let app = try await app(kind)
        let pages = try await get(app, ["/papers/2506.00002", "/api/papers/2506.00002/similar?limit=2", "/api/papers/2512.99999/similar"])
        let section = try #require(pages[0].body.components(separatedBy: "<section id=\"similar\"><h2>Similar papers</h2>").dropFirst().first)
        let similarOnPage = section.components(separatedBy: "</section>")[0]
        #expect(similarOnPage.contains("<article class=\"card\">"))
        #expect(!similarOnPage.contains("/papers/2506.00002\""), "a paper is not similar to itself")
        let similar = try #require(try json(pages[1]) as? [[String: Any]])
        #expect(similar.count == 2)
        #expect(!similar.contains { ($0["paper"] as? [String: Any])?["id"] as? String == "2506.00002" })
        #expect(pages[2].status == 404)
    }

    /// The value of the series `name{labels}` in Prometheus text, or nil when it is absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").lazy.compactMap { line -> Double? in
            guard line.hasPrefix(series + " ") else { return nil }
            return Double(line.dropFirst(series.count + 1))
        }.first
    }

    @Test(arguments: StoreKind.available) func searchEmbeddingMailAndHarvestRecordTheirOwnSeriesOnMetrics(_ kind: StoreKind) async throws {
        let metrics = PrometheusMetrics()
        let store = try await Fixture.store(kind)
        let engine = SearchEngine(store: store, embedder: try TestModel.embedder.get(), metrics: metrics.factory)
        var embedded = 0
        while case let n = try await engine.embedPending(), n > 0 { embedded += n }
        #expect(embedded == 5)
        let monitor = HarvestMonitor(factory: metrics.factory)
        let app = WebApp(catalog: Catalog(store: store, searchEngine: engine, now: { Fixture.now }, cacheSeconds: 0),
                         configuration: WebConfiguration(baseURL: "http://papers.test", responseCacheSeconds: 0),
                         metrics: metrics, harvest: monitor)
        var counts = HarvestCounts()
        (counts.requests, counts.read, counts.new, counts.updated, counts.unchanged) = (2, 7, 3, 1, 3)
        monitor.finished("arxiv:cs", HarvestRunRecord(at: Date(timeIntervalSince1970: 1_750_000_000), succeeded: true, counts: counts))
        monitor.finished("arxiv:cs", HarvestRunRecord(at: Date(timeIntervalSince1970: 1_750_086_400), succeeded: false,
                                                      counts: HarvestCounts(), error: "timed out"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-outbox-\(UUID())").path
        let outbox = Outbox(store: store, transport: FileTransport(folder: folder), logger: Logger(label: "test"), metrics: metrics.factory)
        _ = try await store.enqueue((0..<2).map { OutboxEntry(key: "m\($0)", sender: "papers@example.org", recipient: "r\($0)@example.org",
                                                             message: Array("Subject: \($0)\r\n\r\nbody\r\n".utf8)) },
                                    now: Date().addingTimeInterval(-10))
        #expect(try await outbox.deliverDue() == DeliveryReport(sent: 2))
        let pages = try await get(app, ["/search?q=experts&mode=keyword", "/search?q=experts&mode=semantic", "/api/papers/search?q=experts", "/metrics"])
        #expect(pages.map(\.status) == [200, 200, 200, 200])
        let text = pages[3].body
        #expect(Self.sample(text, #"search_queries_total{mode="keyword"}"#) == 1)
        #expect(Self.sample(text, #"search_queries_total{mode="semantic"}"#) == 1)
        #expect(Self.sample(text, #"search_queries_total{mode="hybrid"}"#) == 1, "the API searches in hybrid mode")
        #expect(Self.sample(text, #"search_duration_seconds_count{mode="semantic"}"#) == 1)
        #expect(Self.sample(text, "embedding_papers_total") == 5)
        #expect(Self.sample(text, #"mail_messages_total{outcome="sent"}"#) == 2)
        #expect(Self.sample(text, #"harvest_runs_total{source="arxiv:cs"}"#) == 2)
        #expect(Self.sample(text, #"harvest_failures_total{source="arxiv:cs"}"#) == 1)
        #expect(Self.sample(text, #"harvest_last_run_success{source="arxiv:cs"}"#) == 0, "the last run failed")
        #expect(Self.sample(text, #"harvest_last_run_timestamp_seconds{source="arxiv:cs"}"#) == 1_750_086_400)
        #expect(Self.sample(text, #"harvest_papers_total{source="arxiv:cs",outcome="new"}"#) == 3)
        #expect(Self.sample(text, #"http_requests_total{route="/search",method="GET",status="200"}"#) == 2)
        #expect(text.contains("# TYPE http_request_duration_seconds histogram"))
    }

    @Test(arguments: StoreKind.available) func similarPapersAnswer503UntilThePaperIsEmbedded(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let engine = SearchEngine(store: store, embedder: try TestModel.embedder.get())
        let app = WebApp(catalog: Catalog(store: store, searchEngine: engine, now: { Fixture.now }, cacheSeconds: 0),
                         configuration: WebConfiguration(baseURL: "http://papers.test", responseCacheSeconds: 0))
        let before = try await get(app, "/api/papers/2506.00002/similar")
        #expect(before.status == 503)
        #expect(try json(before) as? [String: String] != nil, "a JSON error")
        while try await engine.embedPending() > 0 {}
        let after = try await get(app, "/api/papers/2506.00002/similar")
        #expect(after.status == 200)
        #expect((try json(after) as? [[String: Any]])?.isEmpty == false)
    }

    @Test(arguments: StoreKind.available) func searchModesFiltersAndErrors(_ kind: StoreKind) async throws {
        let app = try await app(kind)
        let pages = try await get(app, ["/search?q=proteins+designed+by+denoising&mode=semantic", "/api/papers/search?q=enzyme+generation&mode=semantic&limit=1",
                                        "/api/papers/search?q=x&mode=psychic", "/search?q=x&from=2025-13-01", "/search?q=x&category=%3Cscript%3E",
                                        "/api/papers/search?q=sparse&mode=hybrid&category=cs.LG&from=2025-06-01&to=2025-06-30"])
        #expect(pages[0].body.contains("(semantic)"))
        #expect(pages[0].body.contains("Diffusion Models for Protein Design"))
        let top = try #require(try json(pages[1]) as? [[String: Any]])
        #expect((top.first?["paper"] as? [String: Any])?["id"] as? String == "2506.00002")
        #expect(pages[2].status == 400 && pages[2].body.contains("mode"))
        #expect(pages[3].status == 400 && pages[4].status == 400)
        #expect(!pages[4].body.contains("<script>"))
        let filtered = try #require(try json(pages[5]) as? [[String: Any]])
        #expect(!filtered.isEmpty, "sparse, in cs.LG, published in June 2025: 2506.00001")
        #expect(filtered.allSatisfy { (($0["paper"] as? [String: Any])?["categories"] as? [String])?.contains("cs.LG") == true })
    }
}
