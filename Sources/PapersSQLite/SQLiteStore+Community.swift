import Foundation
import GRDB
import PapersCore
import PapersStore

extension SQLiteStore: CommunityStore {
    static let memberColumns = "m.id, m.username, m.email, m.is_admin, m.created_at"

    /// Decodes a `members` row (its `memberColumns`), by column name.
    static func member(from row: Row) -> Member {
        Member(id: Member.ID(row["id"]), username: row["username"], email: row["email"], isAdmin: row["is_admin"],
               createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func createMember(username: String, email: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> Member {
        try await writer.write { db in
            for (field, value) in [("username", username), ("email", email)] {
                let column = field == "username" ? "username" : "email"
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM members WHERE \(column) = ?", arguments: [value]) == true {
                    throw CommunityStoreError.taken(field: field)
                }
            }
            try db.execute(sql: """
                INSERT INTO members (username, email, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [username, email, passwordHash, isAdmin, now.timeIntervalSince1970])
            return Member(id: Member.ID(db.lastInsertedRowID), username: username, email: email, isAdmin: isAdmin, createdAt: now)
        }
    }

    public func member(_ id: Member.ID) async throws -> Member? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Self.memberColumns) FROM members m WHERE m.id = ?"),
                             arguments: [id.rawValue]).map { Self.member(from: $0) }
        }
    }

    public func credentials(login: String) async throws -> (member: Member, passwordHash: String)? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Self.memberColumns), m.password_hash FROM members m WHERE m.username = ? OR m.email = ? LIMIT 1
                """), arguments: [login, login]).map { (Self.member(from: $0), $0["password_hash"] as String) }
        }
    }

    public func setPassword(_ id: Member.ID, passwordHash: String, keepingSession keeping: String?) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE members SET password_hash = ? WHERE id = ?", arguments: [passwordHash, id.rawValue])
            try db.execute(sql: "DELETE FROM sessions WHERE member_id = ? AND token_hash IS NOT ?", arguments: [id.rawValue, keeping])
        }
    }

    public func setAdmin(username: String, isAdmin: Bool) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE members SET is_admin = ? WHERE username = ?", arguments: [isAdmin, username])
            return db.changesCount > 0
        }
    }

    public func members() async throws -> [Member] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.memberColumns) FROM members m ORDER BY m.id").map { Self.member(from: $0) }
        }
    }

    // MARK: Sessions

    public func createSession(tokenHash: String, member: Member.ID, now: Date, expires: Date) async throws {
        try await writer.write { db in
            // Expired sessions are swept whenever someone signs in.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [tokenHash, member.rawValue, now.timeIntervalSince1970, expires.timeIntervalSince1970])
        }
    }

    public func sessionMember(tokenHash: String, now: Date) async throws -> Member? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Self.memberColumns) FROM sessions s JOIN members m ON m.id = s.member_id
                WHERE s.token_hash = ? AND s.expires_at > ?
                """), arguments: [tokenHash, now.timeIntervalSince1970]).map { Self.member(from: $0) }
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    // MARK: API tokens

    public func createAPIToken(member: Member.ID, name: String, tokenHash: String, prefix: String, now: Date) async throws -> APITokenInfo {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO api_tokens (member_id, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [member.rawValue, name, tokenHash, prefix, now.timeIntervalSince1970])
            return APITokenInfo(id: db.lastInsertedRowID, name: name, prefix: prefix, createdAt: now, lastUsedAt: nil)
        }
    }

    public func apiTokens(member: Member.ID) async throws -> [APITokenInfo] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens WHERE member_id = ? ORDER BY id",
                             arguments: [member.rawValue]).map { row in
                APITokenInfo(id: row["id"], name: row["name"], prefix: row["prefix"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                             lastUsedAt: (row["last_used_at"] as Double?).map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    public func deleteAPIToken(_ id: Int64, member: Member.ID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM api_tokens WHERE id = ? AND member_id = ?", arguments: [id, member.rawValue])
            return db.changesCount > 0
        }
    }

    public func apiTokenMember(tokenHash: String, now: Date) async throws -> Member? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Self.memberColumns), t.id AS token_id FROM api_tokens t JOIN members m ON m.id = t.member_id WHERE t.token_hash = ?
                """), arguments: [tokenHash]) else { return nil }
            try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, row["token_id"] as Int64])
            return Self.member(from: row)
        }
    }

    // MARK: Votes

    public func vote(member: Member.ID, paper: ArxivID, upvoted: Bool?, now: Date) async throws -> (upvoted: Bool, upvotes: Int)? {
        try await writer.write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM papers WHERE id = ?"), arguments: [paper.rawValue]) == true else {
                return nil
            }
            let has = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM votes WHERE paper_id = ? AND member_id = ?"),
                                        arguments: [paper.rawValue, member.rawValue]) == true
            let want = upvoted ?? !has
            if want && !has {
                try db.execute(sql: "INSERT INTO votes (paper_id, member_id, created_at) VALUES (?, ?, ?)",
                               arguments: [paper.rawValue, member.rawValue, now.timeIntervalSince1970])
                try db.execute(sql: "UPDATE papers SET member_votes = member_votes + 1 WHERE id = ?", arguments: [paper.rawValue])
            } else if !want && has {
                try db.execute(sql: "DELETE FROM votes WHERE paper_id = ? AND member_id = ?", arguments: [paper.rawValue, member.rawValue])
                try db.execute(sql: "UPDATE papers SET member_votes = member_votes - 1 WHERE id = ?", arguments: [paper.rawValue])
            }
            let total = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT (SELECT coalesce(max(imported_upvotes), 0) FROM featured WHERE paper_id = p.id) + p.member_votes
                FROM papers p WHERE p.id = ?
                """), arguments: [paper.rawValue]) ?? 0
            return (want, total)
        }
    }

    public func votedPapers(member: Member.ID, among papers: [ArxivID]) async throws -> Set<ArxivID> {
        guard !papers.isEmpty else { return [] }
        let ids = String(data: try JSONEncoder().encode(papers.map(\.rawValue)), encoding: .utf8)!
        return try await writer.read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT paper_id FROM votes WHERE member_id = ? AND paper_id IN (SELECT value FROM json_each(?))
                """), arguments: [member.rawValue, ids]).compactMap(ArxivID.init))
        }
    }

    // MARK: Comments

    /// Decodes a `comments` row joined with its author's name (`commentSelect`), by column name.
    static func comment(from row: Row) -> PaperComment {
        PaperComment(id: PaperComment.ID(row["id"]), paperID: ArxivID(row["paper_id"] as String)!, author: Member.ID(row["member_id"]),
                     authorName: row["username"], body: row["body"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                     hiddenAt: (row["hidden_at"] as Double?).map { Date(timeIntervalSince1970: $0) })
    }

    static let commentSelect = """
        SELECT c.id, c.paper_id, c.member_id, m.username, c.body, c.created_at, c.hidden_at
        FROM comments c JOIN members m ON m.id = c.member_id
        """

    public func addComment(member: Member.ID, paper: ArxivID, body: String, now: Date) async throws -> PaperComment? {
        try await writer.write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM papers WHERE id = ?"), arguments: [paper.rawValue]) == true else {
                return nil
            }
            try db.execute(sql: "INSERT INTO comments (paper_id, member_id, body, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [paper.rawValue, member.rawValue, body, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try db.execute(sql: "UPDATE papers SET member_comments = member_comments + 1 WHERE id = ?", arguments: [paper.rawValue])
            return try Row.fetchOne(db, sql: "\(Self.commentSelect) WHERE c.id = ?", arguments: [id]).map(Self.comment(from:))
        }
    }

    public func comments(paper: ArxivID) async throws -> [PaperComment] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "\(Self.commentSelect) WHERE c.paper_id = ? ORDER BY c.created_at, c.id"),
                             arguments: [paper.rawValue]).map(Self.comment(from:))
        }
    }

    public func comment(_ id: PaperComment.ID) async throws -> PaperComment? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "\(Self.commentSelect) WHERE c.id = ?", arguments: [id.rawValue]).map(Self.comment(from:))
        }
    }

    public func deleteComment(_ id: PaperComment.ID) async throws {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT paper_id, hidden_at FROM comments WHERE id = ?", arguments: [id.rawValue]) else { return }
            try db.execute(sql: "DELETE FROM comments WHERE id = ?", arguments: [id.rawValue])
            if (row["hidden_at"] as Double?) == nil {
                try db.execute(sql: "UPDATE papers SET member_comments = member_comments - 1 WHERE id = ?", arguments: [row["paper_id"] as String])
            }
        }
    }

    public func setCommentHidden(_ id: PaperComment.ID, hidden: Bool, now: Date) async throws {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT paper_id, hidden_at FROM comments WHERE id = ?", arguments: [id.rawValue]) else { return }
            let isHidden = (row["hidden_at"] as Double?) != nil
            guard isHidden != hidden else { return }
            try db.execute(sql: "UPDATE comments SET hidden_at = ? WHERE id = ?",
                           arguments: [hidden ? now.timeIntervalSince1970 : nil, id.rawValue])
            // Visible comments are what the counts show.
            try db.execute(sql: "UPDATE papers SET member_comments = member_comments + ? WHERE id = ?",
                           arguments: [hidden ? -1 : 1, row["paper_id"] as String])
        }
    }

    // MARK: Featuring

    public func feature(paper: ArxivID, day: Day, submitter: Member?, now: Date) async throws -> Bool {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM featured WHERE paper_id = ? AND day = ?",
                                    arguments: [paper.rawValue, day.description]) != true else { return false }
            try db.execute(sql: """
                INSERT INTO featured (paper_id, day, featured_at, submitter_user, submitter_fullname, submitted_by)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [paper.rawValue, day.description, now.timeIntervalSince1970,
                                 submitter?.username, submitter?.username, submitter?.id.rawValue])
            return true
        }
    }

    public func countAttempt(key: String, window: TimeInterval, now: Date) async throws -> (count: Int, windowStart: Date) {
        let t = now.timeIntervalSince1970
        return try await writer.write { db in
            // Windows over a day old are swept now and then (one attempt in a hundred).
            if Int.random(in: 0..<100) == 0 {
                try db.execute(sql: "DELETE FROM rate_limits WHERE window_start < ?", arguments: [t - 86_400])
            }
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
                ON CONFLICT (key) DO UPDATE SET
                  count = CASE WHEN excluded.window_start - rate_limits.window_start >= ? THEN 1 ELSE rate_limits.count + 1 END,
                  window_start = CASE WHEN excluded.window_start - rate_limits.window_start >= ? THEN excluded.window_start
                                      ELSE rate_limits.window_start END
                RETURNING count, window_start
                """), arguments: [key, t, window, window])!
            return (row["count"], Date(timeIntervalSince1970: row["window_start"]))
        }
    }

    public func unfeature(paper: ArxivID, day: Day) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM featured WHERE paper_id = ? AND day = ?", arguments: [paper.rawValue, day.description])
            return db.changesCount > 0
        }
    }
}
