import Foundation
import Hummingbird
import HummingbirdTesting
import PapersCore
import PapersIngest
import PapersMail
import PapersSearch
import PapersStore
import PapersServices
@testable import PapersWeb
import Synchronization
import Testing
import TestSupport

/// What the README promises about passwords, sessions, tokens, rate limits, submissions and
/// the response cache, each checked on its own.
@Suite(.stores) struct PasswordAndSessionPromises {
    /// The cost a bcrypt hash was made with: `$2b$12$...`.
    static func cost(_ hash: String) -> Int? {
        let parts = hash.split(separator: "$")
        return parts.count >= 3 ? Int(parts[1]) : nil
    }

    @Test func productionHashesPasswordsWithBcryptCost12() async throws {
        // `serve` and `user create` build the community side with the default configuration.
        #expect(CommunityConfiguration().bcryptCost == 12)
        let community = Community(store: try TestStores.scratch(), secret: Array(repeating: 1, count: 32))
        let hash = try await community.hashPassword("correct horse battery")
        #expect(Self.cost(hash) == 12, "\(hash)")
        #expect(hash.hasPrefix("$2"))
        #expect(try await community.verifyPassword("correct horse battery", hash: hash))
    }

    @Test func anUnknownUsernameIsCheckedAgainstADecoyOfTheSameCost() async throws {
        // The decoy costs what a real hash costs, so checking it takes as long as a wrong password.
        #expect(Self.cost(Community.decoyHash) == Int(CommunityConfiguration().bcryptCost))
        let community = Community(store: try TestStores.scratch(), secret: Array(repeating: 1, count: 32))
        #expect(try await !community.verifyPassword("password", hash: Community.decoyHash))
        // A sign-in naming no account checks the decoy, one naming an account checks its hash,
        // and the visitor cannot tell the two apart: the same status and page.
        let store = try await Fixture.store(.sqlite)
        let known = try await store.createMember(username: "known", email: "known@example.org", passwordHash: "$2b$04$known",
                                                 isAdmin: false, now: Fixture.now)
        let checked = Mutex([String]())
        let app = WebApp(catalog: Catalog(store: store, now: { Fixture.now }, cacheSeconds: 0), configuration: WebConfiguration(),
                         community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                              configuration: CommunityConfiguration(bcryptCost: 4),
                                              passwordVerifier: { _, hash in checked.withLock { $0.append(hash) }; return false }))
        try await Application(router: app.router()).test(.router) { client in
            var visitor = Browser(client: client)
            try await visitor.get("/signin")
            let wrongPassword = try await visitor.post("/signin", ["login": known.username, "password": "not the password"])
            let unknownUser = try await visitor.post("/signin", ["login": "unknown", "password": "not the password"])
            #expect(checked.withLock { $0 } == ["$2b$04$known", Community.decoyHash])
            #expect(wrongPassword.status == 401 && unknownUser.status == 401)
            func message(_ body: String) -> String? {
                body.range(of: "<p class=\"error\" role=\"alert\">").map { String(body[$0.upperBound...].prefix { $0 != "<" }) }
            }
            #expect(message(wrongPassword.body) != nil)
            #expect(message(wrongPassword.body) == message(unknownUser.body))
        }
    }

    @Test(arguments: StoreKind.available) func sessionsLast30DaysInHashedFormAndCookiesAreSecureWhenAsked(_ kind: StoreKind) async throws {
        #expect(CommunityConfiguration().sessionLifetime == 30 * 86_400)
        let store = try await Fixture.store(kind)
        let app = WebApp(catalog: Catalog(store: store, now: { Fixture.now }, cacheSeconds: 0),
                         configuration: WebConfiguration(baseURL: "https://papers.test", responseCacheSeconds: 0),
                         community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                              configuration: CommunityConfiguration(bcryptCost: 4, secureCookies: true)))
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            let form = try await browser.get("/signup")
            #expect(form.headers[values: .setCookie].contains { $0.hasPrefix("dp_csrf=") && $0.contains("Secure") })
            let created = try await browser.post("/signup", ["username": "ada", "email": "ada@example.org", "password": "analytical engine"])
            #expect(created.status == 303)
            let line = try #require(created.headers[values: .setCookie].first { $0.hasPrefix("dp_session=") })
            for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Max-Age=2592000"] {
                #expect(line.contains(attribute), "\(attribute) missing from \(line)")
            }
            let token = try #require(browser.cookies["dp_session"])
            // The store knows the session by the SHA-256 of its token only, for 30 days from sign-up.
            #expect(try await store.sessionMember(tokenHash: token, now: Fixture.now) == nil)
            let hash = TokenSigner.sha256Hex(token)
            #expect(try await store.sessionMember(tokenHash: hash, now: Fixture.now.addingTimeInterval(30 * 86_400 - 1))?.username == "ada")
            #expect(try await store.sessionMember(tokenHash: hash, now: Fixture.now.addingTimeInterval(30 * 86_400 + 1)) == nil)

            // API tokens likewise.
            try await browser.get("/settings")
            let page = try await browser.post("/settings/tokens", ["name": "script"])
            let apiToken = try #require(page.body.range(of: "<p class=\"token\">").map { String(page.body[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(try await store.apiTokenMember(tokenHash: apiToken, now: Fixture.now) == nil)
            #expect(try await store.apiTokenMember(tokenHash: TokenSigner.sha256Hex(apiToken), now: Fixture.now)?.username == "ada")
        }
    }

    @Test(arguments: StoreKind.available) func cookiesAreNotSecureOverPlainHTTP(_ kind: StoreKind) async throws {
        let app = Fixture.communityApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            let form = try await browser.get("/signup")
            let line = try #require(form.headers[values: .setCookie].first { $0.hasPrefix("dp_csrf=") })
            #expect(!line.contains("Secure") && line.contains("HttpOnly"))
        }
    }
}

@Suite(.stores) struct RateLimitPromises {
    @Test func theDefaultNumbersAreTheREADMEs() {
        let limits = RateLimits()
        #expect(limits.signInPerAddress == RateLimit(20, per: 300))
        #expect(limits.signInPerAccount == RateLimit(10, per: 300))
        #expect(limits.signUpPerAddress == RateLimit(5, per: 3600))
        #expect(limits.commentPerMember == RateLimit(10, per: 600))
        #expect(limits.commentPerAddress == RateLimit(30, per: 600))
        #expect(limits.subscribePerAddress == RateLimit(10, per: 3600))
        #expect(limits.subscribePerEmail == RateLimit(3, per: 3600))
    }

    @Test(arguments: StoreKind.available) func theLimiterCountsPerKeyAndStartsAgainAfterTheWindow(_ kind: StoreKind) async throws {
        let database = try await TestStores.database(kind)
        let limiter = RateLimiter(store: try await database.open())
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let limit = RateLimit(2, per: 60)
        try await limiter.hit("sign-up", key: "10.0.0.1", limit: limit, now: start)
        try await limiter.hit("sign-up", key: "10.0.0.1", limit: limit, now: start.addingTimeInterval(1))
        let error = await #expect(throws: RateLimitExceeded.self) {
            try await limiter.hit("sign-up", key: "10.0.0.1", limit: limit, now: start.addingTimeInterval(2))
        }
        #expect(error?.retryAfter == 58)
        // Another address has its own count; the first starts again once its window is over.
        try await limiter.hit("sign-up", key: "10.0.0.2", limit: limit, now: start.addingTimeInterval(2))
        try await limiter.hit("sign-up", key: "10.0.0.1", limit: limit, now: start.addingTimeInterval(60))
        // The count is the database's: a second process (another node) shares it.
        let other = RateLimiter(store: try await database.open())
        try await other.hit("sign-up", key: "10.0.0.1", limit: limit, now: start.addingTimeInterval(61))
        let shared = await #expect(throws: RateLimitExceeded.self) {
            try await limiter.hit("sign-up", key: "10.0.0.1", limit: limit, now: start.addingTimeInterval(62))
        }
        #expect(shared?.retryAfter == 58, "the window that began at 60 s ends at 120 s")
    }

    /// The default limits, through the routes: every request here comes from one address.
    @Test(arguments: StoreKind.available) func signUpsPerAddressAreLimitedTo5AnHour(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        try await Application(router: app.router()).test(.router) { client in
            for n in 0..<5 {
                var browser = Browser(client: client)
                #expect(try await browser.signUp("member\(n)").status == 303)
            }
            var sixth = Browser(client: client)
            let limited = try await sixth.signUp("member5")
            #expect(limited.status == 429)
            #expect(limited.body.contains("Too many sign-up attempts"))
            #expect(try await store.members().count == 5)
        }
    }

    @Test(arguments: StoreKind.available) func signInsPerAddressAreLimitedTo20In5Minutes(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let app = Fixture.communityApp(store: store)
        // 21 accounts (made in the store: sign-ups are limited too), so only the per-address limit applies.
        let hash = try await app.community!.hashPassword("the right password")
        for n in 0...20 {
            _ = try await store.createMember(username: "user\(n)", email: "user\(n)@example.org", passwordHash: hash, isAdmin: false, now: Fixture.now)
        }
        try await Application(router: app.router()).test(.router) { client in
            var browser = Browser(client: client)
            try await browser.get("/signin")
            for n in 0..<20 {
                #expect(try await browser.post("/signin", ["login": "user\(n)", "password": "guess guess"]).status == 401)
            }
            let limited = try await browser.post("/signin", ["login": "user20", "password": "guess guess"])
            #expect(limited.status == 429 && limited.body.contains("Too many sign-in attempts"))
        }
    }

    @Test(arguments: StoreKind.available) func commentsPerAddressAreLimitedTo30In10Minutes(_ kind: StoreKind) async throws {
        let app = Fixture.communityApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            // Four members on one address, each under their own 10 per 10 minutes.
            var sent = 0
            for n in 0..<4 {
                var member = Browser(client: client)
                try await member.signUp("writer\(n)")
                try await member.get("/papers/2506.00001")
                for k in 0..<(n < 3 ? 10 : 1) {
                    let result = try await member.post("/papers/2506.00001/comments", ["text": "comment \(n)-\(k)"])
                    if sent < 30 {
                        #expect(result.status == 303, "comment \(sent + 1)")
                    } else {
                        #expect(result.status == 429 && result.body.contains("Too many comment attempts"))
                    }
                    sent += 1
                }
            }
            #expect(sent == 31)
        }
    }

    @Test(arguments: StoreKind.available) func subscriptionsAre10AnHourPerAddressAndConfirmationMails3PerEmail(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        try await Application(router: Fixture.mailApp(store: store).router()).test(.router) { client in
            var visitor = Browser(client: client)
            try await visitor.get("/subscribe")
            for n in 0..<3 {
                #expect(try await visitor.post("/subscribe", ["email": "same@example.org", "frequency": "daily"]).status == 200, "request \(n + 1)")
            }
            let fourth = try await visitor.post("/subscribe", ["email": "same@example.org", "frequency": "daily"])
            #expect(fourth.status == 429 && fourth.body.contains("Too many subscribe attempts"))
            let confirmations = try await store.claimDue(now: Date().addingTimeInterval(86_400), limit: 100, lease: 60)
            #expect(confirmations.filter { $0.entry.recipient == "same@example.org" }.count == 3)
            // Four requests so far from this address; six more pass, the eleventh does not.
            for n in 0..<6 {
                #expect(try await visitor.post("/subscribe", ["email": "other\(n)@example.org", "frequency": "daily"]).status == 200)
            }
            let eleventh = try await visitor.post("/subscribe", ["email": "eleventh@example.org", "frequency": "daily"])
            #expect(eleventh.status == 429)
            #expect(eleventh.headers[.retryAfter] != nil)
        }
    }
}

/// A stand-in for the arXiv API that knows no paper: every lookup is an empty Atom feed.
enum EmptyArxiv {
    static func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("/api/query") { _, _ -> Response in
            let feed = """
                <?xml version="1.0" encoding="UTF-8"?>
                <feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
                <title>arXiv Query</title><opensearch:totalResults>0</opensearch:totalResults></feed>
                """
            return Response(status: .ok, headers: [.contentType: "application/atom+xml"], body: .init(byteBuffer: ByteBuffer(string: feed)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite(.stores) struct SubmitAPIPromises {
    @Test(arguments: StoreKind.available) func submitAnswers201Then409AndUnknownPapers422(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        try await EmptyArxiv.application().test(.live) { arxiv in
            let app = Fixture.communityApp(store: store, arxivURL: "http://127.0.0.1:\(arxiv.port!)/api/query")
            try await Application(router: app.router()).test(.router) { client in
                var browser = Browser(client: client)
                try await browser.signUp("sam")
                try await browser.get("/settings")
                let created = try await browser.post("/settings/tokens", ["name": "script"])
                let token = try #require(created.body.range(of: "<p class=\"token\">").map { String(created.body[$0.upperBound...].prefix { $0 != "<" }) })
                var script = Browser(client: client)
                func submit(_ body: String) async throws -> Browser.Result {
                    try await script.send("/api/submit", method: .post, body: body, contentType: "application/json", accept: nil,
                                          authorization: "Bearer \(token)")
                }
                // Known here: featured today (the app's clock: 2025-06-04) with sam as submitter.
                let first = try await submit("{\"id\": \"2506.00004\"}")
                #expect(first.status == 201, "\(first.body)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
                #expect(object["day"] as? String == "2025-06-04" && object["submitter"] as? String == "sam")
                #expect((object["paper"] as? [String: Any])?["id"] as? String == "2506.00004")
                #expect(try await browser.get("/api/daily_papers?date=2025-06-04&submitter=sam").body.contains("2506.00004"))
                let again = try await submit("{\"id\": \"2506.00004\"}")
                #expect(again.status == 409)
                #expect(again.body.contains("already on today"))
                // Not here, and the arXiv API has no such paper: 422, nothing stored.
                let unknown = try await submit("{\"id\": \"2512.54321\"}")
                #expect(unknown.status == 422)
                #expect(unknown.body.contains("arXiv has no paper 2512.54321"))
                #expect(try await store.paper(ArxivID("2512.54321")!) == nil)
                #expect(try await submit("{\"id\": \"not an id\"}").status == 422)
            }
        }
    }
}

/// A clock for the cache, moved by hand.
final class ManualInstant: Sendable {
    private let current = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 += duration } }
}

/// Counts calls, safely from many tasks.
final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var count: Int { value.withLock { $0 } }
}

@Suite(.stores) struct ResponseCachePromises {
    @Test func pagesAreKeptFor2Seconds() async throws {
        #expect(WebConfiguration().responseCacheSeconds == 2)
        let clock = ManualInstant()
        let cache = TTLCache(ttl: WebConfiguration().responseCacheSeconds, now: { clock.now })
        let computed = Counter()
        @Sendable func get() async throws -> Int { try await cache.value(for: "/papers/trending") { computed.increment() } }
        #expect(try await get() == 1)
        clock.advance(.milliseconds(1999))
        #expect(try await get() == 1, "still within 2 seconds")
        #expect(try await cache.value(for: "/papers/trending?sort=new") { computed.increment() } == 2, "keyed by the whole URI")
        clock.advance(.milliseconds(1))
        #expect(try await get() == 3, "2 seconds after it was made, the page is made again")
        #expect(computed.count == 3)
    }

    @Test(arguments: StoreKind.available) func visitorsMayTrailAVoteBy2SecondsMembersNever(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let clock = ManualInstant()
        let app = WebApp(catalog: Catalog(store: store, now: { Fixture.now }, cacheSeconds: 0),
                         configuration: WebConfiguration(baseURL: "http://papers.test"),
                         community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                              configuration: CommunityConfiguration(bcryptCost: 4)),
                         cacheClock: { clock.now })
        try await Application(router: app.router()).test(.router) { client in
            var visitor = Browser(client: client), member = Browser(client: client)
            try await member.signUp("voter")
            func shown(_ browser: inout Browser) async throws -> Bool {
                try await browser.get("/papers/2506.00001").body.contains("<span class=\"count\">41</span>")
            }
            #expect(try await !shown(&visitor))  // 40 votes, now cached for visitors
            try await member.get("/papers/2506.00001")
            #expect(try await member.post("/papers/2506.00001/vote").status == 303)
            #expect(try await shown(&member), "a member's pages are never from the cache")
            clock.advance(.milliseconds(1999))
            #expect(try await !shown(&visitor), "within 2 seconds a visitor may see the old count")
            clock.advance(.milliseconds(1))
            #expect(try await shown(&visitor), "after 2 seconds the page is made again")
        }
    }

    @Test func concurrentRequestsShareOneComputation() async throws {
        let clock = ManualInstant()
        // The cache reads its clock once as each request comes in: that read counts the
        // requests that have reached the cache (not merely been started).
        let arrived = Counter(), computed = Counter()
        let cache = TTLCache(ttl: 2, now: { arrived.increment(); return clock.now })
        let requests = 10
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<requests {
                group.addTask {
                    try await cache.value(for: "/") { () async throws -> Int in
                        let number = computed.increment()
                        // Hold the computation until every request is inside the cache: a cache
                        // without single flight would start one computation per request here.
                        while arrived.count < requests { await Task.yield() }
                        return number
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(arrived.count == requests)
        #expect(results == Array(repeating: 1, count: requests))
        #expect(computed.count == 1)
    }

    @Test func failuresAreNotKept() async throws {
        let cache = TTLCache(ttl: 2, now: { ContinuousClock.now })
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await cache.value(for: "k") { () async throws -> Int in throw Boom() } }
        #expect(try await cache.value(for: "k") { 7 } == 7)
    }
}
