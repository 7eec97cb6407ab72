import Foundation
import Hummingbird
import PapersCore
import PapersStore

/// Resolves the session cookie on every route (the header shows who is signed in everywhere)
/// and the CSRF token that member's or visitor's forms must carry. The database keeps SHA-256
/// hashes of session tokens; signed-in members' CSRF tokens derive from their session,
/// anonymous visitors' from a random `dp_csrf` cookie.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let community: Community
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let token = request.cookies[Community.sessionCookie]?.value, !token.isEmpty {
            let hash = TokenSigner.sha256Hex(token)
            if let member = try await community.sessionMember(tokenHash: hash, now: now()) {
                context.identity.member = member
                context.identity.sessionTokenHash = hash
                context.identity.csrfToken = community.csrfToken(session: hash)
            }
        }
        if context.identity.sessionTokenHash == nil, let cookie = request.cookies[Community.csrfCookie]?.value, cookie.count >= 32 {
            context.identity.csrfToken = community.csrfToken(anonymous: cookie)
        }
        return try await next(request, context)
    }
}

/// The API's credential: `Authorization: Bearer dp_…` names an API token (stored as a SHA-256
/// hash). It takes the place of any session cookie.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let community: Community
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else { return try await next(request, context) }
        guard authorization.lowercased().hasPrefix("bearer ") else {
            throw WebError(.unauthorized, "Authorization must be \"Bearer <API token>\"; create a token on the settings page")
        }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let member = try await community.apiTokenMember(token: token, now: now()) else {
            throw WebError(.unauthorized, "the API token is not valid (it may have been revoked)")
        }
        var context = context
        context.identity = Identity(member: member, byAPIToken: true, clientAddress: context.identity.clientAddress)
        return try await next(request, context)
    }
}

/// Guards state-changing requests made with cookies: every POST, PUT, PATCH and DELETE must
/// carry the CSRF token, as the form field `csrf` or the header `X-CSRF-Token`. Requests with
/// an API token carry no cookies a third-party page could ride on, so they need none. Under
/// `/api` only requests with a session are checked (the others answer 401 when they need a
/// member). The routes opened by links in emails are in a group without this middleware: they
/// carry a signed token, which a forged request cannot have.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Check only requests signed in by session cookie (the API group).
    var onlyWithSession = false

    static let maximumFormBytes = 256 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity = context.identity
        guard ![.get, .head, .options].contains(request.method), !identity.byAPIToken,
              !onlyWithSession || identity.sessionTokenHash != nil else {
            return try await next(request, context)
        }
        var request = request
        var sent = request.headers[.init("X-CSRF-Token")!]
        if sent == nil {
            let body = try await request.collectBody(upTo: Self.maximumFormBytes)
            sent = FormFields(String(buffer: body))["csrf"]
        }
        // No token means the visitor never loaded one of our forms.
        guard !identity.csrfToken.isEmpty, let sent, TokenSigner.constantTimeEqual(sent, identity.csrfToken) else {
            throw WebError(.forbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
        }
        return try await next(request, context)
    }
}

/// Members' pages: a visitor is sent to sign in and comes back to the page (a GET comes back
/// whole, query included, as a prefilled alert form does).
struct SignInRedirectMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is MemberRequired {
            let page = request.method == .get ? request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path : request.uri.path
            return Responses.redirect(SiteRoute.signIn(next: RequestInput.safeNext(page)).url)
        }
    }
}

/// Admins' routes: featuring and moderation.
struct AdminMiddleware: RouterMiddleware {
    typealias Context = MemberRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.member.isAdmin else { throw WebError(.forbidden, "Only admins can feature papers and moderate comments.") }
        return try await next(request, context)
    }
}
