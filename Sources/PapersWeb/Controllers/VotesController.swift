import Foundation
import Hummingbird
import PapersCore
import PapersServices

/// Upvotes: the button on cards and paper pages (a form post, or JSON for the page's script)
/// and `POST /api/papers/{id}/vote`.
struct VotesController: SiteController {
    let service: CommunityService

    func addRoutes(to routes: SiteRoutes) {
        // Visitors are sent to sign in and back to the paper, not to the form's target, so
        // this route is on the pages' group and looks at the member itself.
        routes.pages.on(.vote) { request, context in try await voteForm(request, context) }
        routes.apiMembers.on(.apiVote) { request, context in try await apiVote(request, context) }
    }

    func vote(_ member: Member, _ id: ArxivID, upvoted: Bool?) async throws -> API.VoteJSON {
        let result = try await service.vote(member, paper: id, upvoted: upvoted)
        return API.VoteJSON(paper: id.rawValue, upvoted: result.upvoted, upvotes: result.upvotes)
    }

    /// The vote form: JSON for the page's script (`Accept: application/json`), else back to the page.
    func voteForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let wantsJSON = request.headers[.accept]?.contains("application/json") == true
        guard let member = context.member else {
            if wantsJSON { throw WebError(.unauthorized, "sign in to upvote") }
            return Responses.redirect(.signIn(next: ArxivID(RequestInput.paperIDText(context)).map { SiteRoute.paper($0).url.path }))
        }
        let form = try await RequestInput.form(request)
        let id = try RequestInput.paperID(context)
        let result = try await vote(member, id, upvoted: nil)
        if wantsJSON { return Responses.json(result).response }
        return RequestInput.safeNext(form["next"]).map(Responses.redirect(path:)) ?? Responses.redirect(.paper(id))
    }

    func apiVote(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        /// `{}` toggles; `upvoted`, when given, is true or false (null is refused, as the API document says).
        struct Body: Decodable {
            var upvoted: Bool?
            enum CodingKeys: CodingKey { case upvoted }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                upvoted = container.contains(.upvoted) ? try container.decode(Bool.self, forKey: .upvoted) : nil
            }
        }
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        var upvoted: Bool?
        if body.readableBytes > 0 {
            do { upvoted = try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)).upvoted } catch {
                throw WebError.badRequest("the body must be JSON like {\"upvoted\": true}, or empty to toggle")
            }
        }
        return Responses.json(try await vote(context.member, try RequestInput.paperID(context), upvoted: upvoted)).response
    }
}
