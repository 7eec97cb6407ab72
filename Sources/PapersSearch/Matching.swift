import PapersCore

extension SearchEngine {
    /// The cosine a paper's vector must reach to match a keyword by meaning alone.
    public static let matchSimilarity: Float = 0.45

    /// Which of `papers` are about any of `queries`: a query matches a paper that holds all
    /// of its words (title, abstract or authors, with the search's tokenizer and stemmer), or,
    /// when the model and the paper's vector are there, whose vector is within
    /// `minimumSimilarity` of the query's. Digests narrow to subscribers' keywords with this,
    /// and saved-search alerts pick new papers with it.
    public func matching(_ papers: [Paper], anyOf queries: [String], minimumSimilarity: Float = matchSimilarity) -> Set<ArxivID> {
        let termSets: [Set<String>] = queries.map { query in
            var terms = Set<String>()
            SearchTokenizer.forEachTerm(in: query) { terms.insert($0) }  // stop words are left out
            return terms
        }.filter { !$0.isEmpty }
        guard !termSets.isEmpty else { return [] }
        let queryVectors: [[Float]] = embedder.map { embedder in
            index?.count == 0 ? [] : embedder.embed(queries)
        } ?? []
        var matched = Set<ArxivID>()
        for paper in papers {
            var words = Set<String>()
            for text in [paper.title, paper.abstract, paper.authors.joined(separator: " ")] {
                SearchTokenizer.forEachTerm(in: text) { words.insert($0) }
            }
            if termSets.contains(where: { $0.isSubset(of: words) }) {
                matched.insert(paper.id)
                continue
            }
            guard !queryVectors.isEmpty, let vector = index?.vector(of: paper.id) else { continue }
            for query in queryVectors {
                if VectorIndex.dot(query, vector) >= minimumSimilarity {
                    matched.insert(paper.id)
                    break
                }
            }
        }
        return matched
    }
}
