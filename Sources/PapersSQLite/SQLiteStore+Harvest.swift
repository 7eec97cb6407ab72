import Foundation
import GRDB
import PapersCore
import PapersStore

extension SQLiteStore: HarvestStore {
    public func harvestCursor(source: String) async throws -> Day? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT cursor FROM harvest_state WHERE source = ?", arguments: [source]).flatMap { Day($0) }
        }
    }

    public func advanceHarvestCursor(source: String, to day: Day) async throws {
        try await writer.write { db in
            // Days as YYYY-MM-DD compare as text.
            try db.execute(sql: """
                INSERT INTO harvest_state (source, cursor) VALUES (?, ?)
                ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor
                WHERE harvest_state.cursor IS NULL OR harvest_state.cursor < excluded.cursor
                """, arguments: [source, day.description])
        }
    }

    public func recordHarvestRun(source: String, _ run: HarvestRunRecord) async throws {
        let counts = String(decoding: try JSONEncoder().encode(run.counts), as: UTF8.self)
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO harvest_state (source, last_run_at, last_outcome, last_counts, last_error) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(source) DO UPDATE SET last_run_at = excluded.last_run_at, last_outcome = excluded.last_outcome,
                  last_counts = excluded.last_counts, last_error = excluded.last_error
                """, arguments: [source, run.at.timeIntervalSince1970, run.succeeded ? "ok" : "failed", counts, run.error])
        }
    }

    public func lastHarvestRun(source: String) async throws -> HarvestRunRecord? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT last_run_at, last_outcome, last_counts, last_error FROM harvest_state
                WHERE source = ? AND last_run_at IS NOT NULL
                """, arguments: [source]) else { return nil }
            let counts = (row["last_counts"] as String?).flatMap { try? JSONDecoder().decode(HarvestCounts.self, from: Data($0.utf8)) }
            return HarvestRunRecord(at: Date(timeIntervalSince1970: row["last_run_at"]), succeeded: row["last_outcome"] as String? == "ok",
                                    counts: counts ?? HarvestCounts(), error: row["last_error"])
        }
    }
}
