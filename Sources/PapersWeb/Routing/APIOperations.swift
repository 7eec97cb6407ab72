import Foundation
import Hummingbird

/// What one endpoint of the API takes and answers, for the OpenAPI document. Every status
/// the handler can answer is listed; the parameters' schemas are exactly what
/// `RequestInput` accepts, so a request the document calls valid is never a 400.
struct APIOperation {
    var summary: String
    var operationID: String
    var parameters: [[String: Any]] = []
    var requestBody: [String: Any]?
    /// Needs an API token (`Authorization: Bearer`).
    var secured = false
    /// Answered from the response cache, with an `ETag`: a request whose `If-None-Match` names it gets a 304.
    var conditional = false
    var responses: [String: Any]
    /// Added to the endpoint's path: the Markdown form of a paper page is `/papers/{id}.md`.
    var pathSuffix = ""
    /// Reads the database, so it answers 503 (with `Retry-After`) while the database is away.
    var readsDatabase = true

    /// The endpoint's pattern in OpenAPI syntax (`:id` becomes `{id}`).
    func path(of endpoint: SiteRoute.Endpoint) -> String {
        endpoint.pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/") + pathSuffix
    }

    var json: [String: Any] {
        var responses = responses
        if readsDatabase, responses["503"] == nil {
            responses["503"] = ["description": "The database does not answer; try again after Retry-After seconds",
                                "headers": ["Retry-After": ["schema": ["type": "integer"]]],
                                "content": ["application/json": ["schema": APISchema.ref("Error")]]] as [String: Any]
        }
        if conditional {
            responses["304"] = ["description": "Not modified: the If-None-Match header names the current ETag",
                                "headers": ["ETag": ["schema": ["type": "string"]]]] as [String: Any]
        }
        var out: [String: Any] = ["summary": summary, "operationId": operationID, "responses": responses]
        if !parameters.isEmpty { out["parameters"] = parameters }
        if let requestBody { out["requestBody"] = requestBody }
        if secured { out["security"] = [["apiToken": [String]()]] }
        return out
    }
}

/// Schemas and responses the operations share.
enum APISchema {
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func json(_ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    static func error(_ description: String) -> [String: Any] { json(ref("Error"), description) }

    /// An error of a path outside `/api`: an HTML page, or JSON for a client that asks for it.
    static func pageError(_ description: String) -> [String: Any] {
        ["description": description, "content": [
            "text/html": ["schema": ["type": "string"]],
            "application/json": ["schema": ref("Error")],
        ] as [String: Any]]
    }

    static func query(_ name: String, _ description: String, _ schema: [String: Any], required: Bool = false) -> [String: Any] {
        ["name": name, "in": "query", "required": required, "description": description, "schema": schema]
    }

    /// A year as `Day`, `ISOWeek` and `YearMonth` take it: four digits, 0001 to 9999.
    static let year = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"

    /// A day, or empty (an HTML form's untouched field, the same as leaving it out).
    static var dayOrEmpty: [String: Any] { ["type": "string", "anyOf": [["format": "date"], ["maxLength": 0]] as [[String: Any]]] }

    /// An arXiv id in the path. Old-style ids (`hep-th/9901001`) work as well, with their slash.
    static var id: [String: Any] { [
        "name": "id", "in": "path", "required": true,
        "description": "arXiv id, e.g. 2405.15738, with or without a version (2405.15738v2); old-style ids such as hep-th/9901001 are taken too",
        "schema": ["type": "string", "pattern": "^[0-9]{2}(0[1-9]|1[0-2])\\.[0-9]{4,5}(v0*[1-9][0-9]{0,8})?$"],
    ] }

    static var badID: [String: Any] { error("Not an arXiv id") }
    static var noPaper: [String: Any] { error("No such paper") }
    static var unauthorized: [String: Any] { error("No valid API token") }
    static var forbidden: [String: Any] { error("Signed in by a session cookie without the CSRF token") }

    /// What `ArxivID.parse` takes: an id (new or old style) with an optional version, the
    /// prefixes people paste, `.pdf`, and white space around it.
    static let submittedID = "^\\s{0,40}(oai:arXiv\\.org:|https?://arxiv\\.org/(abs|pdf)/|ar[Xx]iv:)?"
        + "([0-9]{2}(0[1-9]|1[0-2])\\.[0-9]{4,5}|[A-Za-z][A-Za-z.-]{0,19}/[0-9]{7})(v0*[1-9][0-9]{0,8})?(\\.pdf)?\\s{0,40}$"

    /// The words to search for: up to 500 characters, at least one not blank.
    static var q: [String: Any] { ["type": "string", "minLength": 1, "maxLength": 500, "pattern": "[^\\t\\n\\u000b\\f\\r ]"] }


    static func rss(_ description: String) -> [String: Any] {
        ["description": description, "content": ["application/rss+xml": ["schema": ["type": "string"]]]]
    }

    /// `q`, `mode`, `from`, `to` and `category`, as `RequestInput.search` takes them.
    static var search: [[String: Any]] { [
        query("q", "Words; \"quoted phrases\"", q, required: true),
        query("mode", "hybrid (default: keyword and semantic rankings fused), keyword (BM25) or semantic (vectors); without a model every mode is keyword. Empty is the default",
              ["type": "string", "enum": ["hybrid", "keyword", "semantic", ""]]),
        query("from", "Earliest arXiv publication day, YYYY-MM-DD (empty: no limit)", dayOrEmpty),
        query("to", "Latest arXiv publication day, YYYY-MM-DD (empty: no limit)", dayOrEmpty),
        query("category", "arXiv category, e.g. cs.CL (empty: any)", ["type": "string", "pattern": "^[A-Za-z0-9.-]{0,40}$"]),
        query("author", "One author's papers only, e.g. Yejin Choi; case, accents and punctuation do not matter (empty: anyone)",
              ["type": "string", "maxLength": 200]),
    ] }
}

extension SiteRoute.Endpoint {
    /// The endpoint as the API document describes it; nil for the pages people use in a browser.
    var apiOperation: APIOperation? {
        typealias S = APISchema
        switch self {
        case .apiDailyPapers:
            return APIOperation(
                summary: "Papers featured on a day, week or month (or the most recent ones)", operationID: "listDailyPapers",
                parameters: [
                    // date, week and month exclude each other: one exploded object of at most one of them.
                    ["name": "period", "in": "query", "required": false, "style": "form", "explode": true,
                     "description": "At most one of date (YYYY-MM-DD), week (ISO week, YYYY-Www; week 53 too in the years that have one) and month (YYYY-MM)",
                     "schema": ["type": "object", "maxProperties": 1, "additionalProperties": false, "properties": [
                        "date": ["type": "string", "format": "date"],
                        "week": ["type": "string", "pattern": "^\(S.year)-[Ww]?(0?[1-9]|[1-4][0-9]|5[0-2])$"],
                        "month": ["type": "string", "pattern": "^\(S.year)-(0[1-9]|1[0-2])$"],
                     ] as [String: Any]] as [String: Any]] as [String: Any],
                    S.query("submitter", "User name of the submitter (empty: anyone)", ["type": "string"]),
                    S.query("sort", "Order: upvotes (default for a date, week or month), publishedAt (newest first; default otherwise) or trending",
                            ["type": "string", "enum": ["upvotes", "publishedAt", "trending"]]),
                    S.query("p", "Page, from 0", ["type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0]),
                    S.query("limit", "Items per page", ["type": "integer", "minimum": 1, "maximum": 100, "default": 50]),
                ],
                conditional: true, responses: ["200": S.json(["type": "array", "items": S.ref("DailyItem")], "Featured papers; [] past the last page"),
                            "400": S.error("A parameter is not valid; the message names it")])
        case .apiSearch:
            return APIOperation(
                summary: "Search papers by keyword, meaning or both; an arXiv id or link is that paper, an author's name puts the author's papers first, and misspelled words are corrected when nothing has them", operationID: "searchPapers",
                parameters: S.search + [
                    S.query("limit", "Items", ["type": "integer", "minimum": 1, "maximum": 120, "default": 50]),
                    S.query("p", "Page, from 0", ["type": "integer", "minimum": 0, "maximum": 10_000, "default": 0]),
                ],
                conditional: true, responses: ["200": S.json(["type": "array", "items": S.ref("DailyItem")], "Matches, best first"),
                            "400": S.error("A parameter is not valid; the message names it")])
        case .apiPaper:
            return APIOperation(summary: "One paper", operationID: "getPaper", parameters: [S.id],
                                conditional: true, responses: ["200": S.json(S.ref("Paper"), "The paper"), "400": S.badID, "404": S.noPaper])
        case .apiSimilar:
            return APIOperation(
                summary: "Nearest papers by meaning (all-MiniLM-L6-v2 vectors)", operationID: "similarPapers",
                parameters: [S.id, S.query("limit", "Items", ["type": "integer", "minimum": 1, "maximum": 50, "default": 6])],
                conditional: true, responses: ["200": S.json(["type": "array", "items": S.ref("DailyItem")], "Most similar first"),
                            "400": S.error("Not an arXiv id, or limit out of range"), "404": S.noPaper,
                            "503": S.error("No embedding model on this server, or the paper has no vector yet")])
        case .apiVote:
            return APIOperation(
                summary: "Upvote or un-upvote a paper as the token's owner (toggles without a body)", operationID: "votePaper",
                parameters: [S.id],
                requestBody: ["required": false, "content": ["application/json": ["schema": [
                    "type": "object", "properties": ["upvoted": ["type": "boolean", "description": "true to upvote, false to remove the upvote"]],
                ]]]] as [String: Any],
                secured: true,
                responses: ["200": S.json(S.ref("Vote"), "The vote and the paper's upvotes"), "400": S.error("Not an arXiv id, or a body that is not {\"upvoted\": true|false}"),
                            "401": S.unauthorized, "403": S.forbidden, "404": S.noPaper])
        case .apiComments:
            return APIOperation(summary: "A paper's comments, oldest first (hidden ones left out)", operationID: "listComments",
                                parameters: [S.id],
                                responses: ["200": S.json(["type": "array", "items": S.ref("Comment")], "Comments"), "400": S.badID, "404": S.noPaper])
        case .apiPostComment:
            return APIOperation(
                summary: "Comment on a paper as the token's owner", operationID: "postComment", parameters: [S.id],
                requestBody: ["required": true, "content": ["application/json": ["schema": [
                    "type": "object", "required": ["text"],
                    "properties": ["text": ["type": "string", "minLength": 1, "maxLength": 5000, "description": "Plain text"]],
                ]]]] as [String: Any],
                secured: true,
                responses: ["201": S.json(S.ref("Comment"), "The comment"), "400": S.error("Not an arXiv id, or a body that is not {\"text\": \"...\"}"),
                            "401": S.unauthorized, "403": S.forbidden, "404": S.noPaper,
                            "422": S.error("Empty or longer than 5,000 characters"),
                            "429": S.error("Too many comments; see Retry-After")])
        case .apiSubmit:
            return APIOperation(
                summary: "Submit a paper to today's page as the token's owner; unknown papers are looked up on arXiv", operationID: "submitPaper",
                requestBody: ["required": true, "content": ["application/json": ["schema": [
                    "type": "object", "required": ["id"],
                    "properties": ["id": ["type": "string", "pattern": S.submittedID,
                                          "description": "arXiv id or abs/pdf link, e.g. 2405.15738, arXiv:2405.15738v2, https://arxiv.org/abs/2405.15738 or hep-th/9901001"]],
                ]]]] as [String: Any],
                secured: true,
                responses: ["201": S.json(S.ref("Submission"), "Featured today"), "400": S.error("A body that is not {\"id\": \"...\"}"),
                            "401": S.unauthorized, "403": S.forbidden,
                            "409": S.error("Already on today's page"),
                            "422": S.error("Not an arXiv id, or arXiv has no such paper"),
                            "502": S.error("arXiv could not be reached")])
        case .paper:
            return APIOperation(
                summary: "One paper as Markdown (huggingface_hub's read_paper)", operationID: "readPaper", parameters: [S.id],
                responses: ["200": ["description": "Markdown", "content": ["text/markdown": ["schema": ["type": "string"]]]] as [String: Any],
                            "404": S.pageError("Not an arXiv id, or no such paper")],
                pathSuffix: ".md")
        case .feedDaily:
            return APIOperation(summary: "RSS 2.0 feed of the latest daily page", operationID: "feedDaily", conditional: true, responses: ["200": S.rss("RSS 2.0")])
        case .feedTrending:
            return APIOperation(summary: "RSS 2.0 feed of the trending list", operationID: "feedTrending", conditional: true, responses: ["200": S.rss("RSS 2.0")])
        case .feedSearch:
            return APIOperation(summary: "RSS 2.0 feed of a search (its first 50 matches)", operationID: "feedSearch", parameters: S.search,
                                conditional: true, responses: ["200": S.rss("RSS 2.0"), "400": S.pageError("A parameter is not valid; the message names it")])
        case .feedCategory:
            return APIOperation(summary: "RSS 2.0 feed of an arXiv category's newest 50 papers", operationID: "feedCategory",
                                parameters: [S.query("category", "arXiv category, e.g. cs.CL", ["type": "string", "pattern": "^[A-Za-z0-9.-]{1,40}$"], required: true)],
                                conditional: true, responses: ["200": S.rss("RSS 2.0"), "400": S.pageError("No category, or not one such as cs.CL")])
        case .feedAuthor:
            return APIOperation(summary: "RSS 2.0 feed of an author's newest 50 papers", operationID: "feedAuthor",
                                parameters: [S.query("name", "The author's name, e.g. Yejin Choi (case, accents and punctuation do not matter)",
                                                     ["type": "string", "minLength": 1, "maxLength": 200, "pattern": "[^\\t\\n\\u000b\\f\\r ]"], required: true)],
                                conditional: true, responses: ["200": S.rss("RSS 2.0"), "400": S.pageError("No name, or a blank one")])
        case .openAPI:
            return APIOperation(summary: "This document", operationID: "openAPI",
                                responses: ["200": S.json(["type": "object"], "OpenAPI 3.1 document")], readsDatabase: false)
        case .health:
            return APIOperation(
                summary: "Liveness and database check, with the harvesters' last and next runs", operationID: "health",
                responses: ["200": S.json(["type": "object", "required": ["status", "papers"], "properties": [
                                "status": ["type": "string"], "papers": ["type": "integer"], "harvest": ["type": "object"],
                            ] as [String: Any]], "Healthy"),
                            "503": S.error("The database does not answer")])
        case .metrics:
            return APIOperation(
                summary: "Prometheus metrics: requests by route, search, mail, embedding and harvest", operationID: "metrics",
                responses: ["200": ["description": "Prometheus text format", "content": ["text/plain": ["schema": ["type": "string"]]]] as [String: Any]],
                readsDatabase: false)
        default:
            return nil
        }
    }
}
