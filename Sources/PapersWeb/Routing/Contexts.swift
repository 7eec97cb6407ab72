import Hummingbird
import PapersCore

/// Who is asking: a member signed in by session cookie or API token, or a visitor; the CSRF
/// token their forms must carry; their address for rate limits. Set by `SessionMiddleware`
/// (and `BearerTokenMiddleware` under `/api`).
public struct Identity: Sendable {
    public var member: Member?
    /// The value of the hidden `csrf` field every state-changing form must send back; empty for
    /// a visitor who has no CSRF cookie yet (pages with forms give them one: `FormPage`).
    public var csrfToken = ""
    /// The hash of the session token, when signed in by cookie.
    var sessionTokenHash: String?
    /// Signed in by an API token (which no third-party page can ride on, so no CSRF check).
    var byAPIToken = false
    /// The peer's IP address (for rate limits).
    public let clientAddress: String
}

/// What every handler can ask of its context, whether or not the route needs a member.
protocol SiteRequestContext: RequestContext {
    var identity: Identity { get }
}

extension SiteRequestContext {
    var viewer: Viewer { Viewer(member: identity.member, csrf: identity.csrfToken) }
    var clientAddress: String { identity.clientAddress }
}

/// The request context of every route; the member is optional.
public struct AppRequestContext: SiteRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = Identity(clientAddress: source.channel.remoteAddress?.ipAddress ?? "local")
    }

    public var member: Member? { identity.member }
}

/// The context of members' routes: made from `AppRequestContext` only when someone is signed
/// in, so handlers get a member, never an optional. For a visitor it throws `MemberRequired`,
/// which the group's middleware turns into a sign-in redirect (pages) or a 401 (the API).
public struct MemberRequestContext: ChildRequestContext, SiteRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let identity: Identity
    public let member: Member

    public init(context: AppRequestContext) throws {
        guard let member = context.identity.member else { throw MemberRequired() }
        coreContext = context.coreContext
        identity = context.identity
        self.member = member
    }
}

/// Thrown for a visitor on a members' route.
struct MemberRequired: Error {}
