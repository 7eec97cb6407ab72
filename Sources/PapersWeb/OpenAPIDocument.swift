import Foundation

/// The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
/// `OpenAPIDocument.paths` is checked against the router's patterns in the tests.
enum OpenAPIDocument {
    static func json(version: String) -> [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Daily Papers API",
                "version": version,
                "description": "Compatible with Hugging Face's daily-papers API: point huggingface_hub at this server with HF_ENDPOINT. Errors are JSON {\"error\": \"...\"}.",
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

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func query(_ name: String, _ description: String, _ schema: [String: Any]) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "description": description, "schema": schema]
    }

    static func json(_ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    static var error400: [String: Any] { json(ref("Error"), "Invalid parameter; the message names it") }
    static var error404: [String: Any] { json(ref("Error"), "No such paper") }
    static var idParameter: [String: Any] { [
        "name": "id", "in": "path", "required": true, "description": "arXiv id, e.g. 2405.15738",
        "schema": ["type": "string"],
    ] }

    /// Paths in OpenAPI syntax (`{id}`); the keys are checked against the router.
    static var paths: [String: Any] { [
        "/api/daily_papers": ["get": [
            "summary": "Papers featured on a day, week or month (or the most recent ones)",
            "operationId": "listDailyPapers",
            "parameters": [
                query("date", "Day, YYYY-MM-DD", ["type": "string", "format": "date"]),
                query("week", "ISO week, YYYY-Www", ["type": "string", "pattern": "^[0-9]{4}-W?[0-9]{1,2}$"]),
                query("month", "Month, YYYY-MM", ["type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"]),
                query("submitter", "User name of the submitter", ["type": "string"]),
                query("sort", "Order: upvotes (default for a date, week or month), publishedAt (newest first; default otherwise) or trending",
                      ["type": "string", "enum": ["upvotes", "publishedAt", "trending"]]),
                query("p", "Page, from 0", ["type": "integer", "minimum": 0, "default": 0]),
                query("limit", "Items per page", ["type": "integer", "minimum": 1, "maximum": 100, "default": 50]),
            ],
            "responses": ["200": json(["type": "array", "items": ref("DailyItem")], "Featured papers; [] past the last page"),
                          "400": error400],
        ] as [String: Any]],
        "/api/papers/search": ["get": [
            "summary": "Search papers by keyword, meaning or both",
            "operationId": "searchPapers",
            "parameters": [
                ["name": "q", "in": "query", "required": true, "description": "Words; \"quoted phrases\"", "schema": ["type": "string", "maxLength": 500]] as [String: Any],
                query("mode", "hybrid (default: keyword and semantic rankings fused), keyword (BM25) or semantic (vectors); without a model every mode is keyword",
                      ["type": "string", "enum": ["hybrid", "keyword", "semantic"]]),
                query("from", "Earliest arXiv publication day, YYYY-MM-DD", ["type": "string", "format": "date"]),
                query("to", "Latest arXiv publication day, YYYY-MM-DD", ["type": "string", "format": "date"]),
                query("category", "arXiv category, e.g. cs.CL", ["type": "string"]),
                query("limit", "Items", ["type": "integer", "minimum": 1, "maximum": 100, "default": 50]),
                query("p", "Page, from 0", ["type": "integer", "minimum": 0, "default": 0]),
            ],
            "responses": ["200": json(["type": "array", "items": ref("DailyItem")], "Matches, best first"), "400": error400],
        ] as [String: Any]],
        "/api/papers/{id}": ["get": [
            "summary": "One paper",
            "operationId": "getPaper",
            "parameters": [idParameter],
            "responses": ["200": json(ref("Paper"), "The paper"), "400": error400, "404": error404],
        ] as [String: Any]],
        "/api/papers/{id}/similar": ["get": [
            "summary": "Nearest papers by meaning (all-MiniLM-L6-v2 vectors)",
            "operationId": "similarPapers",
            "parameters": [idParameter, query("limit", "Items", ["type": "integer", "minimum": 1, "maximum": 50, "default": 6])],
            "responses": ["200": json(["type": "array", "items": ref("DailyItem")], "Most similar first"),
                          "400": error400, "404": error404,
                          "503": json(ref("Error"), "No embedding model, or the paper has no vector yet")],
        ] as [String: Any]],
        "/api/papers/{id}/vote": ["post": [
            "summary": "Upvote or un-upvote a paper as the token's owner (toggles without a body)",
            "operationId": "votePaper",
            "security": [["apiToken": []]],
            "parameters": [idParameter],
            "requestBody": ["required": false, "content": ["application/json": ["schema": [
                "type": "object", "properties": ["upvoted": ["type": "boolean", "description": "true to upvote, false to remove the upvote"]],
            ]]]] as [String: Any],
            "responses": ["200": json(ref("Vote"), "The vote and the paper's upvotes"), "400": error400,
                          "401": json(ref("Error"), "No valid API token"), "404": error404],
        ] as [String: Any]],
        "/api/papers/{id}/comments": [
            "get": [
                "summary": "A paper's comments, oldest first (hidden ones left out)",
                "operationId": "listComments",
                "parameters": [idParameter],
                "responses": ["200": json(["type": "array", "items": ref("Comment")], "Comments"), "400": error400, "404": error404],
            ] as [String: Any],
            "post": [
                "summary": "Comment on a paper as the token's owner",
                "operationId": "postComment",
                "security": [["apiToken": []]],
                "parameters": [idParameter],
                "requestBody": ["required": true, "content": ["application/json": ["schema": [
                    "type": "object", "required": ["text"],
                    "properties": ["text": ["type": "string", "minLength": 1, "maxLength": 5000, "description": "Plain text"]],
                ]]]] as [String: Any],
                "responses": ["201": json(ref("Comment"), "The comment"), "400": error400,
                              "401": json(ref("Error"), "No valid API token"), "404": error404,
                              "422": json(ref("Error"), "Empty or longer than 5,000 characters"),
                              "429": json(ref("Error"), "Too many comments; see Retry-After")],
            ] as [String: Any],
        ],
        "/api/submit": ["post": [
            "summary": "Submit a paper to today's page as the token's owner; unknown papers are looked up on arXiv",
            "operationId": "submitPaper",
            "security": [["apiToken": []]],
            "requestBody": ["required": true, "content": ["application/json": ["schema": [
                "type": "object", "required": ["id"],
                "properties": ["id": ["type": "string", "description": "arXiv id or abs/pdf link, e.g. 2405.15738"]],
            ]]]] as [String: Any],
            "responses": ["201": json(ref("Submission"), "Featured today"), "400": error400,
                          "401": json(ref("Error"), "No valid API token"),
                          "409": json(ref("Error"), "Already on today's page"),
                          "422": json(ref("Error"), "Not an arXiv id, or arXiv has no such paper"),
                          "502": json(ref("Error"), "arXiv could not be reached")],
        ] as [String: Any]],
        "/papers/{id}.md": ["get": [
            "summary": "One paper as Markdown (huggingface_hub's read_paper)",
            "operationId": "readPaper",
            "parameters": [idParameter],
            "responses": ["200": ["description": "Markdown", "content": ["text/markdown": ["schema": ["type": "string"]]]] as [String: Any],
                          "404": ["description": "No such paper", "content": ["text/html": ["schema": ["type": "string"]]]] as [String: Any]],
        ] as [String: Any]],
        "/feeds/daily.xml": ["get": feed("RSS 2.0 feed of the latest daily page")],
        "/feeds/trending.xml": ["get": feed("RSS 2.0 feed of the trending list")],
        "/feeds/search.xml": ["get": feed("RSS 2.0 feed of a keyword search", parameters: [
            ["name": "q", "in": "query", "required": true, "schema": ["type": "string"]] as [String: Any],
        ])],
        "/api/openapi.json": ["get": [
            "summary": "This document", "operationId": "openAPI",
            "responses": ["200": ["description": "OpenAPI 3.1 document", "content": ["application/json": ["schema": ["type": "object"]]]] as [String: Any]],
        ] as [String: Any]],
        "/healthz": ["get": [
            "summary": "Liveness and database check", "operationId": "health",
            "responses": ["200": json(["type": "object", "properties": ["status": ["type": "string"], "papers": ["type": "integer"]]], "Healthy"),
                          "503": json(ref("Error"), "The database does not answer")],
        ] as [String: Any]],
        "/metrics": ["get": [
            "summary": "Prometheus metrics: request counts and latencies by route", "operationId": "metrics",
            "responses": ["200": ["description": "Prometheus text format", "content": ["text/plain": ["schema": ["type": "string"]]]] as [String: Any]],
        ] as [String: Any]],
    ] }

    static func feed(_ summary: String, parameters: [[String: Any]] = []) -> [String: Any] {
        ["summary": summary, "parameters": parameters,
         "responses": ["200": ["description": "RSS 2.0", "content": ["application/rss+xml": ["schema": ["type": "string"]]]] as [String: Any]]]
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
            "paper": ref("Paper"), "day": ["type": "string", "format": "date"], "submitter": ["type": "string"],
        ]] as [String: Any],
        "Author": ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"], "hidden": ["type": "boolean"]]] as [String: Any],
        "HubUser": ["type": "object", "required": ["user"], "properties": [
            "user": ["type": "string"], "name": ["type": "string"], "fullname": ["type": "string"],
            "avatarUrl": ["type": "string"], "type": ["type": "string"],
        ]] as [String: Any],
        "Paper": ["type": "object", "required": ["id", "authors", "title", "summary", "upvotes"], "properties": [
            "id": ["type": "string", "description": "arXiv id without version"],
            "authors": ["type": "array", "items": ref("Author")],
            "publishedAt": ["type": "string", "format": "date-time", "description": "First arXiv version"],
            "title": ["type": "string"], "summary": ["type": "string", "description": "Abstract"],
            "upvotes": ["type": "integer"], "discussionId": ["type": "string"],
            "submittedOnDailyAt": ["type": "string", "format": "date-time"],
            "submittedOnDailyBy": ref("HubUser"),
            "githubRepo": ["type": "string"], "githubStars": ["type": "integer"], "projectPage": ["type": "string"],
            "ai_summary": ["type": "string"], "ai_keywords": ["type": "array", "items": ["type": "string"]],
            "categories": ["type": "array", "items": ["type": "string"]],
            "version": ["type": "integer"], "numComments": ["type": "integer"],
        ] as [String: Any]] as [String: Any],
        "DailyItem": ["type": "object", "required": ["paper", "title", "summary", "numComments"], "properties": [
            "paper": ref("Paper"), "title": ["type": "string"], "summary": ["type": "string"],
            "publishedAt": ["type": "string", "format": "date-time", "description": "When it was featured"],
            "numComments": ["type": "integer"], "submittedBy": ref("HubUser"),
            "highlightedSummary": ["type": "string", "description": "Search only: escaped HTML excerpt with <mark>ed matches"],
        ] as [String: Any]] as [String: Any],
    ] }
}
