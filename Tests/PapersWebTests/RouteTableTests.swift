import Foundation
import Hummingbird
import HummingbirdTesting
import PapersCore
import PapersStore
import PapersServices
@testable import PapersWeb
import Testing
import TestSupport

/// The route table (`SiteRoute.Endpoint`) is the only description of the site's routes: every
/// endpoint reaches a handler, and every link built from a `SiteRoute` resolves.
@Suite(.stores) struct RouteTableTests {
    /// One link of each kind. The switch makes adding a case to `SiteRoute` without a sample
    /// here a compile error.
    static let samples: [SiteRoute] = {
        let id = ArxivID("2506.00001")!
        let search = SearchParameters(query: "graph networks", mode: .keyword, filter: SearchFilter(from: Day("2025-06-01"), category: "cs.LG"), page: 2)
        let all: [SiteRoute] = [
            .home, .day(Day("2025-06-03")!, sort: .trending), .week(ISOWeek("2025-W23")!), .month(YearMonth("2025-06")!, sort: .newest),
            .trending, .paper(id), .paper(ArxivID("hep-th/9901001")!), .paperMarkdown(id), .search(nil), .search(search),
            .category("cs.LG"), .category("cs.LG", day: Day("2025-06-01")!), .category("cs.LG", trending: true), .author("Ada Lovelace"),
            .feedDaily, .feedTrending, .feedSearch(search), .feedCategory("cs.LG"), .feedAuthor("Ada Lovelace"), .openAPI,
            .signIn(next: "/papers/2506.00001"), .signUp(), .signOut, .settings, .settingsPassword, .settingsTokens,
            .settingsTokenDelete(1), .submit, .submitPaper(ArxivID("hep-th/9901001")!), .vote(id), .comments(id), .feature(id), .unfeature(id),
            .commentDelete(PaperComment.ID(1)), .commentHide(PaperComment.ID(1)), .commentUnhide(PaperComment.ID(1)),
            .subscribe, .subscribeAbout(keywords: "diffusion models"), .subscribeCategory("cs.LG"), .subscribeConfirm(token: "t"), .unsubscribe(token: "t"),
            .alerts, .newAlert(.author, query: "Ada Lovelace"), .alertDelete(1), .alertsSendVerification, .verifyEmail(token: "t"),
        ]
        for route in all {
            switch route {
            case .home, .day, .week, .month, .trending, .paper, .paperMarkdown, .search, .category, .author, .feedDaily, .feedTrending,
                 .feedSearch, .feedCategory, .feedAuthor, .subscribeCategory,
                 .openAPI, .signIn, .signUp, .signOut, .settings, .settingsPassword, .settingsTokens, .settingsTokenDelete, .submit, .submitPaper,
                 .vote, .comments, .feature, .unfeature, .commentDelete, .commentHide, .commentUnhide, .subscribe, .subscribeAbout,
                 .subscribeConfirm, .unsubscribe, .alerts, .newAlert, .alertDelete, .alertsSendVerification, .verifyEmail:
                break
            }
        }
        return all
    }()

    static let parameterSamples = ["day": "2025-06-03", "week": "2025-W23", "month": "2025-06", "id": "2506.00001",
                                   "token": "1", "comment": "1", "alert": "1", "category": "cs.LG", "name": "Ada%20Lovelace"]

    /// A pattern as Hummingbird names a matched route (`/papers/{id}`), which is what metrics record.
    static func label(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    @Test(arguments: StoreKind.available) func everyEndpointIsRegisteredByItsController(_ kind: StoreKind) async throws {
        let app = Fixture.mailApp(store: try await Fixture.store(kind))
        let registered = app.routes().endpoints
        #expect(Set(registered) == Set(SiteRoute.Endpoint.allCases), "registered by no controller: \(Set(SiteRoute.Endpoint.allCases).subtracting(registered))")
        #expect(registered.count == Set(registered).count, "an endpoint registered twice")
    }

    @Test(arguments: StoreKind.available) func everyEndpointReachesItsHandler(_ kind: StoreKind) async throws {
        let app = Fixture.mailApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            for endpoint in SiteRoute.Endpoint.allCases {
                for (n, pattern) in endpoint.patterns.enumerated() {
                    var values = Self.parameterSamples
                    if n == 1 { values["id"] = "hep-th"; values["number"] = "9901001" }
                    let path = pattern.split(separator: "/", omittingEmptySubsequences: false)
                        .map { $0.hasPrefix(":") ? values[String($0.dropFirst())]! : String($0) }.joined(separator: "/")
                    let response = try await client.execute(uri: path, method: endpoint.method,
                                                            headers: [.contentType: "application/x-www-form-urlencoded"])
                    #expect(!String(buffer: response.body).contains("There is nothing at"), "\(endpoint.method) \(path) reaches no handler")
                }
            }
        }
        let metrics = app.metrics.prometheusText()
        for endpoint in SiteRoute.Endpoint.allCases {
            for pattern in endpoint.patterns {
                #expect(metrics.contains("route=\"\(Self.label(pattern))\",method=\"\(endpoint.method.rawValue)\""),
                        "\(endpoint): \(endpoint.method) \(pattern) was not the route that answered")
            }
        }
        #expect(!metrics.contains("route=\"NotFound\""))
    }

    @Test(arguments: StoreKind.available) func everyLinkBuiltFromSiteRouteResolves(_ kind: StoreKind) async throws {
        let app = Fixture.mailApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            for route in Self.samples {
                let url = route.url.path
                #expect(url.hasPrefix("/") && !url.contains(":"), "\(route) built \(url)")
                _ = try await client.execute(uri: url, method: route.endpoint.method, headers: [.contentType: "application/x-www-form-urlencoded"])
            }
        }
        let metrics = app.metrics.prometheusText()
        #expect(!metrics.contains("route=\"NotFound\""), "a link built from SiteRoute reaches no route")
        for route in Self.samples {
            let labels = route.endpoint.patterns.map { "route=\"\(Self.label($0))\",method=\"\(route.endpoint.method.rawValue)\"" }
            #expect(labels.contains { metrics.contains($0) }, "\(route) (\(route.url)) did not reach \(route.endpoint)")
        }
        #expect(SiteRoute.search(nil).url.path == "/search")
        #expect(SiteRoute.paperMarkdown(ArxivID("2506.00001")!).url.path == "/papers/2506.00001.md")
        #expect(SiteRoute.settingsTokenDelete(7).url.path == "/settings/tokens/7/delete")
    }

    /// Every link and form on the main pages, as a member and as a visitor, leads to a route:
    /// no hand-typed path can point nowhere.
    @Test(arguments: StoreKind.available) func everyLinkOnThePagesResolves(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.mailApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            var visitor = Browser(client: client)
            var member = Browser(client: client)
            try await member.signUp("rita")
            let pages = ["/", "/papers/2506.00001", "/search?q=graph", "/papers/trending", "/papers/week/2025-W23", "/subscribe", "/signin"]
            var bodies = [String]()
            for uri in pages { bodies.append(try await visitor.get(uri).body) }
            for uri in pages + ["/settings", "/alerts", "/submit"] { bodies.append(try await member.get(uri).body) }
            var targets = Set<String>()
            for body in bodies {
                for match in body.matches(of: #/<(a|link)\s[^>]*href="(/[^"]*)"/#) { targets.insert("GET " + String(match.output.2)) }
                for match in body.matches(of: #/<form\s[^>]*>/#) {
                    let tag = String(match.output)
                    guard let action = tag.firstMatch(of: #/action="(/[^"]*)"/#)?.output.1 else { continue }
                    let method = tag.contains("method=\"post\"") ? "POST" : "GET"
                    targets.insert("\(method) \(action)")
                }
            }
            #expect(targets.count > 30, "\(targets.count) links")
            for target in targets.sorted() {
                let parts = target.split(separator: " ", maxSplits: 1)
                let uri = String(parts[1]).replacingOccurrences(of: "&amp;", with: "&").split(separator: "#").first.map(String.init) ?? ""
                let response = try await client.execute(uri: uri, method: parts[0] == "POST" ? .post : .get,
                                                        headers: [.contentType: "application/x-www-form-urlencoded"])
                #expect(!String(buffer: response.body).contains("There is nothing at"), "\(target) reaches no route")
            }
        }
        #expect(!app.metrics.prometheusText().contains("route=\"NotFound\""))
    }

    /// A path the site has, asked with a method it does not answer, is a 405 naming the methods
    /// it does (JSON under /api, a page elsewhere); a path it does not have stays a 404.
    @Test(arguments: StoreKind.available) func aWrongMethodOnAKnownPathIs405WithAllow(_ kind: StoreKind) async throws {
        let app = Fixture.mailApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            let cases: [(HTTPRequest.Method, String, UInt, String?)] = [
                (.put, "/api/daily_papers", 405, "GET, HEAD"),
                (.delete, "/api/papers/2506.00001", 405, "GET, HEAD"),
                (.patch, "/api/papers/2506.00001/comments", 405, "GET, POST, HEAD"),
                (.get, "/api/submit", 405, "POST"),
                (.init("QUERY")!, "/metrics", 405, "GET, HEAD"),
                (.post, "/papers/hep-th/9901001", 405, "GET, HEAD"),
                (.get, "/signout", 405, "POST"),
                // The vote's own route, not the old-style id's /api/papers/:id/:number.
                (.options, "/api/papers/2506.00001/vote", 405, "POST"),
                (.put, "/nowhere", 404, nil),
                (.get, "/api/nowhere", 404, nil),
            ]
            for (method, uri, status, allow) in cases {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status.code == status, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                let body = String(buffer: response.body)
                if uri.hasPrefix("/api/") {
                    #expect(body.hasPrefix("{\"error\""), "\(method) \(uri): \(body)")
                } else {
                    #expect(body.contains("<!doctype html>"), "\(method) \(uri)")
                }
            }
        }
    }
}
