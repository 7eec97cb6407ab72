import Foundation
import PapersCore
import PapersStore
import PostgresNIO

extension PostgresStore: CommunityStore {
    public func createMember(username: String, email: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> Member {
        let logger = self.logger
        do {
            return try await transaction { connection in
                for (field, value) in [("username", username), ("email", email)] {
                    let column = field == "username" ? "username" : "email"
                    if try await !connection.rows("SELECT 1 AS taken FROM members WHERE lower(\(unescaped: column)) = lower(\(value))", logger).isEmpty {
                        throw CommunityStoreError.taken(field: field)
                    }
                }
                let id = try await connection.rows("""
                    INSERT INTO members (username, email, password_hash, is_admin, created_at)
                    VALUES (\(username), \(email), \(passwordHash), \(isAdmin), \(now.timeIntervalSince1970)) RETURNING id
                    """, logger)[0]["id"].decode(Int64.self)
                return Member(id: Member.ID(id), username: username, email: email, isAdmin: isAdmin, createdAt: now)
            }
        } catch let error as StoreError where error.description.contains("members_username_lower") {
            throw CommunityStoreError.taken(field: "username")
        } catch let error as StoreError where error.description.contains("members_email_lower") {
            throw CommunityStoreError.taken(field: "email")
        }
    }

    public func member(_ id: Member.ID) async throws -> Member? {
        try await rows("SELECT \(unescaped: MemberRow.columns) FROM members m WHERE m.id = \(id.rawValue)").first.map { try MemberRow($0).member }
    }

    public func credentials(login: String) async throws -> (member: Member, passwordHash: String)? {
        try await rows("""
            SELECT \(unescaped: MemberRow.columns), m.password_hash FROM members m
            WHERE lower(m.username) = lower(\(login)) OR lower(m.email) = lower(\(login)) ORDER BY m.id LIMIT 1
            """).first.map { (try MemberRow($0).member, try $0["password_hash"].decode(String.self)) }
    }

    public func setPassword(_ id: Member.ID, passwordHash: String, keepingSession keeping: String?) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.run("UPDATE members SET password_hash = \(passwordHash) WHERE id = \(id.rawValue)", logger)
            try await connection.run("""
                DELETE FROM sessions WHERE member_id = \(id.rawValue) AND token_hash IS DISTINCT FROM \(keeping)::text
                """, logger)
        }
    }

    public func setAdmin(username: String, isAdmin: Bool) async throws -> Bool {
        try await !execute("UPDATE members SET is_admin = \(isAdmin) WHERE lower(username) = lower(\(username)) RETURNING id").isEmpty
    }

    public func members() async throws -> [Member] {
        try await rows("SELECT \(unescaped: MemberRow.columns) FROM members m ORDER BY m.id").map { try MemberRow($0).member }
    }

    // MARK: Sessions

    public func createSession(tokenHash: String, member: Member.ID, now: Date, expires: Date) async throws {
        let logger = self.logger
        try await transaction { connection in
            // Expired sessions are swept whenever someone signs in.
            try await connection.run("DELETE FROM sessions WHERE expires_at < \(now.timeIntervalSince1970)", logger)
            try await connection.run("""
                INSERT INTO sessions (token_hash, member_id, created_at, expires_at)
                VALUES (\(tokenHash), \(member.rawValue), \(now.timeIntervalSince1970), \(expires.timeIntervalSince1970))
                """, logger)
        }
    }

    public func sessionMember(tokenHash: String, now: Date) async throws -> Member? {
        try await rows("""
            SELECT \(unescaped: MemberRow.columns) FROM sessions s JOIN members m ON m.id = s.member_id
            WHERE s.token_hash = \(tokenHash) AND s.expires_at > \(now.timeIntervalSince1970)
            """).first.map { try MemberRow($0).member }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await execute("DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }

    // MARK: API tokens

    public func createAPIToken(member: Member.ID, name: String, tokenHash: String, prefix: String, now: Date) async throws -> APITokenInfo {
        let id = try await execute("""
            INSERT INTO api_tokens (member_id, name, token_hash, prefix, created_at)
            VALUES (\(member.rawValue), \(name), \(tokenHash), \(prefix), \(now.timeIntervalSince1970)) RETURNING id
            """)[0]["id"].decode(Int64.self)
        return APITokenInfo(id: id, name: name, prefix: prefix, createdAt: now, lastUsedAt: nil)
    }

    public func apiTokens(member: Member.ID) async throws -> [APITokenInfo] {
        try await rows("SELECT \(unescaped: APITokenRow.columns) FROM api_tokens WHERE member_id = \(member.rawValue) ORDER BY id")
            .map { try APITokenRow($0).token }
    }

    public func deleteAPIToken(_ id: Int64, member: Member.ID) async throws -> Bool {
        try await !execute("DELETE FROM api_tokens WHERE id = \(id) AND member_id = \(member.rawValue) RETURNING id").isEmpty
    }

    public func apiTokenMember(tokenHash: String, now: Date) async throws -> Member? {
        // One statement: note the use, and return the owner.
        try await execute("""
            WITH used AS (
                UPDATE api_tokens SET last_used_at = \(now.timeIntervalSince1970) WHERE token_hash = \(tokenHash) RETURNING member_id
            )
            SELECT \(unescaped: MemberRow.columns) FROM used JOIN members m ON m.id = used.member_id
            """).first.map { try MemberRow($0).member }
    }

    // MARK: Votes

    public func vote(member: Member.ID, paper: ArxivID, upvoted: Bool?, now: Date) async throws -> (upvoted: Bool, upvotes: Int)? {
        let logger = self.logger
        let result: VoteResult? = try await transaction { connection in
            // Locking the paper's row makes one member's (or several members') votes on it take turns,
            // so the vote and the count stay in step.
            guard try await !connection.rows("SELECT 1 AS found FROM papers WHERE id = \(paper.rawValue) FOR UPDATE", logger).isEmpty else {
                return nil
            }
            let has = try await !connection.rows("""
                SELECT 1 AS found FROM votes WHERE paper_id = \(paper.rawValue) AND member_id = \(member.rawValue)
                """, logger).isEmpty
            let want = upvoted ?? !has
            if want && !has {
                try await connection.run("""
                    INSERT INTO votes (paper_id, member_id, created_at) VALUES (\(paper.rawValue), \(member.rawValue), \(now.timeIntervalSince1970))
                    """, logger)
                try await connection.run("UPDATE papers SET member_votes = member_votes + 1 WHERE id = \(paper.rawValue)", logger)
            } else if !want && has {
                try await connection.run("DELETE FROM votes WHERE paper_id = \(paper.rawValue) AND member_id = \(member.rawValue)", logger)
                try await connection.run("UPDATE papers SET member_votes = member_votes - 1 WHERE id = \(paper.rawValue)", logger)
            }
            let total = try await connection.rows("""
                SELECT (SELECT coalesce(max(imported_upvotes), 0) FROM featured WHERE paper_id = p.id) + p.member_votes AS upvotes
                FROM papers p WHERE p.id = \(paper.rawValue)
                """, logger).first?["upvotes"].decode(Int.self) ?? 0
            return VoteResult(upvoted: want, upvotes: total)
        }
        return result.map { ($0.upvoted, $0.upvotes) }
    }

    public func votedPapers(member: Member.ID, among papers: [ArxivID]) async throws -> Set<ArxivID> {
        guard !papers.isEmpty else { return [] }
        return Set(try await rows("""
            SELECT paper_id FROM votes WHERE member_id = \(member.rawValue) AND paper_id = ANY(\(papers.map(\.rawValue)))
            """).compactMap { ArxivID(try $0["paper_id"].decode(String.self)) })
    }

    // MARK: Comments

    public func addComment(member: Member.ID, paper: ArxivID, body: String, now: Date) async throws -> PaperComment? {
        let logger = self.logger
        return try await transaction { connection in
            guard try await !connection.rows("SELECT 1 AS found FROM papers WHERE id = \(paper.rawValue)", logger).isEmpty else {
                return nil
            }
            let id = try await connection.rows("""
                INSERT INTO comments (paper_id, member_id, body, created_at)
                VALUES (\(paper.rawValue), \(member.rawValue), \(body), \(now.timeIntervalSince1970)) RETURNING id
                """, logger)[0]["id"].decode(Int64.self)
            try await connection.run("UPDATE papers SET member_comments = member_comments + 1 WHERE id = \(paper.rawValue)", logger)
            return try await connection.rows("\(unescaped: CommentRow.select) WHERE c.id = \(id)", logger).first.map { try CommentRow($0).comment }
        }
    }

    public func comments(paper: ArxivID) async throws -> [PaperComment] {
        try await rows("\(unescaped: CommentRow.select) WHERE c.paper_id = \(paper.rawValue) ORDER BY c.created_at, c.id")
            .map { try CommentRow($0).comment }
    }

    public func comment(_ id: PaperComment.ID) async throws -> PaperComment? {
        try await rows("\(unescaped: CommentRow.select) WHERE c.id = \(id.rawValue)").first.map { try CommentRow($0).comment }
    }

    public func deleteComment(_ id: PaperComment.ID) async throws {
        let logger = self.logger
        try await transaction { connection in
            guard let row = try await connection.rows("""
                DELETE FROM comments WHERE id = \(id.rawValue) RETURNING paper_id, hidden_at
                """, logger).first else { return }
            if try row["hidden_at"].decode(Double?.self) == nil {
                try await connection.run("""
                    UPDATE papers SET member_comments = member_comments - 1 WHERE id = \(try row["paper_id"].decode(String.self))
                    """, logger)
            }
        }
    }

    public func setCommentHidden(_ id: PaperComment.ID, hidden: Bool, now: Date) async throws {
        let logger = self.logger
        try await transaction { connection in
            guard let row = try await connection.rows("""
                SELECT paper_id, hidden_at FROM comments WHERE id = \(id.rawValue) FOR UPDATE
                """, logger).first else { return }
            let isHidden = try row["hidden_at"].decode(Double?.self) != nil
            guard isHidden != hidden else { return }
            let paperID = try row["paper_id"].decode(String.self)
            try await connection.run("""
                UPDATE comments SET hidden_at = \(hidden ? now.timeIntervalSince1970 : nil) WHERE id = \(id.rawValue)
                """, logger)
            // Visible comments are what the counts show.
            try await connection.run("""
                UPDATE papers SET member_comments = member_comments + \(hidden ? -1 : 1) WHERE id = \(paperID)
                """, logger)
        }
    }

    // MARK: Featuring

    public func feature(paper: ArxivID, day: Day, submitter: Member?, now: Date) async throws -> Bool {
        try await !execute("""
            INSERT INTO featured (paper_id, day, featured_at, submitter_user, submitter_fullname, submitted_by)
            VALUES (\(paper.rawValue), \(day.description), \(now.timeIntervalSince1970), \(submitter?.username),
                    \(submitter?.username), \(submitter?.id.rawValue))
            ON CONFLICT (paper_id, day) DO NOTHING RETURNING paper_id
            """).isEmpty
    }

    public func unfeature(paper: ArxivID, day: Day) async throws -> Bool {
        try await !execute("DELETE FROM featured WHERE paper_id = \(paper.rawValue) AND day = \(day.description) RETURNING paper_id").isEmpty
    }
}

/// A vote's outcome, carried out of the transaction (tuples with labels are not `Sendable`-checked
/// through generic results as easily).
struct VoteResult: Sendable {
    var upvoted: Bool
    var upvotes: Int
}
