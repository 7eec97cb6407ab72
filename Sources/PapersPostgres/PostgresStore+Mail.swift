import Foundation
import Logging
import PapersCore
import PapersStore
import PostgresNIO

extension PostgresStore: MailStore {
    /// The settings a request asks for, kept while it waits for confirmation (the same JSON as
    /// the SQLite store's).
    private struct PendingRequest: Codable {
        var frequency: DigestFrequency
        var keywords: [String]
        var categories: [String]
    }

    static func fetchSubscription(_ id: Int64, on connection: PGConnection, _ logger: Logger) async throws -> Subscription? {
        try await connection.rows("SELECT \(unescaped: SubscriptionRow.columns) FROM subscriptions WHERE id = \(id)", logger)
            .first.map { try SubscriptionRow($0).subscription }
    }

    public func requestSubscription(_ request: SubscriptionRequest, nonce: String, now: Date) async throws -> Subscription {
        let pending = String(decoding: try JSONEncoder().encode(
            PendingRequest(frequency: request.frequency, keywords: request.keywords, categories: request.categories)), as: UTF8.self)
        let t = now.timeIntervalSince1970
        // A new address becomes a pending subscription; a known one (any case) keeps its settings
        // and gets the request to confirm. One statement, so two requests at once cannot clash.
        let row = try await execute("""
            INSERT INTO subscriptions (email, frequency, keywords, categories, status, pending_request, confirm_nonce,
                                       created_at, updated_at)
            VALUES (\(request.email), \(request.frequency.rawValue), \(JSONText.encode(request.keywords)),
                    \(JSONText.encode(request.categories)), 'pending', \(pending), \(nonce), \(t), \(t))
            ON CONFLICT ((lower(email))) DO UPDATE SET pending_request = excluded.pending_request,
              confirm_nonce = excluded.confirm_nonce, updated_at = excluded.updated_at
            RETURNING \(unescaped: SubscriptionRow.columns)
            """)
        return try SubscriptionRow(row[0]).subscription
    }

    public func confirmSubscription(id: Int64, nonce: String, now: Date) async throws -> Subscription? {
        let logger = self.logger
        return try await transaction { connection in
            guard let row = try await connection.rows("""
                SELECT confirm_nonce, pending_request FROM subscriptions WHERE id = \(id) FOR UPDATE
                """, logger).first,
                let stored = try row["confirm_nonce"].decode(String?.self), TokenSigner.constantTimeEqual(stored, nonce),
                let json = try row["pending_request"].decode(String?.self),
                let request = try? JSONDecoder().decode(PendingRequest.self, from: Data(json.utf8))
            else { return nil }
            let t = now.timeIntervalSince1970
            try await connection.run("""
                UPDATE subscriptions SET frequency = \(request.frequency.rawValue), keywords = \(JSONText.encode(request.keywords)),
                  categories = \(JSONText.encode(request.categories)), status = 'confirmed',
                  pending_request = NULL, confirm_nonce = NULL, confirmed_at = \(t), updated_at = \(t)
                WHERE id = \(id)
                """, logger)
            // A confirmed subscription proves the address, also for the member who has it.
            try await connection.run("""
                UPDATE members SET email_confirmed_at = \(t)
                WHERE lower(email) = (SELECT lower(email) FROM subscriptions WHERE id = \(id)) AND email_confirmed_at IS NULL
                """, logger)
            return try await Self.fetchSubscription(id, on: connection, logger)
        }
    }

    public func subscription(id: Int64) async throws -> Subscription? {
        try await rows("SELECT \(unescaped: SubscriptionRow.columns) FROM subscriptions WHERE id = \(id)")
            .first.map { try SubscriptionRow($0).subscription }
    }

    public func unsubscribe(id: Int64, now: Date) async throws -> Subscription? {
        let logger = self.logger
        return try await transaction { connection in
            guard let subscription = try await Self.fetchSubscription(id, on: connection, logger) else { return nil }
            try await connection.run("""
                UPDATE subscriptions SET status = 'unsubscribed', pending_request = NULL, confirm_nonce = NULL,
                  updated_at = \(now.timeIntervalSince1970)
                WHERE id = \(id)
                """, logger)
            try await connection.run("""
                UPDATE outbox SET status = 'cancelled' WHERE recipient = \(subscription.email) AND status = 'pending' AND key LIKE 'digest %'
                """, logger)
            return try await Self.fetchSubscription(id, on: connection, logger)
        }
    }

    public func confirmedSubscriptions(frequency: DigestFrequency) async throws -> [Subscription] {
        try await rows("""
            SELECT \(unescaped: SubscriptionRow.columns) FROM subscriptions
            WHERE status = 'confirmed' AND frequency = \(frequency.rawValue) ORDER BY id
            """).map { try SubscriptionRow($0).subscription }
    }

    // MARK: - Alerts

    public func createAlert(member: Member.ID, kind: PaperAlert.Kind, query: String, now: Date) async throws -> PaperAlert {
        let logger = self.logger
        return try await transaction { connection in
            // A new alert starts after the papers already there.
            if let row = try await connection.rows("""
                INSERT INTO alerts AS a (member_id, kind, query, seen_rowid, created_at)
                VALUES (\(member.rawValue), \(kind.rawValue), \(query), (SELECT coalesce(max(seq), 0) FROM papers), \(now.timeIntervalSince1970))
                ON CONFLICT (member_id, kind, query) DO NOTHING
                RETURNING \(unescaped: AlertRow.columns)
                """, logger).first {
                return try AlertRow(row).alert
            }
            return try AlertRow(try await connection.rows("""
                SELECT \(unescaped: AlertRow.columns) FROM alerts a
                WHERE a.member_id = \(member.rawValue) AND a.kind = \(kind.rawValue) AND a.query = \(query)
                """, logger)[0]).alert
        }
    }

    public func alerts(member: Member.ID) async throws -> [PaperAlert] {
        try await rows("SELECT \(unescaped: AlertRow.columns) FROM alerts a WHERE a.member_id = \(member.rawValue) ORDER BY a.id")
            .map { try AlertRow($0).alert }
    }

    public func alert(id: Int64) async throws -> PaperAlert? {
        try await rows("SELECT \(unescaped: AlertRow.columns) FROM alerts a WHERE a.id = \(id)").first.map { try AlertRow($0).alert }
    }

    public func deleteAlert(id: Int64, member: Member.ID) async throws -> Bool {
        try await !execute("DELETE FROM alerts WHERE id = \(id) AND member_id = \(member.rawValue) RETURNING id").isEmpty
    }

    public func activeAlerts() async throws -> [(alert: PaperAlert, email: String)] {
        let found = try await rows("""
            SELECT \(unescaped: AlertRow.columns), m.email FROM alerts a
            JOIN members m ON m.id = a.member_id WHERE m.email_confirmed_at IS NOT NULL ORDER BY a.id
            """).map { ActiveAlert(alert: try AlertRow($0).alert, email: try $0["email"].decode(String.self)) }
        return found.map { ($0.alert, $0.email) }
    }

    public func alertMark(id: Int64) async throws -> Int64? {
        try await rows("SELECT seen_rowid FROM alerts WHERE id = \(id)").first?["seen_rowid"].decode(Int64.self)
    }

    public func papersNew(for alert: PaperAlert, limit: Int) async throws -> (papers: [Paper], mark: Int64) {
        let logger = self.logger
        let found = try await withConnection(retry: true) { connection in
            let seen = try await connection.rows("SELECT seen_rowid FROM alerts WHERE id = \(alert.id)", logger)
                .first?["seen_rowid"].decode(Int64.self) ?? Int64.max
            let rows = try await connection.rows("""
                SELECT p.seq, \(unescaped: PaperRow.columns) FROM papers p WHERE p.seq > \(seen) ORDER BY p.seq LIMIT \(limit)
                """, logger)
            return NewPapers(papers: try rows.map { try PaperRow($0).paper },
                             mark: try rows.last?["seq"].decode(Int64.self) ?? seen)
        }
        return (found.papers, found.mark)
    }

    public func recordAlert(id: Int64, previous: Int64, mark: Int64, sent: [ArxivID], entry: OutboxEntry?, now: Date) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            let moved = try await connection.rows("""
                UPDATE alerts SET seen_rowid = \(mark) WHERE id = \(id) AND seen_rowid = \(previous) RETURNING id
                """, logger)
            guard moved.count == 1 else { return false }
            if !sent.isEmpty {
                try await connection.run("""
                    INSERT INTO alert_papers (alert_id, paper_id, sent_at)
                    SELECT \(id), paper_id, \(now.timeIntervalSince1970) FROM unnest(\(sent.map(\.rawValue))::text[]) AS paper_id
                    ON CONFLICT DO NOTHING
                    """, logger)
            }
            if let entry { try await Self.enqueue([entry], now: now, on: connection, logger) }
            return true
        }
    }

    public func alertSent(id: Int64, among papers: [ArxivID]) async throws -> Set<ArxivID> {
        guard !papers.isEmpty else { return [] }
        return Set(try await rows("""
            SELECT paper_id FROM alert_papers WHERE alert_id = \(id) AND paper_id = ANY(\(papers.map(\.rawValue)))
            """).compactMap { ArxivID(try $0["paper_id"].decode(String.self)) })
    }

    public func memberEmailConfirmed(_ member: Member.ID) async throws -> Bool {
        try await rows("SELECT email_confirmed_at IS NOT NULL AS confirmed FROM members WHERE id = \(member.rawValue)")
            .first?["confirmed"].decode(Bool.self) ?? false
    }

    public func confirmMemberEmail(_ member: Member.ID, email: String, now: Date) async throws -> Bool {
        try await !execute("""
            UPDATE members SET email_confirmed_at = coalesce(email_confirmed_at, \(now.timeIntervalSince1970))
            WHERE id = \(member.rawValue) AND lower(email) = lower(\(email)) RETURNING id
            """).isEmpty
    }

    // MARK: - Outbox

    @discardableResult
    static func enqueue(_ entries: [OutboxEntry], now: Date, on connection: PGConnection, _ logger: Logger) async throws -> Int {
        var added = 0
        let t = now.timeIntervalSince1970
        for entry in entries {
            added += try await connection.rows("""
                INSERT INTO outbox (key, sender, recipient, message, next_attempt_at, created_at)
                VALUES (\(entry.key), \(entry.sender), \(entry.recipient), \(ByteBuffer(bytes: entry.message)), \(t), \(t))
                ON CONFLICT (key) DO NOTHING RETURNING id
                """, logger).count
        }
        return added
    }

    @discardableResult
    public func enqueue(_ entries: [OutboxEntry], now: Date) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        let logger = self.logger
        return try await transaction { connection in try await Self.enqueue(entries, now: now, on: connection, logger) }
    }

    public func claimDue(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] {
        let t = now.timeIntervalSince1970
        // SKIP LOCKED: two senders claiming at once get different messages.
        return try await execute("""
            UPDATE outbox SET claimed_until = \(t + lease)
            WHERE id IN (
                SELECT id FROM outbox
                WHERE status = 'pending' AND next_attempt_at <= \(t) AND (claimed_until IS NULL OR claimed_until <= \(t))
                ORDER BY id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING \(unescaped: OutboxRow.columns)
            """).map { try OutboxRow($0).message }.sorted { $0.id < $1.id }
    }

    public func renewClaims(_ ids: [Int64], until: Date) async throws {
        guard !ids.isEmpty else { return }
        // A message marked sent or failed since (its claim released) is not claimed again.
        try await execute("""
            UPDATE outbox SET claimed_until = \(until.timeIntervalSince1970)
            WHERE id = ANY(\(ids)) AND status = 'pending' AND claimed_until IS NOT NULL
            """)
    }

    public func markSent(_ id: Int64, now: Date) async throws {
        try await execute("""
            UPDATE outbox SET status = 'sent', sent_at = \(now.timeIntervalSince1970), last_error = NULL, claimed_until = NULL
            WHERE id = \(id)
            """)
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?, now: Date) async throws {
        try await execute("""
            UPDATE outbox SET attempts = attempts + 1, last_error = \(error), status = \(retryAt == nil ? "failed" : "pending"),
              next_attempt_at = \((retryAt ?? now).timeIntervalSince1970), claimed_until = NULL
            WHERE id = \(id)
            """)
    }

    public func outboxCounts() async throws -> OutboxCounts {
        let logger = self.logger
        let found = try await withConnection(retry: true) { connection in
            var counts = CountsByStatus()
            for row in try await connection.rows("SELECT status, count(*) AS n FROM outbox GROUP BY status", logger) {
                let n = try row["n"].decode(Int.self)
                switch try row["status"].decode(String.self) {
                case "pending": counts.pending = n
                case "sent": counts.sent = n
                case "failed": counts.failed = n
                default: counts.cancelled += n
                }
            }
            counts.nextAttempt = try await connection.rows("""
                SELECT min(greatest(next_attempt_at, coalesce(claimed_until, 0))) AS next FROM outbox WHERE status = 'pending'
                """, logger)[0]["next"].decode(Double?.self)
            return counts
        }
        var counts = OutboxCounts()
        counts.pending = found.pending
        counts.sent = found.sent
        counts.failed = found.failed
        counts.cancelled = found.cancelled
        counts.nextAttempt = found.nextAttempt.map(date)
        return counts
    }

    public func failedMessages(limit: Int) async throws -> [(message: OutboxMessage, error: String)] {
        let found = try await rows("""
            SELECT \(unescaped: OutboxRow.columns), last_error FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT \(limit)
            """).map { FailedMessage(message: try OutboxRow($0).message, error: try $0["last_error"].decode(String?.self) ?? "") }
        return found.map { ($0.message, $0.error) }
    }

    public func editionQueued(_ edition: String) async throws -> Bool {
        try await !rows("SELECT 1 AS found FROM digest_editions WHERE edition = \(edition)").isEmpty
    }

    public func markEditionQueued(_ edition: String, messages: Int, now: Date) async throws {
        try await execute("""
            INSERT INTO digest_editions (edition, messages, queued_at) VALUES (\(edition), \(messages), \(now.timeIntervalSince1970))
            ON CONFLICT (edition) DO NOTHING
            """)
    }
}

// Results carried out of a connection's closure.
struct ActiveAlert: Sendable { var alert: PaperAlert; var email: String }
struct NewPapers: Sendable { var papers: [Paper]; var mark: Int64 }
struct FailedMessage: Sendable { var message: OutboxMessage; var error: String }
struct CountsByStatus: Sendable { var pending = 0, sent = 0, failed = 0, cancelled = 0; var nextAttempt: Double? }
