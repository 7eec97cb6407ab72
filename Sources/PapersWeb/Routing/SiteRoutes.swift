import Hummingbird

/// The routes of one group, registered by endpoint: each handler is added for every pattern of
/// its `SiteRoute.Endpoint` with the endpoint's method, so the route table is the only place
/// paths are written.
final class Routes<Context: RequestContext> {
    let collection = RouteCollection(context: Context.self)
    private(set) var endpoints: [SiteRoute.Endpoint] = []

    @discardableResult
    func on(_ endpoint: SiteRoute.Endpoint,
            use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator) -> Self {
        endpoints.append(endpoint)
        for pattern in endpoint.patterns { collection.on(RouterPath(pattern), method: endpoint.method, use: handler) }
        return self
    }
}

/// The route groups, each with its own middleware (`WebApp.router()` mounts them):
///
/// - `pages`: HTML pages, feeds and forms; CSRF on every state-changing request.
/// - `emailLinks`: the pages links in emails open; their POSTs carry a signed token instead of a CSRF token.
/// - `members` and `admins`: pages for signed-in members (`MemberRequestContext`), visitors sent to sign in; admins only.
/// - `api` and `apiMembers`: `/api`, JSON errors, bearer tokens; members' endpoints answer 401 to anyone else.
final class SiteRoutes {
    let pages = Routes<AppRequestContext>()
    let emailLinks = Routes<AppRequestContext>()
    let members = Routes<MemberRequestContext>()
    let admins = Routes<MemberRequestContext>()
    let api = Routes<AppRequestContext>()
    let apiMembers = Routes<MemberRequestContext>()

    /// Every endpoint a controller registered.
    var endpoints: [SiteRoute.Endpoint] {
        pages.endpoints + emailLinks.endpoints + members.endpoints + admins.endpoints + api.endpoints + apiMembers.endpoints
    }
}

/// A feature's routes: one controller per feature adds its handlers to the groups they belong in.
protocol SiteController: Sendable {
    func addRoutes(to routes: SiteRoutes)
}
