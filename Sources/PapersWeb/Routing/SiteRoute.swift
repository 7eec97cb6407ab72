import Hummingbird
import PapersCore
import PapersSearch
import PapersStore

/// A link into the site, as a value: views, redirects, feeds and mail build every URL from
/// one of these. Each case names its `Endpoint`, the route table the router registers from,
/// and the URL is that endpoint's pattern with the case's values filled in, so a link cannot
/// point where no route is.
public enum SiteRoute: Sendable, Hashable {
    case home
    case day(Day, sort: FeedSort? = nil)
    case week(ISOWeek, sort: FeedSort? = nil)
    case month(YearMonth, sort: FeedSort? = nil)
    case trending
    case paper(ArxivID)
    case paperMarkdown(ArxivID)
    /// A category's papers: those published on a day (the newest when nil), or its trending list.
    case category(String, day: Day? = nil, trending: Bool = false)
    /// Every paper of an author.
    case author(String)
    /// The search page; nil is the empty form (and the target of every search form).
    case search(SearchParameters?)
    case feedDaily
    case feedTrending
    case feedSearch(SearchParameters)
    case feedCategory(String)
    case feedAuthor(String)
    case openAPI
    // Community
    case signIn(next: String? = nil)
    case signUp(next: String? = nil)
    case signOut
    case settings
    case settingsPassword
    case settingsTokens
    case settingsTokenDelete(Int64)
    case submit
    /// The submit form with an id filled in (from a search for a paper this site lacks).
    case submitPaper(ArxivID)
    case vote(ArxivID)
    case comments(ArxivID)
    case feature(ArxivID)
    case unfeature(ArxivID)
    case commentDelete(PaperComment.ID)
    case commentHide(PaperComment.ID)
    case commentUnhide(PaperComment.ID)
    // Email
    case subscribe
    /// The subscribe form with its keywords filled in (from a search).
    case subscribeAbout(keywords: String)
    /// The subscribe form narrowed to a category (from a category page).
    case subscribeCategory(String)
    case subscribeConfirm(token: String)
    case unsubscribe(token: String)
    case alerts
    /// The alerts page with a new alert's form filled in (from a search or a paper's authors).
    case newAlert(PaperAlert.Kind, query: String)
    case alertDelete(Int64)
    case alertsSendVerification
    case verifyEmail(token: String)

    /// The route this link leads to (for a form, the GET or POST route its action names).
    public var endpoint: Endpoint {
        switch self {
        case .home: .home
        case .day: .day
        case .week: .week
        case .month: .month
        case .trending: .trending
        case .paper, .paperMarkdown: .paper
        case .category: .category
        case .author: .author
        case .feedCategory: .feedCategory
        case .feedAuthor: .feedAuthor
        case .search: .search
        case .feedDaily: .feedDaily
        case .feedTrending: .feedTrending
        case .feedSearch: .feedSearch
        case .openAPI: .openAPI
        case .signIn: .signInForm
        case .signUp: .signUpForm
        case .signOut: .signOut
        case .settings: .settings
        case .settingsPassword: .settingsPassword
        case .settingsTokens: .settingsTokens
        case .settingsTokenDelete: .settingsTokenDelete
        case .submit, .submitPaper: .submitForm
        case .vote: .vote
        case .comments: .comment
        case .feature: .feature
        case .unfeature: .unfeature
        case .commentDelete: .commentDelete
        case .commentHide: .commentHide
        case .commentUnhide: .commentUnhide
        case .subscribe, .subscribeAbout, .subscribeCategory: .subscribeForm
        case .subscribeConfirm: .subscribeConfirmForm
        case .unsubscribe: .unsubscribeForm
        case .alerts, .newAlert: .alerts
        case .alertDelete: .alertDelete
        case .alertsSendVerification: .alertsSendVerification
        case .verifyEmail: .verifyEmailForm
        }
    }

    /// The values of the endpoint's `:parameters`, and the query.
    private var values: (path: [String: String], query: [(String, String?)]) {
        switch self {
        case let .day(day, sort): (["day": day.description], [("sort", sort?.rawValue)])
        case let .week(week, sort): (["week": week.description], [("sort", sort?.rawValue)])
        case let .month(month, sort): (["month": month.description], [("sort", sort?.rawValue)])
        case let .paper(id), let .vote(id), let .comments(id), let .feature(id), let .unfeature(id): (["id": id.rawValue], [])
        case let .paperMarkdown(id): (["id": id.rawValue + ".md"], [])
        case let .category(category, day, trending):
            (["category": SiteURL.encodeSegment(category)], [("date", day?.description), ("sort", trending ? "trending" : nil)])
        case let .author(name): (["name": SiteURL.encodeSegment(name)], [])
        case let .feedCategory(category): ([:], [("category", category)])
        case let .feedAuthor(name): ([:], [("name", name)])
        case let .subscribeCategory(category): ([:], [("categories", category)])
        case let .search(p): ([:], p?.queryItems(includePage: true) ?? [])
        case let .feedSearch(p): ([:], p.queryItems(includePage: false))
        case let .signIn(next), let .signUp(next): ([:], [("next", next)])
        case let .settingsTokenDelete(id): (["token": String(id)], [])
        case let .commentDelete(id), let .commentHide(id), let .commentUnhide(id): (["comment": String(id.rawValue)], [])
        case let .subscribeAbout(keywords): ([:], [("keywords", keywords)])
        case let .submitPaper(id): ([:], [("id", id.rawValue)])
        case let .subscribeConfirm(token), let .unsubscribe(token), let .verifyEmail(token): ([:], [("token", token)])
        case let .newAlert(kind, query): ([:], [("kind", kind.rawValue), ("query", query)])
        case let .alertDelete(id): (["alert": String(id)], [])
        case .home, .trending, .feedDaily, .feedTrending, .openAPI, .signOut, .settings, .settingsPassword, .settingsTokens,
             .submit, .subscribe, .alerts, .alertsSendVerification:
            ([:], [])
        }
    }

    public var url: SiteURL {
        let (path, query) = values
        return SiteURL(endpoint.path(path), query: query)
    }
}

extension SiteRoute {
    /// The route table: every route the server answers, with its method and path pattern
    /// (Hummingbird syntax). The router registers exactly these (`RouterMethods.on(_:use:)`),
    /// metrics label requests by the pattern, and `SiteRoute` fills the patterns in to make links.
    public enum Endpoint: String, Sendable, CaseIterable {
        // Pages (PagesController)
        case home, day, week, month, trending, paper, search, category, author
        // Feeds (FeedsController)
        case feedDaily, feedTrending, feedSearch, feedCategory, feedAuthor
        // JSON API (APIController, and the API sides of votes, comments and submissions)
        case apiDailyPapers, apiSearch, apiPaper, apiSimilar, openAPI
        case apiVote, apiComments, apiPostComment, apiSubmit
        // Operations (OperationsController)
        case health, metrics
        // Account (AccountController)
        case signInForm, signIn, signUpForm, signUp, signOut, settings, settingsPassword, settingsTokens, settingsTokenDelete
        // Votes, comments, submissions and featuring
        case vote, comment, commentDelete, commentHide, commentUnhide
        case submitForm, submit, feature, unfeature
        // Mail (MailController)
        case subscribeForm, subscribe, subscribeConfirmForm, subscribeConfirm, unsubscribeForm, unsubscribe
        case alerts, alertCreate, alertDelete, alertsSendVerification, verifyEmailForm, verifyEmail

        public var method: HTTPRequest.Method {
            switch self {
            case .apiVote, .apiPostComment, .apiSubmit, .signIn, .signUp, .signOut, .settingsPassword, .settingsTokens,
                 .settingsTokenDelete, .vote, .comment, .commentDelete, .commentHide, .commentUnhide, .submit, .feature, .unfeature,
                 .subscribe, .subscribeConfirm, .unsubscribe, .alertCreate, .alertDelete, .alertsSendVerification, .verifyEmail:
                .post
            default:
                .get
            }
        }

        /// The path pattern; a paper's `:id` also matches old-style ids with a slash (`patterns`).
        public var pattern: String {
            switch self {
            case .home: "/"
            case .day: "/papers/date/:day"
            case .week: "/papers/week/:week"
            case .month: "/papers/month/:month"
            case .trending: "/papers/trending"
            case .paper: "/papers/:id"
            case .search: "/search"
            case .feedDaily: "/feeds/daily.xml"
            case .feedTrending: "/feeds/trending.xml"
            case .feedSearch: "/feeds/search.xml"
            case .feedCategory: "/feeds/category.xml"
            case .feedAuthor: "/feeds/author.xml"
            case .category: "/papers/category/:category"
            case .author: "/authors/:name"
            case .apiDailyPapers: "/api/daily_papers"
            case .apiSearch: "/api/papers/search"
            case .apiPaper: "/api/papers/:id"
            case .apiSimilar: "/api/papers/:id/similar"
            case .openAPI: "/api/openapi.json"
            case .apiVote: "/api/papers/:id/vote"
            case .apiComments, .apiPostComment: "/api/papers/:id/comments"
            case .apiSubmit: "/api/submit"
            case .health: "/healthz"
            case .metrics: "/metrics"
            case .signInForm, .signIn: "/signin"
            case .signUpForm, .signUp: "/signup"
            case .signOut: "/signout"
            case .settings: "/settings"
            case .settingsPassword: "/settings/password"
            case .settingsTokens: "/settings/tokens"
            case .settingsTokenDelete: "/settings/tokens/:token/delete"
            case .vote: "/papers/:id/vote"
            case .comment: "/papers/:id/comments"
            case .commentDelete: "/comments/:comment/delete"
            case .commentHide: "/comments/:comment/hide"
            case .commentUnhide: "/comments/:comment/unhide"
            case .submitForm, .submit: "/submit"
            case .feature: "/papers/:id/feature"
            case .unfeature: "/papers/:id/unfeature"
            case .subscribeForm, .subscribe: "/subscribe"
            case .subscribeConfirmForm, .subscribeConfirm: "/subscribe/confirm"
            case .unsubscribeForm, .unsubscribe: "/unsubscribe"
            case .alerts, .alertCreate: "/alerts"
            case .alertDelete: "/alerts/:alert/delete"
            case .alertsSendVerification: "/alerts/send-verification"
            case .verifyEmailForm, .verifyEmail: "/verify-email"
            }
        }

        /// Every pattern registered for this endpoint: old-style arXiv ids hold a slash
        /// (`hep-th/9901001`), so `:id` comes in two shapes.
        public var patterns: [String] {
            pattern.contains(":id") ? [pattern, pattern.replacingOccurrences(of: ":id", with: ":id/:number")] : [pattern]
        }

        /// The pattern with its `:parameters` replaced by `values`.
        func path(_ values: [String: String]) -> String {
            pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix(":") ? values[String(segment.dropFirst())] ?? String(segment) : String(segment)
            }.joined(separator: "/")
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

    /// A path segment: like a query value, but a space is `%20` (a `+` in a path is a plus).
    static func encodeSegment(_ s: String) -> String {
        encode(s).replacingOccurrences(of: "+", with: "%20")
    }

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
         ("from", filter.from?.description), ("to", filter.to?.description), ("category", filter.category), ("author", filter.author),
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
