import Foundation
import Metrics
import PapersStore
import Synchronization

/// Each harvest source's last run and next run, for `/healthz`, and its series for
/// `/metrics` (through swift-metrics, labelled by `source`):
/// `harvest_last_run_timestamp_seconds`, `harvest_last_run_success` (1 or 0),
/// `harvest_next_run_timestamp_seconds`, `harvest_last_run_records`,
/// `harvest_last_run_new_papers`, `harvest_runs_total`, `harvest_failures_total`, and
/// `harvest_papers_total` by `outcome` (new, updated, unchanged, rejected).
public final class HarvestMonitor: Sendable {
    public struct Status: Sendable {
        public var lastRun: HarvestRunRecord?
        public var nextRun: Date?
        public var running = false
        /// Totals since the process started.
        public var runs = 0
        public var failures = 0
        public var totals = HarvestCounts()
    }

    private let statuses = Mutex<[String: Status]>([:])
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    public func scheduled(_ source: String, next: Date?) {
        statuses.withLock { $0[source, default: Status()].nextRun = next }
        if let next { gauge("harvest_next_run_timestamp_seconds", source).record(next.timeIntervalSince1970) }
    }

    public func started(_ source: String) {
        statuses.withLock { $0[source, default: Status()].running = true }
    }

    public func finished(_ source: String, _ run: HarvestRunRecord) {
        statuses.withLock { all in
            var status = all[source, default: Status()]
            status.running = false
            status.lastRun = run
            status.runs += 1
            if !run.succeeded { status.failures += 1 }
            status.totals.read += run.counts.read
            status.totals.new += run.counts.new
            status.totals.updated += run.counts.updated
            status.totals.unchanged += run.counts.unchanged
            status.totals.rejected += run.counts.rejected
            status.totals.requests += run.counts.requests
            all[source] = status
        }
        record(source, run)
        counter("harvest_runs_total", source).increment()
        if !run.succeeded { counter("harvest_failures_total", source).increment() }
        for (outcome, n) in [("new", run.counts.new), ("updated", run.counts.updated), ("unchanged", run.counts.unchanged),
                             ("rejected", run.counts.rejected)] {
            Counter(label: "harvest_papers_total", dimensions: [("source", source), ("outcome", outcome)], factory: factory).increment(by: n)
        }
    }

    /// The last run's gauges.
    private func record(_ source: String, _ run: HarvestRunRecord) {
        gauge("harvest_last_run_timestamp_seconds", source).record(run.at.timeIntervalSince1970)
        gauge("harvest_last_run_success", source).record(run.succeeded ? 1 : 0)
        gauge("harvest_last_run_records", source).record(run.counts.read)
        gauge("harvest_last_run_new_papers", source).record(run.counts.new)
    }

    private func gauge(_ name: String, _ source: String) -> Gauge {
        Gauge(label: name, dimensions: [("source", source)], factory: factory)
    }

    private func counter(_ name: String, _ source: String) -> Counter {
        Counter(label: name, dimensions: [("source", source)], factory: factory)
    }

    /// Restores the last run from the database (after a restart), unless one is known already.
    public func restore(_ source: String, _ run: HarvestRunRecord?) {
        let restored = statuses.withLock { all in
            guard all[source]?.lastRun == nil, let run else { return false }
            all[source, default: Status()].lastRun = run
            return true
        }
        if restored, let run { record(source, run) }
    }

    public var snapshot: [String: Status] { statuses.withLock { $0 } }

    /// `{"arxiv:cs": {"lastRun": {...}, "nextRun": "...", "running": false}, ...}` for `/healthz`.
    public func healthJSON() -> [String: Any] {
        var out = [String: Any]()
        for (source, status) in snapshot {
            var entry: [String: Any] = ["running": status.running]
            entry["nextRun"] = status.nextRun.map(Self.iso) ?? NSNull()
            if let run = status.lastRun {
                let c = run.counts
                entry["lastRun"] = [
                    "at": Self.iso(run.at), "outcome": run.succeeded ? "ok" : "failed",
                    "counts": ["requests": c.requests, "read": c.read, "new": c.new, "updated": c.updated,
                               "unchanged": c.unchanged, "rejected": c.rejected,
                               "featuredNew": c.featuredNew, "featuredUpdated": c.featuredUpdated],
                    "error": run.error ?? NSNull(),
                ] as [String: Any]
            } else {
                entry["lastRun"] = NSNull()
            }
            out[source] = entry
        }
        return out
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
