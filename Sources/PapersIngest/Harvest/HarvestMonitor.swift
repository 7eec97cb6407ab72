import Foundation
import PapersStore
import Synchronization

/// Each harvest source's last run and next run, for `/healthz` and `/metrics`.
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

    public init() {}

    public func scheduled(_ source: String, next: Date?) {
        statuses.withLock { $0[source, default: Status()].nextRun = next }
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
    }

    /// Restores the last run from the database (after a restart), unless one is known already.
    public func restore(_ source: String, _ run: HarvestRunRecord?) {
        statuses.withLock { all in
            if all[source]?.lastRun == nil { all[source, default: Status()].lastRun = run }
        }
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

    /// Prometheus series for `/metrics`.
    public func prometheusText() -> String {
        let all = snapshot.sorted { $0.key < $1.key }
        guard !all.isEmpty else { return "" }
        var out = ""
        func series(_ name: String, _ type: String, _ help: String, _ value: (Status) -> Double?) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (source, status) in all {
                if let v = value(status) { out += "\(name){source=\"\(source)\"} \(Self.number(v))\n" }
            }
        }
        series("harvest_last_run_timestamp_seconds", "gauge", "When the source's last harvest run ended.") { $0.lastRun?.at.timeIntervalSince1970 }
        series("harvest_last_run_success", "gauge", "1 when the source's last harvest run succeeded, 0 when it failed.") { $0.lastRun.map { $0.succeeded ? 1 : 0 } }
        series("harvest_next_run_timestamp_seconds", "gauge", "When the source's next harvest run is due.") { $0.nextRun?.timeIntervalSince1970 }
        series("harvest_last_run_records", "gauge", "Records read by the source's last harvest run.") { $0.lastRun.map { Double($0.counts.read) } }
        series("harvest_last_run_new_papers", "gauge", "Papers the source's last harvest run added.") { $0.lastRun.map { Double($0.counts.new) } }
        series("harvest_runs_total", "counter", "Harvest runs since the process started.") { Double($0.runs) }
        series("harvest_failures_total", "counter", "Failed harvest runs since the process started.") { Double($0.failures) }
        out += "# HELP harvest_papers_total Papers written by harvests since the process started, by outcome.\n# TYPE harvest_papers_total counter\n"
        for (source, status) in all {
            for (outcome, n) in [("new", status.totals.new), ("updated", status.totals.updated), ("unchanged", status.totals.unchanged), ("rejected", status.totals.rejected)] {
                out += "harvest_papers_total{source=\"\(source)\",outcome=\"\(outcome)\"} \(n)\n"
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
