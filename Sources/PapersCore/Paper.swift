import Foundation

/// An arXiv paper as the catalog keeps it: one row per arXiv id, the newest version known.
public struct Paper: Hashable, Sendable {
    public var id: ArxivID
    /// The arXiv version the metadata belongs to; 0 when the source does not say (Hugging Face).
    public var version: Int
    public var title: String
    public var abstract: String
    /// Author names in the order the paper lists them.
    public var authors: [String]
    /// arXiv categories, primary first (`cs.CL cs.AI`).
    public var categories: [String]
    /// When version 1 appeared on arXiv.
    public var publishedAt: Date?
    /// When the newest known version appeared.
    public var updatedAt: Date?
    public var comments: String?
    public var journalRef: String?
    public var doi: String?
    /// Links are `WebLink`s: only http(s) URLs get in, whatever the source.
    public var githubRepo: WebLink?
    public var githubStars: Int?
    public var projectPage: WebLink?
    /// Hugging Face's short AI summary and keywords, when imported from there.
    public var aiSummary: String?
    public var aiKeywords: [String]

    public init(id: ArxivID, version: Int = 0, title: String, abstract: String, authors: [String],
                categories: [String] = [], publishedAt: Date? = nil, updatedAt: Date? = nil,
                comments: String? = nil, journalRef: String? = nil, doi: String? = nil,
                githubRepo: WebLink? = nil, githubStars: Int? = nil, projectPage: WebLink? = nil,
                aiSummary: String? = nil, aiKeywords: [String] = []) {
        self.id = id
        self.version = version
        self.title = title
        self.abstract = abstract
        self.authors = authors
        self.categories = categories
        self.publishedAt = publishedAt
        self.updatedAt = updatedAt
        self.comments = comments
        self.journalRef = journalRef
        self.doi = doi
        self.githubRepo = githubRepo
        self.githubStars = githubStars
        self.projectPage = projectPage
        self.aiSummary = aiSummary
        self.aiKeywords = aiKeywords
    }

    public var primaryCategory: String? { categories.first }
    public var absURL: String { "https://arxiv.org/abs/\(id)" }
    public var pdfURL: String { "https://arxiv.org/pdf/\(id)" }

    /// Is `incoming` a newer description of the same paper than `self`?
    ///
    /// Versions decide when both sources name one. Otherwise the later revision day
    /// decides (days, not instants: sources round times differently), and on the same
    /// day a source that names a version beats one that does not. On a full tie the
    /// catalog keeps what it has, so alternating sources never flip-flop.
    public func isOlder(than incoming: Paper) -> Bool {
        if version > 0, incoming.version > 0, version != incoming.version {
            return incoming.version > version
        }
        let mine = revisionDay, theirs = incoming.revisionDay
        if let theirs, mine == nil || theirs > mine! { return true }
        if let mine, theirs == nil || mine > theirs! { return false }
        return version == 0 && incoming.version > 0
    }

    private var revisionDay: Day? { (updatedAt ?? publishedAt).map(Day.init) }

    /// Combines what the catalog knows with an incoming record of the same paper.
    ///
    /// The text of the paper (title, abstract, authors, dates) comes from whichever is
    /// newer; fields one source lacks (links, categories, summaries) are kept from the
    /// other, and links and star counts from the incoming record win since they change
    /// over time. Merging the same record twice is a no-op, so imports are idempotent.
    public func merged(with incoming: Paper) -> Paper {
        precondition(id == incoming.id)
        var result = isOlder(than: incoming) ? incoming : self
        let other = isOlder(than: incoming) ? self : incoming
        if result.categories.isEmpty { result.categories = other.categories }
        if result.authors.isEmpty { result.authors = other.authors }
        result.publishedAt = [result.publishedAt, other.publishedAt].compactMap { $0 }.min()
        result.comments = result.comments ?? other.comments
        result.journalRef = result.journalRef ?? other.journalRef
        result.doi = result.doi ?? other.doi
        result.githubRepo = incoming.githubRepo ?? githubRepo
        result.githubStars = incoming.githubStars ?? githubStars
        result.projectPage = incoming.projectPage ?? projectPage
        result.aiSummary = incoming.aiSummary ?? aiSummary
        result.aiKeywords = incoming.aiKeywords.isEmpty ? aiKeywords : incoming.aiKeywords
        return result
    }
}

/// A Hugging Face user as the daily-papers API names them.
public struct HubUser: Hashable, Sendable, Codable {
    public var user: String
    public var fullname: String?
    public var avatarURL: WebLink?

    public init(user: String, fullname: String? = nil, avatarURL: WebLink? = nil) {
        self.user = user
        self.fullname = fullname
        self.avatarURL = avatarURL
    }
}

/// A paper featured on the daily page of one day.
public struct FeaturedEntry: Hashable, Sendable {
    public var paperID: ArxivID
    public var day: Day
    /// When it was put on the daily page (the API item's `publishedAt`).
    public var featuredAt: Date
    public var submitter: HubUser?
    /// Upvotes and comments as the source reported them when imported.
    public var importedUpvotes: Int
    public var importedComments: Int

    public init(paperID: ArxivID, day: Day, featuredAt: Date, submitter: HubUser? = nil,
                importedUpvotes: Int = 0, importedComments: Int = 0) {
        self.paperID = paperID
        self.day = day
        self.featuredAt = featuredAt
        self.submitter = submitter
        self.importedUpvotes = importedUpvotes
        self.importedComments = importedComments
    }
}

extension String {
    /// Collapses runs of white space (including the hard line breaks of arXiv abstracts
    /// and Unicode spaces such as U+00A0) into single spaces and trims the ends.
    ///
    /// Works on UTF-8 bytes: bulk imports call it on every title and abstract.
    public var collapsingWhitespace: String {
        var utf8 = self.utf8
        if let fast = utf8.withContiguousStorageIfAvailable({ Self.collapse($0) }) { return fast }
        var copy = self
        copy.makeContiguousUTF8()
        utf8 = copy.utf8
        return utf8.withContiguousStorageIfAvailable { Self.collapse($0) }!
    }

    private static func collapse(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            var n = 0
            var pendingSpace = false
            var i = 0
            let count = bytes.count
            while i < count {
                let b = bytes[i]
                let width = b < 0x80 ? (b == 0x20 || (b >= 0x09 && b <= 0x0D) ? 1 : 0) : unicodeSpaceWidth(bytes, at: i)
                if width > 0 {
                    pendingSpace = n > 0
                    i += width
                    continue
                }
                if pendingSpace {
                    out[n] = 0x20
                    n += 1
                    pendingSpace = false
                }
                out[n] = b
                n += 1
                i += 1
            }
            return n
        }
    }

    /// The byte length of the Unicode White_Space character at `i`, or 0.
    private static func unicodeSpaceWidth(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = b[i]
        if lead == 0xC2, i + 1 < b.count, b[i + 1] == 0x85 || b[i + 1] == 0xA0 { return 2 }
        guard i + 2 < b.count else { return 0 }
        let (b1, b2) = (b[i + 1], b[i + 2])
        switch lead {
        case 0xE1: return b1 == 0x9A && b2 == 0x80 ? 3 : 0                       // U+1680
        case 0xE2:
            if b1 == 0x80, (0x80...0x8A).contains(b2) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF { return 3 }
            return b1 == 0x81 && b2 == 0x9F ? 3 : 0                               // U+205F
        case 0xE3: return b1 == 0x80 && b2 == 0x80 ? 3 : 0                       // U+3000
        default: return 0
        }
    }
}
