import Foundation
import PapersCore
@testable import PapersStore
import Testing
import TestSupport

func samplePaper(_ id: String, title: String = "A title", version: Int = 1) -> Paper {
    Paper(id: ArxivID(id)!, version: version, title: title, abstract: "An abstract with \"quotes\" and \\ backslashes.",
          authors: ["Ada Lovelace", "Alan \"The\" Turing", "Émilie du Châtelet"], categories: ["cs.LG", "cs.AI"],
          publishedAt: Date(timeIntervalSince1970: 1_716_768_000), updatedAt: Date(timeIntervalSince1970: 1_716_854_400),
          comments: "12 pages", githubRepo: "https://github.com/a/b", githubStars: 42, projectPage: "https://example.org",
          aiSummary: "Summary.", aiKeywords: ["x", "y z"])
}

@Suite struct SQLiteStoreTests {
    @Test func roundTripsPapersAndFeaturedEntries() async throws {
        let store = try SQLiteStore()
        let paper = samplePaper("2405.15738")
        let entry = FeaturedEntry(paperID: paper.id, day: Day("2024-05-27")!, featuredAt: Date(timeIntervalSince1970: 1_716_800_000),
                                  submitter: HubUser(user: "akhaliq", fullname: "AK", avatarURL: "/a.png"),
                                  importedUpvotes: 12, importedComments: 3)
        let outcome = try await store.write(ImportBatch(papers: [paper], featured: [entry]))
        #expect(outcome.papersNew == 1 && outcome.featuredNew == 1)
        #expect(try await store.paper(paper.id) == paper)
        #expect(try await store.featuredEntries(for: paper.id) == [entry])
        let again = try await store.write(ImportBatch(papers: [paper], featured: [entry]))
        #expect(again.papersUnchanged == 1 && again.featuredUnchanged == 1)
        var more = entry
        more.importedUpvotes = 20
        #expect(try await store.write(ImportBatch(featured: [more])).featuredUpdated == 1)
        #expect(try await store.stats() == CatalogStats(papers: 1, featuredEntries: 1, featuredDays: 1,
                                                        firstDay: Day("2024-05-27"), lastDay: Day("2024-05-27")))
    }

    @Test func aFailureInTheMiddleOfABatchLeavesTheDatabaseAsBefore() async throws {
        let store = try SQLiteStore()
        _ = try await store.write(ImportBatch(papers: [samplePaper("2401.00001", title: "Before")]))
        let before = try await store.stats()
        // The second paper breaks a constraint of the schema (an empty title) after the
        // first has been written inside the transaction.
        let batch = ImportBatch(papers: [samplePaper("2401.00002"), samplePaper("2401.00003", title: ""),
                                         samplePaper("2401.00001", title: "Changed", version: 5)])
        await #expect(throws: (any Error).self) { try await store.write(batch) }
        #expect(try await store.stats() == before)
        #expect(try await store.paper(ArxivID("2401.00002")!) == nil)
        #expect(try await store.paper(ArxivID("2401.00001")!)?.title == "Before")
    }

    @Test func aFeaturedEntryNeedsItsPaper() async throws {
        let store = try SQLiteStore()
        let entry = FeaturedEntry(paperID: ArxivID("2405.00001")!, day: Day("2024-05-27")!, featuredAt: Date())
        await #expect(throws: StoreError.self) { try await store.write(ImportBatch(featured: [entry])) }
        #expect(try await store.stats().featuredEntries == 0)
    }

    @Test func fileDatabaseUsesWALAndMigratesOnce() async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("nested/dir/papers.sqlite")
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == ["0001-catalog"])
        let mode = try await store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.15738")]))
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.appliedMigrations() == ["0001-catalog"])
        #expect(try await reopened.stats().papers == 1)
    }

    @Test func unopenableDatabaseIsAClearError() {
        let error = #expect(throws: StoreError.self) { try SQLiteStore(path: "/proc/forbidden/x.sqlite") }
        #expect(error?.description.hasPrefix("/proc/forbidden/x.sqlite:") == true)
    }
}
