import Crypto
import Foundation

/// A value as a site's database keeps it, whichever database: what `migrate-data` copies.
/// Booleans are integers 0 and 1 (SQLite has no other kind); PostgreSQL's are read and written
/// as such.
public enum ColumnValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One table of a site's database, as both stores define it.
public struct SiteTable: Sendable, Hashable {
    public var name: String
    /// The primary key's columns (rows are read in this order).
    public var key: [String]
    public var columns: [String]
}

/// Every table a site keeps, in an order where each table comes after those it refers to.
/// Search indexes (SQLite's `papers_fts`, PostgreSQL's `tsvector`) are not copied: each store
/// builds its own from the rows. `papers.seq` is the order papers arrived in (SQLite's rowid),
/// which members' alerts remember their place by.
public enum SiteTables {
    public static let all: [SiteTable] = [
        SiteTable(name: "papers", key: ["id"], columns: [
            "id", "seq", "version", "title", "abstract", "authors", "categories", "published_at", "updated_at", "comments",
            "journal_ref", "doi", "github_repo", "github_stars", "project_page", "ai_summary", "ai_keywords", "imported_at",
            "modified_at", "text_hash", "member_votes", "member_comments",
        ]),
        SiteTable(name: "members", key: ["id"], columns: [
            "id", "username", "email", "password_hash", "is_admin", "created_at", "email_confirmed_at",
        ]),
        SiteTable(name: "featured", key: ["paper_id", "day"], columns: [
            "paper_id", "day", "featured_at", "submitter_user", "submitter_fullname", "submitter_avatar", "imported_upvotes",
            "imported_comments", "submitted_by",
        ]),
        SiteTable(name: "embeddings", key: ["paper_id", "model"], columns: ["paper_id", "model", "text_hash", "vector", "saved_at"]),
        SiteTable(name: "settings", key: ["key"], columns: ["key", "value"]),
        SiteTable(name: "sessions", key: ["token_hash"], columns: ["token_hash", "member_id", "created_at", "expires_at"]),
        SiteTable(name: "api_tokens", key: ["id"], columns: [
            "id", "member_id", "name", "token_hash", "prefix", "created_at", "last_used_at",
        ]),
        SiteTable(name: "votes", key: ["paper_id", "member_id"], columns: ["paper_id", "member_id", "created_at"]),
        SiteTable(name: "comments", key: ["id"], columns: ["id", "paper_id", "member_id", "body", "created_at", "hidden_at"]),
        SiteTable(name: "subscriptions", key: ["id"], columns: [
            "id", "email", "frequency", "keywords", "categories", "status", "pending_request", "confirm_nonce", "created_at",
            "confirmed_at", "updated_at",
        ]),
        SiteTable(name: "alerts", key: ["id"], columns: ["id", "member_id", "kind", "query", "seen_rowid", "created_at"]),
        SiteTable(name: "alert_papers", key: ["alert_id", "paper_id"], columns: ["alert_id", "paper_id", "sent_at"]),
        SiteTable(name: "outbox", key: ["id"], columns: [
            "id", "key", "sender", "recipient", "message", "status", "attempts", "next_attempt_at", "claimed_until", "last_error",
            "created_at", "sent_at",
        ]),
        SiteTable(name: "digest_editions", key: ["edition"], columns: ["edition", "messages", "queued_at"]),
        SiteTable(name: "harvest_state", key: ["source"], columns: [
            "source", "cursor", "last_run_at", "last_outcome", "last_counts", "last_error",
        ]),
        SiteTable(name: "rate_limits", key: ["key"], columns: ["key", "window_start", "count"]),
    ]
}

/// Whole-table reads and writes, for moving a site from one database to another.
public protocol TableCopying: Sendable {
    /// Every row of the table, `batchSize` at a time, values in the order of `table.columns`.
    func exportRows(_ table: SiteTable, batchSize: Int, _ body: ([[ColumnValue]]) async throws -> Void) async throws
    /// Inserts rows (values in the order of `table.columns`) in one transaction.
    func importRows(_ table: SiteTable, _ rows: [[ColumnValue]]) async throws
    /// After a copy: generated ids continue after the largest copied one, and search indexes
    /// that are not kept by the rows themselves are rebuilt.
    func finishImport() async throws
    /// How many rows the table holds.
    func rowCount(_ table: SiteTable) async throws -> Int
}

/// A checksum of a table's contents that does not depend on the order rows are read in: the
/// sum of each row's SHA-256 (its first 16 bytes, as two 64-bit numbers), with the row count.
public struct TableChecksum: Sendable, Hashable, CustomStringConvertible {
    public private(set) var rows = 0
    private var high: UInt64 = 0
    private var low: UInt64 = 0

    public init() {}

    public mutating func add(_ row: [ColumnValue]) {
        var hash = SHA256()
        for value in row {
            switch value {
            case .null: hash.update(data: [0])
            case let .integer(v): hash.update(data: [1]); hash.update(data: withUnsafeBytes(of: v.littleEndian, Array.init))
            case let .real(v): hash.update(data: [2]); hash.update(data: withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init))
            case let .text(s):
                let bytes = Array(s.utf8)
                hash.update(data: [3]); hash.update(data: withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init)); hash.update(data: bytes)
            case let .blob(b):
                hash.update(data: [4]); hash.update(data: withUnsafeBytes(of: UInt64(b.count).littleEndian, Array.init)); hash.update(data: b)
            }
        }
        let digest = Array(hash.finalize())
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(digest[i]); l = l << 8 | UInt64(digest[8 + i]) }
        let (sum, carry) = low.addingReportingOverflow(l)
        low = sum
        high = high &+ h &+ (carry ? 1 : 0)
        rows += 1
    }

    public var description: String { String(format: "%016llx%016llx", high, low) }
}
