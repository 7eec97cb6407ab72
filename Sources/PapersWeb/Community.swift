import Foundation
import HummingbirdBcrypt
import Hummingbird
import NIOCore
import NIOPosix
import PapersCore
import PapersIngest
import PapersStore

/// The request context of every route: who is asking (a member signed in by session cookie or
/// API token, or nobody), the CSRF token their forms must carry, and their address for rate limits.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in member, or nil.
    public var member: Member?
    /// The value of the hidden `csrf` field every state-changing form must send back; empty for
    /// a visitor who has no CSRF cookie yet (pages with forms give them one: `CommunityHandlers.form`).
    public var csrfToken = ""
    /// The hash of the session token, when signed in by cookie.
    var sessionTokenHash: String?
    /// The peer's IP address (for rate limits).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }
}

/// How the community side behaves; one value, read by the command line and passed down.
public struct CommunityConfiguration: Sendable {
    /// bcrypt cost factor (2^cost rounds); 12 takes about a quarter of a second here.
    public var bcryptCost: UInt8
    public var sessionLifetime: TimeInterval
    /// Cookies get the Secure attribute (set when the site is served over https).
    public var secureCookies: Bool
    public var rateLimits: RateLimits
    /// The arXiv Atom API that submissions of unknown papers are looked up in.
    public var arxivBaseURL: String

    public init(bcryptCost: UInt8 = 12, sessionLifetime: TimeInterval = 30 * 86_400, secureCookies: Bool = false,
                rateLimits: RateLimits = RateLimits(), arxivBaseURL: String = ArxivClient.defaultBaseURL) {
        self.bcryptCost = bcryptCost
        self.sessionLifetime = sessionLifetime
        self.secureCookies = secureCookies
        self.rateLimits = rateLimits
        self.arxivBaseURL = arxivBaseURL
    }
}

/// At most `count` attempts per `seconds`, per key.
public struct RateLimit: Sendable, Hashable {
    public var count: Int
    public var seconds: TimeInterval
    public init(_ count: Int, per seconds: TimeInterval) {
        self.count = count
        self.seconds = seconds
    }
}

/// The limits on actions that attract abuse: per client address and per account.
public struct RateLimits: Sendable {
    public var signInPerAddress = RateLimit(20, per: 300)
    public var signInPerAccount = RateLimit(10, per: 300)
    public var signUpPerAddress = RateLimit(5, per: 3600)
    public var commentPerMember = RateLimit(10, per: 600)
    public var commentPerAddress = RateLimit(30, per: 600)
    public var subscribePerAddress = RateLimit(10, per: 3600)
    /// Confirmation mails one address can be sent (so the form cannot flood an inbox).
    public var subscribePerEmail = RateLimit(3, per: 3600)
    public init() {}
}

/// Fixed-window counters in memory. Each web node counts alone; with several nodes the
/// effective limit is per node.
public actor RateLimiter {
    private var windows: [String: (start: Date, count: Int)] = [:]

    public init() {}

    /// Counts an attempt; throws a 429 naming the action and when to retry once over the limit.
    public func hit(_ action: String, key: String, limit: RateLimit, now: Date) throws(WebError) {
        let id = "\(action)\u{0}\(key)"
        if windows.count > 50_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < 3600 * 24 } }
        var window = windows[id] ?? (now, 0)
        if now.timeIntervalSince(window.start) >= limit.seconds { window = (now, 0) }
        window.count += 1
        windows[id] = window
        if window.count > limit.count {
            let retry = max(1, Int((limit.seconds - now.timeIntervalSince(window.start)).rounded(.up)))
            throw WebError(.tooManyRequests, "Too many \(action) attempts. Please wait \(Self.describe(retry)) and try again.",
                           retryAfter: retry)
        }
    }

    static func describe(_ seconds: Int) -> String {
        seconds < 90 ? "\(seconds) second\(seconds == 1 ? "" : "s")" : "\((seconds + 59) / 60) minutes"
    }
}

/// The community side's parts: its store, the signer for CSRF tokens, the rate limiter, arXiv.
public struct Community: Sendable {
    public let store: any CommunityStore
    public let signer: TokenSigner
    public let configuration: CommunityConfiguration
    public let limiter = RateLimiter()
    public let arxiv: ArxivClient
    /// Checks a password against a bcrypt hash; nil is bcrypt on NIO's thread pool (tests
    /// pass one that records which hashes were checked).
    let passwordVerifier: (@Sendable (_ password: String, _ hash: String) async throws -> Bool)?

    public init(store: any CommunityStore, secret: [UInt8], configuration: CommunityConfiguration = CommunityConfiguration(),
                passwordVerifier: (@Sendable (_ password: String, _ hash: String) async throws -> Bool)? = nil) {
        self.store = store
        signer = TokenSigner(secret: secret)
        self.configuration = configuration
        arxiv = ArxivClient(baseURL: configuration.arxivBaseURL)
        self.passwordVerifier = passwordVerifier
    }

    static let sessionCookie = "dp_session"
    static let csrfCookie = "dp_csrf"

    func csrfToken(session tokenHash: String) -> String { signer.tag("csrf:session:\(tokenHash)") }
    func csrfToken(anonymous cookie: String) -> String { signer.tag("csrf:anonymous:\(cookie)") }

    /// bcrypt runs on NIO's thread pool: it takes a quarter of a second and must not hold up a request loop.
    public func hashPassword(_ password: String) async throws -> String {
        let cost = configuration.bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        if let passwordVerifier { return try await passwordVerifier(password, hash) }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A bcrypt hash of nothing anyone knows, checked when a sign-in names no account, so a
    /// wrong username takes as long as a wrong password.
    static let decoyHash = Bcrypt.hash(TokenSigner.randomToken(), cost: 12)

    /// The visitor's CSRF cookie, set with the first page that shows them a form.
    func csrfCookie(_ value: String) -> Cookie {
        Cookie(name: Self.csrfCookie, value: value, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .lax)
    }

    func sessionCookie(_ token: String?, now: Date) -> Cookie {
        Cookie(name: Self.sessionCookie, value: token ?? "", maxAge: token == nil ? 0 : Int(configuration.sessionLifetime),
               path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .lax)
    }
}

/// Resolves who is asking and guards state-changing requests.
///
/// - A `dp_session` cookie names a session (stored as a SHA-256 hash); an `Authorization:
///   Bearer` header names an API token.
/// - Every POST, PUT, PATCH and DELETE made with cookies must carry the CSRF token, as the form
///   field `csrf` or the header `X-CSRF-Token`. Signed-in members' tokens derive from their
///   session, anonymous visitors' from a random `dp_csrf` cookie. Requests with an API token
///   carry no cookies a third-party page could ride on, so they need none; nor do the POSTs
///   that carry a signed token from an email (one-click unsubscribe, RFC 8058, and the
///   confirmation buttons): the token is the proof, and a forged request cannot have it.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let community: Community
    let now: @Sendable () -> Date

    static let exemptPrefixes = ["/unsubscribe", "/subscribe/confirm", "/verify-email"]
    static let maximumFormBytes = 256 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        let now = now()
        var bearer = false
        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer ") else {
                throw WebError(.unauthorized, "Authorization must be \"Bearer <API token>\"; create a token on the settings page")
            }
            let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard let member = try await community.store.apiTokenMember(tokenHash: TokenSigner.sha256Hex(token), now: now) else {
                throw WebError(.unauthorized, "the API token is not valid (it may have been revoked)")
            }
            context.member = member
            bearer = true
        } else if let token = request.cookies[Community.sessionCookie]?.value, !token.isEmpty {
            let hash = TokenSigner.sha256Hex(token)
            if let member = try await community.store.sessionMember(tokenHash: hash, now: now) {
                context.member = member
                context.sessionTokenHash = hash
                context.csrfToken = community.csrfToken(session: hash)
            }
        }
        if context.sessionTokenHash == nil && !bearer, let cookie = request.cookies[Community.csrfCookie]?.value, cookie.count >= 32 {
            context.csrfToken = community.csrfToken(anonymous: cookie)
        }
        let path = request.uri.path
        // API calls without a session carry no credential a third-party page could ride on
        // (they answer 401 when they need a member), so only cookie-borne requests are checked.
        let ambient = context.sessionTokenHash != nil || !path.hasPrefix("/api/")
        if ![.get, .head, .options].contains(request.method), !bearer, ambient,
           !Self.exemptPrefixes.contains(where: { path.hasPrefix($0) }) {
            var sent = request.headers[.init("X-CSRF-Token")!]
            if sent == nil {
                let body = try await request.collectBody(upTo: Self.maximumFormBytes)
                sent = FormFields(String(buffer: body))["csrf"]
            }
            // No token means the visitor never loaded one of our forms.
            guard !context.csrfToken.isEmpty, let sent, TokenSigner.constantTimeEqual(sent, context.csrfToken) else {
                throw WebError(.forbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
            }
        }
        return try await next(request, context)
    }
}

/// Fields of an `application/x-www-form-urlencoded` body or a query string: `+` is a space,
/// `%XX` a byte; the first of repeated names wins.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0]), value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[key] == nil { values[key] = value }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    static func decode(_ s: Substring) -> String {
        let plusDecoded = s.replacingOccurrences(of: "+", with: " ")
        return plusDecoded.removingPercentEncoding ?? plusDecoded
    }

    /// The form fields of a request's body (collected; at most 256 KiB).
    static func read(_ request: Request) async throws -> FormFields {
        var request = request
        let body = try await request.collectBody(upTo: SessionMiddleware.maximumFormBytes)
        return FormFields(String(buffer: body))
    }
}
