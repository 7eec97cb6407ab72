import Foundation
@testable import PapersIngest
import PapersCore
import PapersStore
import Testing
import TestSupport

@Suite(.enabled(if: SharedData.available, SharedData.absentMessage), .stores)
struct ImporterRealDataTests {
    /// Copies some real daily files into a folder of their own.
    func dailyFolder(_ days: [String]) -> TemporaryFolder {
        let folder = TemporaryFolder()
        for day in days {
            try! FileManager.default.copyItem(atPath: SharedData.path("hf-daily/\(day).json"), toPath: folder.path("\(day).json"))
        }
        return folder
    }

    @Test(arguments: StoreKind.available) func wholeHFFolderNamesTheDamagedFilesAndImportsTheRest(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let importer = Importer(store: store)
        var reported = [IngestError]()
        importer.onReject = { reported.append($0) }
        let summary = await importer.run(paths: [SharedData.hfDailyFolder])
        #expect(summary.files == 479)
        #expect(summary.rejectedFiles == 22)
        #expect(reported.count == 22)
        let names = Set(reported.map { URL(fileURLWithPath: $0.source).lastPathComponent })
        #expect(names.contains("2024-12-11.json") && names.contains("2025-01-10.json"))
        #expect(reported.allSatisfy { $0.source.hasSuffix(".json") && $0.source >= SharedData.path("hf-daily/2024-12-11.json") && $0.source <= SharedData.path("hf-daily/2025-01-10.json") })
        #expect(reported.allSatisfy { $0.reason.hasPrefix("expected a list of") })
        let stats = try await store.stats()
        #expect(stats.featuredDays == 479 - 22)
        #expect(stats.firstDay?.description == "2024-05-27")
        #expect(stats.lastDay?.description == "2026-03-31")
        #expect(stats.featuredEntries == summary.outcome.featuredNew)
        #expect(stats.papers == summary.outcome.papersNew)
    }

    @Test(arguments: StoreKind.available) func importingTwiceChangesNothing(_ kind: StoreKind) async throws {
        let folder = dailyFolder(["2025-06-02", "2025-06-03", "2024-05-27"])
        defer { folder.remove() }
        let store = try await TestStores.make(kind)
        let first = await Importer(store: store).run(paths: [folder.url.path])
        #expect(first.outcome.papersNew > 40)
        #expect(first.rejected == 0)
        let statsBefore = try await store.stats()
        let second = await Importer(store: store).run(paths: [folder.url.path])
        #expect(second.outcome.papersNew == 0)
        #expect(second.outcome.papersUpdated == 0)
        #expect(second.outcome.papersUnchanged == first.read)
        #expect(second.outcome.featuredNew == 0 && second.outcome.featuredUpdated == 0)
        #expect(try await store.stats() == statsBefore)
    }

    @Test(arguments: StoreKind.available) func snapshotThenDailyMergesOneRowPerPaper(_ kind: StoreKind) async throws {
        // A paper both in the snapshot and on a daily page: one row, featured once,
        // the snapshot's categories kept, Hugging Face's links added.
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let reader = try LineReader(path: SharedData.snapshotFile)
        var lines = [String]()
        while lines.count < 3000, let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        let snapshot = folder.write("part.jsonl", lines.joined(separator: "\n") + "\n")
        let store = try await TestStores.make(kind)
        let summary = await Importer(store: store).run(paths: [snapshot])
        #expect(summary.read == 3000)
        #expect(summary.outcome.papersNew == 3000)
        let again = await Importer(store: store).run(paths: [snapshot])
        #expect(again.outcome.papersUnchanged == 3000)
    }

    @Test(arguments: StoreKind.available) func truncatedGzipKeepsTheCompleteLinesBeforeTheBreak(_ kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let whole = try Data(contentsOf: URL(fileURLWithPath: SharedData.snapshotFile))
        let truncated = folder.write("truncated.jsonl.gz", bytes: [UInt8](whole.prefix(300_000)))
        let store = try await TestStores.make(kind)
        var reported = [IngestError]()
        let importer = Importer(store: store)
        importer.batchSize = 100
        importer.onReject = { reported.append($0) }
        let summary = await importer.run(paths: [truncated])
        #expect(reported.count == 1)
        #expect(reported.first?.reason.hasPrefix("truncated gzip stream") == true)
        #expect(summary.rejectedFiles == 1)
        #expect(summary.outcome.papersNew > 100)
        #expect(try await store.stats().papers == summary.outcome.papersNew)
        // Every stored paper is complete: its title and abstract are there.
        #expect(summary.outcome.papersNew == summary.read, "no partial line was counted or stored")
    }

    @Test(arguments: StoreKind.available) func recordedAtomResponsesImportByTheirBody(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        var reported = [IngestError]()
        let importer = Importer(store: store)
        importer.onReject = { reported.append($0) }
        let summary = await importer.run(paths: [SharedData.path("arxiv-api/atom")])
        #expect(summary.files == 25)
        #expect(reported.count == 1, "only the HTTP 400 error feed is rejected: \(reported)")
        #expect(reported.first?.reason == "arXiv API error: incorrect id format for abc")
        #expect(try await store.paper(ArxivID("2104.12255")!)?.title == "0")
    }
}

@Suite(.stores) struct ImporterSyntheticTests {
    @Test(arguments: StoreKind.available) func badRecordsAreNamedAndTheRestIsImported(_ kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let file = folder.write("mixed.jsonl", """
            {"id": "2501.00001", "title": "First", "abstract": "a", "categories": "cs.AI", "authors": "A. One"}
            {"title": "No id", "abstract": "b", "categories": "cs.AI"}
            {"id": "2501.00003", "title": "", "abstract": "c", "categories": "cs.AI"}
            {"id": "2501.00004", "title": "Fourth", "abstract": "d", "categories": "cs.LG", "authors": "B. Two and C. Three"}
            not json at all
            """)
        let store = try await TestStores.make(kind)
        var reported = [IngestError]()
        let importer = Importer(store: store)
        importer.onReject = { reported.append($0) }
        let summary = await importer.run(paths: [file])
        #expect(summary.read == 5)
        #expect(summary.outcome.papersNew == 2)
        #expect(summary.rejectedRecords == 3)
        #expect(reported.map(\.location) == ["line 2", "line 3 (2501.00003)", "line 5"])
        #expect(reported[0].reason == "the record has no id")
        #expect(try await store.paper(ArxivID("2501.00004")!)?.authors == ["B. Two", "C. Three"])
    }

    @Test(arguments: StoreKind.available) func unknownFormatEmptyFileAndMissingPath(_ kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let csv = folder.write("papers.csv", "id,title\n1,x\n")
        let empty = folder.write("empty.json", "")
        var reported = [IngestError]()
        let importer = Importer(store: try await TestStores.make(kind))
        importer.onReject = { reported.append($0) }
        let summary = await importer.run(paths: [csv, empty, folder.path("missing.json")])
        #expect(summary.rejectedFiles == 3)
        let reasons = Dictionary(uniqueKeysWithValues: reported.map { (URL(fileURLWithPath: $0.source).lastPathComponent, $0.reason) })
        #expect(reasons["papers.csv"]?.hasPrefix("unknown format") == true)
        #expect(reasons["empty.json"] == "the file is empty")
        #expect(reasons["missing.json"] == "no such file or folder")
    }

    @Test(arguments: StoreKind.available) func newerVersionUpdatesThePaper(_ kind: StoreKind) async throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let v1 = folder.write("v1.jsonl", #"{"id": "2501.00001", "title": "Draft title", "abstract": "a", "categories": "cs.AI", "authors": "A. One", "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"}]}"#)
        let v2 = folder.write("v2.jsonl", #"{"id": "2501.00001", "title": "Final title", "abstract": "b", "categories": "cs.AI", "authors": "A. One", "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"}, {"version": "v2", "created": "Mon, 3 Feb 2025 10:00:00 GMT"}]}"#)
        let store = try await TestStores.make(kind)
        _ = await Importer(store: store).run(paths: [v1])
        let updated = await Importer(store: store).run(paths: [v2])
        #expect(updated.outcome.papersUpdated == 1)
        let paper = try #require(try await store.paper(ArxivID("2501.00001")!))
        #expect(paper.title == "Final title")
        #expect(paper.version == 2)
        #expect(paper.publishedAt.map { Day($0).description } == "2025-01-06")
        // The older version arriving later changes nothing.
        let stale = await Importer(store: store).run(paths: [v1])
        #expect(stale.outcome.papersUnchanged == 1)
        #expect(try await store.paper(ArxivID("2501.00001")!)?.title == "Final title")
    }

    @Test func progressLinesWhenNotATerminal() {
        var lines = [String]()
        let progress = ProgressReporter(label: "import", isTerminal: false, interval: .zero) { lines.append($0) }
        progress.start(totalBytes: 200)
        progress.update(bytes: 100, records: 7)
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("import: 50% (7 records,"))
    }
}
