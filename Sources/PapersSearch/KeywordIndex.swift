import Foundation
import PapersCore
import PapersStore
import Synchronization

/// An in-memory BM25 index: the keyword half of hybrid search.
///
/// SQLite's FTS5 ranks every matching row with `bm25()`, which costs tens to hundreds of
/// milliseconds when a query has common words ("language model" matches most of a CS
/// corpus). Here postings are scored into a dense array of per-paper scores, which takes about
/// a millisecond for the same query. Fields are weighted like the FTS5 ranking (title 10,
/// authors 3, abstract 1) in one BM25F-style term frequency. Words are lower-cased, accents
/// folded and plurals reduced (the S-stemmer); the keyword mode's excerpts still come from FTS5.
public final class KeywordIndex: Sendable {
    public static let k1: Float = 1.2
    public static let b: Float = 0.75
    static let titleWeight: Float = 10, authorWeight: Float = 3, abstractWeight: Float = 1

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
    }

    struct Postings { var docs: [Int32] = []; var tfs: [Float] = [] }

    struct Storage {
        var ids: [ArxivID] = []
        var rows: [ArxivID: Int] = [:]
        var live: [Bool] = []
        var lengths: [Float] = []
        var totalLength: Double = 0
        var liveCount = 0
        var published: [Date?] = []
        var categories: [[String]] = []
        var postings: [String: Postings] = [:]
    }

    private let storage = Mutex(Storage())

    public init() {}

    public var count: Int { storage.withLock { $0.liveCount } }

    /// Adds documents; a document already in the index is replaced.
    public func add(_ documents: [Document]) {
        // Tokenise outside the lock.
        let prepared = documents.map { doc -> (Document, [String: Float], Float) in
            var tf = [String: Float]()
            var length: Float = 0
            for (text, weight) in [(doc.title, Self.titleWeight), (doc.authors.joined(separator: " "), Self.authorWeight),
                                   (doc.abstract, Self.abstractWeight)] {
                SearchTokenizer.forEachTerm(in: text) { term in
                    tf[term, default: 0] += weight
                    length += weight
                }
            }
            return (doc, tf, length)
        }
        storage.withLock { s in
            for (doc, tf, length) in prepared {
                if let old = s.rows[doc.id], s.live[old] {
                    s.live[old] = false
                    s.liveCount -= 1
                    s.totalLength -= Double(s.lengths[old])
                }
                let row = s.ids.count
                s.ids.append(doc.id)
                s.rows[doc.id] = row
                s.live.append(true)
                s.lengths.append(length)
                s.totalLength += Double(length)
                s.liveCount += 1
                s.published.append(doc.publishedAt)
                s.categories.append(doc.categories)
                for (term, f) in tf {
                    s.postings[term, default: Postings()].docs.append(Int32(row))
                    s.postings[term, default: Postings()].tfs.append(f)
                }
            }
        }
    }

    /// The best `k` papers for the query's terms by BM25, passing the filter.
    public func search(_ query: String, k: Int, filter: SearchFilter = SearchFilter()) -> [ArxivID] {
        var terms = [String]()
        SearchTokenizer.forEachTerm(in: query) { terms.append($0) }
        let meaningful = terms.filter { !SearchTokenizer.stopWords.contains($0) }
        var seen = Set<String>()
        let queryTerms = (meaningful.isEmpty ? terms : meaningful).filter { seen.insert($0).inserted }
        guard !queryTerms.isEmpty, k > 0 else { return [] }
        return storage.withLock { s in
            let n = s.ids.count
            guard s.liveCount > 0 else { return [] }
            let averageLength = Float(s.totalLength / Double(s.liveCount))
            var scores = [Float](repeating: 0, count: n)
            var touched = [Int32]()
            for term in queryTerms {
                guard let list = s.postings[term] else { continue }
                let df = Float(list.docs.count)
                let idf = log(1 + (Float(s.liveCount) - df + 0.5) / (df + 0.5))
                list.docs.withUnsafeBufferPointer { docs in
                    list.tfs.withUnsafeBufferPointer { tfs in
                        for i in 0..<docs.count {
                            let row = Int(docs[i])
                            let tf = tfs[i]
                            let norm = Self.k1 * (1 - Self.b + Self.b * s.lengths[row] / averageLength)
                            if scores[row] == 0 { touched.append(docs[i]) }
                            scores[row] += idf * tf * (Self.k1 + 1) / (tf + norm)
                        }
                    }
                }
            }
            var best = [(Float, Int)]()
            best.reserveCapacity(k)
            for row32 in touched {
                let row = Int(row32)
                guard s.live[row] else { continue }
                let score = scores[row]
                if best.count == k, score <= best[best.count - 1].0 { continue }
                if !filter.isEmpty, !filter.admits(published: s.published[row], categories: s.categories[row]) { continue }
                // Insertion into a small sorted list: k is at most a few hundred.
                var i = best.count
                if best.count < k { best.append((score, row)) } else { i = best.count - 1; best[i] = (score, row) }
                while i > 0, best[i - 1].0 < best[i].0 || (best[i - 1].0 == best[i].0 && s.ids[best[i - 1].1] > s.ids[best[i].1]) {
                    best.swapAt(i - 1, i)
                    i -= 1
                }
            }
            return best.map { s.ids[$0.1] }
        }
    }
}

/// Words for the in-memory index: letters and digits, lower-cased, accents folded, plurals
/// reduced with Harman's S-stemmer ("networks" → "network", "studies" → "study").
enum SearchTokenizer {
    /// The same common English words the full-text query drops.
    static var stopWords: Set<String> { FTSQuery.stopWords }

    static func forEachTerm(in text: String, _ body: (String) -> Void) {
        var word = [UInt8]()
        var nonASCII = false
        func flush() {
            guard !word.isEmpty else { return }
            var term = String(decoding: word, as: UTF8.self)
            if nonASCII { term = term.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil) }
            body(stem(term))
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

    /// Harman's S-stemmer.
    static func stem(_ w: String) -> String {
        guard w.count > 3 else { return w }
        if w.hasSuffix("ies"), !w.hasSuffix("eies"), !w.hasSuffix("aies") { return String(w.dropLast(3)) + "y" }
        if w.hasSuffix("es"), !w.hasSuffix("aes"), !w.hasSuffix("ees"), !w.hasSuffix("oes") { return String(w.dropLast(1)) }
        if w.hasSuffix("s"), !w.hasSuffix("us"), !w.hasSuffix("ss") { return String(w.dropLast(1)) }
        return w
    }
}

/// Excerpts for hybrid results, made in memory: the window of the abstract with the most
/// query words, those words wrapped in `Excerpt.markStart`/`markEnd`, as FTS5's `snippet()`
/// does for the keyword mode (asking FTS5 for a snippet costs a full-text match per paper).
public enum Highlighter {
    public static func excerpt(_ text: String, matching query: String, words windowSize: Int = 40) -> String? {
        var queryTerms = Set<String>()
        SearchTokenizer.forEachTerm(in: query) { queryTerms.insert($0) }
        queryTerms.subtract(SearchTokenizer.stopWords)
        guard !queryTerms.isEmpty else { return nil }
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !words.isEmpty else { return nil }
        // Most words start with a letter no query word starts with: skip those without
        // normalising them (accented initials take the full path).
        let initials = Set(queryTerms.compactMap { $0.utf8.first })
        let hits = words.map { word -> Bool in
            if let first = word.utf8.first(where: { $0 >= 0x80 || ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || ($0 >= 0x30 && $0 <= 0x39) }),
               first < 0x80, !initials.contains(first >= 0x41 && first <= 0x5A ? first | 0x20 : first) {
                return false
            }
            var hit = false
            SearchTokenizer.forEachTerm(in: String(word)) { if queryTerms.contains($0) { hit = true } }
            return hit
        }
        guard hits.contains(true) else { return nil }
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
        var out = best.start > 0 ? "…" : ""
        for i in best.start..<(best.start + size) {
            if i > best.start { out += " " }
            out += hits[i] ? Excerpt.markStart + words[i] + Excerpt.markEnd : String(words[i])
        }
        if best.start + size < words.count { out += "…" }
        return out
    }
}
