import Foundation
import PapersCore
import PapersStore
import Testing
import TestSupport

func samplePaper(_ id: String, title: String = "A title", version: Int = 1) -> Paper {
    Paper(id: ArxivID(id)!, version: version, title: title, abstract: "An abstract with \"quotes\" and \\ backslashes.",
          authors: ["Ada Lovelace", "Alan \"The\" Turing", "Émilie du Châtelet"], categories: ["cs.LG", "cs.AI"],
          publishedAt: Date(timeIntervalSince1970: 1_716_768_000), updatedAt: Date(timeIntervalSince1970: 1_716_854_400),
          comments: "12 pages", githubRepo: WebLink("https://github.com/a/b"), githubStars: 42, projectPage: WebLink("https://example.org"),
          aiSummary: "Summary.", aiKeywords: ["x", "y z"])
}

/// The storage interface, on every backend (`StoreKind`): the same tests for SQLite and PostgreSQL.
@Suite(.stores) struct StoreTests {
    @Test(arguments: StoreKind.available) func roundTripsPapersAndFeaturedEntries(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let paper = samplePaper("2405.15738")
        let entry = FeaturedEntry(paperID: paper.id, day: Day("2024-05-27")!, featuredAt: Date(timeIntervalSince1970: 1_716_800_000),
                                  submitter: HubUser(user: "akhaliq", fullname: "AK", avatarURL: WebLink("https://huggingface.co/a.png")),
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
        #expect(try await store.featuredEntries(for: paper.id).map(\.importedUpvotes) == [20], "the update is stored")
        #expect(try await store.stats() == CatalogStats(papers: 1, featuredEntries: 1, featuredDays: 1,
                                                        firstDay: Day("2024-05-27"), lastDay: Day("2024-05-27")))
    }

    @Test(arguments: StoreKind.available) func aFailureInTheMiddleOfABatchLeavesTheDatabaseAsBefore(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
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

    @Test(arguments: StoreKind.available) func fullTextIndexFollowsInsertsAndNewVersions(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00001", title: "Quantum walks on graphs"),
                                                       samplePaper("2405.00002", title: "Protein folding")]))
        #expect(try await store.keywordSearch(KeywordQuery(text: "quantum")).cards.map(\.paper.id.rawValue) == ["2405.00001"])
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00001", title: "Classical walks on graphs", version: 2)]))
        #expect(try await store.keywordSearch(KeywordQuery(text: "quantum")).total == 0, "the old text left the index")
        #expect(try await store.keywordSearch(KeywordQuery(text: "classical")).cards.map(\.paper.id.rawValue) == ["2405.00001"])
        #expect(try await store.keywordSearch(KeywordQuery(text: "Lovelace")).total == 2, "authors are indexed")
        // Links-only changes leave the index alone and stay searchable.
        var starred = samplePaper("2405.00002", title: "Protein folding")
        starred.githubStars = 1000
        #expect(try await store.write(ImportBatch(papers: [starred])).papersUpdated == 1)
        #expect(try await store.paper(ArxivID("2405.00002")!)?.githubStars == 1000, "the update is stored")
        #expect(try await store.keywordSearch(KeywordQuery(text: "protein")).total == 1)
    }

    @Test(arguments: StoreKind.available) func keywordFiltersByDateAndCategory(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        var early = samplePaper("2401.00001", title: "Graph networks early")
        early.publishedAt = Day("2024-01-05")!.start
        early.categories = ["cs.CL"]
        var late = samplePaper("2406.00001", title: "Graph networks late")
        late.publishedAt = Day("2024-06-05")!.start
        late.categories = ["cs.LG", "stat.ML"]
        _ = try await store.write(ImportBatch(papers: [early, late]))
        func ids(_ filter: SearchFilter) async throws -> [String] {
            try await store.keywordSearch(KeywordQuery(text: "graph", filter: filter)).cards.map(\.paper.id.rawValue).sorted()
        }
        #expect(try await ids(SearchFilter(from: Day("2024-02-01"))) == ["2406.00001"])
        #expect(try await ids(SearchFilter(to: Day("2024-01-05"))) == ["2401.00001"])
        #expect(try await ids(SearchFilter(category: "stat.ML")) == ["2406.00001"])
        #expect(try await ids(SearchFilter(category: "cs")) == [], "a category matches whole")
        #expect(try await ids(SearchFilter(category: "cs.%")) == [], "LIKE wildcards are literal")
    }

    @Test(arguments: StoreKind.available) func aFeaturedEntryNeedsItsPaper(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let entry = FeaturedEntry(paperID: ArxivID("2405.00001")!, day: Day("2024-05-27")!, featuredAt: Date())
        await #expect(throws: StoreError.self) { try await store.write(ImportBatch(featured: [entry])) }
        #expect(try await store.stats().featuredEntries == 0)
    }

    @Test(arguments: StoreKind.available) func sessionsExpireAndVoteCountsFollowVotes(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.15738")]))
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let member = try await store.createMember(username: "ada", email: "ada@example.org", passwordHash: "x", isAdmin: false, now: now)
        await #expect(throws: CommunityStoreError.taken(field: "username")) {
            try await store.createMember(username: "ADA", email: "other@example.org", passwordHash: "x", isAdmin: false, now: now)
        }
        try await store.createSession(tokenHash: "h1", member: member.id, now: now, expires: now.addingTimeInterval(60))
        #expect(try await store.sessionMember(tokenHash: "h1", now: now.addingTimeInterval(59))?.username == "ada")
        #expect(try await store.sessionMember(tokenHash: "h1", now: now.addingTimeInterval(61)) == nil, "an expired session signs nobody in")
        let id = ArxivID("2405.15738")!
        #expect(try await store.vote(member: member.id, paper: id, upvoted: nil, now: now)! == (true, 1))
        #expect(try await store.vote(member: member.id, paper: id, upvoted: true, now: now)! == (true, 1))
        #expect(try await store.card(id)?.upvotes == 1)
        #expect(try await store.vote(member: member.id, paper: id, upvoted: nil, now: now)! == (false, 0))
        #expect(try await store.vote(member: member.id, paper: ArxivID("2405.99999")!, upvoted: nil, now: now) == nil)
        let comment = try #require(try await store.addComment(member: member.id, paper: id, body: "hi", now: now))
        #expect(try await store.card(id)?.comments == 1)
        try await store.setCommentHidden(comment.id, hidden: true, now: now)
        #expect(try await store.card(id)?.comments == 0, "hidden comments are not counted")
        try await store.setCommentHidden(comment.id, hidden: false, now: now)
        #expect(try await store.card(id)?.comments == 1, "unhidden, it counts again")
        try await store.deleteComment(comment.id)
        #expect(try await store.card(id)?.comments == 0, "a deleted comment is not counted")
        #expect(try await store.comment(comment.id) == nil)
    }
}

extension StoreTests {
    @Test(arguments: StoreKind.available) func migratesOnceAndKeepsItsSecret(_ kind: StoreKind) async throws {
        let database = try await TestStores.database(kind)
        let store = try await database.open()
        let applied = try await store.appliedMigrations()
        #expect(applied.starts(with: ["0001-catalog", "0002-embeddings", "0003-bulk-fulltext", "0004-text-hash", "0005-settings",
                                      "0006-community", "0007-mail", "0008-harvest", "0009-papers-modified"]))
        let secret = try await store.siteSecret()
        #expect(secret.count == 32)
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.15738")]))
        let reopened = try await database.open()
        #expect(try await reopened.appliedMigrations() == applied, "a second open applies nothing")
        #expect(try await reopened.stats().papers == 1)
        #expect(try await reopened.siteSecret() == secret, "the site secret is made once and kept")
    }

    @Test(arguments: StoreKind.available) func harvestCursorOnlyMovesForward(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        #expect(try await store.harvestCursor(source: "arxiv:cs") == nil)
        try await store.advanceHarvestCursor(source: "arxiv:cs", to: Day("2025-06-03")!)
        try await store.advanceHarvestCursor(source: "arxiv:cs", to: Day("2025-06-01")!)
        #expect(try await store.harvestCursor(source: "arxiv:cs") == Day("2025-06-03"), "an earlier day leaves the cursor")
        var counts = HarvestCounts()
        counts.read = 5
        counts.new = 2
        let run = HarvestRunRecord(at: Date(timeIntervalSince1970: 1_750_000_000), succeeded: false, counts: counts, error: "HTTP 503")
        try await store.recordHarvestRun(source: "arxiv:cs", run)
        #expect(try await store.lastHarvestRun(source: "arxiv:cs") == run)
        #expect(try await store.harvestCursor(source: "arxiv:cs") == Day("2025-06-03"), "recording a run keeps the cursor")
        #expect(try await store.lastHarvestRun(source: "hf") == nil)
    }

    @Test(arguments: StoreKind.available) func embeddingsRoundTripAndGoStaleWithTheirText(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00001", title: "One"), samplePaper("2405.00002", title: "Two")]))
        #expect(try await store.embeddingBacklog(model: "m") == 2)
        let work = try await store.embeddingWork(model: "m", limit: 10)
        #expect(Set(work.map(\.paperID.rawValue)) == ["2405.00001", "2405.00002"])
        let vectors = work.map { ($0, [Float](repeating: 0.25, count: 3) + [Float($0.paperID.rawValue.hashValue % 7), -1.5e-7]) }
        try await store.saveEmbeddings(vectors.map { (work: $0.0, vector: $0.1) }, model: "m")
        #expect(try await store.embeddingBacklog(model: "m") == 0)
        let stored = try await store.embeddings(model: "m")
        #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0.paperID, $0.vector) })
                == Dictionary(uniqueKeysWithValues: vectors.map { ($0.0.paperID, $0.1) }), "vectors come back bit for bit")
        #expect(stored.allSatisfy { $0.categories == ["cs.LG", "cs.AI"] && $0.publishedAt == Date(timeIntervalSince1970: 1_716_768_000) })
        #expect(try await store.embeddings(model: "other").isEmpty)
        _ = try await store.write(ImportBatch(papers: [samplePaper("2405.00002", title: "Two, revised", version: 2)]))
        #expect(try await store.embeddingWork(model: "m", limit: 10).map(\.paperID.rawValue) == ["2405.00002"], "a new text makes its vector stale")
    }
}
