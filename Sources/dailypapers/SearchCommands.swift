import ArgumentParser
import Foundation
import Logging
import PapersCore
import PapersIngest
import PapersBackends
import PapersSearch
import PapersStore

extension SearchMode: ExpressibleByArgument {}

struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute the vectors of every paper whose vector is missing or stale.",
        discussion: "Each batch is stored as it is done: stop it at any time and run it again to continue.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Papers per batch.")
    var batchSize = 64

    @Option(help: "Stop after this many papers (default: all).")
    var limit: Int?

    @Flag(help: "No progress output.")
    var quiet = false

    func run() async throws {
        guard let embedder = try modelOptions.loadEmbedder() else {
            printError("error: the embedding model was not found: \(ModelOptions.installHint)")
            throw ExitCode(2)
        }
        let store = try await storeOptions.openStore()
        let engine = SearchEngine(store: store, embedder: embedder)
        let backlog = try await store.embeddingBacklog(model: embedder.modelID)
        let goal = min(backlog, limit ?? backlog)
        let progress = quiet ? nil : ProgressReporter(label: "embed")
        progress?.start(totalBytes: Int64(max(goal, 1)))
        var done = 0
        let started = ContinuousClock.now
        while done < goal {
            let n = try await engine.embedPending(limit: min(batchSize, goal - done))
            if n == 0 { break }
            done += n
            progress?.update(bytes: Int64(done), records: done)
        }
        progress?.finish(records: done)
        let seconds = ProgressReporter.seconds(ContinuousClock.now - started)
        print("embedded \(done) papers in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", Double(done) / max(seconds, 0.001))) a second); \(backlog - done) still to do")
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search the catalog from the command line.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var keywordOptions: KeywordSearchOption

    @Option(help: "hybrid (default), keyword or semantic.")
    var mode: SearchMode = .hybrid

    @Option(help: "Earliest arXiv publication day, YYYY-MM-DD.")
    var from: String?

    @Option(help: "Latest arXiv publication day, YYYY-MM-DD.")
    var to: String?

    @Option(help: "arXiv category, e.g. cs.CL.")
    var category: String?

    @Option(help: "One author's papers only, e.g. \"Yejin Choi\" (case, accents and punctuation do not matter).")
    var author: String?

    @Option(help: "How many results.")
    var limit = 10

    @Argument(help: "The words to search for.")
    var query: String

    func run() async throws {
        var filter = SearchFilter(category: category, author: author.flatMap { $0.isEmpty ? nil : $0 })
        if let from { guard let day = Day(from) else { throw ValidationError("--from \"\(from)\" is not a date (YYYY-MM-DD)") }; filter.from = day }
        if let to { guard let day = Day(to) else { throw ValidationError("--to \"\(to)\" is not a date (YYYY-MM-DD)") }; filter.to = day }
        let source = try KeywordSearchOption.resolve(flag: keywordOptions.keywordSearch)
        let store = try await storeOptions.openStore()
        let embedder = try modelOptions.loadEmbedder()
        let engine = SearchEngine(store: store, embedder: embedder, keywordSource: source)
        try await engine.loadIndex()
        let results = try await engine.search(query, mode: mode, filter: filter, page: 1, perPage: limit)
        if let notice = results.notice { printError("note: \(notice)") }
        if let correction = results.correction {
            printError("note: did you mean \"\(correction)\"? Showing its results (put the query in quotes to search it as typed).")
        }
        if let id = results.arxivID, results.cards.isEmpty { printError("note: \(id) is not in this catalog (`dailypapers harvest` or /submit fetches papers)") }
        for (i, card) in results.cards.enumerated() {
            let date = card.paper.publishedAt.map { Day($0).description } ?? "          "
            print("\(i + 1). \(card.paper.id)  \(date)  \(card.paper.title)")
        }
        print("\(results.total) match\(results.total == 1 ? "" : "es") (\(results.mode.rawValue))")
    }
}

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure search quality on a relevance collection: nDCG@10 and recall@100 per mode.",
        discussion: """
            A collection is a folder in BEIR's layout (corpus.jsonl, queries.jsonl, qrels.tsv), e.g. \
            ../shared/data/relevance/cranfield. It is loaded into an in-memory SQLite database, or into \
            the empty database --database names (to measure PostgreSQL's full-text search: \
            --database postgres://… --mode keyword --keyword-search database).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var keywordOptions: KeywordSearchOption

    @Option(help: ArgumentHelp("An empty database to load the collection into (an SQLite file, sqlite:PATH or postgres://…; one collection at a time; default: a new in-memory SQLite database per collection).", valueName: "path-or-url"))
    var database: String?

    @Option(help: "Collection folder; repeat for several.")
    var collection: [String]

    @Option(help: ArgumentHelp("A mode to measure: hybrid, keyword or semantic; repeat for several (default: all three).", valueName: "mode"))
    var mode: [SearchMode] = []

    @Option(help: ArgumentHelp("Also write each query's hybrid candidates (the first 1,000 by BM25 and by cosine, with their scores) to FOLDER/COLLECTION.json, for studying fusion (bench/fusion.py).", valueName: "folder"))
    var candidates: String?

    func run() async throws {
        var modes = mode.isEmpty ? SearchMode.allCases : mode
        // Keyword search alone needs no model (and no vectors: nothing is embedded), unless the
        // hybrid candidates are written too.
        let embedder = modes == [.keyword] && candidates == nil ? nil : try modelOptions.loadEmbedder()
        if embedder == nil, modes != [.keyword] {
            printError("note: the embedding model was not found, so only keyword search is measured: \(ModelOptions.installHint)")
            modes = [.keyword]
        }
        var location: StoreLocation?
        if let database {
            do { location = try StoreLocation(parsing: database) } catch { throw ValidationError("--database: \(error)") }
            guard collection.count == 1 else { throw ValidationError("--database takes one --collection at a time (the collection's documents become its papers)") }
        }
        let source = try KeywordSearchOption.resolve(flag: keywordOptions.keywordSearch)
        print("| collection | mode | nDCG@10 | recall@100 | queries |")
        print("| --- | --- | --- | --- | --- |")
        for path in collection {
            let loaded: RelevanceCollection
            do { loaded = try RelevanceCollection.load(directory: path) } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            var candidatesFile: String?
            if let candidates {
                guard embedder != nil else {
                    printError("error: --candidates needs the embedding model (hybrid candidates are half semantic): \(ModelOptions.installHint)")
                    throw ExitCode(2)
                }
                try FileManager.default.createDirectory(atPath: candidates, withIntermediateDirectories: true)
                candidatesFile = (candidates as NSString).appendingPathComponent(loaded.name + ".json")
            }
            let store: any SiteStore
            if let location {
                store = try await StoreOpener.open(location, logger: Logger(label: "dailypapers.store"))
                let papers = try await store.stats().papers
                guard papers == 0 else {
                    await store.close()
                    printError("error: --database \(location) holds \(papers) papers: eval loads the collection as the papers, so give it an empty database")
                    throw ExitCode(2)
                }
            } else {
                store = try StoreOpener.inMemory()
            }
            let results = try await Evaluation.run(loaded, into: store, embedder: embedder, modes: modes, keywordSource: source,
                                                   candidatesFile: candidatesFile) { printError($0) }
            await store.close()
            for r in results {
                print("| \(loaded.name) | \(r.mode.rawValue) | \(String(format: "%.4f", r.ndcgAt10)) | \(String(format: "%.4f", r.recallAt100)) | \(r.queries) |")
            }
        }
    }
}
