import Foundation
import PapersCore

/// What one harvest run did, as `/healthz`, `/metrics` and the log report it.
public struct HarvestCounts: Sendable, Hashable, Codable, CustomStringConvertible {
    public var requests = 0
    public var read = 0
    public var new = 0
    public var updated = 0
    public var unchanged = 0
    public var rejected = 0
    /// Featured entries (Hugging Face) that are new, or whose counts or submitter changed.
    public var featuredNew = 0
    public var featuredUpdated = 0

    public init() {}

    public mutating func add(_ outcome: BatchOutcome) {
        new += outcome.papersNew
        updated += outcome.papersUpdated
        unchanged += outcome.papersUnchanged
        featuredNew += outcome.featuredNew
        featuredUpdated += outcome.featuredUpdated
    }

    public var description: String {
        var line = "read \(read), new \(new), updated \(updated), unchanged \(unchanged), rejected \(rejected)"
        if featuredNew + featuredUpdated > 0 { line += ", featured new \(featuredNew), featured updated \(featuredUpdated)" }
        return line + ", \(requests) request\(requests == 1 ? "" : "s")"
    }
}

/// A harvest source's last run, kept in the database.
public struct HarvestRunRecord: Sendable, Hashable {
    public var at: Date
    public var succeeded: Bool
    public var counts: HarvestCounts
    public var error: String?

    public init(at: Date, succeeded: Bool, counts: HarvestCounts, error: String? = nil) {
        self.at = at
        self.succeeded = succeeded
        self.counts = counts
        self.error = error
    }
}

/// Where harvesters keep their place: a cursor per source (the last day harvested completely)
/// and the last run.
public protocol HarvestStore: Sendable {
    func harvestCursor(source: String) async throws -> Day?
    /// Moves the cursor forward; a day before the stored one leaves it as it is.
    func advanceHarvestCursor(source: String, to day: Day) async throws
    func recordHarvestRun(source: String, _ run: HarvestRunRecord) async throws
    func lastHarvestRun(source: String) async throws -> HarvestRunRecord?
}
