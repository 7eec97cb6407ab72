import Foundation

/// What every list shows for a paper: the paper, where it was featured, its counts,
/// and for search results an excerpt with the matched terms marked.
public struct PaperCard: Sendable, Hashable {
    public var paper: Paper
    /// The featured entry this card stands for (the day page's day), if any.
    public var featured: FeaturedEntry?
    public var upvotes: Int
    public var comments: Int
    /// Abstract excerpt; matched terms are wrapped in `Excerpt.markStart` / `markEnd`.
    public var excerpt: String?

    public init(paper: Paper, featured: FeaturedEntry? = nil, upvotes: Int = 0, comments: Int = 0, excerpt: String? = nil) {
        self.paper = paper
        self.featured = featured
        self.upvotes = upvotes
        self.comments = comments
        self.excerpt = excerpt
    }
}

/// Markers around matched terms in excerpts. Control characters: they cannot occur in
/// imported text (it is whitespace-collapsed), so renderers can escape everything else and
/// turn only these into `<mark>`.
public enum Excerpt {
    public static let markStart = "\u{2}"
    public static let markEnd = "\u{3}"
}

/// The time-decayed vote score that ranks the trending list.
///
///     score = (upvotes + 1) / (days since featured + 1) ^ 1.5
///
/// Hacker News's gravity form, on the scale of days since papers are featured daily: a
/// paper needs more votes to stay up the older it gets (about 2.8 times as many after one
/// day, 5.2 after two, 22.6 after a week); the `+ 1` on votes lets an unvoted new paper
/// rank above an unvoted old one, and the `+ 1` day keeps brand-new papers from dividing
/// by almost zero.
public enum TrendingScore {
    /// Keeps each paper's highest-voted entry (a paper featured on two days shows once).
    public static func onePerPaper(_ cards: [PaperCard]) -> [PaperCard] {
        var best = [ArxivID: PaperCard]()
        for card in cards where (best[card.paper.id]?.upvotes ?? -1) < card.upvotes {
            best[card.paper.id] = card
        }
        return Array(best.values)
    }

    public static let gravity = 1.5

    public static func score(upvotes: Int, featuredAt: Date, now: Date) -> Double {
        let days = max(0, now.timeIntervalSince(featuredAt) / 86_400)
        return Double(max(0, upvotes) + 1) / pow(days + 1, gravity)
    }

    /// Sorts cards by score, highest first; ties by upvotes, then id, so the order is stable.
    public static func rank(_ cards: [PaperCard], now: Date) -> [PaperCard] {
        cards.map { card in
            (card, score(upvotes: card.upvotes, featuredAt: card.featured?.featuredAt ?? card.paper.publishedAt ?? .distantPast, now: now))
        }
        .sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            if a.0.upvotes != b.0.upvotes { return a.0.upvotes > b.0.upvotes }
            return a.0.paper.id < b.0.paper.id
        }
        .map(\.0)
    }
}

/// Orders for lists of featured papers.
public enum FeedSort: String, Sendable, CaseIterable {
    case upvotes, trending, newest

    public func apply(_ cards: [PaperCard], now: Date) -> [PaperCard] {
        switch self {
        case .trending:
            return TrendingScore.rank(cards, now: now)
        case .upvotes:
            return cards.sorted { a, b in
                if a.upvotes != b.upvotes { return a.upvotes > b.upvotes }
                let (da, db) = (a.featured?.featuredAt ?? .distantPast, b.featured?.featuredAt ?? .distantPast)
                return da != db ? da > db : a.paper.id < b.paper.id
            }
        case .newest:
            return cards.sorted { a, b in
                let (da, db) = (a.featured?.featuredAt ?? a.paper.publishedAt ?? .distantPast, b.featured?.featuredAt ?? b.paper.publishedAt ?? .distantPast)
                return da != db ? da > db : a.paper.id < b.paper.id
            }
        }
    }
}

/// Dates as the reference site writes them: "Aug 31, 2023" for earlier years, "Feb 21" for
/// the current one.
public enum DisplayDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func short(_ day: Day, now: Date) -> String {
        day.year == Day(now).year ? monthDay(day) : long(day)
    }

    static func monthDay(_ day: Day) -> String { "\(months[day.month - 1]) \(day.day)" }

    /// "Aug 31, 2023", with the year whatever it is: for text read later than it is made (email).
    public static func long(_ day: Day) -> String { "\(monthDay(day)), \(day.year)" }

    /// Spans for text read later than it is made: "Mar 31, 2026" for
    /// one day, "Mar 27 – Apr 2, 2026" within a year, both years otherwise.
    public static func longRange(_ days: ClosedRange<Day>) -> String {
        let (first, last) = (days.lowerBound, days.upperBound)
        if first == last { return long(first) }
        return "\(first.year == last.year ? monthDay(first) : long(first)) – \(long(last))"
    }

    public static func short(_ date: Date, now: Date) -> String { short(Day(date), now: now) }

    /// "May 27 – Jun 2, 2024" style range for week and month headings.
    public static func range(_ first: Day, _ last: Day, now: Date) -> String {
        "\(short(first, now: now)) – \(short(last, now: now))"
    }

    public static func monthName(_ month: YearMonth) -> String {
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"][month.month - 1] + " \(month.year)"
    }
}
