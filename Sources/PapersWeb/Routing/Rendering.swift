import Foundation
import Hummingbird
import PapersCore
import PapersServices

/// Makes the site's pages for a request: the layout, who is viewing, and for pages with forms
/// the visitor's CSRF cookie.
struct PageRenderer: Sendable {
    let siteName: String
    let now: @Sendable () -> Date
    let community: Community?
    let communityService: CommunityService?

    /// The anonymous, cacheable version.
    var pages: Pages { Pages(siteName: siteName, now: now()) }

    /// Pages for `viewer` (nil: the anonymous version), knowing which of `cards` they upvoted.
    func pages(_ viewer: Viewer?, showing cards: [PaperCard]) async throws -> Pages {
        guard var viewer, let member = viewer.member, let communityService else { return pages }
        viewer.votes = try await communityService.votedPapers(member, among: cards.map(\.paper.id))
        return Pages(siteName: siteName, now: now(), viewer: viewer)
    }

    /// A page with forms, as this member or visitor sees it. A visitor without a CSRF cookie
    /// gets one with the page (made only here, so the pages everyone reads cost no cookie).
    func form(_ context: some SiteRequestContext, status: HTTPResponse.Status = .ok, _ render: (Pages) -> HTML) -> Response {
        var viewer = context.viewer
        var cookie: String?
        if viewer.csrf.isEmpty, viewer.member == nil, let community {
            let value = TokenSigner.randomToken()
            cookie = value
            viewer.csrf = community.csrfToken(anonymous: value)
        }
        var response = Responses.html(render(Pages(siteName: siteName, now: now(), viewer: viewer)), status: status).response
        if let cookie, let community { response.setCookie(community.csrfCookie(cookie)) }
        return response
    }
}

/// Anonymous GETs of lists, papers, feeds and the API are answered from a short-lived cache of
/// finished bodies keyed by the whole URI, so hot pages cost a lookup, not a render. Members
/// see their own votes and forms, so their pages are always made fresh.
struct ResponseCache: Sendable {
    let cache: TTLCache

    func respond(_ request: Request, _ build: @escaping @Sendable () async throws -> Rendered) async throws -> Response {
        if request.headers[.authorization] != nil || request.headers[.cookie]?.contains(Community.sessionCookie + "=") == true {
            return try await build().response
        }
        let rendered = try await cache.value(for: request.uri.description) {
            var rendered = try await build()
            if rendered.status == .ok { rendered.etag = rendered.bodyHash }
            return rendered
        }
        return Self.conditional(request, rendered)
    }

    /// The answer, or 304 Not Modified without a body when the client's `If-None-Match`
    /// names its `ETag` (feed readers and API clients poll).
    static func conditional(_ request: Request, _ rendered: Rendered) -> Response {
        if let etag = rendered.etag, let sent = request.headers[.ifNoneMatch],
           sent.split(separator: ",").contains(where: { let tag = $0.trimmingCharacters(in: .whitespaces); return tag == etag || tag == "W/" + etag || tag == "*" }) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        return rendered.response
    }

    /// A page: the cached anonymous version for visitors, a fresh one for members.
    func respond(_ request: Request, _ context: AppRequestContext, _ build: @escaping @Sendable (Viewer?) async throws -> Rendered) async throws -> Response {
        guard context.member != nil else { return try await respond(request) { try await build(nil) } }
        return try await build(context.viewer).response
    }
}
