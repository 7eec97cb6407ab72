import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`, built from the
/// route table: each `SiteRoute.Endpoint` the API serves carries its `APIOperation` (what it
/// takes and every status it answers), and its path and method come from the endpoint itself,
/// so the document cannot name a route the server lacks. Any other method on a documented
/// path is answered 405 with `Allow`.
enum OpenAPIDocument {
    static func json(version: String) -> [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Daily Papers API",
                "version": version,
                "description": "Compatible with Hugging Face's daily-papers API: point huggingface_hub at this server with HF_ENDPOINT. Errors are JSON {\"error\": \"...\"}; any method a path does not list is answered 405 with an Allow header.",
            ] as [String: Any],
            "paths": paths,
            "components": ["schemas": schemas, "securitySchemes": [
                "apiToken": ["type": "http", "scheme": "bearer",
                             "description": "An API token made on the settings page (/settings), sent as Authorization: Bearer dp_..."],
            ]] as [String: Any],
        ]
    }

    static func data(version: String) -> Data {
        try! JSONSerialization.data(withJSONObject: json(version: version), options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The documented endpoints with their operations, in the route table's order.
    static var operations: [(endpoint: SiteRoute.Endpoint, operation: APIOperation)] {
        SiteRoute.Endpoint.allCases.compactMap { endpoint in endpoint.apiOperation.map { (endpoint, $0) } }
    }

    /// Paths in OpenAPI syntax (`{id}`), each with its methods.
    static var paths: [String: Any] {
        var paths = [String: [String: Any]]()
        for (endpoint, operation) in operations {
            paths[operation.path(of: endpoint), default: [:]][endpoint.method.rawValue.lowercased()] = operation.json
        }
        return paths
    }

    static var schemas: [String: Any] { [
        "Error": ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]] as [String: Any],
        "Vote": ["type": "object", "required": ["paper", "upvoted", "upvotes"], "properties": [
            "paper": ["type": "string"], "upvoted": ["type": "boolean"], "upvotes": ["type": "integer"],
        ]] as [String: Any],
        "Comment": ["type": "object", "required": ["id", "paper", "author", "text", "createdAt"], "properties": [
            "id": ["type": "integer"], "paper": ["type": "string"], "author": ["type": "string"],
            "text": ["type": "string", "description": "Plain text; escape it before showing it as HTML"],
            "createdAt": ["type": "string", "format": "date-time"],
        ]] as [String: Any],
        "Submission": ["type": "object", "required": ["paper", "day", "submitter"], "properties": [
            "paper": APISchema.ref("Paper"), "day": ["type": "string", "format": "date"], "submitter": ["type": "string"],
        ]] as [String: Any],
        "Author": ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"], "hidden": ["type": "boolean"]]] as [String: Any],
        "HubUser": ["type": "object", "required": ["user"], "properties": [
            "user": ["type": "string"], "name": ["type": "string"], "fullname": ["type": "string"],
            "avatarUrl": ["type": "string"], "type": ["type": "string"],
        ]] as [String: Any],
        "Paper": ["type": "object", "required": ["id", "authors", "title", "summary", "upvotes"], "properties": [
            "id": ["type": "string", "description": "arXiv id without version"],
            "authors": ["type": "array", "items": APISchema.ref("Author")],
            "publishedAt": ["type": "string", "format": "date-time", "description": "First arXiv version"],
            "title": ["type": "string"], "summary": ["type": "string", "description": "Abstract"],
            "upvotes": ["type": "integer"], "discussionId": ["type": "string"],
            "submittedOnDailyAt": ["type": "string", "format": "date-time"],
            "submittedOnDailyBy": APISchema.ref("HubUser"),
            "githubRepo": ["type": "string"], "githubStars": ["type": "integer"], "projectPage": ["type": "string"],
            "ai_summary": ["type": "string"], "ai_keywords": ["type": "array", "items": ["type": "string"]],
            "categories": ["type": "array", "items": ["type": "string"]],
            "version": ["type": "integer"], "numComments": ["type": "integer"],
        ] as [String: Any]] as [String: Any],
        "DailyItem": ["type": "object", "required": ["paper", "title", "summary", "numComments"], "properties": [
            "paper": APISchema.ref("Paper"), "title": ["type": "string"], "summary": ["type": "string"],
            "publishedAt": ["type": "string", "format": "date-time", "description": "When it was featured"],
            "numComments": ["type": "integer"], "submittedBy": APISchema.ref("HubUser"),
            "highlightedSummary": ["type": "string", "description": "Search only: escaped HTML excerpt with <mark>ed matches"],
        ] as [String: Any]] as [String: Any],
    ] }
}
