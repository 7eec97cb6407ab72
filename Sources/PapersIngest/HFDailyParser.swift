import Foundation
import PapersCore

/// A paper and, when the source featured it on a day, that entry.
public struct ParsedRecord: Sendable {
    public var paper: Paper
    public var featured: FeaturedEntry?
}

/// What parsing one document gave: the good records and the rejected ones.
public struct ParsedDocument: Sendable {
    public var records: [ParsedRecord] = []
    public var rejected: [IngestError] = []
}

/// Parses the body of Hugging Face's `GET /api/daily_papers?date=YYYY-MM-DD`.
public enum HFDailyParser {
    /// - Parameters:
    ///   - source: the file name or URL, for messages; a `YYYY-MM-DD` in its last path
    ///     component is the featured day.
    ///   - day: the featured day, when the caller knows it (a harvest asks for one day);
    ///     otherwise it is read from `source`.
    public static func parse(_ bytes: [UInt8], source: String, day: Day? = nil) throws -> ParsedDocument {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw IngestError(source, "not valid JSON (\(JSONErrorText.describe(error)))")
        }
        guard let items = json as? [Any] else {
            throw IngestError(source, "expected a list of daily-paper objects, found \(describeShape(json))")
        }
        if let firstString = items.first(where: { $0 is String }) as? String {
            let hint = firstString.hasPrefix("{'") ? " (Python dict reprs, not JSON objects)" : ""
            throw IngestError(source, "expected a list of objects, found a list of strings\(hint)")
        }
        let fileDay = day ?? dayInName(source)
        var document = ParsedDocument()
        for (index, item) in items.enumerated() {
            do {
                document.records.append(try record(item, fileDay: fileDay))
            } catch let error as FieldError {
                document.rejected.append(IngestError(source, error.message, at: "item \(index + 1)\(error.idSuffix)"))
            }
        }
        return document
    }

    struct FieldError: Error {
        var message: String
        var id: String?
        var idSuffix: String { id.map { " (\($0))" } ?? "" }
    }

    static func record(_ item: Any, fileDay: Day?) throws -> ParsedRecord {
        guard let item = item as? [String: Any] else {
            throw FieldError(message: "expected an object, found \(describeShape(item))")
        }
        guard let paper = item["paper"] as? [String: Any] else {
            throw FieldError(message: "no \"paper\" object")
        }
        guard let idText = paper["id"] as? String else { throw FieldError(message: "the paper has no id") }
        guard let (id, version) = ArxivID.parse(idText) else {
            throw FieldError(message: "\"\(idText)\" is not an arXiv id")
        }
        let title = ((paper["title"] as? String) ?? (item["title"] as? String) ?? "").collapsingWhitespace
        guard !title.isEmpty else { throw FieldError(message: "the paper has no title", id: id.rawValue) }
        let summary = ((paper["summary"] as? String) ?? (item["summary"] as? String) ?? "").collapsingWhitespace
        let authors = (paper["authors"] as? [Any] ?? []).compactMap { author -> String? in
            let name = ((author as? [String: Any])?["name"] as? String)?.collapsingWhitespace
            return name?.isEmpty == false ? name : nil
        }
        let published = (paper["publishedAt"] as? String).flatMap(Timestamp.parseISO8601)
        let submittedAt = (paper["submittedOnDailyAt"] as? String).flatMap(Timestamp.parseISO8601)
        let itemPublished = (item["publishedAt"] as? String).flatMap(Timestamp.parseISO8601)
        guard let day = fileDay ?? submittedAt.map(Day.init) ?? itemPublished.map(Day.init) else {
            throw FieldError(message: "no featured day: neither the file name nor the item has a date", id: id.rawValue)
        }
        let submitterObject = (item["submittedBy"] as? [String: Any]) ?? (paper["submittedOnDailyBy"] as? [String: Any])
        // The item's `submittedBy` names the user `name`; the paper's `submittedOnDailyBy`, `user`.
        let submitter = ((submitterObject?["user"] as? String) ?? (submitterObject?["name"] as? String)).map {
            HubUser(user: $0, fullname: submitterObject?["fullname"] as? String,
                    avatarURL: hubLink(submitterObject?["avatarUrl"] as? String))
        }
        let result = Paper(
            id: id, version: version, title: title, abstract: summary, authors: authors,
            publishedAt: published,
            githubRepo: WebLink.validated(nonEmpty(paper["githubRepo"])), githubStars: paper["githubStars"] as? Int,
            projectPage: WebLink.validated(nonEmpty(paper["projectPage"])),
            aiSummary: nonEmpty(paper["ai_summary"]),
            aiKeywords: (paper["ai_keywords"] as? [Any])?.compactMap { $0 as? String } ?? [])
        let entry = FeaturedEntry(
            paperID: id, day: day, featuredAt: submittedAt ?? itemPublished ?? day.start, submitter: submitter,
            importedUpvotes: paper["upvotes"] as? Int ?? 0, importedComments: item["numComments"] as? Int ?? 0)
        return ParsedRecord(paper: result, featured: entry)
    }

    /// Hugging Face gives some avatars as paths on its own site ("/avatars/…").
    static func hubLink(_ text: String?) -> WebLink? {
        guard let text else { return nil }
        if text.hasPrefix("/") && !text.hasPrefix("//") { return WebLink("https://huggingface.co" + text) }
        return WebLink(text)
    }

    private static func nonEmpty(_ value: Any?) -> String? {
        guard let s = (value as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
        return s
    }

    /// The `YYYY-MM-DD` a file is named after, if any.
    static func dayInName(_ source: String) -> Day? {
        let name = source.split(separator: "/").last.map(String.init) ?? source
        return name.count >= 10 ? Day(name.prefix(10)) : nil
    }
}

/// Describes a JSON value's shape for error messages: "an object with keys status, date, count, data".
func describeShape(_ value: Any) -> String {
    switch value {
    case let object as [String: Any]:
        let keys = object.keys.sorted().prefix(6).joined(separator: ", ")
        return object.isEmpty ? "an empty object" : "an object with keys \(keys)"
    case let list as [Any]:
        guard let first = list.first else { return "an empty list" }
        switch first {
        case is [String: Any]: return "a list of objects"
        case is [Any]: return "a list of lists"
        case is String: return "a list of strings"
        case is NSNumber: return "a list of numbers"
        default: return "a list of \(type(of: first))"
        }
    case is String: return "a string"
    case is NSNull: return "null"
    case is NSNumber: return "a number"
    default: return "\(type(of: value))"
    }
}

enum JSONErrorText {
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
