import Foundation
import MiniLM
import PapersCore
@testable import PapersSearch
import PapersStore
import Testing
import TestSupport

func paper(_ id: String, _ title: String, _ abstract: String, published: String = "2025-03-01", categories: [String] = ["cs.LG"]) -> Paper {
    Paper(id: ArxivID(id)!, version: 1, title: title, abstract: abstract, authors: ["A. Author"], categories: categories,
          publishedAt: Day(published)!.start, updatedAt: Day(published)!.start)
}

let corpus = [
    paper("2503.00001", "Predicting three-dimensional protein structure", "We fold amino acid chains into 3D shapes with an attention network.", categories: ["q-bio.BM"]),
    paper("2503.00002", "Faster convolutional image classifiers", "Pruning filters speeds up vision models for photos.", published: "2025-03-10", categories: ["cs.CV"]),
    paper("2503.00003", "Machine translation between low-resource languages", "Neural translation of sentences from Swahili to Finnish.", categories: ["cs.CL"]),
    paper("2503.00004", "Reinforcement learning for robot grasping", "A robot arm learns to pick up objects by trial and error.", categories: ["cs.RO"]),
    paper("2503.00005", "Stock price forecasting with transformers", "Predicting financial markets from historical prices.", categories: ["q-fin.ST"]),
    paper("2503.00006", "Protein design with diffusion models", "Generating new enzymes and binders with a denoising diffusion model.", published: "2025-04-01", categories: ["q-bio.BM"]),
]

/// A small seedable generator (SplitMix64), so a random test can be repeated from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite(.stores) struct FusionAndIndexTests {
    @Test func hybridScoresCombineNormalisedHalvesWithEqualWeights() {
        let a = ArxivID("2503.00001")!, b = ArxivID("2503.00002")!, c = ArxivID("2503.00003")!, d = ArxivID("2503.00004")!
        // Worked out by hand: BM25 / 10 (the best), cosine min-max over 0.2...0.6, each times 0.5.
        //   a: 0.5·10/10 + 0            = 0.5
        //   b: 0.5·6/10  + 0.5·(0.5-0.2)/0.4 = 0.3 + 0.375 = 0.675
        //   c: 0         + 0.5·(0.6-0.2)/0.4 = 0.5 (ties with a: the better cosine, c, goes first)
        //   d: 0.5·1/10  + 0.5·0         = 0.05
        let keyword: [(id: ArxivID, score: Float)] = [(a, 10), (b, 6), (d, 1)]
        let semantic: [(id: ArxivID, score: Float)] = [(c, 0.6), (b, 0.5), (d, 0.2)]
        #expect(SearchEngine.fuse(keyword: keyword, semantic: semantic) == [b, c, a, d])
        // Either half alone keeps its own order; nothing in, nothing out.
        #expect(SearchEngine.fuse(keyword: keyword, semantic: []) == [a, b, d])
        #expect(SearchEngine.fuse(keyword: [], semantic: semantic) == [c, b, d])
        #expect(SearchEngine.fuse(keyword: [], semantic: []) == [])
        // A single semantic candidate (no spread to normalise by) counts fully: 0.5 each, and
        // the tie goes to the paper with a cosine.
        #expect(SearchEngine.fuse(keyword: [(a, 4)], semantic: [(b, 0.3)]) == [b, a])
    }

    @Test func topKKeepsTheBestWithTiesToTheFirstRow() {
        var top = TopK(3) { $0 < $1 }
        for (row, score) in [Float(1), 5, 3, 5, 2, 4, 5].enumerated() { top.offer(score, row) }
        // Scores 5 at rows 1, 3 and 6: the three best, ties to the lower row.
        #expect(top.sorted().map(\.row) == [1, 3, 6])
        var two = TopK(2) { $0 < $1 }
        for (row, score) in [Float(1), 9, 3, 7].enumerated() { two.offer(score, row) }
        #expect(two.sorted().map(\.row) == [1, 3])
        #expect(two.rejects(6) && !two.rejects(8))
    }

    @Test func vectorIndexFindsNearestWithFiltersAndReplaces() {
        let index = VectorIndex(dimension: 3)
        func e(_ id: String, _ v: [Float], _ day: String, _ cat: String) -> StoredEmbedding {
            StoredEmbedding(paperID: ArxivID(id)!, vector: v, publishedAt: Day(day)!.start, categories: [cat])
        }
        index.upsert([e("2501.00001", [1, 0, 0], "2025-01-01", "cs.CL"), e("2501.00002", [0.8, 0.6, 0], "2025-02-01", "cs.LG"),
                      e("2501.00003", [0, 0, 1], "2025-03-01", "cs.CL")])
        #expect(index.nearest(to: [1, 0, 0], k: 2).map(\.id.rawValue) == ["2501.00001", "2501.00002"])
        #expect(index.nearest(to: [1, 0, 0], k: 2, filter: SearchFilter(category: "cs.CL")).map(\.id.rawValue) == ["2501.00001", "2501.00003"])
        #expect(index.nearest(to: [1, 0, 0], k: 5, filter: SearchFilter(from: Day("2025-02-01"))).map(\.id.rawValue) == ["2501.00002", "2501.00003"])
        #expect(index.nearest(to: [1, 0, 0], k: 1, excluding: ArxivID("2501.00001")).map(\.id.rawValue) == ["2501.00002"])
        index.upsert([e("2501.00001", [0, 0, 1], "2025-01-01", "cs.CL")])
        #expect(index.count == 3)
        // The replaced vector is the one searched: 2501.00001 now ties with 2501.00003 and leaves 2501.00002 behind.
        #expect(Set(index.nearest(to: [0, 0, 1], k: 2).map(\.id.rawValue)) == ["2501.00001", "2501.00003"])
        #expect(index.nearest(to: [1, 0, 0], k: 1).first?.id.rawValue == "2501.00002")
        #expect(index.vector(of: ArxivID("2501.00001")!) == [0, 0, 1])
    }

    @Test func firstPassKeepsAtLeastTheBestRows() {
        var generator = SplitMix64(seed: 7)
        let n = 20_000
        let scores = (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
        let byScore = (0..<n).sorted { scores[$0] > scores[$1] }
        for m in [1, 100, 2000, 19_999] {
            let rows = VectorIndex.rows(atLeast: m, bestOf: scores, count: n) { _ in true }
            #expect(rows.count >= m && rows.count <= n && Set(rows).count == rows.count)
            #expect(Set(byScore.prefix(m)).isSubset(of: Set(rows)), "m \(m): a best row was dropped")
        }
        // A filter that passes few rows: all of them, and nothing it refuses.
        let even = VectorIndex.rows(atLeast: 2000, bestOf: scores, count: n) { $0 % 97 == 0 }
        #expect(Set(even) == Set(stride(from: 0, to: n, by: 97)))
        // A filter that refuses the best rows: the best of those it passes.
        let lower = VectorIndex.rows(atLeast: 50, bestOf: scores, count: n) { scores[$0] < 0.5 }
        #expect(lower.allSatisfy { scores[$0] < 0.5 })
        #expect(Set(byScore.filter { scores[$0] < 0.5 }.prefix(50)).isSubset(of: Set(lower)))
    }

    @Test func halfFloatScanMatchesExactScores() {
        // 5,000 random unit vectors of 384 dimensions: the kernel path (two threads) on CPUs
        // with F16C, the plain loop elsewhere; both must rank like exact Float arithmetic.
        // A fixed seed (the same data every run, so a near tie cannot make it flaky), named in
        // every failure message; DAILYPAPERS_TEST_SEED=N tries another.
        let seed = ProcessInfo.processInfo.environment["DAILYPAPERS_TEST_SEED"].flatMap(UInt64.init) ?? 20_261_202
        var generator = SplitMix64(seed: seed)
        func unit() -> [Float] {
            let v = (0..<384).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        let vectors = (0..<5000).map { _ in unit() }
        let index = VectorIndex(dimension: 384)
        index.upsert(vectors.enumerated().map { i, v in
            StoredEmbedding(paperID: ArxivID(String(format: "2501.%05d", i + 1))!, vector: v, publishedAt: nil, categories: [])
        })
        let query: [Float] = vectors[42].enumerated().map { (i: Int, x: Float) -> Float in x + (i % 7 == 0 ? 0.05 : 0) }
        func dot(_ v: [Float]) -> Float {
            var sum: Float = 0
            for i in 0..<v.count { sum += v[i] * query[i] }
            return sum
        }
        let scored: [(Int, Float)] = vectors.indices.map { ($0, dot(vectors[$0])) }
        let exact: [String] = scored.sorted { $0.1 > $1.1 }.prefix(5).map { String(format: "2501.%05d", $0.0 + 1) }
        let found = index.nearest(to: query, k: 5)
        #expect(found.map(\.id.rawValue) == Array(exact), "seed \(seed)")
        #expect(found.first?.id.rawValue == "2501.00043", "seed \(seed)")
        print("VectorIndex half-float kernel in use: \(VectorIndex.hasHalfKernel), int8 first pass: \(VectorIndex.hasInt8Kernel)")
        // The int8 first pass keeps every exact top-50 paper among the candidates it rescores,
        // for queries near a paper and for queries far from all of them.
        for q in 0..<20 {
            let base = vectors[q * 97]
            let query: [Float] = q % 2 == 0 ? base.enumerated().map { $0.1 + (($0.0 * 31 + q) % 11 == 0 ? 0.1 : 0) } : unit()
            let exactTop = vectors.indices.map { i -> (Int, Float) in
                var sum: Float = 0
                for d in 0..<384 { sum += Float(Float16(vectors[i][d])) * query[d] }
                return (i, sum)
            }.sorted { $0.1 > $1.1 }.prefix(50).map { String(format: "2501.%05d", $0.0 + 1) }
            let found = index.nearest(to: query, k: 50).map(\.id.rawValue)
            #expect(Set(found) == Set(exactTop), "query \(q): the first pass lost an exact neighbour (seed \(seed))")
            #expect(found.first == exactTop.first, "seed \(seed)")
            // A deep list with only its head exact (as hybrid search asks): the head is the same.
            let deep = index.nearest(to: query, k: 1000, exact: 50)
            #expect(deep.count == 1000)
            #expect(Array(deep.prefix(50).map(\.id.rawValue)) == found, "query \(q): the exact head of a deep list differs (seed \(seed))")
        }
    }

    /// Stems as the reference implementation makes them: these pairs were printed by the
    /// PyPI package snowballstemmer 3.1.1 (`stemmer('english').stemWord(w)`), not by our code.
    @Test func englishStemmerMatchesSnowball() {
        let reference: [(String, String)] = [
            ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("caress", "caress"), ("cats", "cat"), ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"), ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"), ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"), ("filing", "file"), ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"), ("rational", "ration"), ("valenci", "valenc"), ("hesitanci", "hesit"), ("digitizer", "digit"), ("conformabli", "conform"), ("radicalli", "radic"), ("differentli", "differ"), ("vileli", "vile"), ("analogousli", "analog"), ("vietnamization", "vietnam"), ("predication", "predic"), ("operator", "oper"), ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"), ("formaliti", "formal"), ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"), ("triplicate", "triplic"), ("formative", "format"), ("formalize", "formal"), ("electriciti", "electr"), ("electrical", "electr"), ("hopeful", "hope"), ("goodness", "good"), ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"), ("airliner", "airlin"), ("gyroscopic", "gyroscop"), ("adjustable", "adjust"), ("defensible", "defens"), ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"), ("dependent", "depend"), ("adoption", "adopt"), ("homologou", "homologou"), ("communism", "communism"), ("activate", "activ"), ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"), ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"), ("generalization", "general"), ("generous", "generous"), ("communication", "communic"), ("arsenal", "arsenal"), ("transformers", "transform"), ("transformer", "transform"), ("diffusion", "diffus"), ("networks", "network"), ("studies", "studi"), ("skies", "sky"), ("dying", "die"), ("early", "earli"), ("news", "news"), ("inning", "inning"), ("proceeding", "proceed"), ("exceeded", "exceed")
        ]
        for (word, stem) in reference {
            #expect(EnglishStemmer.stem(word) == stem, "\(word)")
        }
        #expect(EnglishStemmer.stem("résumé") == "résumé", "non-ASCII words are left as they are")
    }

    func doc(_ id: String, _ title: String, _ abstract: String, authors: [String] = ["Émile Zola"], cat: String = "cs.LG",
             published: String = "2025-01-01") -> KeywordIndex.Document {
        .init(id: ArxivID(id)!, title: title, abstract: abstract, authors: authors, publishedAt: Day(published)!.start, categories: [cat])
    }

    @Test func keywordIndexRanksByBM25WithFieldWeights() {
        let index = KeywordIndex()
        index.add([doc("2501.00001", "Graph networks", "We study molecules."),
                   doc("2501.00002", "Molecules", "Graph neural networks for molecules and graphs.", cat: "q-bio.BM"),
                   doc("2501.00003", "Unrelated", "Nothing here.")])
        #expect(index.search("graph network", k: 10).map(\.rawValue) == ["2501.00001", "2501.00002"], "title matches weigh more")
        #expect(index.search("networking", k: 10).count == 2, "words are stemmed (Porter2: networking, networks → network)")
        #expect(index.search("zola emile", k: 1).count == 1, "authors, accents folded")
        #expect(index.search("graph", k: 10, filter: SearchFilter(category: "q-bio.BM")).map(\.rawValue) == ["2501.00002"])
        #expect(index.search("the of", k: 10).isEmpty, "stop words alone find nothing")
        #expect(index.rank("graph", k: 1).total == 2, "the total counts every match, not the page")
        index.add([doc("2501.00001", "Renamed", "Nothing about that.")])
        #expect(index.search("graph", k: 10).map(\.rawValue) == ["2501.00002"], "a replaced document leaves its old words")
        #expect(index.count == 3)
    }

    /// BM25 worked out by hand for a two-document index: the query's repeated word counts twice.
    @Test func keywordScoresFollowBM25WithQueryTermFrequency() {
        let index = KeywordIndex()
        // Titles empty: only abstract words (weight 1) count. Lengths 2 and 2, so no length normalisation differs.
        index.add([doc("2501.00001", "", "alpha beta", authors: []), doc("2501.00002", "", "beta gamma", authors: [])])
        // "gamma gamma alpha": gamma twice (2 × idf) outweighs alpha once; both words have df 1.
        #expect(index.search("gamma gamma alpha", k: 2).map(\.rawValue) == ["2501.00002", "2501.00001"])
        #expect(index.search("alpha alpha gamma", k: 2).map(\.rawValue) == ["2501.00001", "2501.00002"])
    }

    @Test func aPhraseRanksAboveTheSameWordsApart() {
        let index = KeywordIndex()
        index.add([doc("2501.00001", "Scaling", "We train a model of language on large corpora.", authors: []),
                   doc("2501.00002", "Scaling", "We train a large language model on corpora.", authors: []),
                   doc("2501.00003", "Other", "Unrelated text about cells.", authors: [])])
        #expect(index.search("large language model", k: 3).map(\.rawValue) == ["2501.00002", "2501.00001"])
    }

    @Test func aTitleAsTypedComesFirst() {
        let index = KeywordIndex()
        index.add([doc("2501.00001", "Attention is all you need", "Transformers use attention; attention everywhere, attention all the time.", authors: []),
                   doc("2501.00002", "Attention Is All You Need, Really", "A short note.", authors: []),
                   doc("2501.00003", "Sequence models", "Attention attention attention needed by all models.", authors: [])])
        // Different case and punctuation, a word missing: still that paper first.
        #expect(index.search("attention is all you need really", k: 1).map(\.rawValue) == ["2501.00002"])
        #expect(index.search("Attention: all you need", k: 1).map(\.rawValue) == ["2501.00001"])
        // The whole list: the near titles first, then the rest by score, each paper once.
        let ranking = index.rank("attention is all you need really", k: 3)
        #expect(ranking.ids.map(\.rawValue) == ["2501.00002", "2501.00001", "2501.00003"])
        #expect(ranking.leading == 2 && ranking.total == 3)
        #expect(index.rank("attention is all you need really", k: 2).ids.map(\.rawValue) == ["2501.00002", "2501.00001"])
    }

    @Test func authorsAreFoundAndFilteredByName() {
        let index = KeywordIndex()
        index.add([doc("2501.00001", "Old work", "Text.", authors: ["Yejin Choi", "Ada Lovelace"], published: "2025-01-01"),
                   doc("2501.00002", "New work", "Text.", authors: ["Yéjin  Choi"], published: "2025-03-01"),
                   doc("2501.00003", "Other work", "Text.", authors: ["Alan Turing"], published: "2025-02-01")])
        #expect(index.papers(byAuthor: "yejin choi").map(\.rawValue) == ["2501.00002", "2501.00001"], "newest first; case and accents aside")
        #expect(index.papers(byAuthor: "Choi").isEmpty, "a whole name, not a part of one")
        #expect(index.search("work", k: 10, filter: SearchFilter(author: "Alan Turing")).map(\.rawValue) == ["2501.00003"])
    }

    @Test func misspelledWordsAreCorrectedFromTheVocabulary() {
        let index = KeywordIndex()
        index.add([doc("2501.00001", "A transformer for images", "Diffusion models and a transformer.", authors: []),
                   doc("2501.00002", "Transformers at scale", "Diffusion of ideas.", authors: []),
                   doc("2501.00003", "Lonely", "Transfusion happens once.", authors: [])])
        #expect(index.correction(of: "tranformer difusion") == "transformer diffusion")
        #expect(index.correction(of: "transformer diffusion") == nil, "known words are left alone")
        #expect(index.correction(of: "zzzzqqq") == nil, "nothing close: nothing offered")
        #expect(index.correction(of: "transfusio") == nil, "a word seen once is not offered")
    }

    @Test func highlighterMarksQueryWordsInTheBestWindow() {
        let text = (1...60).map { "w\($0)" }.joined(separator: " ") + " Graph networks, and more graphs."
        let excerpt = Highlighter.excerpt(text, matching: "graph network", words: 10)
        // The 10-word window that holds all three matches (Graph, networks, graphs), not one with two.
        #expect(excerpt == "…w56 w57 w58 w59 w60 \u{2}Graph\u{3} \u{2}networks,\u{3} and more \u{2}graphs.\u{3}")
        #expect(Highlighter.excerpt("nothing here", matching: "graph") == nil)
        #expect(Highlighter.excerpt("the of", matching: "the") == nil)
        // Words are what spaces separate (a line break or punctuation stays inside one), runs of
        // spaces count as one, and accented words are folded before they are compared.
        #expect(Highlighter.excerpt("Réseaux  de graphes: Graph\nnetworks", matching: "graph")
            == "Réseaux de \u{2}graphes:\u{3} \u{2}Graph\nnetworks\u{3}")
        #expect(Highlighter.excerpt("Une Équipe forte, 中文 🦄", matching: "equipe") == "Une \u{2}Équipe\u{3} forte, 中文 🦄")
        #expect(Highlighter.excerpt("   ", matching: "graph") == nil)
    }

    @Test func rankingMetrics() {
        let judgments = ["d1": 3, "d2": 1, "d3": 0]
        #expect(Evaluation.ndcg(ranked: ["d1", "d2"], judgments: judgments, k: 10) == 1)
        let swapped = Evaluation.ndcg(ranked: ["d2", "d1"], judgments: judgments, k: 10)
        let expected = (1.0 + 3 / log2(3.0)) / (3.0 + 1 / log2(3.0))
        #expect(abs(swapped - expected) < 1e-12)
        #expect(Evaluation.ndcg(ranked: ["x", "y"], judgments: judgments, k: 10) == 0)
        #expect(Evaluation.recall(ranked: ["d2", "x"], judgments: judgments, k: 100) == 0.5)
        #expect(Evaluation.recall(ranked: ["x", "d1"], judgments: judgments, k: 1) == 0)
    }

    @Test(arguments: StoreKind.available) func withoutAModelSearchIsKeywordOnlyAndSaysSo(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: corpus))
        let engine = SearchEngine(store: store, embedder: nil)
        let result = try await engine.search("protein", mode: .semantic)
        #expect(result.mode == .keyword)
        #expect(result.notice?.contains("not available") == true)
        #expect(Set(result.cards.map(\.paper.id.rawValue)) == ["2503.00001", "2503.00006"])
        #expect(try await engine.similar(to: ArxivID("2503.00001")!) == nil)
        #expect(try await engine.embedPending() == 0)
    }

    /// `--keyword-search database`: keyword mode is ranked, counted and paged by the database's
    /// own full-text index (tsvector on PostgreSQL, FTS5 on SQLite), which sees a paper the
    /// in-memory index has not caught up with yet; `memory` does not.
    @Test(arguments: StoreKind.available) func keywordModeCanRankInTheDatabase(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: corpus))
        let inDatabase = SearchEngine(store: store, embedder: nil, refreshInterval: .seconds(3600), keywordSource: .database)
        let inMemory = SearchEngine(store: store, embedder: nil, refreshInterval: .seconds(3600), keywordSource: .memory)
        for engine in [inDatabase, inMemory] { try await engine.loadIndex() }

        // The same word once in one paper's title and once in the other's abstract, the texts
        // as long: the title weighs more.
        _ = try await store.write(ImportBatch(papers: [
            paper("2503.00007", "Sparse sampling of graphs", "We study networks with few observations."),
            paper("2503.00008", "Networks with few observations", "We study sparse sampling of graphs."),
        ]))
        let found = try await inDatabase.search("sampling", mode: .keyword)
        #expect(found.mode == .keyword)
        #expect(found.cards.map(\.paper.id.rawValue) == ["2503.00007", "2503.00008"], "title above abstract")
        #expect(found.total == 2)
        #expect(found.cards.last?.excerpt?.contains("\u{2}sampling\u{3}") == true, "the database's excerpt: \(String(describing: found.cards.last?.excerpt))")
        #expect(found.cards.first?.upvotes == 0 && found.cards.first?.paper.title == "Sparse sampling of graphs")
        #expect(try await inMemory.search("sampling", mode: .keyword).total == 0, "the in-memory index has not caught up (an hour)")

        // Counted and paged by the database; filters apply there.
        let second = try await inDatabase.search("protein", mode: .keyword, page: 2, perPage: 1)
        #expect(second.total == 2)
        #expect(second.cards.count == 1)
        let first = try await inDatabase.search("protein", mode: .keyword, page: 1, perPage: 1)
        #expect(Set((first.cards + second.cards).map(\.paper.id.rawValue)) == ["2503.00001", "2503.00006"])
        let later = try await inDatabase.search("protein", mode: .keyword, filter: SearchFilter(from: Day("2025-03-15")))
        #expect(later.cards.map(\.paper.id.rawValue) == ["2503.00006"])
        #expect(try await inDatabase.search("protein", mode: .keyword, filter: SearchFilter(category: "cs.CV")).total == 0)
    }
}

@Suite(.serialized, .stores) struct ModelSearchTests {
    func engine(_ kind: StoreKind) async throws -> (SearchEngine, any SiteStore) {
        let embedder = try TestModel.embedder.get()
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: corpus))
        return (SearchEngine(store: store, embedder: embedder), store)
    }

    @Test(arguments: StoreKind.available) func embeddingIsResumableAndFollowsNewVersions(_ kind: StoreKind) async throws {
        let (engine, store) = try await engine(kind)
        let model = engine.embedder!.modelID
        #expect(try await store.embeddingBacklog(model: model) == 6)
        #expect(try await engine.embedPending(limit: 4) == 4)
        #expect(try await store.embeddingBacklog(model: model) == 2, "a second run continues where the first stopped")
        #expect(try await engine.embedPending(limit: 10) == 2)
        #expect(try await engine.embedPending(limit: 10) == 0)
        // A fresh engine over the same store loads what is stored.
        let reloaded = SearchEngine(store: store, embedder: engine.embedder)
        #expect(try await reloaded.loadIndex() == 6)
        var revised = corpus[2]
        revised.version = 2
        revised.abstract = "Now about speech recognition."
        revised.updatedAt = Day("2025-05-01")!.start
        _ = try await store.write(ImportBatch(papers: [revised]))
        #expect(try await store.embeddingBacklog(model: model) == 1, "a new version makes the vector stale")
        let stored = try await store.embeddings(model: model)
        #expect(stored.count == 6)
        #expect(stored.allSatisfy { abs($0.vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4 }, "unit vectors")
    }

    /// Two web nodes on one database: what one harvests and embeds, the other finds by keyword
    /// and by meaning on its next search (after `refreshInterval`, a second in `serve`), without a restart.
    @Test(arguments: StoreKind.available) func aPaperWrittenAndEmbeddedByOneNodeIsFoundOnTheOther(_ kind: StoreKind) async throws {
        let embedder = try TestModel.embedder.get()
        let database = try await TestStores.database(kind)
        let storeA = try await database.open(), storeB = try await database.open()
        _ = try await storeA.write(ImportBatch(papers: Array(corpus.prefix(5))))
        let nodeA = SearchEngine(store: storeA, embedder: embedder, refreshInterval: .zero)
        let nodeB = SearchEngine(store: storeB, embedder: embedder, refreshInterval: .zero)
        while try await nodeA.embedPending() > 0 {}
        #expect(try await nodeB.loadIndex() == 5)

        // Node A harvests a paper and embeds it; node B embeds nothing itself.
        let late = corpus[5]
        _ = try await storeA.write(ImportBatch(papers: [late]))
        #expect(try await nodeA.embedPending() == 1)
        let query = late.title
        let semantic = try await nodeB.search(query, mode: .semantic, perPage: 3)
        #expect(semantic.cards.first?.paper.id == late.id, "its vector reached node B: \(semantic.cards.map(\.paper.id))")
        let keyword = try await nodeB.search(query, mode: .keyword, perPage: 3)
        #expect(keyword.cards.first?.paper.id == late.id)
        #expect(nodeB.index?.count == 6)

        // Only what was saved since is read again.
        let since = try await storeA.embeddings(model: embedder.modelID, savedSince: nil)
        let after = try await storeA.embeddings(model: embedder.modelID, savedSince: since.latest)
        #expect(after.vectors.map(\.paperID) == [late.id], "the latest save is at the watermark; earlier ones are not")
    }

    @Test(arguments: StoreKind.available) func semanticSearchFindsMeaningWithoutSharedWords(_ kind: StoreKind) async throws {
        let (engine, _) = try await engine(kind)
        while try await engine.embedPending() > 0 {}
        // No word of the query is in the protein papers' titles or abstracts.
        let result = try await engine.search("polypeptide conformations", mode: .semantic, perPage: 2)
        #expect(result.mode == .semantic)
        #expect(result.cards.first?.paper.id.rawValue == "2503.00001")
        let keyword = try await engine.search("polypeptide conformations", mode: .keyword)
        #expect(keyword.cards.isEmpty, "keyword search cannot find it")
        let hybrid = try await engine.search("amino acid chains", mode: .hybrid, perPage: 3)
        #expect(hybrid.cards.first?.paper.id.rawValue == "2503.00001")
        #expect(hybrid.cards.first?.excerpt?.contains("\u{2}amino\u{3}") == true, "keyword hits get an excerpt with the matches marked")
        let filtered = try await engine.search("protein", mode: .hybrid, filter: SearchFilter(from: Day("2025-03-15")))
        #expect(filtered.cards.map(\.paper.id.rawValue).first == "2503.00006")
        #expect(!filtered.cards.contains { $0.paper.id.rawValue == "2503.00001" })
        let category = try await engine.search("learning", mode: .semantic, filter: SearchFilter(category: "cs.RO"))
        #expect(category.cards.map(\.paper.id.rawValue) == ["2503.00004"])
    }

    @Test(arguments: StoreKind.available) func similarPapersAreNearestByVector(_ kind: StoreKind) async throws {
        let (engine, _) = try await engine(kind)
        while try await engine.embedPending() > 0 {}
        let similar = try #require(try await engine.similar(to: ArxivID("2503.00001")!, limit: 2))
        #expect(similar.first?.paper.id.rawValue == "2503.00006", "the other protein paper")
        #expect(!similar.contains { $0.paper.id.rawValue == "2503.00001" })
    }

    @Test(arguments: StoreKind.available) func evaluationRunsTheProductionPath(_ kind: StoreKind) async throws {
        let embedder = try TestModel.embedder.get()
        let collection = RelevanceCollection(
            name: "tiny",
            documents: corpus.map { .init(id: $0.id.rawValue, title: $0.title, text: $0.abstract, authors: []) },
            queries: [.init(id: "q1", text: "protein structure"), .init(id: "q2", text: "translating languages")],
            judgments: ["q1": ["2503.00001": 2, "2503.00006": 1], "q2": ["2503.00003": 1]])
        let results = try await Evaluation.run(collection, into: try await TestStores.make(kind), embedder: embedder, modes: SearchMode.allCases)
        #expect(results.map(\.mode) == SearchMode.allCases)
        for r in results {
            #expect(r.queries == 2)
            #expect(r.recallAt100 == 1, "\(r.mode): every relevant document is in the first 100 of 6")
            #expect(r.ndcgAt10 > 0.8, "\(r.mode): \(r.ndcgAt10)")
        }
    }
}
