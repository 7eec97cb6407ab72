import Foundation
import GRDB
import PapersCore
import PapersStore

extension SQLiteStore: MailStore {
    /// The settings a request asks for, kept while it waits for confirmation.
    private struct PendingRequest: Codable {
        var frequency: DigestFrequency
        var keywords: [String]
        var categories: [String]
    }

    static let subscriptionColumns = "id, email, frequency, keywords, categories, status, created_at, confirmed_at"

    static func subscription(from row: Row) -> Subscription {
        Subscription(id: row["id"], email: row["email"], frequency: DigestFrequency(rawValue: row["frequency"]) ?? .daily,
                     keywords: JSONText.decodeStrings(row["keywords"]), categories: JSONText.decodeStrings(row["categories"]),
                     status: Subscription.Status(rawValue: row["status"]) ?? .pending,
                     createdAt: Date(timeIntervalSince1970: row["created_at"]),
                     confirmedAt: (row["confirmed_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    static func fetchSubscription(_ id: Int64, in db: Database) throws -> Subscription? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(subscriptionColumns) FROM subscriptions WHERE id = ?"),
                         arguments: [id]).map(subscription(from:))
    }

    public func requestSubscription(_ request: SubscriptionRequest, nonce: String, now: Date) async throws -> Subscription {
        let pending = String(decoding: try JSONEncoder().encode(
            PendingRequest(frequency: request.frequency, keywords: request.keywords, categories: request.categories)), as: UTF8.self)
        return try await writer.write { db in
            let t = now.timeIntervalSince1970
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM subscriptions WHERE email = ?", arguments: [request.email]) {
                try db.execute(sql: """
                    UPDATE subscriptions SET pending_request = ?, confirm_nonce = ?, updated_at = ? WHERE id = ?
                    """, arguments: [pending, nonce, t, id])
                return try Self.fetchSubscription(id, in: db)!
            }
            try db.execute(sql: """
                INSERT INTO subscriptions (email, frequency, keywords, categories, status, pending_request, confirm_nonce,
                                           created_at, updated_at)
                VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                """, arguments: [request.email, request.frequency.rawValue, JSONText.encode(request.keywords),
                                 JSONText.encode(request.categories), pending, nonce, t, t])
            return try Self.fetchSubscription(db.lastInsertedRowID, in: db)!
        }
    }

    public func confirmSubscription(id: Int64, nonce: String, now: Date) async throws -> Subscription? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT confirm_nonce, pending_request FROM subscriptions WHERE id = ?",
                                             arguments: [id]),
                  let stored = row["confirm_nonce"] as String?, TokenSigner.constantTimeEqual(stored, nonce),
                  let json = row["pending_request"] as String?,
                  let request = try? JSONDecoder().decode(PendingRequest.self, from: Data(json.utf8))
            else { return nil }
            try db.execute(sql: """
                UPDATE subscriptions SET frequency = ?, keywords = ?, categories = ?, status = 'confirmed',
                  pending_request = NULL, confirm_nonce = NULL, confirmed_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [request.frequency.rawValue, JSONText.encode(request.keywords), JSONText.encode(request.categories),
                                 now.timeIntervalSince1970, now.timeIntervalSince1970, id])
            // A confirmed subscription proves the address, also for the member who has it.
            try db.execute(sql: """
                UPDATE members SET email_confirmed_at = ?
                WHERE email = (SELECT email FROM subscriptions WHERE id = ?) AND email_confirmed_at IS NULL
                """, arguments: [now.timeIntervalSince1970, id])
            return try Self.fetchSubscription(id, in: db)
        }
    }

    public func subscription(id: Int64) async throws -> Subscription? {
        try await writer.read { db in try Self.fetchSubscription(id, in: db) }
    }

    public func unsubscribe(id: Int64, now: Date) async throws -> Subscription? {
        try await writer.write { db in
            guard let subscription = try Self.fetchSubscription(id, in: db) else { return nil }
            try db.execute(sql: """
                UPDATE subscriptions SET status = 'unsubscribed', pending_request = NULL, confirm_nonce = NULL, updated_at = ?
                WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, id])
            try db.execute(sql: """
                UPDATE outbox SET status = 'cancelled' WHERE recipient = ? AND status = 'pending' AND key LIKE 'digest %'
                """, arguments: [subscription.email])
            return try Self.fetchSubscription(id, in: db)
        }
    }

    public func confirmedSubscriptions(frequency: DigestFrequency) async throws -> [Subscription] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.subscriptionColumns) FROM subscriptions WHERE status = 'confirmed' AND frequency = ? ORDER BY id
                """), arguments: [frequency.rawValue]).map(Self.subscription(from:))
        }
    }

    // MARK: - Alerts

    static func alert(from row: Row) -> PaperAlert {
        PaperAlert(id: row["id"], member: Member.ID(row["member_id"]), kind: PaperAlert.Kind(rawValue: row["kind"]) ?? .search,
                   query: row["query"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func createAlert(member: Member.ID, kind: PaperAlert.Kind, query: String, now: Date) async throws -> PaperAlert {
        try await writer.write { db in
            if let row = try Row.fetchOne(db, sql: """
                SELECT id, member_id, kind, query, created_at FROM alerts WHERE member_id = ? AND kind = ? AND query = ?
                """, arguments: [member.rawValue, kind.rawValue, query]) {
                return Self.alert(from: row)
            }
            try db.execute(sql: """
                INSERT INTO alerts (member_id, kind, query, seen_rowid, created_at)
                VALUES (?, ?, ?, (SELECT coalesce(max(rowid), 0) FROM papers), ?)
                """, arguments: [member.rawValue, kind.rawValue, query, now.timeIntervalSince1970])
            return PaperAlert(id: db.lastInsertedRowID, member: member, kind: kind, query: query, createdAt: now)
        }
    }

    public func alerts(member: Member.ID) async throws -> [PaperAlert] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, member_id, kind, query, created_at FROM alerts WHERE member_id = ? ORDER BY id",
                             arguments: [member.rawValue]).map(Self.alert(from:))
        }
    }

    public func alert(id: Int64) async throws -> PaperAlert? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT id, member_id, kind, query, created_at FROM alerts WHERE id = ?",
                             arguments: [id]).map(Self.alert(from:))
        }
    }

    public func deleteAlert(id: Int64, member: Member.ID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM alerts WHERE id = ? AND member_id = ?", arguments: [id, member.rawValue])
            return db.changesCount > 0
        }
    }

    public func activeAlerts() async throws -> [(alert: PaperAlert, email: String)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.id, a.member_id, a.kind, a.query, a.created_at, m.email FROM alerts a
                JOIN members m ON m.id = a.member_id WHERE m.email_confirmed_at IS NOT NULL ORDER BY a.id
                """).map { (Self.alert(from: $0), $0["email"] as String) }
        }
    }

    public func alertMark(id: Int64) async throws -> Int64? {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT seen_rowid FROM alerts WHERE id = ?", arguments: [id]) }
    }

    public func papersNew(for alert: PaperAlert, limit: Int) async throws -> (papers: [Paper], mark: Int64) {
        try await writer.read { db in
            let seen = try Int64.fetchOne(db, sql: "SELECT seen_rowid FROM alerts WHERE id = ?", arguments: [alert.id]) ?? Int64.max
            let rows = try Row.fetchAll(db, sql: """
                SELECT rowid AS seq, \(Self.paperColumns) FROM papers WHERE rowid > ? ORDER BY rowid LIMIT ?
                """, arguments: [seen, limit])
            return (rows.map { Self.paper(from: $0) }, rows.last.map { $0["seq"] } ?? seen)
        }
    }

    public func recordAlert(id: Int64, previous: Int64, mark: Int64, sent: [ArxivID], entry: OutboxEntry?, now: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE alerts SET seen_rowid = ? WHERE id = ? AND seen_rowid = ?", arguments: [mark, id, previous])
            guard db.changesCount == 1 else { return false }
            for paper in sent {
                try db.execute(sql: "INSERT OR IGNORE INTO alert_papers (alert_id, paper_id, sent_at) VALUES (?, ?, ?)",
                               arguments: [id, paper.rawValue, now.timeIntervalSince1970])
            }
            if let entry { try Self.enqueue([entry], now: now, in: db) }
            return true
        }
    }

    /// The papers an alert has already mailed, among `papers`.
    public func alertSent(id: Int64, among papers: [ArxivID]) async throws -> Set<ArxivID> {
        try await writer.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT paper_id FROM alert_papers WHERE alert_id = ? AND paper_id IN (SELECT value FROM json_each(?))
                """, arguments: [id, JSONText.encode(papers.map(\.rawValue))]).compactMap(ArxivID.init))
        }
    }

    public func memberEmailConfirmed(_ member: Member.ID) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT email_confirmed_at IS NOT NULL FROM members WHERE id = ?",
                              arguments: [member.rawValue]) ?? false
        }
    }

    public func confirmMemberEmail(_ member: Member.ID, email: String, now: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE members SET email_confirmed_at = coalesce(email_confirmed_at, ?) WHERE id = ? AND email = ?
                """, arguments: [now.timeIntervalSince1970, member.rawValue, email])
            return db.changesCount > 0
        }
    }

    // MARK: - Outbox

    @discardableResult
    static func enqueue(_ entries: [OutboxEntry], now: Date, in db: Database) throws -> Int {
        var added = 0
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO outbox (key, sender, recipient, message, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for entry in entries {
            try insert.execute(arguments: [entry.key, entry.sender, entry.recipient, Data(entry.message),
                                           now.timeIntervalSince1970, now.timeIntervalSince1970])
            added += db.changesCount
        }
        return added
    }

    @discardableResult
    public func enqueue(_ entries: [OutboxEntry], now: Date) async throws -> Int {
        try await writer.write { db in try Self.enqueue(entries, now: now, in: db) }
    }

    static func outboxMessage(from row: Row) -> OutboxMessage {
        OutboxMessage(id: row["id"], entry: OutboxEntry(key: row["key"], sender: row["sender"], recipient: row["recipient"],
                                                        message: [UInt8](row["message"] as Data)),
                      attempts: row["attempts"])
    }

    public func claimDue(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] {
        try await writer.write { db in
            let t = now.timeIntervalSince1970
            let messages = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, key, sender, recipient, message, attempts FROM outbox
                WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
                ORDER BY id LIMIT ?
                """), arguments: [t, t, limit]).map(Self.outboxMessage(from:))
            let claim = try db.cachedStatement(sql: "UPDATE outbox SET claimed_until = ? WHERE id = ?")
            for message in messages { try claim.execute(arguments: [t + lease, message.id]) }
            return messages
        }
    }

    public func renewClaims(_ ids: [Int64], until: Date) async throws {
        guard !ids.isEmpty else { return }
        try await writer.write { db in
            // A message marked sent or failed since (its claim released) is not claimed again.
            let renew = try db.cachedStatement(sql: """
                UPDATE outbox SET claimed_until = ? WHERE id = ? AND status = 'pending' AND claimed_until IS NOT NULL
                """)
            for id in ids { try renew.execute(arguments: [until.timeIntervalSince1970, id]) }
        }
    }

    public func markSent(_ id: Int64, now: Date) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL, claimed_until = NULL WHERE id = ?")
                .execute(arguments: [now.timeIntervalSince1970, id])
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?, now: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = ?, claimed_until = NULL WHERE id = ?
                """, arguments: [error, retryAt == nil ? "failed" : "pending",
                                 (retryAt ?? now).timeIntervalSince1970, id])
        }
    }

    public func outboxCounts() async throws -> OutboxCounts {
        try await writer.read { db in
            var counts = OutboxCounts()
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM outbox GROUP BY status") {
                switch row["status"] as String {
                case "pending": counts.pending = row["n"]
                case "sent": counts.sent = row["n"]
                case "failed": counts.failed = row["n"]
                default: counts.cancelled += row["n"] as Int
                }
            }
            counts.nextAttempt = try Double.fetchOne(db, sql: "SELECT min(max(next_attempt_at, coalesce(claimed_until, 0))) FROM outbox WHERE status = 'pending'")
                .map(Date.init(timeIntervalSince1970:))
            return counts
        }
    }

    public func failedMessages(limit: Int) async throws -> [(message: OutboxMessage, error: String)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, key, sender, recipient, message, attempts, last_error FROM outbox
                WHERE status = 'failed' ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { (Self.outboxMessage(from: $0), ($0["last_error"] as String?) ?? "") }
        }
    }

    public func editionQueued(_ edition: String) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM digest_editions WHERE edition = ?", arguments: [edition]) ?? false
        }
    }

    public func markEditionQueued(_ edition: String, messages: Int, now: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO digest_editions (edition, messages, queued_at) VALUES (?, ?, ?)",
                           arguments: [edition, messages, now.timeIntervalSince1970])
        }
    }
}
