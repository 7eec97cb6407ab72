import Foundation
import PapersCore
import PapersStore
import PostgresNIO

// One type per table that reads a row by column name. Each has the list of columns to select
// (prefixed with the table's usual alias), so a query and its reader cannot drift apart.

func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

func arxivID(_ text: String) throws -> ArxivID {
    guard let id = ArxivID(text) else { throw StoreError("the database holds an invalid arXiv id: \(text)") }
    return id
}

struct PaperRow {
    static let columns = """
        p.id, p.version, p.title, p.abstract, p.authors, p.categories, p.published_at, p.updated_at, p.comments,
        p.journal_ref, p.doi, p.github_repo, p.github_stars, p.project_page, p.ai_summary, p.ai_keywords
        """

    let paper: Paper

    init(_ row: PostgresRandomAccessRow) throws {
        paper = Paper(
            id: try arxivID(row["id"].decode(String.self)),
            version: try row["version"].decode(Int.self),
            title: try row["title"].decode(String.self),
            abstract: try row["abstract"].decode(String.self),
            authors: JSONText.decodeStrings(try row["authors"].decode(String.self)),
            categories: try row["categories"].decode(String.self).split(separator: " ").map(String.init),
            publishedAt: try row["published_at"].decode(Double?.self).map(date),
            updatedAt: try row["updated_at"].decode(Double?.self).map(date),
            comments: try row["comments"].decode(String?.self),
            journalRef: try row["journal_ref"].decode(String?.self),
            doi: try row["doi"].decode(String?.self),
            githubRepo: WebLink.validated(try row["github_repo"].decode(String?.self)),
            githubStars: try row["github_stars"].decode(Int?.self),
            projectPage: WebLink.validated(try row["project_page"].decode(String?.self)),
            aiSummary: try row["ai_summary"].decode(String?.self),
            aiKeywords: JSONText.decodeStrings(try row["ai_keywords"].decode(String.self)))
    }
}

struct FeaturedRow {
    static let columns = """
        f.paper_id, f.day, f.featured_at, f.submitter_user, f.submitter_fullname, f.submitter_avatar,
        f.imported_upvotes, f.imported_comments
        """

    let entry: FeaturedEntry

    init(_ row: PostgresRandomAccessRow) throws {
        let dayText = try row["day"].decode(String.self)
        guard let day = Day(dayText) else { throw StoreError("the database holds an invalid featured day: \(dayText)") }
        let user = try row["submitter_user"].decode(String?.self)
        let fullname = try row["submitter_fullname"].decode(String?.self)
        let avatar = try row["submitter_avatar"].decode(String?.self)
        entry = FeaturedEntry(
            paperID: try arxivID(row["paper_id"].decode(String.self)), day: day,
            featuredAt: date(try row["featured_at"].decode(Double.self)),
            submitter: user.map { HubUser(user: $0, fullname: fullname, avatarURL: WebLink.validated(avatar)) },
            importedUpvotes: try row["imported_upvotes"].decode(Int.self),
            importedComments: try row["imported_comments"].decode(Int.self))
    }
}

struct MemberRow {
    static let columns = "m.id, m.username, m.email, m.is_admin, m.created_at"

    let member: Member

    init(_ row: PostgresRandomAccessRow) throws {
        member = Member(id: Member.ID(try row["id"].decode(Int64.self)), username: try row["username"].decode(String.self),
                        email: try row["email"].decode(String.self), isAdmin: try row["is_admin"].decode(Bool.self),
                        createdAt: date(try row["created_at"].decode(Double.self)))
    }
}

struct APITokenRow {
    static let columns = "id, name, prefix, created_at, last_used_at"

    let token: APITokenInfo

    init(_ row: PostgresRandomAccessRow) throws {
        token = APITokenInfo(id: try row["id"].decode(Int64.self), name: try row["name"].decode(String.self),
                             prefix: try row["prefix"].decode(String.self),
                             createdAt: date(try row["created_at"].decode(Double.self)),
                             lastUsedAt: try row["last_used_at"].decode(Double?.self).map(date))
    }
}

struct CommentRow {
    /// Selects comments (c) with their author's name (m).
    static let select = """
        SELECT c.id, c.paper_id, c.member_id, m.username, c.body, c.created_at, c.hidden_at
        FROM comments c JOIN members m ON m.id = c.member_id
        """

    let comment: PaperComment

    init(_ row: PostgresRandomAccessRow) throws {
        comment = PaperComment(
            id: PaperComment.ID(try row["id"].decode(Int64.self)), paperID: try arxivID(row["paper_id"].decode(String.self)),
            author: Member.ID(try row["member_id"].decode(Int64.self)), authorName: try row["username"].decode(String.self),
            body: try row["body"].decode(String.self), createdAt: date(try row["created_at"].decode(Double.self)),
            hiddenAt: try row["hidden_at"].decode(Double?.self).map(date))
    }
}

struct SubscriptionRow {
    static let columns = "id, email, frequency, keywords, categories, status, created_at, confirmed_at"

    let subscription: Subscription

    init(_ row: PostgresRandomAccessRow) throws {
        subscription = Subscription(
            id: try row["id"].decode(Int64.self), email: try row["email"].decode(String.self),
            frequency: DigestFrequency(rawValue: try row["frequency"].decode(String.self)) ?? .daily,
            keywords: JSONText.decodeStrings(try row["keywords"].decode(String.self)),
            categories: JSONText.decodeStrings(try row["categories"].decode(String.self)),
            status: Subscription.Status(rawValue: try row["status"].decode(String.self)) ?? .pending,
            createdAt: date(try row["created_at"].decode(Double.self)),
            confirmedAt: try row["confirmed_at"].decode(Double?.self).map(date))
    }
}

struct AlertRow {
    static let columns = "a.id, a.member_id, a.kind, a.query, a.created_at"

    let alert: PaperAlert

    init(_ row: PostgresRandomAccessRow) throws {
        alert = PaperAlert(id: try row["id"].decode(Int64.self), member: Member.ID(try row["member_id"].decode(Int64.self)),
                           kind: PaperAlert.Kind(rawValue: try row["kind"].decode(String.self)) ?? .search,
                           query: try row["query"].decode(String.self), createdAt: date(try row["created_at"].decode(Double.self)))
    }
}

struct OutboxRow {
    static let columns = "id, key, sender, recipient, message, attempts"

    let message: OutboxMessage

    init(_ row: PostgresRandomAccessRow) throws {
        let bytes = try row["message"].decode(ByteBuffer.self)
        message = OutboxMessage(
            id: try row["id"].decode(Int64.self),
            entry: OutboxEntry(key: try row["key"].decode(String.self), sender: try row["sender"].decode(String.self),
                               recipient: try row["recipient"].decode(String.self), message: Array(bytes.readableBytesView)),
            attempts: try row["attempts"].decode(Int.self))
    }
}

/// Vectors as SQLite keeps them: Float32s, little-endian, one after another.
enum VectorBytes {
    static func encode(_ vector: [Float]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(vector.count * 4)
        for value in vector { buffer.writeInteger(value.bitPattern, endianness: .little, as: UInt32.self) }
        return buffer
    }

    static func decode(_ buffer: ByteBuffer) -> [Float] {
        var buffer = buffer
        var vector = [Float]()
        vector.reserveCapacity(buffer.readableBytes / 4)
        while let bits = buffer.readInteger(endianness: .little, as: UInt32.self) {
            vector.append(Float(bitPattern: bits))
        }
        return vector
    }
}
