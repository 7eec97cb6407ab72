import Foundation

/// How often a subscriber gets the digest: daily on weekdays, or weekly (on Mondays).
public enum DigestFrequency: String, Sendable, Hashable, CaseIterable, Codable {
    case daily, weekly

    /// Whether a digest of this frequency goes out on `day`.
    public func isDue(on day: Day) -> Bool {
        switch self {
        case .daily: return !day.isWeekend
        case .weekly: return day.isoWeekday == 1
        }
    }

    /// The featured days a digest sent on `day` covers: since the previous digest, so the
    /// days before (Friday to Sunday for Monday's daily digest, the day before otherwise), or
    /// the seven days before for weekly ones.
    public func period(sentOn day: Day) -> ClosedRange<Day> {
        switch self {
        case .daily:
            var first = day.adding(days: -1)
            while first.isWeekend { first = first.adding(days: -1) }
            return first...day.adding(days: -1)
        case .weekly: return day.adding(days: -7)...day.adding(days: -1)
        }
    }

    /// A stable name for the digest sent on `day`, e.g. "daily 2026-11-23": with the
    /// subscription it makes the outbox key that stops a digest being queued twice.
    public func edition(sentOn day: Day) -> String { "\(rawValue) \(day)" }
}

/// What a subscriber asked for: which address, how often, and optionally what about.
public struct SubscriptionRequest: Sendable, Hashable {
    public var email: String
    public var frequency: DigestFrequency
    /// Each keyword or phrase narrows the digest to papers about it (any of them).
    public var keywords: [String]
    /// arXiv categories or archives ("cs.CL", "cs"): papers in any of them.
    public var categories: [String]

    public init(email: String, frequency: DigestFrequency, keywords: [String] = [], categories: [String] = []) {
        self.email = email
        self.frequency = frequency
        self.keywords = keywords
        self.categories = categories
    }
}

/// A digest subscription. An address has at most one; it gets digests only once confirmed.
public struct Subscription: Sendable, Hashable, Identifiable {
    public enum Status: String, Sendable, Hashable { case pending, confirmed, unsubscribed }

    public var id: Int64
    public var email: String
    public var frequency: DigestFrequency
    public var keywords: [String]
    public var categories: [String]
    public var status: Status
    public var createdAt: Date
    public var confirmedAt: Date?

    public init(id: Int64, email: String, frequency: DigestFrequency, keywords: [String], categories: [String],
                status: Status, createdAt: Date, confirmedAt: Date?) {
        self.id = id
        self.email = email
        self.frequency = frequency
        self.keywords = keywords
        self.categories = categories
        self.status = status
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
    }

    /// Whether a paper in `paperCategories` passes the subscriber's category filter.
    public func admits(categories paperCategories: [String]) -> Bool {
        MailRules.categoriesMatch(categories, paperCategories)
    }
}

/// A member's alert: mail me when new papers match a search, or are by an author.
public struct PaperAlert: Sendable, Hashable, Identifiable {
    public enum Kind: String, Sendable, Hashable, CaseIterable { case search, author }

    public var id: Int64
    public var member: Member.ID
    public var kind: Kind
    public var query: String
    public var createdAt: Date

    public init(id: Int64, member: Member.ID, kind: Kind, query: String, createdAt: Date) {
        self.id = id
        self.member = member
        self.kind = kind
        self.query = query
        self.createdAt = createdAt
    }

    public var label: String {
        switch kind {
        case .search: "papers matching “\(query)”"
        case .author: "papers by \(query)"
        }
    }
}

/// The rules for what subscribers type, checked once at the edge. Each failure names the field.
public enum MailRules {
    public static let maxKeywords = 10
    public static let keywordLength = 1...80
    public static let maxCategories = 10
    public static let alertQueryLength = 2...200
    /// Alerts one member can keep.
    public static let maxAlertsPerMember = 50

    /// Throws when a member who has `count` alerts may not save another.
    public static func checkAlertCount(_ count: Int) throws(InputError) {
        guard count < maxAlertsPerMember else {
            throw InputError(field: "query", "cannot be saved: you have \(maxAlertsPerMember) alerts, the most one member can have")
        }
    }

    /// Keywords separated by commas or new lines; empty entries are dropped.
    public static func keywords(_ text: String) throws(InputError) -> [String] {
        let items = text.split(whereSeparator: { $0 == "," || $0.isNewline })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard items.count <= maxKeywords else {
            throw InputError(field: "keywords", "has \(items.count) entries; the limit is \(maxKeywords)")
        }
        for item in items {
            guard keywordLength.contains(item.count) else {
                throw InputError(field: "keywords", "has an entry longer than \(keywordLength.upperBound) characters")
            }
            guard !item.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw InputError(field: "keywords", "may not hold control characters")
            }
        }
        var seen = Set<String>()
        return items.filter { seen.insert($0.lowercased()).inserted }
    }

    /// arXiv categories ("cs.CL") or archives ("cs"), separated by commas or spaces.
    public static func categories(_ text: String) throws(InputError) -> [String] {
        let items = text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        guard items.count <= maxCategories else {
            throw InputError(field: "categories", "has \(items.count) entries; the limit is \(maxCategories)")
        }
        for item in items {
            let parts = item.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), item.count <= 20,
                  parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } })
            else {
                throw InputError(field: "categories", "has “\(item)”, which is not an arXiv category like cs.CL or an archive like cs")
            }
        }
        var seen = Set<String>()
        return items.filter { seen.insert($0.lowercased()).inserted }
    }

    public static func frequency(_ text: String) throws(InputError) -> DigestFrequency {
        guard let frequency = DigestFrequency(rawValue: text.lowercased()) else {
            throw InputError(field: "frequency", "must be daily or weekly")
        }
        return frequency
    }

    public static func alertKind(_ text: String) throws(InputError) -> PaperAlert.Kind {
        guard let kind = PaperAlert.Kind(rawValue: text.lowercased()) else {
            throw InputError(field: "kind", "must be search or author")
        }
        return kind
    }

    public static func alertQuery(_ text: String) throws(InputError) -> String {
        let query = text.trimmingCharacters(in: .whitespacesAndNewlines)
        try CommunityRules.length(query.count, alertQueryLength, field: "query")
        guard !query.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InputError(field: "query", "may not hold control characters")
        }
        return query
    }

    /// A subscription request from form fields, every field checked.
    public static func subscription(email: String, frequency: String, keywords: String, categories: String) throws(InputError)
        -> SubscriptionRequest {
        SubscriptionRequest(email: try CommunityRules.email(email), frequency: try Self.frequency(frequency),
                            keywords: try Self.keywords(keywords), categories: try Self.categories(categories))
    }

    /// Whether a paper's categories meet a filter: empty admits everything; "cs" admits every
    /// cs.* category, "cs.CL" only itself (case-insensitive).
    public static func categoriesMatch(_ filter: [String], _ paperCategories: [String]) -> Bool {
        guard !filter.isEmpty else { return true }
        return paperCategories.contains { category in
            let c = category.lowercased()
            return filter.contains { wanted in
                let w = wanted.lowercased()
                return c == w || (!w.contains(".") && c.hasPrefix(w + "."))
            }
        }
    }

    /// Whether `name` is one of `authors`: case, accents and spacing do not matter.
    public static func authorMatches(_ name: String, _ authors: [String]) -> Bool {
        let wanted = normalizedName(name)
        return authors.contains { normalizedName($0) == wanted }
    }

    static func normalizedName(_ name: String) -> String {
        name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .split(whereSeparator: { $0.isWhitespace || $0 == "." }).joined(separator: " ")
    }
}
