import Foundation
import Hummingbird
import PapersCore
import PapersServices

/// The read side of the JSON API (Hugging Face's shapes): daily papers, search, a paper,
/// similar papers, and the OpenAPI document. Votes, comments and submissions add their API
/// endpoints in their own controllers.
struct APIController: SiteController {
    let app: WebApp
    var catalog: Catalog { app.catalog }

    func addRoutes(to routes: SiteRoutes) {
        let cache = app.cache
        let openAPI = Responses.data(OpenAPIDocument.data(version: app.configuration.version), contentType: "application/json")
        routes.api
            .on(.apiDailyPapers) { request, _ in try await cache.respond(request) { try await dailyPapers(request) } }
            .on(.apiSearch) { request, _ in try await cache.respond(request) { try await search(request) } }
            .on(.apiPaper) { request, context in
                let text = RequestInput.paperIDText(context)
                return try await cache.respond(request) { try await paper(text) }
            }
            .on(.apiSimilar) { request, context in
                let text = RequestInput.paperIDText(context)
                return try await cache.respond(request) { try await similar(request, text) }
            }
            .on(.openAPI) { _, _ in openAPI.response }
    }

    func dailyPapers(_ request: Request) async throws -> Rendered {
        let days = try RequestInput.period(request)
        let sort: FeedSort
        switch RequestInput.query(request)["sort"] {
        case nil: sort = days == nil ? .newest : .upvotes
        case "publishedAt"?: sort = .newest
        case "trending"?: sort = .trending
        case "upvotes"?: sort = .upvotes
        case let other?: throw WebError.badRequest("sort \"\(other)\" is not one of publishedAt, trending, upvotes")
        }
        let page = try RequestInput.int(request, "p", default: 0, range: 0...1_000_000)
        let limit = try RequestInput.int(request, "limit", default: 50, range: 1...100)
        let submitter = RequestInput.query(request)["submitter"].flatMap { $0.isEmpty ? nil : $0 }
        let cards = try await catalog.featuredPage(days: days, submitter: submitter, sort: sort, limit: limit, offset: page * limit)
        return Responses.json(cards.map(API.DailyItem.init))
    }

    func search(_ request: Request) async throws -> Rendered {
        let parameters = try RequestInput.search(request, required: true)!
        // Up to 120, as Hugging Face's (huggingface_hub's list_papers asks for 120).
        let limit = try RequestInput.int(request, "limit", default: 50, range: 1...120)
        let page = try RequestInput.int(request, "p", default: 0, range: 0...10_000)
        let result = try await catalog.search(parameters.query, mode: parameters.mode, filter: parameters.filter,
                                              page: page + 1, perPage: limit)
        return Responses.json(result.cards.map(API.DailyItem.init))
    }

    func similar(_ request: Request, _ text: String) async throws -> Rendered {
        guard let id = ArxivID(text) else { throw WebError.badRequest("\"\(text)\" is not an arXiv id") }
        let limit = try RequestInput.int(request, "limit", default: 6, range: 1...50)
        guard try await catalog.contains(id) else { throw WebError.notFound("paper \(id) not found") }
        guard catalog.searchEngine.semanticAvailable else {
            throw WebError(.serviceUnavailable, "similar papers need the embedding model, which this server does not have")
        }
        guard let similar = try await catalog.similar(id, limit: limit) else {
            throw WebError(.serviceUnavailable, "paper \(id) has not been embedded yet")
        }
        return Responses.json(similar.map(API.DailyItem.init))
    }

    func paper(_ text: String) async throws -> Rendered {
        guard let id = ArxivID(text) else { throw WebError.badRequest("\"\(text)\" is not an arXiv id") }
        guard let (card, _) = try await catalog.paper(id) else { throw WebError.notFound("paper \(id) not found") }
        return Responses.json(API.PaperJSON(card))
    }
}
