import Foundation
import HummingbirdBcrypt
import Hummingbird
import NIOCore
import NIOPosix
import PapersCore
import PapersIngest
import PapersServices
import PapersStore

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

/// The community side's parts: its store, the signer for CSRF tokens, the rate limiter, arXiv.
public struct Community: Sendable {
    public let store: any CommunityService.Store
    public let signer: TokenSigner
    public let configuration: CommunityConfiguration
    public let limiter: RateLimiter
    public let arxiv: ArxivClient
    /// Checks a password against a bcrypt hash; nil is bcrypt on NIO's thread pool (tests
    /// pass one that records which hashes were checked).
    let passwordVerifier: (@Sendable (_ password: String, _ hash: String) async throws -> Bool)?

    public init(store: any CommunityService.Store, secret: [UInt8], configuration: CommunityConfiguration = CommunityConfiguration(),
                passwordVerifier: (@Sendable (_ password: String, _ hash: String) async throws -> Bool)? = nil) {
        self.store = store
        limiter = RateLimiter(store: store)
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

    // MARK: Accounts

    /// The member a login (username or email) and password name; nil when either is wrong.
    /// An unknown login is still checked against a decoy hash, so it takes as long.
    func authenticate(login: String, password: String) async throws -> Member? {
        let found = try await store.credentials(login: login)
        let valid = try await verifyPassword(password, hash: found?.passwordHash ?? Community.decoyHash)
        return valid ? found?.member : nil
    }

    /// A new member, after the username, email and password rules.
    func signUp(username: String, email: String, password: String, now: Date) async throws -> Member {
        let username = try CommunityRules.username(username)
        let email = try CommunityRules.email(email)
        try CommunityRules.password(password)
        return try await store.createMember(username: username, email: email, passwordHash: try await hashPassword(password),
                                            isAdmin: false, now: now)
    }

    /// Starts a session (ending `replacing`, the one the browser had); the token for the cookie.
    func startSession(for member: Member, replacing old: String?, now: Date) async throws -> String {
        if let old { try await store.deleteSession(tokenHash: old) }
        let token = TokenSigner.randomToken()
        try await store.createSession(tokenHash: TokenSigner.sha256Hex(token), member: member.id, now: now,
                                      expires: now.addingTimeInterval(configuration.sessionLifetime))
        return token
    }

    func endSession(_ tokenHash: String) async throws { try await store.deleteSession(tokenHash: tokenHash) }

    func sessionMember(tokenHash: String, now: Date) async throws -> Member? { try await store.sessionMember(tokenHash: tokenHash, now: now) }

    func apiTokenMember(token: String, now: Date) async throws -> Member? {
        try await store.apiTokenMember(tokenHash: TokenSigner.sha256Hex(token), now: now)
    }

    /// Changes the password when `current` is right (false when it is not), ending the
    /// member's other sessions.
    func changePassword(_ member: Member, current: String, new password: String, keepingSession: String?) async throws -> Bool {
        guard let found = try await store.credentials(login: member.username),
              try await verifyPassword(current, hash: found.passwordHash) else { return false }
        try CommunityRules.password(password)
        try await store.setPassword(member.id, passwordHash: try await hashPassword(password), keepingSession: keepingSession)
        return true
    }

    func apiTokens(_ member: Member) async throws -> [APITokenInfo] { try await store.apiTokens(member: member.id) }

    /// A new API token (shown once; stored as a hash).
    func createAPIToken(_ member: Member, name: String, now: Date) async throws -> String {
        let name = try CommunityRules.tokenName(name)
        let token = "dp_" + TokenSigner.randomToken()
        _ = try await store.createAPIToken(member: member.id, name: name, tokenHash: TokenSigner.sha256Hex(token),
                                           prefix: String(token.prefix(8)), now: now)
        return token
    }

    func revokeAPIToken(_ id: Int64, member: Member) async throws -> Bool { try await store.deleteAPIToken(id, member: member.id) }
}
