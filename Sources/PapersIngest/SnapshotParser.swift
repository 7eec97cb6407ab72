import Foundation
import PapersCore

/// Parses one line of the arXiv metadata snapshot (`arxiv-metadata-oai-snapshot.json`).
public struct SnapshotParser {
    private let decoder = JSONDecoder()

    public init() {}

    struct Line: Decodable {
        struct Version: Decodable { var version: String?; var created: String? }
        var id: String?
        var authors: String?
        var title: String?
        var comments: String?
        var journalRef: String?
        var doi: String?
        var categories: String?
        var abstract: String?
        var versions: [Version]?
        var updateDate: String?
        var authorsParsed: [[String]]?

        enum CodingKeys: String, CodingKey {
            case id, authors, title, comments, doi, categories, abstract, versions
            case journalRef = "journal-ref", updateDate = "update_date", authorsParsed = "authors_parsed"
        }
    }

    /// A record error names the id when the line has one.
    public struct RecordError: Error {
        public var id: String?
        public var reason: String
    }

    public func parse(_ line: [UInt8]) throws(RecordError) -> Paper {
        let record: Line
        do {
            record = try decoder.decode(Line.self, from: Data(line))
        } catch {
            throw RecordError(id: nil, reason: "not a JSON object of the snapshot schema (\(JSONErrorText.describe(error)))")
        }
        guard let idText = record.id, !idText.isEmpty else { throw RecordError(id: nil, reason: "the record has no id") }
        guard let (id, idVersion) = ArxivID.parse(idText) else {
            throw RecordError(id: idText, reason: "\"\(idText)\" is not an arXiv id")
        }
        let title = (record.title ?? "").collapsingWhitespace
        guard !title.isEmpty else { throw RecordError(id: id.rawValue, reason: "the record has no title") }
        let versions = record.versions ?? []
        let version = versions.compactMap { v in v.version.flatMap { Int($0.dropFirst()) } }.max() ?? idVersion
        let dates = versions.compactMap { $0.created.flatMap(Timestamp.parseRFC1123) }
        let updated = dates.max() ?? record.updateDate.flatMap(Timestamp.parseISO8601)
        let authors: [String]
        if let parsed = record.authorsParsed, !parsed.isEmpty {
            authors = parsed.map { parts in
                let last = parts.first ?? "", first = parts.count > 1 ? parts[1] : "", suffix = parts.count > 2 ? parts[2] : ""
                return [first, last, suffix].filter { !$0.isEmpty }.joined(separator: " ").collapsingWhitespace
            }.filter { !$0.isEmpty }
        } else {
            authors = AuthorList.split(record.authors ?? "")
        }
        return Paper(
            id: id, version: version, title: title, abstract: (record.abstract ?? "").collapsingWhitespace,
            authors: authors,
            categories: (record.categories ?? "").split(separator: " ").map(String.init),
            publishedAt: dates.min() ?? updated, updatedAt: updated,
            comments: record.comments?.collapsingWhitespace, journalRef: record.journalRef?.collapsingWhitespace,
            doi: record.doi)
    }
}

/// Splits an arXiv author string: `A. Author, B. Author and C. Author (1) ((1) Univ)`.
enum AuthorList {
    static func split(_ text: String) -> [String] {
        // Drop parenthesised affiliations, which may nest one level.
        var cleaned = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1; continue }
            if ch == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { cleaned.append(ch) }
        }
        let normalized = cleaned.collapsingWhitespace
            .replacingOccurrences(of: ", and ", with: ", ")
            .replacingOccurrences(of: " and ", with: ", ")
        return normalized.split(separator: ",").map { String($0).collapsingWhitespace }.filter { !$0.isEmpty }
    }
}
