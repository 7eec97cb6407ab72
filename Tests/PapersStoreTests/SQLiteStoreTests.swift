import Foundation
import GRDB
import PapersCore
@testable import PapersSQLite
import PapersStore
import Testing
import TestSupport

/// What only the SQLite store has: a file in WAL mode, FTS5, its own migrations.
@Suite struct SQLiteStoreTests {
    @Test func fullTextIndexStaysConsistent() async throws {
        let store = try SQLiteStore()
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00001", title: "Quantum walks on graphs"),
                                                       samplePaper("2405.00002", title: "Protein folding")]))
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00001", title: "Classical walks on graphs", version: 2)]))
        // FTS5's own check that the index matches the content table (throws when it does not).
        try await store.writer.write { db in
            try db.execute(sql: "INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
        }
    }

    @Test func keywordQueriesAreSanitised() {
        #expect(FTSQuery.make(from: "diffusion models") == "\"diffusion\" OR \"models\"")
        // Terms in the order the query gives them: the quoted phrase, then the hyphenated word as a phrase.
        #expect(FTSQuery.make(from: "\"language model\" self-supervised") == "\"language model\" OR \"self supervised\"")
        #expect(FTSQuery.make(from: "the of and") == "\"the\" OR \"of\" OR \"and\"", "only stop words: keep them")
        #expect(FTSQuery.make(from: "NOT AND OR * ( ) : ^") == "\"NOT\" OR \"AND\" OR \"OR\"")
        #expect(FTSQuery.make(from: "\"unbalanced") == "\"unbalanced\"")
        #expect(FTSQuery.make(from: "   ") == nil)
    }
    @Test func fileDatabaseUsesWALAndMigratesOnce() async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("nested/dir/papers.sqlite")
        let store = try SQLiteStore(path: path)
        let applied = try await store.appliedMigrations()
        #expect(applied.starts(with: ["0001-catalog", "0002-embeddings", "0003-bulk-fulltext", "0004-text-hash", "0005-settings"]))
        let secret = try await store.siteSecret()
        #expect(secret.count == 32)
        let mode = try await store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.15738")]))
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.appliedMigrations() == applied)
        #expect(try await reopened.stats().papers == 1)
        #expect(try await reopened.siteSecret() == secret, "the site secret is made once and kept")
    }
    @Test func textHashMigrationBackfillsExistingPapers() async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator.migrate(queue, upTo: "0003-bulk-fulltext")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO papers (id, title, abstract, authors, imported_at, modified_at)
                    VALUES ('2401.00001', 'Old paper', 'Its abstract.', '[]', 0, 0)
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        let hash = try await store.writer.read { db in try Int64.fetchOne(db, sql: "SELECT text_hash FROM papers") }
        #expect(hash == EmbeddingText.hash(EmbeddingText.of(title: "Old paper", abstract: "Its abstract.")))
        #expect(try await store.embeddingBacklog(model: "m") == 1)
    }
    @Test func unopenableDatabaseIsAClearError() {
        let error = #expect(throws: StoreError.self) { try SQLiteStore(path: "/proc/forbidden/x.sqlite") }
        #expect(error?.description.hasPrefix("/proc/forbidden/x.sqlite:") == true)
    }
}
