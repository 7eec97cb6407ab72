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

    /// The methods each registered path pattern answers, by pattern, split into segments.
    var allowedMethods: [(segments: [Substring], methods: [HTTPRequest.Method])] {
        var allowed = [String: [HTTPRequest.Method]]()
        for endpoint in endpoints {
            for pattern in endpoint.patterns where !(allowed[pattern]?.contains(endpoint.method) ?? false) {
                allowed[pattern, default: []].append(endpoint.method)
            }
        }
        return allowed.sorted { $0.key < $1.key }.map { ($0.key.split(separator: "/"), $0.value) }
    }
}

/// A feature's routes: one controller per feature adds its handlers to the groups they belong in.
protocol SiteController: Sendable {
    func addRoutes(to routes: SiteRoutes)
}

/// A request the router found no route for (its `HTTPError` 404; handlers throw `WebError`), on a path a route has with other methods: 405 with
/// `Allow` (`HEAD` goes with `GET`) instead of 404, whatever the method (`PUT`, `QUERY`, ...).
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: [(segments: [Substring], methods: [HTTPRequest.Method])]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path.split(separator: "/")
            // The most specific patterns that match: `/api/papers/:id/vote` rather than the
            // old-style id's `/api/papers/:id/:number`, as the router prefers too.
            let matching = allowed.filter { Self.matches($0.segments, path) }
            let literals = { (segments: [Substring]) in segments.filter { !$0.hasPrefix(":") }.count }
            let best = matching.map { literals($0.segments) }.max()
            var methods = [HTTPRequest.Method]()
            for (segments, answered) in matching where literals(segments) == best {
                methods += answered.filter { !methods.contains($0) }
            }
            guard !methods.isEmpty, !methods.contains(request.method) else { throw error }
            if methods.contains(.get) { methods.append(.head) }
            throw WebError(.methodNotAllowed, "This address answers \(methods.map(\.rawValue).joined(separator: ", ")) only.", allow: methods)
        }
    }

    /// A pattern's segments against a path's: `:name` matches any one segment.
    static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        pattern.count == path.count && zip(pattern, path).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
    }
}
