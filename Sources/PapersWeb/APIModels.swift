import Foundation
import PapersCore

/// The JSON shapes of Hugging Face's daily-papers API, which `huggingface_hub`'s
/// `PaperInfo` parses. Field names follow the reference API exactly. The paper shapes, which
/// every list of papers repeats, write themselves (`JSONWritable`: a search page of 20 took
/// about 1.5 ms through `JSONEncoder`); the others are `Encodable`.
enum API {
    struct Author: JSONWritable {
        var name: String
        var hidden = false

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("name", name)
                json.member("hidden", hidden)
            }
        }
    }

    struct HubUserJSON: JSONWritable {
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

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("user", user)
                json.member("name", name)
                json.member("fullname", fullname)
                json.member("avatarUrl", avatarUrl)
                json.member("type", type)
            }
        }
    }

    /// `GET /api/papers/{id}` and the `paper` of each daily item.
    struct PaperJSON: JSONWritable {
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

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("id", id)
                json.member("authors", authors)
                json.member("publishedAt", publishedAt)
                json.member("title", title)
                json.member("summary", summary)
                json.member("upvotes", upvotes)
                json.member("discussionId", discussionId)
                json.member("submittedOnDailyAt", submittedOnDailyAt)
                json.member("submittedOnDailyBy", submittedOnDailyBy)
                json.member("githubRepo", githubRepo)
                json.member("githubStars", githubStars)
                json.member("projectPage", projectPage)
                json.member("ai_summary", ai_summary)
                json.member("ai_keywords", ai_keywords)
                json.member("categories", categories)
                json.member("version", version)
                json.member("numComments", numComments)
            }
        }
    }

    /// One item of `GET /api/daily_papers` and `GET /api/papers/search`.
    struct DailyItem: JSONWritable {
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

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("paper", paper)
                json.member("title", title)
                json.member("summary", summary)
                json.member("publishedAt", publishedAt)
                json.member("numComments", numComments)
                json.member("submittedBy", submittedBy)
                json.member("highlightedSummary", highlightedSummary)
            }
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

    struct SubmissionJSON: JSONWritable {
        var paper: PaperJSON
        var day: String
        var submitter: String

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("paper", paper)
                json.member("day", day)
                json.member("submitter", submitter)
            }
        }
    }
}
