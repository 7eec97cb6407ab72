import Foundation
import PapersCore

/// Parses responses of the arXiv Atom API (`export.arxiv.org/api/query`).
public enum AtomParser {
    public struct Feed: Sendable {
        public var document: ParsedDocument
        /// `opensearch:totalResults`, for paging through a search.
        public var totalResults: Int?
    }

    /// An error feed (HTTP 400 for a malformed id) is thrown as an `IngestError` carrying
    /// arXiv's own message; an empty result is an empty feed.
    public static func parse(_ data: Data, source: String) throws -> Feed {
        let root = try XMLNode.parse(data, source: source)
        guard root.name == "feed" else { throw IngestError(source, "expected an Atom <feed>, found <\(root.name)>") }
        var document = ParsedDocument()
        for (index, entry) in root.children("entry").enumerated() {
            let idText = entry.value("id") ?? ""
            if idText.contains("/api/errors") {
                throw IngestError(source, "arXiv API error: \(entry.value("summary") ?? idText)")
            }
            do {
                document.records.append(ParsedRecord(paper: try paper(entry), featured: nil))
            } catch let error as RecordProblem {
                document.rejected.append(IngestError(source, error.reason, at: "entry \(index + 1)\(error.idSuffix)"))
            }
        }
        return Feed(document: document, totalResults: root.value("totalResults").flatMap { Int($0) })
    }

    static func paper(_ entry: XMLNode) throws -> Paper {
        guard let idText = entry.value("id") else { throw RecordProblem(reason: "the entry has no id") }
        guard let (id, version) = ArxivID.parse(idText) else {
            throw RecordProblem(reason: "\"\(idText)\" is not an arXiv id")
        }
        let title = (entry.value("title") ?? "").collapsingWhitespace
        guard !title.isEmpty else { throw RecordProblem(reason: "the entry has no title", id: id.rawValue) }
        var categories = entry.children("category").compactMap { $0.attributes["term"] }
        if let primary = entry.child("primary_category")?.attributes["term"] {
            categories.removeAll { $0 == primary }
            categories.insert(primary, at: 0)
        }
        return Paper(
            id: id, version: version, title: title,
            abstract: (entry.value("summary") ?? "").collapsingWhitespace,
            authors: entry.children("author").compactMap { $0.value("name")?.collapsingWhitespace },
            categories: categories,
            publishedAt: entry.value("published").flatMap(Timestamp.parseISO8601),
            updatedAt: entry.value("updated").flatMap(Timestamp.parseISO8601),
            comments: entry.value("comment")?.collapsingWhitespace,
            journalRef: entry.value("journal_ref")?.collapsingWhitespace,
            doi: entry.value("doi"))
    }
}

/// Parses OAI-PMH responses (`ListRecords`, `GetRecord`) in the `arXiv` and `arXivRaw` formats.
public enum OAIParser {
    public struct Page: Sendable {
        public var document: ParsedDocument
        /// The token for the next page; nil or empty on the last one.
        public var resumptionToken: String?
        /// Records the repository marks deleted.
        public var deleted: Int
        /// The newest header datestamp on the page (`YYYY-MM-DD`), deleted records included.
        public var latestDatestamp: Day?
    }

    /// What a response says: a page of records, or an OAI-PMH `<error>`.
    public enum Response: Sendable {
        case page(Page)
        /// An OAI-PMH error with its code (`badResumptionToken`, `noRecordsMatch`, …) and message.
        case error(code: String, message: String)
    }

    /// An OAI-PMH `<error>` is thrown as an `IngestError` with its code, except
    /// `noRecordsMatch`, which is an empty page.
    public static func parse(_ data: Data, source: String) throws -> Page {
        switch try parseResponse(data, source: source) {
        case let .page(page):
            return page
        case let .error(code, _) where code == "noRecordsMatch":
            return Page(document: ParsedDocument(), resumptionToken: nil, deleted: 0)
        case let .error(code, message):
            throw IngestError(source, "OAI-PMH error \(code): \(message)")
        }
    }

    /// Parses a response without deciding what its errors mean (the harvester does).
    public static func parseResponse(_ data: Data, source: String) throws -> Response {
        let root = try XMLNode.parse(data, source: source)
        guard root.name == "OAI-PMH" else { throw IngestError(source, "expected an <OAI-PMH> response, found <\(root.name)>") }
        if let error = root.child("error") {
            return .error(code: error.attributes["code"] ?? "unknown", message: error.text.collapsingWhitespace)
        }
        guard let container = root.child("ListRecords") ?? root.child("GetRecord") else {
            throw IngestError(source, "an OAI-PMH response without ListRecords or GetRecord")
        }
        var document = ParsedDocument()
        var deleted = 0
        var latest: Day?
        for (index, record) in container.children("record").enumerated() {
            let header = record.child("header")
            if let stamp = header?.value("datestamp").flatMap({ Day(String($0.prefix(10))) }), latest.map({ stamp > $0 }) ?? true {
                latest = stamp
            }
            if header?.attributes["status"] == "deleted" { deleted += 1; continue }
            let identifier = header?.value("identifier")
            do {
                guard let metadata = record.child("metadata")?.children.first else {
                    throw RecordProblem(reason: "the record has no metadata")
                }
                let paper: Paper
                switch metadata.name {
                case "arXiv": paper = try arXivFormat(metadata)
                case "arXivRaw": paper = try arXivRawFormat(metadata)
                default: throw RecordProblem(reason: "unsupported metadata format <\(metadata.name)> (use arXiv or arXivRaw)")
                }
                document.records.append(ParsedRecord(paper: paper, featured: nil))
            } catch let problem as RecordProblem {
                let place = identifier.map { "record \($0)" } ?? "record \(index + 1)"
                document.rejected.append(IngestError(source, problem.reason, at: place))
            }
        }
        let token = container.value("resumptionToken")
        return .page(Page(document: document, resumptionToken: token, deleted: deleted, latestDatestamp: latest))
    }

    static func identify(_ node: XMLNode) throws -> (ArxivID, Int, String) {
        guard let idText = node.value("id") else { throw RecordProblem(reason: "the record has no id") }
        guard let (id, version) = ArxivID.parse(idText) else {
            throw RecordProblem(reason: "\"\(idText)\" is not an arXiv id")
        }
        let title = (node.value("title") ?? "").collapsingWhitespace
        guard !title.isEmpty else { throw RecordProblem(reason: "the record has no title", id: id.rawValue) }
        return (id, version, title)
    }

    static func arXivFormat(_ node: XMLNode) throws -> Paper {
        let (id, version, title) = try identify(node)
        let authors = node.child("authors")?.children("author").map { author in
            [author.value("forenames"), author.value("keyname"), author.value("suffix")]
                .compactMap { $0 }.joined(separator: " ").collapsingWhitespace
        }.filter { !$0.isEmpty } ?? []
        let created = node.value("created").flatMap(Timestamp.parseISO8601)
        let updated = node.value("updated").flatMap(Timestamp.parseISO8601)
        return Paper(
            id: id, version: version, title: title, abstract: (node.value("abstract") ?? "").collapsingWhitespace,
            authors: authors, categories: (node.value("categories") ?? "").split(separator: " ").map(String.init),
            publishedAt: created, updatedAt: updated ?? created,
            comments: node.value("comments")?.collapsingWhitespace,
            journalRef: node.value("journal-ref")?.collapsingWhitespace, doi: node.value("doi"))
    }

    static func arXivRawFormat(_ node: XMLNode) throws -> Paper {
        let (id, _, title) = try identify(node)
        var latest = 0
        var dates = [Date]()
        for v in node.children("version") {
            if let n = v.attributes["version"].flatMap({ Int($0.dropFirst()) }) { latest = max(latest, n) }
            if let d = v.value("date").flatMap(Timestamp.parseRFC1123) { dates.append(d) }
        }
        return Paper(
            id: id, version: latest, title: title, abstract: (node.value("abstract") ?? "").collapsingWhitespace,
            authors: AuthorList.split(node.value("authors") ?? ""),
            categories: (node.value("categories") ?? "").split(separator: " ").map(String.init),
            publishedAt: dates.min(), updatedAt: dates.max(),
            comments: node.value("comments")?.collapsingWhitespace,
            journalRef: node.value("journal-ref")?.collapsingWhitespace, doi: node.value("doi"))
    }
}

/// A problem with one record, named by the caller with the file and the record's place.
struct RecordProblem: Error {
    var reason: String
    var id: String?
    var idSuffix: String { id.map { " (\($0))" } ?? "" }
}
