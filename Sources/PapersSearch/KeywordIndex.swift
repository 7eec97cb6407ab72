import Foundation
import PapersCore
import PapersStore
import Synchronization

/// An in-memory BM25 index: keyword search, and the keyword half of hybrid search.
///
/// SQLite's FTS5 ranks every matching row with `bm25()`, which costs tens to hundreds of
/// milliseconds when a query has common words ("language model" matches most of a CS
/// corpus). Here postings are scored into a dense array of per-paper scores, which takes about
/// a millisecond for the same query.
///
/// Words are analysed as a standard English analyser does (Lucene's `EnglishAnalyzer`): split
/// on anything that is not a letter or digit, lower-cased, accents folded, Lucene's 33 English
/// stop words dropped, and the rest stemmed with Snowball's English stemmer (Porter2). Scores
/// are BM25 with its customary constants (k1 1.2, b 0.75) over one weighted bag of words
/// (BM25F): a title word counts twice, author and abstract words once; a word the query
/// repeats counts as often as it is there (Lucene's linear query-term frequency). Adjacent words are
/// indexed as pairs too, and a query's adjacent words score as pairs on top of their single
/// words (a sequential-dependence model): a phrase ranks above the same words apart. None of
/// these numbers is fitted to a test collection: they are the usual defaults (BENCHMARKS.md).
public final class KeywordIndex: Sendable {
    public static let k1: Float = 1.2
    public static let b: Float = 0.75
    static let titleWeight: Float = 2, authorWeight: Float = 1, abstractWeight: Float = 1
    /// How much a query's adjacent pair counts beside its single words.
    static let pairWeight: Float = 0.5

    /// A paper's text as the index takes it.
    public struct Document: Sendable {
        public var id: ArxivID
        public var title: String
        public var abstract: String
        public var authors: [String]
        public var publishedAt: Date?
        public var categories: [String]

        public init(id: ArxivID, title: String, abstract: String, authors: [String], publishedAt: Date?, categories: [String]) {
            self.id = id
            self.title = title
            self.abstract = abstract
            self.authors = authors
            self.publishedAt = publishedAt
            self.categories = categories
        }

        /// Tells a changed document from one added again as it was.
        var fingerprint: Int {
            var hasher = Hasher()
            hasher.combine(title)
            hasher.combine(abstract)
            hasher.combine(authors)
            hasher.combine(publishedAt)
            hasher.combine(categories)
            return hasher.finalize()
        }
    }

    /// What a search found: the best ids, and how many papers matched in all.
    public struct Ranking: Sendable {
        public var ids: [ArxivID]
        public var total: Int
        /// Each id's BM25 score, in the same order.
        public var scores: [Float] = []
        /// How many of the first ids are there because their title is the query, or nearly.
        public var leading: Int = 0
    }

    struct Postings { var docs: [Int32] = []; var tfs: [Float] = [] }

    struct Storage {
        var ids: [ArxivID] = []
        var rows: [ArxivID: Int] = [:]
        var live: [Bool] = []
        var fingerprints: [Int] = []
        var lengths: [Float] = []
        var totalLength: Double = 0
        var liveCount = 0
        var published: [Date?] = []
        var categories: [[String]] = []
        /// Each paper's distinct title terms, sorted (title matches), and its authors' names
        /// (author matches and filters).
        var titles: [[Int32]] = []
        var authors: [[String]] = []
        /// Terms by id, and the id of each.
        var terms: [String] = []
        var termIDs: [String: Int32] = [:]
        /// Words as written (lower-cased, folded) and how often: what a misspelled word is corrected to.
        var words: [String: Int32] = [:]
        /// Postings of single terms, by term id, and of adjacent pairs, by `pairKey`.
        var postings: [Postings] = []
        var pairPostings: [UInt64: Postings] = [:]
        /// Papers by author, the name normalised (`AuthorName.key`).
        var byAuthor: [String: [Int32]] = [:]

        mutating func id(of term: String) -> Int32 {
            if let id = termIDs[term] { return id }
            let id = Int32(terms.count)
            terms.append(term)
            termIDs[term] = id
            postings.append(Postings())
            return id
        }
    }

    static func pairKey(_ first: Int32, _ second: Int32) -> UInt64 { UInt64(UInt32(first)) << 32 | UInt64(UInt32(second)) }

    private let storage = Mutex(Storage())

    public init() {}

    public var count: Int { storage.withLock { $0.liveCount } }

    /// A document analysed: its terms in order per field, with the words they came from (nil
    /// marks a stop word).
    struct Analysed {
        var document: Document
        var fingerprint: Int
        var fields: [(weight: Float, tokens: [(word: String, term: String)?])]
    }

    /// Adds documents; a document already in the index is replaced, unless it is unchanged.
    public func add(_ documents: [Document]) {
        let fingerprints = documents.map(\.fingerprint)
        let changed = storage.withLock { s in
            zip(documents, fingerprints).filter { doc, fingerprint in
                guard let row = s.rows[doc.id], s.live[row] else { return true }
                return s.fingerprints[row] != fingerprint
            }
        }
        guard !changed.isEmpty else { return }
        // Analyse outside the lock; each word is stemmed once per batch, and counted.
        var stems = [String: (stem: String, count: Int32)]()
        let analysed = changed.map { doc, fingerprint -> Analysed in
            var fields = [(weight: Float, tokens: [(word: String, term: String)?])]()
            for (texts, weight) in [([doc.title], Self.titleWeight), (doc.authors, Self.authorWeight), ([doc.abstract], Self.abstractWeight)] {
                for text in texts {
                    var tokens = [(word: String, term: String)?]()
                    SearchTokenizer.forEachWord(in: text, stem: false) { word, kept in
                        guard kept != nil else { tokens.append(nil); return }
                        if let known = stems[word] {
                            stems[word]!.count += 1
                            tokens.append((word, known.stem))
                        } else {
                            let stem = EnglishStemmer.stem(word)
                            stems[word] = (stem, 1)
                            tokens.append((word, stem))
                        }
                    }
                    fields.append((weight, tokens))
                }
            }
            return Analysed(document: doc, fingerprint: fingerprint, fields: fields)
        }
        storage.withLock { s in
            for (word, seen) in stems { s.words[word, default: 0] += seen.count }
            for item in analysed {
                let doc = item.document
                if let old = s.rows[doc.id], s.live[old] {
                    s.live[old] = false
                    s.liveCount -= 1
                    s.totalLength -= Double(s.lengths[old])
                }
                let row = Int32(s.ids.count)
                var tf = [Int32: Float]()
                var pairs = [UInt64: Float]()
                var length: Float = 0
                var title = [Int32]()
                for (index, field) in item.fields.enumerated() {
                    var previous: Int32?
                    for token in field.tokens {
                        // A stop word between two words leaves them a pair ("chain of thought").
                        guard let token else { continue }
                        let id = s.id(of: token.term)
                        if index == 0 { title.append(id) }
                        tf[id, default: 0] += field.weight
                        length += field.weight
                        if let previous { pairs[Self.pairKey(previous, id), default: 0] += field.weight }
                        previous = id
                    }
                }
                s.ids.append(doc.id)
                s.rows[doc.id] = Int(row)
                s.live.append(true)
                s.fingerprints.append(item.fingerprint)
                s.lengths.append(length)
                s.totalLength += Double(length)
                s.liveCount += 1
                s.published.append(doc.publishedAt)
                s.categories.append(doc.categories)
                s.titles.append(Array(Set(title)).sorted())
                let names = doc.authors.map(AuthorName.key).filter { !$0.isEmpty }
                s.authors.append(names)
                for name in Set(names) { s.byAuthor[name, default: []].append(row) }
                for (id, f) in tf {
                    s.postings[Int(id)].docs.append(row)
                    s.postings[Int(id)].tfs.append(f)
                }
                for (key, f) in pairs {
                    s.pairPostings[key, default: Postings()].docs.append(row)
                    s.pairPostings[key, default: Postings()].tfs.append(f)
                }
            }
        }
    }

    /// The best `k` papers for the query by BM25 (its single words, and its adjacent words as
    /// pairs), passing the filter.
    public func search(_ query: String, k: Int, filter: SearchFilter = SearchFilter()) -> [ArxivID] {
        rank(query, k: k, filter: filter).ids
    }

    /// The best `k` papers and how many match, with their BM25 scores; papers whose title is
    /// the query, or nearly, come first.
    public func rank(_ query: String, k: Int, filter: SearchFilter = SearchFilter()) -> Ranking {
        var tokens = [String?]()
        SearchTokenizer.forEachWord(in: query) { _, term in tokens.append(term) }
        guard tokens.contains(where: { $0 != nil }), k > 0 else { return Ranking(ids: [], total: 0) }
        let author = filter.author.map(AuthorName.key)
        return storage.withLock { s in
            let n = s.ids.count
            guard s.liveCount > 0 else { return Ranking(ids: [], total: 0) }
            // A word the query repeats counts as often as it is there (BM25's query-term
            // frequency, linear as in Lucene): a long question's repeated words are what it is about.
            var weights = [(list: Postings, weight: Float)]()
            var counts = [Int32: Float]()
            var pairCounts = [UInt64: Float]()
            var known = Set<Int32>()
            var previous: Int32?
            for token in tokens {
                guard let token else { continue }
                guard let id = s.termIDs[token] else { previous = nil; continue }
                counts[id, default: 0] += 1
                known.insert(id)
                if let previous, previous != id { pairCounts[Self.pairKey(previous, id), default: 0] += Self.pairWeight }
                previous = id
            }
            for (id, count) in counts.sorted(by: { $0.key < $1.key }) { weights.append((s.postings[Int(id)], count)) }
            for (key, weight) in pairCounts.sorted(by: { $0.key < $1.key }) {
                if let list = s.pairPostings[key] { weights.append((list, weight)) }
            }
            let averageLength = Float(s.totalLength / Double(s.liveCount))
            var scores = [Float](repeating: 0, count: n)
            var touched = [Int32]()
            touched.reserveCapacity(min(n, weights.reduce(0) { $0 + $1.list.docs.count }))
            // Through buffer pointers: the arrays are neither bounds-checked nor checked for
            // uniqueness per posting (common words have tens of thousands).
            scores.withUnsafeMutableBufferPointer { scores in
                s.lengths.withUnsafeBufferPointer { lengths in
                    for (list, weight) in weights {
                        let df = Float(list.docs.count)
                        let idf = weight * log(1 + (Float(s.liveCount) - df + 0.5) / (df + 0.5))
                        list.docs.withUnsafeBufferPointer { docs in
                            list.tfs.withUnsafeBufferPointer { tfs in
                                for i in 0..<docs.count {
                                    let row = Int(docs[i])
                                    let tf = tfs[i]
                                    let norm = Self.k1 * (1 - Self.b + Self.b * lengths[row] / averageLength)
                                    if scores[row] == 0 { touched.append(docs[i]) }
                                    scores[row] += idf * tf * (Self.k1 + 1) / (tf + norm)
                                }
                            }
                        }
                    }
                }
            }
            // A title that is the query, or nearly (a word missing or extra, other punctuation),
            // goes first, the closest (by the share of words in common) first among them.
            var closeness = [Int: Float]()
            let wanted = Set(tokens.compactMap { $0 })
            if wanted.count >= 3 {
                for row32 in touched {
                    // The title's distinct words: at most one more than the query's known words,
                    // at least one fewer than all its words, or it cannot be near.
                    let title = s.titles[Int(row32)]
                    guard title.count >= max(3, wanted.count - 1), title.count <= known.count + 1 else { continue }
                    var shared = 0
                    for id in title where known.contains(id) { shared += 1 }
                    guard shared >= max(title.count, wanted.count) - 1 else { continue }
                    closeness[Int(row32)] = Float(shared) / Float(title.count + wanted.count - shared)
                }
            }
            let ids = s.ids
            func admitted(_ row: Int) -> Bool {
                guard s.live[row] else { return false }
                guard !filter.isEmpty else { return true }
                return filter.admits(published: s.published[row], categories: s.categories[row])
                    && author.map { s.authors[row].contains($0) } != false
            }
            // The near titles (few) apart; every matching row into one selection, k more than
            // the near titles so that k others remain once they are taken out (no dictionary
            // lookup per matching row: common words match tens of thousands).
            let leading = closeness.filter { admitted($0.key) }.map { (closeness: $0.value, score: scores[$0.key], row: $0.key) }
            var top = TopK(k + leading.count) { ids[$0] < ids[$1] }
            var total = 0
            for row32 in touched {
                let row = Int(row32)
                guard admitted(row) else { continue }
                total += 1
                if !top.rejects(scores[row]) { top.offer(scores[row], row) }
            }
            let first = leading.sorted { a, b in
                (a.closeness, a.score) != (b.closeness, b.score) ? (a.closeness, a.score) > (b.closeness, b.score) : ids[a.row] < ids[b.row]
            }.prefix(k)
            let rest = top.sorted().lazy.filter { closeness[$0.row] == nil }.prefix(k - first.count)
            return Ranking(ids: first.map { ids[$0.row] } + rest.map { ids[$0.row] }, total: total,
                           scores: first.map(\.score) + rest.map(\.score), leading: first.count)
        }
    }

    /// The papers in an arXiv category with their publication instants, newest first.
    public func papers(inCategory category: String) -> [(id: ArxivID, published: Date?)] {
        storage.withLock { s in
            s.categories.indices.filter { s.live[$0] && s.categories[$0].contains(category) }
                .map { (s.ids[$0], s.published[$0]) }
        }.sorted { ($0.published ?? .distantPast, $0.id) > ($1.published ?? .distantPast, $1.id) }
    }

    /// The papers of an author (the name as written anywhere: case, accents and punctuation
    /// do not matter), newest first.
    /// Only papers that pass `filter` (its dates, category and author) are listed.
    public func papers(byAuthor name: String, filter: SearchFilter = SearchFilter()) -> [ArxivID] {
        let key = AuthorName.key(name)
        let otherAuthor = filter.author.map(AuthorName.key)
        return storage.withLock { s in
            (s.byAuthor[key] ?? []).map(Int.init).filter { row in
                s.live[row] && filter.admits(published: s.published[row], categories: s.categories[row])
                    && otherAuthor.map { s.authors[row].contains($0) } != false
            }
                .sorted { (s.published[$0] ?? .distantPast, s.ids[$0]) > (s.published[$1] ?? .distantPast, s.ids[$1]) }
                .map { s.ids[$0] }
        }
    }

    /// The query with its misspelled words corrected from the index's own vocabulary, or nil
    /// when every word is known (or no close word is). A word is misspelled when no paper
    /// has its stem; its correction is the word as written in the papers (twice at least) at
    /// most one edit away (two for words of eight letters or more; an edit is an insertion,
    /// deletion, substitution or swap), the most frequent on ties: "tranformer" →
    /// "transformer", "difusion" → "diffusion".
    public func correction(of query: String) -> String? {
        var typed = [(word: String, stem: String?)]()
        SearchTokenizer.forEachWord(in: query) { word, term in typed.append((word, term)) }
        var changed = false
        let corrected = storage.withLock { s in
            typed.map { word, stem -> String in
                guard let stem, word.utf8.count >= 4, s.termIDs[stem] == nil, !word.unicodeScalars.contains(where: { $0.value >= 0x80 }),
                      !word.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }),
                      let better = Self.closest(to: word, in: s) else { return word }
                changed = true
                return better
            }
        }
        return changed ? corrected.joined(separator: " ") : nil
    }

    private static func closest(to word: String, in s: Storage) -> String? {
        let target = Array(word.utf8)
        let limit = target.count >= 8 ? 2 : 1
        var best: (word: String, distance: Int, count: Int32)?
        for (candidate, count) in s.words where count >= 2 {
            let bytes = candidate.utf8
            guard abs(bytes.count - target.count) <= limit else { continue }
            let d = EditDistance.damerau(target, Array(bytes), limit: limit)
            guard d <= limit, d > 0 else { continue }
            if best == nil || d < best!.distance || (d == best!.distance && (count, candidate) > (best!.count, best!.word)) {
                best = (candidate, d, count)
            }
        }
        return best?.word
    }
}

/// An author's name as a key: lower-cased, accents folded, anything but letters and digits a
/// single space ("Yejin Choi", "yejin  choi" and "Yéjin-Choi" are one author).
public enum AuthorName {
    public static func key(_ name: String) -> String {
        var words = [String]()
        SearchTokenizer.forEachWord(in: name, stopWords: false, stem: false) { word, _ in words.append(word) }
        return words.joined(separator: " ")
    }
}

/// Damerau-Levenshtein distance (optimal string alignment), stopping early past `limit`.
enum EditDistance {
    static func damerau(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if a == b { return 0 }
        let n = a.count, m = b.count
        var previous2 = [Int](repeating: 0, count: m + 1)
        var previous = Array(0...m)
        var current = [Int](repeating: 0, count: m + 1)
        for i in 1...max(n, 1) where n > 0 {
            current[0] = i
            var rowBest = i
            for j in 1...max(m, 1) where m > 0 {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, previous2[j - 2] + 1) }
                current[j] = value
                rowBest = min(rowBest, value)
            }
            if rowBest > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return n == 0 ? m : m == 0 ? n : previous[m]
    }
}

/// Words for the in-memory index: letters and digits, lower-cased, accents folded; single
/// letters or digits and Lucene's English stop words dropped (as bm25s and scikit-learn's
/// default token pattern `\w\w+` and Lucene's `EnglishAnalyzer` do), the rest stemmed with
/// the Snowball English stemmer.
enum SearchTokenizer {
    /// Lucene's English stop words (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`).
    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
        "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    ]

    /// Each term of the text (stop words left out).
    static func forEachTerm(in text: String, _ body: (String) -> Void) {
        forEachWord(in: text) { _, term in if let term { body(term) } }
    }

    /// Each word of the text as written (lower-cased, accents folded) with its term: its stem,
    /// or nil for a stop word or a single character (when `stopWords`). Without `stem` the
    /// term is the word.
    static func forEachWord(in text: String, stopWords dropStopWords: Bool = true, stem: Bool = true,
                            _ body: (_ word: String, _ term: String?) -> Void) {
        var word = [UInt8]()
        var nonASCII = false
        func flush() {
            guard !word.isEmpty else { return }
            var folded = String(decoding: word, as: UTF8.self)
            if nonASCII { folded = folded.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil) }
            if dropStopWords, folded.utf8.count < 2 || stopWords.contains(folded) {
                body(folded, nil)
            } else {
                body(folded, stem ? EnglishStemmer.stem(folded) : folded)
            }
            word.removeAll(keepingCapacity: true)
            nonASCII = false
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(v)
                if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) {
                    word.append(b)
                } else if b >= 0x41 && b <= 0x5A {
                    word.append(b + 0x20)
                } else {
                    flush()
                }
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                nonASCII = true
                word.append(contentsOf: Array(String(scalar).utf8))
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue
            } else {
                flush()
            }
        }
        flush()
    }
}

/// Excerpts for hybrid results, made in memory: the window of the abstract with the most
/// query words, those words wrapped in `Excerpt.markStart`/`markEnd`, as FTS5's `snippet()`
/// does for the keyword mode (asking FTS5 for a snippet costs a full-text match per paper).
/// Words are the runs of bytes between spaces, read from the UTF-8 in place: only a word
/// that could be a query word (its first letter or digit starts one, or is not ASCII) is
/// made a string and analysed.
public enum Highlighter {
    public static func excerpt(_ text: String, matching query: String, words windowSize: Int = 40) -> String? {
        var queryTerms = Set<String>()
        SearchTokenizer.forEachTerm(in: query) { queryTerms.insert($0) }
        guard !queryTerms.isEmpty, windowSize > 0 else { return nil }
        // Initials of the query's terms (all ASCII or not: a word with an accented initial
        // takes the full path).
        var initials = [Bool](repeating: false, count: 128)
        for term in queryTerms { if let first = term.utf8.first, first < 0x80 { initials[Int(first)] = true } }
        var text = text
        return text.withUTF8 { bytes -> String? in
            var words = [Range<Int>]()
            var start = -1
            for i in 0..<bytes.count {
                if bytes[i] == 0x20 {
                    if start >= 0 { words.append(start..<i); start = -1 }
                } else if start < 0 {
                    start = i
                }
            }
            if start >= 0 { words.append(start..<bytes.count) }
            var hits = [Bool](repeating: false, count: words.count)
            var anyHit = false
            for (w, range) in words.enumerated() {
                var first: UInt8?
                for i in range {
                    let b = bytes[i]
                    if b >= 0x80 || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || (b >= 0x30 && b <= 0x39) { first = b; break }
                }
                if let first, first < 0x80, !initials[Int(first >= 0x41 && first <= 0x5A ? first | 0x20 : first)] { continue }
                let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                SearchTokenizer.forEachTerm(in: word) { if queryTerms.contains($0) { hits[w] = true } }
                anyHit = anyHit || hits[w]
            }
            guard anyHit else { return nil }
            // The window with the most hits (the earliest on ties).
            let size = min(windowSize, words.count)
            var count = hits[0..<size].filter { $0 }.count
            var best = (start: 0, count: count)
            if words.count > size {
                for start in 1...(words.count - size) {
                    if hits[start - 1] { count -= 1 }
                    if hits[start + size - 1] { count += 1 }
                    if count > best.count { best = (start, count) }
                }
            }
            var out = [UInt8]()
            out.reserveCapacity(words[best.start + size - 1].upperBound - words[best.start].lowerBound + 8 * best.count + 8)
            let ellipsis = Array("…".utf8), mark = (start: Array(Excerpt.markStart.utf8), end: Array(Excerpt.markEnd.utf8))
            if best.start > 0 { out += ellipsis }
            for i in best.start..<(best.start + size) {
                if i > best.start { out.append(0x20) }
                if hits[i] { out += mark.start }
                out += UnsafeBufferPointer(rebasing: bytes[words[i]])
                if hits[i] { out += mark.end }
            }
            if best.start + size < words.count { out += ellipsis }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
