import Foundation
import Hummingbird
import HummingbirdTesting
import PapersCore
import PapersIngest
import PapersSearch
import PapersStore
import PapersServices
@testable import PapersWeb
import TestSupport
import Testing

extension Fixture {
    /// The fixture catalog with the community side on: cheap bcrypt, tight rate limits.
    static func communityApp(store: any SiteStore, arxivURL: String = "http://127.0.0.1:9/api/query",
                             limits: RateLimits = RateLimits()) -> WebApp {
        WebApp(catalog: Catalog(store: store, now: { now }, cacheSeconds: 0),
               configuration: WebConfiguration(host: "127.0.0.1", port: 8080, baseURL: "http://papers.test", responseCacheSeconds: 2),
               community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                    configuration: CommunityConfiguration(bcryptCost: 4, rateLimits: limits, arxivBaseURL: arxivURL)))
    }
}

/// A browser in miniature: keeps cookies, reads the CSRF token from the last page, posts forms.
struct Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf = ""

    struct Result {
        var status: Int
        var body: String
        var location: String?
        var headers: HTTPFields
    }

    @discardableResult
    mutating func get(_ uri: String, accept: String? = nil) async throws -> Result {
        try await send(uri, method: .get, body: nil, contentType: nil, accept: accept)
    }

    /// Posts a form with this browser's CSRF token (unless `csrf` is given, "" for none).
    @discardableResult
    mutating func post(_ uri: String, _ fields: [String: String] = [:], csrf: String? = nil, accept: String? = nil) async throws -> Result {
        var all = fields
        let token = csrf ?? self.csrf
        if !token.isEmpty { all["csrf"] = token }
        let body = all.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send(uri, method: .post, body: body, contentType: "application/x-www-form-urlencoded", accept: accept)
    }

    mutating func send(_ uri: String, method: HTTPRequest.Method, body: String?, contentType: String?, accept: String?,
                       authorization: String? = nil) async throws -> Result {
        var headers = HTTPFields()
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if let contentType { headers[.contentType] = contentType }
        if let accept { headers[.accept] = accept }
        if let authorization { headers[.authorization] = authorization }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for line in response.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let text = String(buffer: response.body)
        if let range = text.range(of: "name=\"csrf\" value=\"") {
            csrf = String(text[range.upperBound...].prefix { $0 != "\"" })
        }
        return Result(status: Int(response.status.code), body: text, location: response.headers[.location], headers: response.headers)
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// Signs up (loading the form first, as a person would) and returns the response.
    @discardableResult
    mutating func signUp(_ username: String, password: String = "correct horse battery", email: String? = nil) async throws -> Result {
        try await get("/signup")
        let result = try await post("/signup", ["username": username, "email": email ?? "\(username)@example.org", "password": password])
        // Like a browser, follow the redirect: the next page carries the signed-in CSRF token.
        if result.status == 303, let location = result.location { try await get(location) }
        return result
    }
}

func upvotes(_ browser: inout Browser, _ id: String) async throws -> Int {
    let result = try await browser.get("/api/papers/\(id)")
    let object = try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as! [String: Any]
    return object["upvotes"] as! Int
}

@Suite(.stores) struct CommunityTests {
    @Test(arguments: StoreKind.available) func signUpSignOutSignInVoteTwiceAndComment(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            let form = try await browser.get("/signup")
            #expect(form.status == 200)
            #expect(!browser.csrf.isEmpty)
            #expect(browser.cookies["dp_csrf"] != nil)
            let created = try await browser.post("/signup", ["username": "ada", "email": "ada@example.org", "password": "analytical engine"])
            #expect(created.status == 303)
            let session = try #require(browser.cookies["dp_session"])
            #expect(created.headers[values: .setCookie].contains { $0.contains("dp_session") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
            #expect(try await store.sessionMember(tokenHash: session, now: Fixture.now) == nil, "the database keeps only a hash")
            #expect(try await browser.get("/").body.contains("ada"))

            #expect(try await browser.post("/signout").status == 303)
            #expect(browser.cookies["dp_session"] == nil)
            let settings = try await browser.get("/settings")
            #expect(settings.status == 303 && settings.location?.hasPrefix("/signin") == true, "signed out: settings redirect to sign in, not \(String(describing: settings.location))")
            try await browser.get("/signin")
            #expect(try await browser.post("/signin", ["login": "ada", "password": "wrong password"]).status == 401)
            #expect(try await browser.post("/signin", ["login": "ADA@example.org", "password": "analytical engine", "next": "/papers/2506.00002"]).location == "/papers/2506.00002")

            let before = try await upvotes(&browser, "2506.00002")
            try await browser.get("/papers/2506.00002")
            let first = try await browser.post("/papers/2506.00002/vote", ["next": "/papers/2506.00002"])
            #expect(first.status == 303)
            #expect(first.location == "/papers/2506.00002")
            #expect(try await upvotes(&browser, "2506.00002") == before + 1)
            let page = try await browser.get("/papers/date/2025-06-03")
            #expect(page.body.contains("aria-pressed=\"true\""))
            let second = try await browser.post("/papers/2506.00002/vote", accept: "application/json")
            #expect(second.status == 200)
            #expect(second.body.contains("\"upvoted\":false"))
            #expect(try await upvotes(&browser, "2506.00002") == before)

            let comment = try await browser.post("/papers/2506.00002/comments", ["text": "Lovely <b>result</b> & proof\nsecond line"])
            #expect(comment.status == 303)
            let paper = try await browser.get("/papers/2506.00002")
            #expect(paper.body.contains("Lovely &lt;b&gt;result&lt;/b&gt; &amp; proof\nsecond line"))
            #expect(paper.body.contains("<strong>ada</strong>"))
            let api = try await browser.get("/api/papers/2506.00002/comments")
            #expect(api.body.contains("\"author\":\"ada\""))
            let list = try await browser.get("/api/daily_papers?date=2025-06-03")
            #expect(list.body.contains("\"numComments\":2"), "the imported comment count plus the member's")
        }
    }

    @Test(arguments: StoreKind.available) func formsWithoutTheRightCSRFTokenAreRefused(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            // No form loaded: no CSRF cookie at all.
            #expect(try await browser.post("/signup", ["username": "eve", "email": "eve@example.org", "password": "password123"], csrf: "").status == 403)
            try await browser.signUp("bob")
            let good = browser.csrf
            let before = try await upvotes(&browser, "2506.00001")
            let missing = try await browser.post("/papers/2506.00001/vote", csrf: "")
            #expect(missing.status == 403)
            #expect(missing.body.contains("expired or was sent from another site"))
            #expect(try await browser.post("/papers/2506.00001/vote", csrf: good + "x").status == 403)
            // Another visitor's token does not work for this session.
            var other = Browser(client: client)
            try await other.get("/signin")
            #expect(try await browser.post("/papers/2506.00001/vote", csrf: other.csrf).status == 403)
            #expect(try await upvotes(&browser, "2506.00001") == before)
            #expect(try await browser.post("/papers/2506.00001/vote").status == 303)
            #expect(try await upvotes(&browser, "2506.00001") == before + 1)
            #expect(try await store.members().map(\.username) == ["bob"])
        }
    }

    @Test(arguments: StoreKind.available) func signInAndCommentsAreRateLimitedWithAClear429(_ kind: StoreKind) async throws {
        var limits = RateLimits()
        limits.signInPerAccount = RateLimit(3, per: 300)
        limits.commentPerMember = RateLimit(2, per: 600)
        let app = Fixture.communityApp(store: try await Fixture.store(kind), limits: limits)
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            try await browser.signUp("carol")
            var attacker = Browser(client: client)
            try await attacker.get("/signin")
            for _ in 0..<3 {
                #expect(try await attacker.post("/signin", ["login": "carol", "password": "guess guess"]).status == 401)
            }
            let limited = try await attacker.post("/signin", ["login": "carol", "password": "correct horse battery"])
            #expect(limited.status == 429)
            #expect(limited.body.contains("Too many sign-in attempts"))
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            for n in 0..<2 { #expect(try await browser.post("/papers/2506.00001/comments", ["text": "comment \(n)"]).status == 303) }
            let third = try await browser.post("/papers/2506.00001/comments", ["text": "one too many"])
            #expect(third.status == 429)
            #expect(third.body.contains("Too many comment attempts"))
        }
    }

    @Test(arguments: StoreKind.available) func membersAndVisitorsCanDoOnlyWhatTheyMay(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        _ = try await store.createMember(username: "root", email: "root@example.org",
                                         passwordHash: try await app.community!.hashPassword("admin password"), isAdmin: true, now: Fixture.now)
        try await Application(router: app.router()).test(.router) { client in
            var alice = Browser(client: client), mallory = Browser(client: client), admin = Browser(client: client), visitor = Browser(client: client)
            try await alice.signUp("alice")
            try await mallory.signUp("mallory")
            try await admin.get("/signin")
            #expect(try await admin.post("/signin", ["login": "root", "password": "admin password"]).status == 303)
            try await alice.post("/papers/2506.00001/comments", ["text": "alice's secret opinion"])
            let comment = try #require(try await store.comments(paper: ArxivID("2506.00001")!).first)

            // Visitors cannot vote: the form sends them to sign in, the API says 401; nothing counts.
            let before = try await upvotes(&visitor, "2506.00001")
            try await visitor.get("/signin")
            #expect(try await visitor.post("/papers/2506.00001/vote").location?.hasPrefix("/signin") == true)
            #expect(try await visitor.post("/papers/2506.00001/vote", accept: "application/json").status == 401)
            #expect(try await visitor.send("/api/papers/2506.00001/vote", method: .post, body: nil, contentType: nil, accept: nil).status == 401)
            #expect(try await upvotes(&visitor, "2506.00001") == before)
            #expect(!(try await visitor.get("/papers/2506.00001").body.contains("action=\"/papers/2506.00001/comments\"")))

            // Mallory can neither delete nor hide Alice's comment, nor feature papers.
            try await mallory.get("/papers/2506.00001")
            #expect(try await mallory.post("/comments/\(comment.id)/delete").status == 403)
            #expect(try await mallory.post("/comments/\(comment.id)/hide").status == 403)
            #expect(try await mallory.post("/papers/2506.00001/feature", ["day": "2025-06-04"]).status == 403)
            #expect(try await store.comment(comment.id)?.hiddenAt == nil)

            // The admin hides it: visitors see that it was hidden, not what it said.
            try await admin.get("/papers/2506.00001")
            #expect(try await admin.post("/comments/\(comment.id)/hide").status == 303)
            let hidden = try await visitor.get("/papers/2506.00001")
            #expect(hidden.body.contains("hidden by a moderator"))
            #expect(!hidden.body.contains("alice's secret opinion"))
            #expect(try await admin.get("/papers/2506.00001").body.contains("alice&#39;s secret opinion"))

            // The admin features a paper on a day and takes it off again.
            #expect(try await admin.post("/papers/2506.00004/feature", ["day": "2025-06-04"]).status == 303)
            #expect(try await admin.get("/api/daily_papers?date=2025-06-04").body.contains("2506.00004"))
            #expect(try await admin.post("/papers/2506.00004/unfeature", ["day": "2025-06-04"]).status == 303)
            #expect(!(try await admin.get("/api/daily_papers?date=2025-06-04").body.contains("2506.00004")))

            // Alice deletes her own comment.
            try await alice.get("/papers/2506.00001")
            #expect(try await alice.post("/comments/\(comment.id)/delete").status == 303)
            #expect(try await store.comment(comment.id) == nil)
        }
    }

    @Test(arguments: StoreKind.available) func hostileAndOverlongInputIsRefusedOrRenderedAsText(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        var limits = RateLimits()
        limits.signUpPerAddress = RateLimit(100, per: 60)
        let app = Fixture.communityApp(store: store, limits: limits)
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            let script = try await browser.signUp("<script>alert(1)</script>")
            #expect(script.status == 422)
            #expect(script.body.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
            #expect(!script.body.contains("<script>alert(1)"))
            let sql = "x'; DROP TABLE members; --"
            #expect(try await browser.signUp("robert", email: sql).status == 422)
            #expect(try await browser.signUp(String(repeating: "a", count: 33)).body.contains("2 to 32 characters"))
            #expect(try await browser.signUp("shorty", password: "short").body.contains("password must be 8 to 72 bytes"))
            #expect(try await browser.signUp("longpw", password: String(repeating: "p", count: 73)).status == 422)
            try await browser.get("/signin")
            #expect(try await browser.post("/signin", ["login": sql, "password": sql]).status == 401)
            #expect(try await browser.post("/signin", ["login": String(repeating: "l", count: 300), "password": "x"]).status == 422)
            #expect(try await browser.signUp("robert_tables", email: "robert+tables@example.org").status == 303)
            try await browser.get("/papers/2506.00003")
            #expect(try await browser.post("/papers/2506.00003/comments", ["text": "<script>alert('c')</script> \(sql)"]).status == 303)
            let page = try await browser.get("/papers/2506.00003")
            #expect(page.body.contains("&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt; x&#39;; DROP TABLE members; --"))
            #expect(!page.body.contains("<script>alert("), "neither the hostile title nor the comment runs")
            let long = try await browser.post("/papers/2506.00003/comments", ["text": String(repeating: "w", count: 5001)])
            #expect(long.status == 422)
            #expect(long.body.contains("the limit is 5000"))
            #expect(try await browser.post("/papers/2506.00003/comments", ["text": "   "]).status == 422)
            #expect(try await store.members().count == 1)
            #expect(try await store.comments(paper: ArxivID("2506.00003")!).count == 1)
        }
    }

    @Test(arguments: StoreKind.available) func apiTokensVoteCommentAndAreRevocable(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            try await browser.signUp("dora")
            try await browser.get("/settings")
            let created = try await browser.post("/settings/tokens", ["name": "my <script>"])
            #expect(created.body.contains("my &lt;script&gt;"))
            let token = try #require(created.body.range(of: "<p class=\"token\">").map { String(created.body[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(token.hasPrefix("dp_"))
            var script = Browser(client: client)
            func api(_ path: String, _ body: String?, token: String = token) async throws -> Browser.Result {
                try await script.send(path, method: .post, body: body, contentType: body == nil ? nil : "application/json", accept: nil,
                                      authorization: "Bearer \(token)")
            }
            let vote = try await api("/api/papers/2506.00001/vote", "{\"upvoted\": true}")
            #expect(vote.status == 200)
            #expect(vote.body.contains("\"upvoted\":true"))
            let again = try await api("/api/papers/2506.00001/vote", "{\"upvoted\": true}")
            #expect(again.body.contains("\"upvotes\":41"), "setting an upvote twice counts once")
            let comment = try await api("/api/papers/2506.00001/comments", "{\"text\": \"from a script\"}")
            #expect(comment.status == 201)
            #expect(comment.body.contains("\"author\":\"dora\""))
            let bad = try await api("/api/papers/2506.00001/comments", "{\"txt\": 1}")
            #expect(bad.status == 400)
            #expect(try await api("/api/papers/2506.00001/vote", nil, token: "dp_forged").status == 401)
            let settings = try await browser.get("/settings")
            #expect(settings.body.contains("my &lt;script&gt;"))
            #expect(!settings.body.contains(token), "a token is shown once only")
            let tokenID = try #require(try await store.apiTokens(member: try await store.members()[0].id).first?.id)
            #expect(try await browser.post("/settings/tokens/\(tokenID)/delete").status == 303)
            #expect(try await api("/api/papers/2506.00001/vote", nil).status == 401)
        }
    }

    @Test(arguments: StoreKind.available) func changingThePasswordEndsOtherSessions(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            var laptop = Browser(client: client), phone = Browser(client: client)
            try await laptop.signUp("erin", password: "first password")
            try await phone.get("/signin")
            #expect(try await phone.post("/signin", ["login": "erin", "password": "first password"]).status == 303)
            try await laptop.get("/settings")
            #expect(try await laptop.post("/settings/password", ["current": "nope nope", "password": "second password"]).status == 401)
            let changed = try await laptop.post("/settings/password", ["current": "first password", "password": "second password"])
            #expect(changed.body.contains("Your password was changed"))
            #expect(try await laptop.get("/settings").status == 200)
            #expect(try await phone.get("/settings").status == 303, "the other session was signed out")
            try await phone.get("/signin")
            #expect(try await phone.post("/signin", ["login": "erin", "password": "first password"]).status == 401)
            #expect(try await phone.post("/signin", ["login": "erin", "password": "second password"]).status == 303)
        }
    }

    /// With a model, a paper fetched from arXiv on submission is embedded before the answer:
    /// its similar papers are there at once, not a 503 until background embedding gets to it.
    @Test(.enabled(if: SharedData.available, SharedData.absentMessage), arguments: StoreKind.available)
    func aSubmittedPaperIsEmbeddedAtOnce(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let engine = SearchEngine(store: store, embedder: try TestModel.embedder.get())
        while try await engine.embedPending() > 0 {}
        try await ArxivReplay.application().test(.live) { arxiv in
            let app = WebApp(catalog: Catalog(store: store, searchEngine: engine, now: { Fixture.now }, cacheSeconds: 0),
                             configuration: WebConfiguration(baseURL: "http://papers.test", responseCacheSeconds: 0),
                             community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                                  configuration: CommunityConfiguration(bcryptCost: 4, arxivBaseURL: "http://127.0.0.1:\(arxiv.port!)/api/query")))
            try await Application(router: app.router()).test(.router) { client in
                var browser = Browser(client: client)
                #expect(try await browser.get("/api/papers/1605.08386/similar").status == 404, "not in the catalog yet")
                try await browser.signUp("gina")
                try await browser.get("/submit")
                #expect(try await browser.post("/submit", ["id": "1605.08386"]).location == "/papers/1605.08386")
                #expect(try await store.embeddingBacklog(model: engine.embedder!.modelID) == 0)
                let similar = try await browser.get("/api/papers/1605.08386/similar?limit=3")
                #expect(similar.status == 200, "\(similar.body)")
                #expect((try JSONSerialization.jsonObject(with: Data(similar.body.utf8)) as? [Any])?.count == 3)
            }
        }
    }

    @Test(.enabled(if: SharedData.available, SharedData.absentMessage), arguments: StoreKind.available)
    func submissionsLookUnknownPapersUpOnArxiv(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        try await ArxivReplay.application().test(.live) { arxiv in
            let app = Fixture.communityApp(store: store, arxivURL: "http://127.0.0.1:\(arxiv.port!)/api/query")
            // arXiv's HTTP 400 for a malformed id becomes a message that says what arXiv said.
            let refused = await #expect(throws: ArxivLookupError.self) { try await app.community!.arxiv.lookup(idList: "abc") }
            #expect(refused.map { "\($0)".contains("incorrect id format for abc") } == true, "\(String(describing: refused))")
            try await Application(router: app.router()).test(.router) { client in
                var browser = Browser(client: client)
                try await browser.signUp("frank")
                try await browser.get("/submit")
                // Known here: featured today with frank as submitter.
                #expect(try await browser.post("/submit", ["id": "https://arxiv.org/abs/2506.00004v2"]).location == "/papers/2506.00004")
                let today = try await browser.get("/api/daily_papers?date=2025-06-04&submitter=frank")
                #expect(today.body.contains("2506.00004"))
                #expect(try await browser.get("/papers/2506.00004").body.contains("submitted by frank"))
                #expect(try await browser.get("/papers/date/2025-06-04").body.contains("· submitted by frank</span>"), "the card names the submitter")
                let again = try await browser.post("/submit", ["id": "2506.00004"])
                #expect(again.status == 409)
                #expect(again.body.contains("already on today&#39;s page"))
                // Unknown here: fetched from (the replay of) arXiv.
                #expect(try await browser.post("/submit", ["id": "1605.08386"]).location == "/papers/1605.08386")
                let fetched = try #require(try await store.paper(ArxivID("1605.08386")!))
                #expect(fetched.title.contains("Heat-bath random walks"))
                #expect(try await browser.get("/").body.contains("Heat-bath random walks"))
                // Old-style id, fetched too.
                #expect(try await browser.post("/submit", ["id": "astro-ph/0601001"]).location == "/papers/astro-ph/0601001")
                // arXiv has no such paper: a clear message, nothing stored.
                let missing = try await browser.post("/submit", ["id": "0808.05394"])
                #expect(missing.status == 422)
                #expect(missing.body.contains("arXiv has no paper 0808.05394"))
                let malformed = try await browser.post("/submit", ["id": "abc"])
                #expect(malformed.status == 422)
                #expect(malformed.body.contains("is not an arXiv id"))
            }
        }
    }
}
