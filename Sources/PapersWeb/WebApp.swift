import Foundation
import Hummingbird
import Logging
import PapersCore
import PapersIngest
import PapersSearch
import PapersServices
import PapersStore
import ServiceLifecycle

/// What the web layer needs to know; read once by the command line and passed down.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var siteName: String
    /// Absolute base URL for links in feeds (`http://host:port` when not set).
    public var baseURL: String?
    public var version: String
    /// How long finished list and paper responses are reused (0 turns the cache off).
    public var responseCacheSeconds: Double

    public init(host: String = "127.0.0.1", port: Int = 8080, siteName: String = "Daily Papers",
                baseURL: String? = nil, version: String = "0.1.0", responseCacheSeconds: Double = 2) {
        self.responseCacheSeconds = responseCacheSeconds
        self.host = host
        self.port = port
        self.siteName = siteName
        self.baseURL = baseURL
        self.version = version
    }

    public var resolvedBaseURL: String { baseURL ?? "http://\(host):\(port)" }
}

/// Builds the site: pages, feeds and the JSON API over one `Catalog`.
public struct WebApp: Sendable {
    public let catalog: Catalog
    public let configuration: WebConfiguration
    public let metrics: PrometheusMetrics
    /// Accounts, votes, comments and submissions; nil serves the catalog read-only.
    public let community: Community?
    /// Voting, commenting, submitting and featuring, with the cache clearing each needs.
    let communityService: CommunityService?
    /// Subscriptions, confirmations, unsubscribing and alerts; needs `community`.
    public let mail: WebMail?
    /// Finished responses of GET routes, for `responseCacheSeconds`.
    let responseCache: TTLCache
    /// The harvesters' last and next runs, shown on `/healthz` and `/metrics`; nil when `serve` does not harvest.
    public let harvest: HarvestMonitor?

    /// `cacheClock` is the clock cached responses expire by (tests move it by hand).
    public init(catalog: Catalog, configuration: WebConfiguration, community: Community? = nil, mail: WebMail? = nil,
                metrics: PrometheusMetrics = PrometheusMetrics(), harvest: HarvestMonitor? = nil,
                cacheClock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.catalog = catalog
        self.harvest = harvest
        self.community = community
        self.mail = community == nil ? nil : mail
        self.configuration = configuration
        self.metrics = metrics
        // At most 1,000 finished bodies (a daily page is ~40 KB, a full API page ~150 KB), so
        // a flood of distinct URIs cannot grow memory without bound.
        let responseCache = TTLCache(ttl: configuration.responseCacheSeconds, maximumEntries: 1000, now: cacheClock)
        self.responseCache = responseCache
        communityService = community.map {
            CommunityService(store: $0.store, catalog: catalog, arxiv: $0.arxiv, limits: $0.configuration.rateLimits, limiter: $0.limiter,
                             contentChanged: { responseCache.removeAll() })
        }
    }

    /// The server, with `services` (background work) run and stopped alongside it.
    public func application(logger: Logger, services: [any Service] = []) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                         serverName: configuration.siteName),
                    services: services,
                    logger: logger)
    }

    var renderer: PageRenderer {
        PageRenderer(siteName: configuration.siteName, now: catalog.now, community: community, communityService: communityService)
    }
    var cache: ResponseCache { ResponseCache(cache: responseCache) }

    /// One controller per feature; each adds its routes to the groups they belong in.
    var controllers: [any SiteController] {
        var controllers: [any SiteController] = [PagesController(app: self), FeedsController(app: self), APIController(app: self),
                                                 OperationsController(app: self)]
        if let community, let service = communityService {
            controllers += [AccountController(app: self, community: community, service: service), VotesController(service: service),
                            CommentsController(service: service), SubmissionsController(app: self, service: service)]
            if let mail { controllers.append(MailController(app: self, service: service, mail: mail)) }
        }
        return controllers
    }

    /// The routes every controller registers, by group.
    func routes() -> SiteRoutes {
        let routes = SiteRoutes()
        for controller in controllers { controller.addRoutes(to: routes) }
        return routes
    }

    public func router() -> Router<AppRequestContext> {
        let routes = routes()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: MetricsMiddleware(factory: metrics.factory))
        router.add(middleware: ErrorMiddleware(siteName: configuration.siteName, now: catalog.now))
        router.add(middleware: MethodNotAllowedMiddleware(allowed: routes.allowedMethods))
        if let community { router.add(middleware: SessionMiddleware(community: community, now: catalog.now)) }

        let pages = router.group().add(middleware: CSRFMiddleware())
        pages.addRoutes(routes.pages.collection)
        router.addRoutes(routes.emailLinks.collection)
        let signIn = pages.group().add(middleware: SignInRedirectMiddleware())
        signIn.group(context: MemberRequestContext.self).addRoutes(routes.members.collection)
        signIn.group(context: MemberRequestContext.self).add(middleware: AdminMiddleware()).addRoutes(routes.admins.collection)

        let api = router.group().add(middleware: APIErrorMiddleware())
        if let community { api.add(middleware: BearerTokenMiddleware(community: community, now: catalog.now)) }
        api.add(middleware: CSRFMiddleware(onlyWithSession: true))
        api.addRoutes(routes.api.collection)
        api.group(context: MemberRequestContext.self).addRoutes(routes.apiMembers.collection)

        return router
    }
}
