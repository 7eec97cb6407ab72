import Foundation
import Hummingbird
import PapersCore
import PapersSearch

/// Query strings, form bodies, JSON bodies and path parameters, parsed in one place; each
/// failure is a 400 (or the form's own message) naming the parameter.
enum RequestInput {
    static func query(_ request: Request) -> FormFields { FormFields(request.uri.query ?? "") }

    /// The form fields of a request's body (collected; at most 256 KiB).
    static func form(_ request: Request) async throws -> FormFields {
        var request = request
        let body = try await request.collectBody(upTo: CSRFMiddleware.maximumFormBytes)
        return FormFields(String(buffer: body))
    }

    /// A JSON body, or a 400 showing what it should look like.
    static func json<T: Decodable>(_ type: T.Type, _ request: Request, example: String, maximumBytes: Int = 64 * 1024) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: maximumBytes)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw WebError.badRequest("the body must be JSON like \(example)")
        }
    }

    /// The arXiv id of a paper route, as sent: `:id`, or `:id/:number` for old-style ids.
    static func paperIDText(_ context: some RequestContext) -> String {
        let id = context.parameters.get("id") ?? ""
        guard let number = context.parameters.get("number") else { return id }
        return "\(id)/\(number)"
    }

    /// The arXiv id of a paper route; a malformed one is a 400.
    static func paperID(_ context: some RequestContext) throws -> ArxivID {
        let text = paperIDText(context)
        guard let id = ArxivID(text) else { throw WebError.badRequest("\"\(text)\" is not an arXiv id") }
        return id
    }

    /// A path parameter, as text (percent-decoded).
    static func parameter(_ context: some RequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.contains("%") ? raw.removingPercentEncoding ?? raw : raw
    }

    /// An arXiv category (`cs.CL`, `hep-th`): letters, digits, dots and hyphens, at most 40.
    static func category(_ text: String, _ name: String = "category") throws -> String {
        guard !text.isEmpty, text.utf8.count <= 40, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
            throw WebError.badRequest("\(name) \"\(text)\" is not an arXiv category such as cs.CL")
        }
        return text
    }

    /// An author's name as a page or feed takes it: not blank, at most 200 characters.
    static func authorName(_ text: String, _ name: String = "name") throws -> String {
        let trimmed = text.trimmingCharacters(in: blank)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 200 else {
            throw WebError.badRequest("\(name) must be an author's name of 1 to 200 characters")
        }
        return trimmed
    }

    /// A local path to go back to after a form: only paths on this site.
    static func safeNext(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.count <= 500,
              !text.unicodeScalars.contains(where: { $0 == "\\" || $0.value < 32 || $0.value == 127 }) else { return nil }
        return text
    }

    static func sort(_ request: Request) throws -> FeedSort {
        guard let text = query(request)["sort"] else { return .upvotes }
        guard let sort = FeedSort(rawValue: String(text)) else {
            throw WebError.badRequest("Sort \"\(text)\" is not one of upvotes, trending, newest.")
        }
        return sort
    }

    static func int(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = query(request)[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw WebError.badRequest("\(name) \"\(text)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// Tab, line feed, vertical tab, form feed, carriage return and space.
    static let blank = CharacterSet(charactersIn: "\t\n\u{0B}\u{0C}\r ")

    /// q, mode, from, to, category and page; nil when q is blank and not required.
    static func search(_ request: Request, required: Bool) throws -> SearchParameters? {
        let params = query(request)
        let sent = params["q"] ?? ""
        // Blank means ASCII white space only, as the API document's pattern says.
        let q = sent.trimmingCharacters(in: Self.blank)
        guard !q.isEmpty else {
            if required { throw WebError.badRequest("q is required: the words to search for") }
            return nil
        }
        guard sent.unicodeScalars.count <= 500 else { throw WebError.badRequest("q is longer than 500 characters") }
        var parameters = SearchParameters(query: q)
        if let mode = params["mode"], !mode.isEmpty {
            guard let parsed = SearchMode(rawValue: mode) else {
                throw WebError.badRequest("mode \"\(mode)\" is not one of hybrid, keyword, semantic")
            }
            parameters.mode = parsed
        }
        for name in ["from", "to"] {
            guard let text = params[name], !text.isEmpty else { continue }
            guard let day = Day(text) else { throw WebError.badRequest("\(name) \"\(text)\" is not a valid date (YYYY-MM-DD)") }
            if name == "from" { parameters.filter.from = day } else { parameters.filter.to = day }
        }
        if let category = params["category"], !category.isEmpty {
            parameters.filter.category = try Self.category(category)
        }
        if let author = params["author"], !author.isEmpty {
            guard author.unicodeScalars.count <= 200 else { throw WebError.badRequest("author is longer than 200 characters") }
            parameters.filter.author = author
        }
        parameters.page = try int(request, "page", default: 1, range: 1...10_000)
        return parameters
    }

    /// The period `date`, `week` or `month` names (at most one), as the API takes it.
    static func period(_ request: Request) throws -> ClosedRange<Day>? {
        let params = query(request)
        let date = params["date"], week = params["week"], month = params["month"]
        guard [date, week, month].compactMap({ $0 }).count <= 1 else {
            throw WebError.badRequest("give at most one of date, week and month")
        }
        if let date {
            guard let day = Day(date) else { throw WebError.badRequest("date \"\(date)\" is not a valid date (YYYY-MM-DD)") }
            return day...day
        } else if let week {
            guard let w = ISOWeek(week) else { throw WebError.badRequest("week \"\(week)\" is not a valid ISO week (YYYY-Www)") }
            return w.firstDay...w.lastDay
        } else if let month {
            guard let m = YearMonth(month) else { throw WebError.badRequest("month \"\(month)\" is not a valid month (YYYY-MM)") }
            return m.firstDay...m.lastDay
        }
        return nil
    }
}

/// Fields of an `application/x-www-form-urlencoded` body or a query string as browsers send
/// them: `+` is a space, `%XX` a byte (Hummingbird's own decoding keeps `+`); the first of
/// repeated names wins.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0]), value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[key] == nil { values[key] = value }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    static func decode(_ s: Substring) -> String {
        let plusDecoded = s.replacingOccurrences(of: "+", with: " ")
        return plusDecoded.removingPercentEncoding ?? plusDecoded
    }
}
