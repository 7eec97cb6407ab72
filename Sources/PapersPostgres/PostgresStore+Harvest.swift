import Foundation
import PapersCore
import PapersStore
import PostgresNIO

extension PostgresStore: HarvestStore {
    public func harvestCursor(source: String) async throws -> Day? {
        try await rows("SELECT cursor FROM harvest_state WHERE source = \(source)").first?["cursor"]
            .decode(String?.self).flatMap { Day($0) }
    }

    public func advanceHarvestCursor(source: String, to day: Day) async throws {
        // Days as YYYY-MM-DD compare as text (the column's collation is "C").
        try await execute("""
            INSERT INTO harvest_state (source, cursor) VALUES (\(source), \(day.description))
            ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor
            WHERE harvest_state.cursor IS NULL OR harvest_state.cursor < excluded.cursor
            """)
    }

    public func recordHarvestRun(source: String, _ run: HarvestRunRecord) async throws {
        let counts = String(decoding: try JSONEncoder().encode(run.counts), as: UTF8.self)
        try await execute("""
            INSERT INTO harvest_state (source, last_run_at, last_outcome, last_counts, last_error)
            VALUES (\(source), \(run.at.timeIntervalSince1970), \(run.succeeded ? "ok" : "failed"), \(counts), \(run.error))
            ON CONFLICT (source) DO UPDATE SET last_run_at = excluded.last_run_at, last_outcome = excluded.last_outcome,
              last_counts = excluded.last_counts, last_error = excluded.last_error
            """)
    }

    public func lastHarvestRun(source: String) async throws -> HarvestRunRecord? {
        guard let row = try await rows("""
            SELECT last_run_at, last_outcome, last_counts, last_error FROM harvest_state
            WHERE source = \(source) AND last_run_at IS NOT NULL
            """).first else { return nil }
        let counts = try row["last_counts"].decode(String?.self).flatMap {
            try? JSONDecoder().decode(HarvestCounts.self, from: Data($0.utf8))
        }
        return HarvestRunRecord(at: date(try row["last_run_at"].decode(Double.self)),
                                succeeded: try row["last_outcome"].decode(String?.self) == "ok",
                                counts: counts ?? HarvestCounts(), error: try row["last_error"].decode(String?.self))
    }
}
