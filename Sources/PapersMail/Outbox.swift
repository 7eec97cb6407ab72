import Foundation
import Logging
import Metrics
import PapersCore
import PapersStore

/// When a message that failed for a temporary reason is tried again: `base`, then twice as
/// long each time up to `maximumDelay`; after `maximumAttempts` it is given up.
public struct RetryPolicy: Sendable {
    public var base: Double
    public var maximumDelay: Double
    public var maximumAttempts: Int

    public init(base: Double = 60, maximumDelay: Double = 4 * 3600, maximumAttempts: Int = 10) {
        self.base = base
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// When to try again after the `attempts`-th failure (1 for the first), nil to give up.
    public func retryAt(afterAttempt attempts: Int, now: Date) -> Date? {
        guard attempts < maximumAttempts else { return nil }
        return now.addingTimeInterval(min(maximumDelay, base * pow(2, Double(attempts - 1))))
    }
}

/// What one delivery pass did.
public struct DeliveryReport: Sendable, Equatable, CustomStringConvertible {
    public var sent = 0
    public var retrying = 0
    public var failed = 0
    public init(sent: Int = 0, retrying: Int = 0, failed: Int = 0) {
        self.sent = sent
        self.retrying = retrying
        self.failed = failed
    }
    public var description: String { "\(sent) sent, \(retrying) to retry, \(failed) failed for good" }
    public static func += (a: inout DeliveryReport, b: DeliveryReport) {
        a.sent += b.sent
        a.retrying += b.retrying
        a.failed += b.failed
    }
}

/// The durable outbox. Messages are in the database before anything is sent; each is
/// marked sent right after the server accepted it (its 250), so a process killed in the
/// middle of a run, started again, sends each remaining message once (only a message
/// accepted in the instant before the kill, before its mark was written, could go twice).
///
/// A sender claims messages a batch at a time and renews its claim on those it still holds
/// every third of `claimLease` while it works, however slow the server: no other sender
/// (`serve` beside `digest --send`, or another node) takes them while it is alive, and after
/// a crash they are free again within `claimLease`.
public struct Outbox: Sendable {
    public let store: any MailStore
    public let transport: any MailTransport
    public let retry: RetryPolicy
    /// Messages claimed at a time.
    public var batchSize = 100
    /// How long a claim holds messages without being renewed; after a crash, other senders
    /// wait this long for them.
    public var claimLease: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger
    /// Where `mail_messages_total` (by `outcome`: sent, retrying, failed) is counted.
    let metrics: any MetricsFactory

    public init(store: any MailStore, transport: any MailTransport, retry: RetryPolicy = RetryPolicy(), claimLease: TimeInterval = 60,
                now: @escaping @Sendable () -> Date = Date.init, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.store = store
        self.metrics = metrics
        self.claimLease = claimLease
        self.transport = transport
        self.retry = retry
        self.now = now
        self.logger = logger
    }

    /// Claims messages a batch at a time as the transport asks for them, and keeps count.
    private actor Feed {
        let store: any MailStore
        let batchSize: Int
        let lease: TimeInterval
        var buffer = [OutboxMessage]()
        var claimed = [Int64: OutboxMessage]()
        var seen = Set<Int64>()
        var report = DeliveryReport()
        var exhausted = false

        let now: @Sendable () -> Date

        init(store: any MailStore, batchSize: Int, lease: TimeInterval, now: @escaping @Sendable () -> Date) {
            self.store = store
            self.batchSize = batchSize
            self.lease = lease
            self.now = now
        }

        /// The claim in flight: lanes asking meanwhile wait for it rather than claim too.
        var refilling: Task<[OutboxMessage], any Error>?

        func next() async throws -> OutboxMessage? {
            while true {
                if let message = buffer.popLast() { return message }
                if exhausted { return nil }
                let claim: Task<[OutboxMessage], any Error>
                if let refilling {
                    claim = refilling
                } else {
                    let store = store, batchSize = batchSize, lease = lease, now = now
                    claim = Task { try await store.claimDue(now: now(), limit: batchSize, lease: lease) }
                    refilling = claim
                }
                let result = await claim.result
                // The first lane back applies the batch; the others find it in the buffer.
                guard refilling == claim else { continue }
                refilling = nil
                // A message that failed earlier in this pass and came due again waits for the next pass.
                let batch = try result.get().filter { !seen.contains($0.id) }
                buffer = batch.reversed()
                exhausted = batch.isEmpty
                for message in batch {
                    claimed[message.id] = message
                    seen.insert(message.id)
                }
            }
        }

        /// Extends the claim on the messages taken and not yet reported.
        func renewClaims() async throws {
            try await store.renewClaims(Array(claimed.keys), until: now().addingTimeInterval(lease))
        }

        func settled(_ id: Int64, _ change: (inout DeliveryReport) -> Void) {
            claimed[id] = nil
            change(&report)
        }

        /// Taken from the store but not reported.
        func unsettled() -> [OutboxMessage] {
            let left = Array(claimed.values)
            claimed.removeAll()
            buffer.removeAll()
            exhausted = true
            return left
        }
    }

    /// Sends every message due now, claiming them a batch at a time.
    public func deliverDue() async throws -> DeliveryReport {
        let feed = Feed(store: store, batchSize: batchSize, lease: claimLease, now: now)
        let store = store, retry = retry, logger = logger, clock = now, lease = claimLease
        let renewal = Task {
            while true {
                try await Task.sleep(for: .milliseconds(Int64(lease * 1000 / 3)))
                do {
                    try await feed.renewClaims()
                } catch {
                    logger.warning("could not renew the claim on messages being sent", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { renewal.cancel() }
        do {
            try await transport.deliver(next: { try await feed.next() }, report: { message, outcome in
                let now = clock()
                switch outcome {
                case .sent:
                    try await store.markSent(message.id, now: now)
                    await feed.settled(message.id) { $0.sent += 1 }
                case let .failed(reason, permanent):
                    let retryAt = permanent ? nil : retry.retryAt(afterAttempt: message.attempts + 1, now: now)
                    try await store.markFailed(message.id, error: reason, retryAt: retryAt, now: now)
                    logger.warning("mail not delivered", metadata: [
                        "message": "\(message.id)", "to": "\(message.entry.recipient)", "error": "\(reason)",
                        "next": "\(retryAt.map { "retry at \($0)" } ?? "given up")"])
                    await feed.settled(message.id) { retryAt == nil ? ($0.failed += 1) : ($0.retrying += 1) }
                }
            })
        } catch {
            // The transport gave up (no connection, the login refused): every message it took
            // and did not report is tried again later.
            let left = await feed.unsettled()
            let now = clock()
            logger.error("mail transport failed", metadata: ["transport": "\(transport)", "error": "\(error)",
                                                             "unsent": "\(left.count)"])
            for message in left {
                let retryAt = retry.retryAt(afterAttempt: message.attempts + 1, now: now)
                try await store.markFailed(message.id, error: "\(error)", retryAt: retryAt, now: now)
                await feed.settled(message.id) { retryAt == nil ? ($0.failed += 1) : ($0.retrying += 1) }
            }
        }
        let report = await feed.report
        for (outcome, n) in [("sent", report.sent), ("retrying", report.retrying), ("failed", report.failed)] where n > 0 {
            Counter(label: "mail_messages_total", dimensions: [("outcome", outcome)], factory: metrics).increment(by: n)
        }
        return report
    }

    /// Sends due messages until none is left that is due before `deadline`, waiting for the
    /// retries that fall before it; returns what was done.
    public func deliver(until deadline: Date) async throws -> DeliveryReport {
        var total = try await deliverDue()
        while let next = try await store.outboxCounts().nextAttempt, next <= deadline {
            let wait = next.timeIntervalSince(now())
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 5)) }
            total += try await deliverDue()
        }
        return total
    }
}
