import Foundation
import PapersCore

/// The JSON shapes of Hugging Face's daily-papers API, which `huggingface_hub`'s
/// `PaperInfo` parses. Field names follow the reference API exactly.
enum API {
    struct Author: Encodable {
        var name: String
        var hidden = false
    }

    struct HubUserJSON: Encodable {
        var user: String
        /// The reference API's daily items spell the user name `name`; its papers, `user`.
        var name: String
        var fullname: String?
        var avatarUrl: String?
        var type = "user"

        init(_ u: HubUser) {
            user = u.user
            name = u.user
            fullname = u.fullname
            avatarUrl = u.avatarURL?.url
        }
    }

    /// `GET /api/papers/{id}` and the `paper` of each daily item.
    struct PaperJSON: Encodable {
        var id: String
        var authors: [Author]
        var publishedAt: String?
        var title: String
        var summary: String
        var upvotes: Int
        var discussionId: String
        var submittedOnDailyAt: String?
        var submittedOnDailyBy: HubUserJSON?
        var githubRepo: String?
        var githubStars: Int?
        var projectPage: String?
        var ai_summary: String?
        var ai_keywords: [String]?
        var categories: [String]
        var version: Int?
        var numComments: Int

        init(_ card: PaperCard) {
            let p = card.paper
            id = p.id.rawValue
            authors = p.authors.map { Author(name: $0) }
            publishedAt = p.publishedAt.map(Timestamp.iso8601)
            title = p.title
            summary = p.abstract
            upvotes = card.upvotes
            discussionId = p.id.rawValue
            submittedOnDailyAt = card.featured.map { Timestamp.iso8601($0.featuredAt) }
            submittedOnDailyBy = card.featured?.submitter.map(HubUserJSON.init)
            githubRepo = p.githubRepo?.url
            githubStars = p.githubStars
            projectPage = p.projectPage?.url
            ai_summary = p.aiSummary
            ai_keywords = p.aiKeywords.isEmpty ? nil : p.aiKeywords
            categories = p.categories
            version = p.version > 0 ? p.version : nil
            numComments = card.comments
        }
    }

    /// One item of `GET /api/daily_papers` and `GET /api/papers/search`.
    struct DailyItem: Encodable {
        var paper: PaperJSON
        var title: String
        var summary: String
        /// When the paper was featured (for search hits never featured: its arXiv date).
        var publishedAt: String?
        var numComments: Int
        var submittedBy: HubUserJSON?
        var highlightedSummary: String?

        init(_ card: PaperCard) {
            paper = PaperJSON(card)
            title = card.paper.title
            summary = card.paper.abstract
            publishedAt = (card.featured?.featuredAt ?? card.paper.publishedAt).map(Timestamp.iso8601)
            numComments = card.comments
            submittedBy = card.featured?.submitter.map(HubUserJSON.init)
            // Escaped HTML with the matched terms in <mark>, as the search page shows it.
            highlightedSummary = card.excerpt.map { CardView.marked($0).rendered }
        }
    }

    struct ErrorJSON: Encodable {
        var error: String
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()
}

// The community endpoints' shapes (votes, comments, submissions).
extension API {
    struct VoteJSON: Encodable {
        var paper: String
        var upvoted: Bool
        var upvotes: Int
    }

    struct CommentJSON: Encodable {
        var id: Int64
        var paper: String
        var author: String
        var text: String
        var createdAt: String

        init(_ c: PaperComment) {
            id = c.id.rawValue
            paper = c.paperID.rawValue
            author = c.authorName
            text = c.body
            createdAt = Timestamp.iso8601(c.createdAt)
        }
    }

    struct SubmissionJSON: Encodable {
        var paper: PaperJSON
        var day: String
        var submitter: String
    }
}
