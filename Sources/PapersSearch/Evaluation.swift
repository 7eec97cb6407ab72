import Foundation
import PapersCore
import PapersStore

/// A relevance test collection in BEIR's layout: `corpus.jsonl` ({_id, title, text}),
/// `queries.jsonl` ({_id, text}) and `qrels.tsv` (query-id, corpus-id, score).
public struct RelevanceCollection: Sendable {
    public struct Document: Sendable { public var id: String; public var title: String; public var text: String; public var authors: [String] }
    public struct Query: Sendable { public var id: String; public var text: String }

    public var name: String
    public var documents: [Document]
    public var queries: [Query]
    /// query id -> document id -> graded relevance (> 0 is relevant).
    public var judgments: [String: [String: Int]]

    public init(name: String, documents: [Document], queries: [Query], judgments: [String: [String: Int]]) {
        self.name = name
        self.documents = documents
        self.queries = queries
        self.judgments = judgments
    }

    public struct LoadError: Error, CustomStringConvertible { public var description: String }

    public static func load(directory: String) throws -> RelevanceCollection {
        func lines(_ file: String) throws -> [Substring] {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LoadError(description: "\(path): cannot read the file (a BEIR collection has corpus.jsonl, queries.jsonl and qrels.tsv)")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n")
        }
        func objects(_ file: String) throws -> [(Int, [String: Any])] {
            try lines(file).enumerated().map { i, line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw LoadError(description: "\(file): line \(i + 1): not a JSON object")
                }
                return (i, object)
            }
        }
        let documents = try objects("corpus.jsonl").map { i, o -> Document in
            guard let id = o["_id"] as? String else { throw LoadError(description: "corpus.jsonl: line \(i + 1): no _id") }
            let authors = (o["metadata"] as? [String: Any])?["authors"] as? [String] ?? []
            return Document(id: id, title: o["title"] as? String ?? "", text: o["text"] as? String ?? "", authors: authors)
        }
        let queries = try objects("queries.jsonl").map { i, o -> Query in
            guard let id = o["_id"] as? String, let text = o["text"] as? String else {
                throw LoadError(description: "queries.jsonl: line \(i + 1): no _id or text")
            }
            return Query(id: id, text: text)
        }
        var judgments = [String: [String: Int]]()
        for (i, line) in try lines("qrels.tsv").enumerated() {
            let fields = line.split(separator: "\t")
            if i == 0, fields.first == "query-id" { continue }
            guard fields.count >= 3, let score = Int(fields[2]) else {
                throw LoadError(description: "qrels.tsv: line \(i + 1): expected query-id, corpus-id, score")
            }
            judgments[String(fields[0]), default: [:]][String(fields[1])] = score
        }
        return RelevanceCollection(name: (directory as NSString).lastPathComponent, documents: documents,
                                   queries: queries, judgments: judgments)
    }
}

/// nDCG@10 and recall@100 of each search mode over a collection, using the production
/// search path (the keyword index, the vector index, the fusion) on an empty database.
public enum Evaluation {
    public struct Result: Sendable {
        public var mode: SearchMode
        public var ndcgAt10: Double
        public var recallAt100: Double
        public var queries: Int
    }

    /// nDCG@k with linear gains (trec_eval's convention): DCG = Σ rel_i / log2(i + 1).
    public static func ndcg(ranked: [String], judgments: [String: Int], k: Int) -> Double {
        let gains = judgments.values.filter { $0 > 0 }.sorted(by: >)
        guard !gains.isEmpty else { return 0 }
        func dcg(_ rels: [Int]) -> Double {
            rels.prefix(k).enumerated().reduce(0) { $0 + Double($1.element) / log2(Double($1.offset) + 2) }
        }
        let actual = dcg(ranked.map { max(0, judgments[$0] ?? 0) })
        return actual / dcg(gains)
    }

    /// The share of relevant documents found in the first k.
    public static func recall(ranked: [String], judgments: [String: Int], k: Int) -> Double {
        let relevant = Set(judgments.filter { $0.value > 0 }.keys)
        guard !relevant.isEmpty else { return 0 }
        return Double(Set(ranked.prefix(k)).intersection(relevant).count) / Double(relevant.count)
    }

    /// Stand-in arXiv ids for the collection's documents: `0001.00001`, `0001.00002`, ...
    static func syntheticID(_ index: Int) -> ArxivID {
        let block = index / 99_999
        return ArxivID(String(format: "%02d%02d.%05d", block / 12, block % 12 + 1, index % 99_999 + 1))!
    }

    /// Loads the collection into `store` (an empty one: the collection's documents become its
    /// papers) and runs every query through the production search path. With `candidatesFile`,
    /// also writes each query's hybrid candidates there (JSON).
    public static func run(_ collection: RelevanceCollection, into store: any PaperStore, embedder: (any TextEmbedder)?,
                           modes: [SearchMode], keywordSource: KeywordSearchSource = .memory, candidatesFile: String? = nil,
                           progress: @Sendable (String) -> Void = { _ in }) async throws -> [Result] {
        var toDocument = [ArxivID: String]()
        var papers = [Paper]()
        for (i, doc) in collection.documents.enumerated() {
            let id = syntheticID(i)
            toDocument[id] = doc.id
            let title = doc.title.collapsingWhitespace
            papers.append(Paper(id: id, version: 1, title: title.isEmpty ? "(untitled \(doc.id))" : title,
                                abstract: doc.text.collapsingWhitespace, authors: doc.authors))
        }
        _ = try await store.write(ImportBatch(papers: papers))
        let engine = SearchEngine(store: store, embedder: embedder, keywordSource: keywordSource)
        if embedder != nil, candidatesFile != nil || modes.contains(where: { $0 != .keyword }) {
            var done = 0
            while true {
                let n = try await engine.embedPending(limit: 64)
                if n == 0 { break }
                done += n
                progress("\(collection.name): embedded \(done)/\(papers.count) documents")
            }
        }
        if let candidatesFile {
            // What hybrid search combines for each query (after any "did you mean"), with the
            // scores, as collection ids: for studying fusion outside the program.
            var out = [[String: Any]]()
            for query in collection.queries {
                let text = engine.correction(of: query.text) ?? query.text
                let (keyword, semantic) = await engine.hybridCandidates(text, filter: SearchFilter(), depth: SearchEngine.fusionDepth)
                out.append(["query": query.id, "leading": keyword.leading,
                            "keyword": zip(keyword.ids, keyword.scores).map { [toDocument[$0]!, Double($1)] as [Any] },
                            "semantic": semantic.map { [toDocument[$0.id]!, Double($0.score)] as [Any] },
                            "authored": engine.keywordIndex.papers(byAuthor: text).map { toDocument[$0]! }])
            }
            let data = try JSONSerialization.data(withJSONObject: ["collection": collection.name, "queries": out])
            guard FileManager.default.createFile(atPath: candidatesFile, contents: data) else {
                throw RelevanceCollection.LoadError(description: "\(candidatesFile): cannot write the file")
            }
        }
        var results = [Result]()
        let judged = collection.queries.filter { !(collection.judgments[$0.id] ?? [:]).filter { $0.value > 0 }.isEmpty }
        for mode in modes {
            var ndcgSum = 0.0, recallSum = 0.0
            for query in judged {
                let found = try await engine.search(query.text, mode: mode, page: 1, perPage: 100)
                let ranked = found.cards.compactMap { toDocument[$0.paper.id] }
                let judgments = collection.judgments[query.id] ?? [:]
                ndcgSum += ndcg(ranked: ranked, judgments: judgments, k: 10)
                recallSum += recall(ranked: ranked, judgments: judgments, k: 100)
            }
            let n = Double(max(1, judged.count))
            results.append(Result(mode: mode, ndcgAt10: ndcgSum / n, recallAt100: recallSum / n, queries: judged.count))
        }
        return results
    }
}
