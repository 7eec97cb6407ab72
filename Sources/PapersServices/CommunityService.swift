import Foundation
import PapersCore
import PapersIngest
import PapersStore

/// What went wrong with a community action, with the message a member should see. The web
/// layer turns each into a status (`kind`); the command line prints the message.
public struct CommunityError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Malformed input (400).
        case invalid
        /// A paper, comment or featuring that is not there (404).
        case notFound
        /// Not this member's to change (403).
        case forbidden
        /// Already done (409).
        case conflict
        /// arXiv has no such paper or refused the id (422).
        case unprocessable
        /// arXiv could not be asked (502).
        case upstream
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// The community's actions and their rules: voting, commenting, moderating, submitting and
/// featuring, each with the rate limits and the cache clearing it needs. The web layer, the
/// command line and a harvester call the same functions.
public struct CommunityService: Sendable {
    /// A store that also tells the other processes on its database about changes
    /// (`ChangeAnnouncing`; SQLite's tells nobody).
    public typealias Store = CommunityStore & PaperStore & ChangeAnnouncing
    let store: any Store
    let catalog: Catalog
    let arxiv: ArxivClient
    let limits: RateLimits
    let limiter: RateLimiter
    /// Called after a change visitors should see at once (a comment, moderation, featuring):
    /// the web layer drops its finished responses. The catalog's own cache is always dropped.
    let contentChanged: @Sendable () -> Void

    public init(store: any Store, catalog: Catalog, arxiv: ArxivClient, limits: RateLimits = RateLimits(),
                limiter: RateLimiter? = nil, contentChanged: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.catalog = catalog
        self.arxiv = arxiv
        self.limits = limits
        self.limiter = limiter ?? RateLimiter(store: store)
        self.contentChanged = contentChanged
    }

    var now: Date { catalog.now() }

    /// Drops this process's caches and tells the other processes on the database to drop
    /// theirs (`SiteStore.announceChange`; with PostgreSQL, every web node).
    private func changed() async {
        catalog.invalidate()
        contentChanged()
        await store.announceChange()
    }

    /// Counts an attempt at an action that attracts abuse (`RateLimitExceeded` once over the limit).
    public func limit(_ action: String, key: String, _ limit: KeyPath<RateLimits, RateLimit>) async throws {
        try await limiter.hit(action, key: key, limit: limits[keyPath: limit], now: now)
    }

    // MARK: Votes

    /// Sets (`upvoted` true or false) or toggles (nil) a member's vote.
    public func vote(_ member: Member, paper id: ArxivID, upvoted: Bool?) async throws -> (upvoted: Bool, upvotes: Int) {
        guard let result = try await store.vote(member: member.id, paper: id, upvoted: upvoted, now: now) else {
            throw CommunityError(.notFound, "Paper \(id) is not in this catalog.")
        }
        // Members' pages are made fresh but read lists through the catalog's cache: drop it so
        // the voter sees their vote counted, here and on the other nodes. Visitors' cached pages
        // may trail by 2 seconds.
        catalog.invalidate()
        await store.announceChange()
        return result
    }

    // MARK: Comments

    /// Adds a comment, within the per-member and per-address limits.
    public func comment(_ member: Member, paper id: ArxivID, text: String, address: String) async throws -> PaperComment {
        try await limit("comment", key: "member:\(member.id)", \.commentPerMember)
        try await limit("comment", key: address, \.commentPerAddress)
        let body = try CommunityRules.comment(text)
        guard let comment = try await store.addComment(member: member.id, paper: id, body: body, now: now) else {
            throw CommunityError(.notFound, "Paper \(id) is not in this catalog.")
        }
        await changed()
        return comment
    }

    /// The visible comments on a paper, oldest first.
    public func visibleComments(paper id: ArxivID) async throws -> [PaperComment] {
        guard try await store.paper(id) != nil else { throw CommunityError(.notFound, "paper \(id) not found") }
        return try await store.comments(paper: id).filter { $0.hiddenAt == nil }
    }

    /// Every comment on a paper, hidden ones included (the page decides what to show).
    public func comments(paper id: ArxivID) async throws -> [PaperComment] {
        try await store.comments(paper: id)
    }

    /// Which of `papers` the member has upvoted (to show their votes on a page).
    public func votedPapers(_ member: Member, among papers: [ArxivID]) async throws -> Set<ArxivID> {
        try await store.votedPapers(member: member.id, among: papers)
    }

    func existingComment(_ idText: String) async throws -> PaperComment {
        guard let id = Int64(idText), let comment = try await store.comment(PaperComment.ID(id)) else {
            throw CommunityError(.notFound, "There is no comment \(idText).")
        }
        return comment
    }

    /// Deletes a comment of the member's own.
    public func deleteComment(_ idText: String, by member: Member) async throws -> PaperComment {
        let comment = try await existingComment(idText)
        guard comment.author == member.id else { throw CommunityError(.forbidden, "You can delete only your own comments.") }
        try await store.deleteComment(comment.id)
        await changed()
        return comment
    }

    /// Hides or shows a comment again (admins).
    public func setCommentHidden(_ idText: String, hidden: Bool, by admin: Member) async throws -> PaperComment {
        guard admin.isAdmin else { throw CommunityError(.forbidden, "Only admins can hide comments.") }
        let comment = try await existingComment(idText)
        try await store.setCommentHidden(comment.id, hidden: hidden, now: now)
        await changed()
        return comment
    }

    // MARK: Submissions and featuring

    /// Puts a paper on today's page for `member`, looking it up on arXiv when it is new here.
    public func submit(_ text: String, by member: Member) async throws -> (paper: ArxivID, day: Day) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw InputError(field: "id", "is empty: paste an arXiv id such as 2405.15738") }
        guard trimmed.count <= 200 else { throw InputError(field: "id", "is too long to be an arXiv id") }
        guard let (id, _) = ArxivID.parse(trimmed) else {
            throw InputError(field: "id", "\"\(trimmed)\" is not an arXiv id such as 2405.15738 or hep-th/9901001")
        }
        let today = Day(now)
        if try await store.paper(id) == nil {
            let paper: Paper?
            do {
                paper = try await arxiv.paper(id)
            } catch {
                switch error {
                case .rejected: throw CommunityError(.unprocessable, "\(error.description)")
                case .status, .unreachable: throw CommunityError(.upstream, "Could not look \(id) up: \(error.description).")
                }
            }
            guard let paper else { throw CommunityError(.unprocessable, "arXiv has no paper \(id). Check the id and try again.") }
            _ = try await store.write(ImportBatch(papers: [paper]))
            // The newest paper is the first the engine embeds: with a model, its similar papers
            // and its semantic matches are there as soon as it is on the page. (Should that
            // fail, background embedding takes it up.)
            _ = try? await catalog.searchEngine.embedPending(limit: 1)
        }
        guard try await store.feature(paper: id, day: today, submitter: member, now: now) else {
            throw CommunityError(.conflict, "\(id) is already on today's page.")
        }
        await changed()
        return (id, today)
    }

    /// Features a paper on a day, or takes it off (admins).
    public func feature(_ id: ArxivID, on day: Day, featured: Bool, by admin: Member) async throws {
        guard admin.isAdmin else { throw CommunityError(.forbidden, "Only admins can feature and unfeature papers.") }
        guard try await store.paper(id) != nil else { throw CommunityError(.notFound, "Paper \(id) is not in this catalog.") }
        if featured {
            guard try await store.feature(paper: id, day: day, submitter: admin, now: now) else {
                throw CommunityError(.conflict, "\(id) is already featured on \(day).")
            }
        } else {
            guard try await store.unfeature(paper: id, day: day) else { throw CommunityError(.notFound, "\(id) is not featured on \(day).") }
        }
        await changed()
    }
}
