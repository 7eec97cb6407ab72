import PapersCore
import PapersSearch
import PapersStore

/// Every page, feed and endpoint of the site, as a value. Views build links only from
/// these, and the router registers the same patterns, so a link cannot point nowhere.
public enum SiteRoute: Sendable, Hashable {
    case home
    case day(Day, sort: FeedSort? = nil)
    case week(ISOWeek, sort: FeedSort? = nil)
    case month(YearMonth, sort: FeedSort? = nil)
    case trending
    case paper(ArxivID)
    case paperMarkdown(ArxivID)
    case search(SearchParameters)
    case feedDaily
    case feedTrending
    case feedSearch(SearchParameters)
    case apiDailyPapers
    case apiSearch
    case apiPaper(ArxivID)
    case apiSimilar(ArxivID)
    case openAPI
    case health
    case metrics
    // Community
    case signIn(next: String? = nil)
    case signUp(next: String? = nil)
    case signOut
    case settings
    case settingsPassword
    case settingsTokens
    case settingsTokenDelete(Int64)
    case submit
    case vote(ArxivID)
    case comments(ArxivID)
    case feature(ArxivID)
    case unfeature(ArxivID)
    case commentDelete(PaperComment.ID)
    case commentHide(PaperComment.ID)
    case commentUnhide(PaperComment.ID)
    case apiVote(ArxivID)
    case apiComments(ArxivID)
    case apiSubmit
    // Email
    case subscribe
    /// The subscribe form with its keywords filled in (from a search).
    case subscribeAbout(keywords: String)
    case subscribeConfirm(token: String)
    case unsubscribe(token: String)
    case alerts
    /// The alerts page with a new alert's form filled in (from a search or a paper's authors).
    case newAlert(PaperAlert.Kind, query: String)
    case alertDelete(Int64)
    case alertsSendVerification
    case verifyEmail(token: String)

    /// The route patterns the router registers (Hummingbird syntax), with the route name
    /// used in metrics.
    public static let patterns: [(name: String, pattern: String)] = [
        ("home", "/"),
        ("day", "/papers/date/:day"),
        ("week", "/papers/week/:week"),
        ("month", "/papers/month/:month"),
        ("trending", "/papers/trending"),
        ("paper", "/papers/:id"),
        ("paper", "/papers/:id/:number"),
        ("search", "/search"),
        ("feed.daily", "/feeds/daily.xml"),
        ("feed.trending", "/feeds/trending.xml"),
        ("feed.search", "/feeds/search.xml"),
        ("api.daily_papers", "/api/daily_papers"),
        ("api.search", "/api/papers/search"),
        ("api.paper", "/api/papers/:id"),
        ("api.paper", "/api/papers/:id/:number"),
        ("api.similar", "/api/papers/:id/similar"),
        ("api.similar", "/api/papers/:id/:number/similar"),
        ("api.openapi", "/api/openapi.json"),
        ("health", "/healthz"),
        ("metrics", "/metrics"),
        ("signin", "/signin"),
        ("signup", "/signup"),
        ("signout", "/signout"),
        ("settings", "/settings"),
        ("settings.password", "/settings/password"),
        ("settings.tokens", "/settings/tokens"),
        ("settings.token_delete", "/settings/tokens/:token/delete"),
        ("submit", "/submit"),
        ("vote", "/papers/:id/vote"),
        ("vote", "/papers/:id/:number/vote"),
        ("comments", "/papers/:id/comments"),
        ("comments", "/papers/:id/:number/comments"),
        ("feature", "/papers/:id/feature"),
        ("feature", "/papers/:id/:number/feature"),
        ("unfeature", "/papers/:id/unfeature"),
        ("unfeature", "/papers/:id/:number/unfeature"),
        ("comment.delete", "/comments/:comment/delete"),
        ("comment.hide", "/comments/:comment/hide"),
        ("comment.unhide", "/comments/:comment/unhide"),
        ("api.vote", "/api/papers/:id/vote"),
        ("api.vote", "/api/papers/:id/:number/vote"),
        ("api.comments", "/api/papers/:id/comments"),
        ("api.comments", "/api/papers/:id/:number/comments"),
        ("api.submit", "/api/submit"),
        ("subscribe", "/subscribe"),
        ("subscribe.confirm", "/subscribe/confirm"),
        ("unsubscribe", "/unsubscribe"),
        ("alerts", "/alerts"),
        ("alert.delete", "/alerts/:alert/delete"),
        ("alerts.send_verification", "/alerts/send-verification"),
        ("verify_email", "/verify-email"),
    ]

    public var url: SiteURL {
        switch self {
        case .home: return SiteURL("/")
        case let .day(day, sort): return SiteURL("/papers/date/\(day)", query: [("sort", sort?.rawValue)])
        case let .week(week, sort): return SiteURL("/papers/week/\(week)", query: [("sort", sort?.rawValue)])
        case let .month(month, sort): return SiteURL("/papers/month/\(month)", query: [("sort", sort?.rawValue)])
        case .trending: return SiteURL("/papers/trending")
        case let .paper(id): return SiteURL("/papers/\(id)")
        case let .paperMarkdown(id): return SiteURL("/papers/\(id).md")
        case let .search(p): return SiteURL("/search", query: p.queryItems(includePage: true))
        case .feedDaily: return SiteURL("/feeds/daily.xml")
        case .feedTrending: return SiteURL("/feeds/trending.xml")
        case let .feedSearch(p): return SiteURL("/feeds/search.xml", query: p.queryItems(includePage: false))
        case .apiDailyPapers: return SiteURL("/api/daily_papers")
        case .apiSearch: return SiteURL("/api/papers/search")
        case let .apiPaper(id): return SiteURL("/api/papers/\(id)")
        case let .apiSimilar(id): return SiteURL("/api/papers/\(id)/similar")
        case .openAPI: return SiteURL("/api/openapi.json")
        case .health: return SiteURL("/healthz")
        case .metrics: return SiteURL("/metrics")
        case let .signIn(next): return SiteURL("/signin", query: [("next", next)])
        case let .signUp(next): return SiteURL("/signup", query: [("next", next)])
        case .signOut: return SiteURL("/signout")
        case .settings: return SiteURL("/settings")
        case .settingsPassword: return SiteURL("/settings/password")
        case .settingsTokens: return SiteURL("/settings/tokens")
        case let .settingsTokenDelete(id): return SiteURL("/settings/tokens/\(id)/delete")
        case .submit: return SiteURL("/submit")
        case let .vote(id): return SiteURL("/papers/\(id)/vote")
        case let .comments(id): return SiteURL("/papers/\(id)/comments")
        case let .feature(id): return SiteURL("/papers/\(id)/feature")
        case let .unfeature(id): return SiteURL("/papers/\(id)/unfeature")
        case let .commentDelete(id): return SiteURL("/comments/\(id)/delete")
        case let .commentHide(id): return SiteURL("/comments/\(id)/hide")
        case let .commentUnhide(id): return SiteURL("/comments/\(id)/unhide")
        case let .apiVote(id): return SiteURL("/api/papers/\(id)/vote")
        case let .apiComments(id): return SiteURL("/api/papers/\(id)/comments")
        case .apiSubmit: return SiteURL("/api/submit")
        case .subscribe: return SiteURL("/subscribe")
        case let .subscribeAbout(keywords): return SiteURL("/subscribe", query: [("keywords", keywords)])
        case let .subscribeConfirm(token): return SiteURL("/subscribe/confirm", query: [("token", token)])
        case let .unsubscribe(token): return SiteURL("/unsubscribe", query: [("token", token)])
        case .alerts: return SiteURL("/alerts")
        case let .newAlert(kind, query): return SiteURL("/alerts", query: [("kind", kind.rawValue), ("query", query)])
        case let .alertDelete(id): return SiteURL("/alerts/\(id)/delete")
        case .alertsSendVerification: return SiteURL("/alerts/send-verification")
        case let .verifyEmail(token): return SiteURL("/verify-email", query: [("token", token)])
        }
    }
}

/// A path with its query string, percent-encoded.
public struct SiteURL: Sendable, Hashable, CustomStringConvertible {
    public let path: String

    init(_ path: String, query: [(String, String?)] = []) {
        let items = query.compactMap { key, value in value.map { "\(key)=\(SiteURL.encode($0))" } }
        self.path = items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    public var description: String { path }

    /// Absolute, for feeds and e-mail.
    public func absolute(base: String) -> String { base + path }

    static func encode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// What a search asks for, as the search page, its feed and the API take it.
public struct SearchParameters: Sendable, Hashable {
    public var query: String
    public var mode: SearchMode = .hybrid
    public var filter = SearchFilter()
    public var page = 1

    public init(query: String, mode: SearchMode = .hybrid, filter: SearchFilter = SearchFilter(), page: Int = 1) {
        self.query = query
        self.mode = mode
        self.filter = filter
        self.page = page
    }

    func queryItems(includePage: Bool) -> [(String, String?)] {
        [("q", query), ("mode", mode == .hybrid ? nil : mode.rawValue),
         ("from", filter.from?.description), ("to", filter.to?.description), ("category", filter.category),
         ("page", includePage && page > 1 ? String(page) : nil)]
    }

    func with(page: Int) -> SearchParameters {
        var copy = self
        copy.page = page
        return copy
    }

    func with(mode: SearchMode) -> SearchParameters {
        var copy = self
        copy.mode = mode
        copy.page = 1
        return copy
    }
}

extension HTML.StringInterpolation {
    /// A link target: the URL's path and query, escaped.
    public mutating func appendInterpolation(_ url: SiteURL) { appendInterpolation(url.path) }
}
