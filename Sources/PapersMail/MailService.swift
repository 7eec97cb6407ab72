import Foundation
import Logging
import PapersCore
import ServiceLifecycle

/// Runs mail while `serve` runs: at the digest hour (UTC) it queues the day's due digests
/// (once per edition, also across restarts), every tick it queues alerts for new papers,
/// and it delivers what the outbox holds, including retries that came due. A `wake()`
/// (after someone subscribes) delivers at once instead of at the next tick.
public final class MailService: Service, Sendable {
    let mailer: Mailer
    let outbox: Outbox
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation

    public init(mailer: Mailer, outbox: Outbox, interval: Duration = .seconds(60), now: @escaping @Sendable () -> Date = Date.init,
                logger: Logger) {
        self.mailer = mailer
        self.outbox = outbox
        self.interval = interval
        self.now = now
        self.logger = logger
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Delivers queued mail soon, without waiting for the next tick.
    public func wake() { wakeupContinuation.yield() }

    public func run() async throws {
        logger.info("mail service started", metadata: ["transport": "\(outbox.transport)",
                                                       "digest_hour_utc": "\(mailer.settings.digestHour)"])
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in self.wakeups { await self.round() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        await self.round()
                        try? await Task.sleep(for: self.interval)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Lets one round run at a time; a round asked for meanwhile runs once more afterwards.
    private actor Gate {
        var running = false
        var again = false
        func enter() -> Bool {
            if running { again = true; return false }
            running = true
            return true
        }
        func leave() -> Bool {
            if again { again = false; return true }
            running = false
            return false
        }
    }
    private let gate = Gate()

    func round() async {
        guard await gate.enter() else { return }
        repeat { await tick() } while await gate.leave()
    }

    /// One round: digests when due, alerts, delivery.
    public func tick() async {
        let clock = now()
        do {
            try await queueDueDigests(at: clock)
            let alerts = try await mailer.queueAlerts(now: clock)
            if alerts > 0 { logger.info("alerts queued", metadata: ["messages": "\(alerts)"]) }
            let report = try await outbox.deliverDue()
            if report != DeliveryReport() { logger.info("mail delivered", metadata: ["result": "\(report)"]) }
        } catch is CancellationError {
        } catch {
            logger.error("mail round failed; trying again at the next tick", metadata: ["error": "\(error)"])
        }
    }

    func queueDueDigests(at clock: Date) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard calendar.component(.hour, from: clock) >= mailer.settings.digestHour else { return }
        let day = Day(clock)
        for frequency in Mailer.frequencies(dueOn: day) where try await !mailer.store.editionQueued(frequency.edition(sentOn: day)) {
            try await mailer.queueDigests(frequency, on: day, now: clock)
        }
    }
}
