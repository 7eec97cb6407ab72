import Foundation
import PapersCore

/// A message to queue in the outbox: the whole RFC 5322 text, its envelope, and a key that
/// names what it is ("digest daily 2026-11-23 #12"), so queuing the same thing twice (a digest
/// run resumed after a crash) queues it once.
public struct OutboxEntry: Sendable, Hashable {
    public var key: String
    public var sender: String
    public var recipient: String
    public var message: [UInt8]

    public init(key: String, sender: String, recipient: String, message: [UInt8]) {
        self.key = key
        self.sender = sender
        self.recipient = recipient
        self.message = message
    }
}

/// A queued message as the deliverer sees it.
public struct OutboxMessage: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var entry: OutboxEntry
    /// Delivery attempts so far (temporary failures).
    public var attempts: Int

    public init(id: Int64, entry: OutboxEntry, attempts: Int) {
        self.id = id
        self.entry = entry
        self.attempts = attempts
    }
}

/// How many outbox messages are in each state.
public struct OutboxCounts: Sendable, Hashable {
    public var pending = 0, sent = 0, failed = 0, cancelled = 0
    /// When the next pending message can be claimed: its next attempt, or when a claim on it ends.
    public var nextAttempt: Date?
    public init() {}
}

/// Storage for email: subscriptions (double opt-in), members' alerts, and the durable outbox.
public protocol MailStore: Sendable {
    /// Records a request to subscribe: a new address becomes a pending subscription; for a
    /// known one the request waits, unapplied, for confirmation. `nonce` is what the
    /// confirmation link must carry (a newer request makes older links useless).
    func requestSubscription(_ request: SubscriptionRequest, nonce: String, now: Date) async throws -> Subscription
    /// Applies the request waiting under `nonce` and marks the subscription confirmed; nil when
    /// there is no such subscription or the nonce is not the latest one.
    func confirmSubscription(id: Int64, nonce: String, now: Date) async throws -> Subscription?
    func subscription(id: Int64) async throws -> Subscription?
    /// Stops the subscription and cancels its queued digests; nil when there is no such subscription.
    func unsubscribe(id: Int64, now: Date) async throws -> Subscription?
    /// Confirmed subscriptions of a frequency, by id.
    func confirmedSubscriptions(frequency: DigestFrequency) async throws -> [Subscription]

    func createAlert(member: Member.ID, kind: PaperAlert.Kind, query: String, now: Date) async throws -> PaperAlert
    func alerts(member: Member.ID) async throws -> [PaperAlert]
    func alert(id: Int64) async throws -> PaperAlert?
    /// Deletes one of the member's alerts; false when they have no such alert.
    func deleteAlert(id: Int64, member: Member.ID) async throws -> Bool
    /// Alerts of members whose address is confirmed, with that address.
    func activeAlerts() async throws -> [(alert: PaperAlert, email: String)]
    /// Papers added to the catalog after the alert last looked (up to `limit`), and the mark
    /// to store once they are handled.
    func papersNew(for alert: PaperAlert, limit: Int) async throws -> (papers: [Paper], mark: Int64)
    /// Which of `papers` the alert has already mailed.
    func alertSent(id: Int64, among papers: [ArxivID]) async throws -> Set<ArxivID>
    /// In one transaction: moves the alert's mark from `previous` to `mark`, records `sent` as
    /// mailed, and queues `entry`; false when another run moved the mark first (nothing is
    /// written then).
    func recordAlert(id: Int64, previous: Int64, mark: Int64, sent: [ArxivID], entry: OutboxEntry?, now: Date) async throws -> Bool
    /// The mark an alert starts from (new alerts see papers added after they were made).
    func alertMark(id: Int64) async throws -> Int64?

    func memberEmailConfirmed(_ member: Member.ID) async throws -> Bool
    /// Marks the member's address confirmed when it is still `email`; false otherwise.
    func confirmMemberEmail(_ member: Member.ID, email: String, now: Date) async throws -> Bool

    /// Queues messages; those whose key is already queued are skipped. Returns how many were new.
    @discardableResult
    func enqueue(_ entries: [OutboxEntry], now: Date) async throws -> Int
    /// Claims up to `limit` pending messages due by `now` that no other sender holds, oldest
    /// first, for `lease` seconds: until then (or until marked) no other claim returns them.
    func claimDue(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage]
    /// Extends the claim on messages a sender still holds to `until`, so a slow server never
    /// lets a claim run out while its sender is alive; messages marked sent or failed since
    /// are left as they are.
    func renewClaims(_ ids: [Int64], until: Date) async throws
    func markSent(_ id: Int64, now: Date) async throws
    /// Records a failed attempt: retried at `retryAt`, or given up when it is nil.
    func markFailed(_ id: Int64, error: String, retryAt: Date?, now: Date) async throws
    func outboxCounts() async throws -> OutboxCounts
    /// Messages given up on, newest first, with the reason.
    func failedMessages(limit: Int) async throws -> [(message: OutboxMessage, error: String)]

    /// Whether a digest edition was queued in full for everyone.
    func editionQueued(_ edition: String) async throws -> Bool
    func markEditionQueued(_ edition: String, messages: Int, now: Date) async throws
}
