import Foundation
import Hummingbird
import PapersCore
import PapersServices

/// Members put papers on today's page (the form and `POST /api/submit`); admins feature a
/// paper on any day or take it off.
struct SubmissionsController: SiteController {
    let app: WebApp
    let service: CommunityService
    var renderer: PageRenderer { app.renderer }
    var today: Day { Day(app.catalog.now()) }

    func addRoutes(to routes: SiteRoutes) {
        routes.members
            .on(.submitForm) { request, context in
                renderer.form(context) { $0.submit(FormState(values: ["id": RequestInput.query(request)["id"] ?? ""]), today: today) }
            }
            .on(.submit) { request, context in try await submit(request, context) }
        routes.admins
            .on(.feature) { request, context in try await feature(request, context, on: true) }
            .on(.unfeature) { request, context in try await feature(request, context, on: false) }
        routes.apiMembers.on(.apiSubmit) { request, context in try await apiSubmit(request, context) }
    }

    func submit(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        func again(_ status: HTTPResponse.Status, _ message: String) -> Response {
            renderer.form(context, status: status) { $0.submit(FormState(values: ["id": form["id"] ?? ""], error: message), today: today) }
        }
        do {
            let (id, _) = try await service.submit(form["id"] ?? "", by: context.member)
            context.logger.info("paper submitted", metadata: ["paper": "\(id)", "member": "\(context.member.username)"])
            return Responses.redirect(.paper(id))
        } catch let error as InputError {
            return again(.unprocessableContent, "The \(error.field) \(error.problem).")
        } catch let error as CommunityError {
            return again(error.kind.status, error.message)
        }
    }

    func apiSubmit(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        struct Body: Decodable { var id: String }
        let body = try await RequestInput.json(Body.self, request, example: "{\"id\": \"2405.15738\"}")
        let (id, day) = try await service.submit(body.id, by: context.member)
        guard let (card, _) = try await app.catalog.paper(id) else { throw WebError.notFound("paper \(id) not found") }
        return Responses.json(API.SubmissionJSON(paper: API.PaperJSON(card), day: day.description, submitter: context.member.username),
                              status: .created).response
    }

    func feature(_ request: Request, _ context: MemberRequestContext, on: Bool) async throws -> Response {
        let id = try RequestInput.paperID(context)
        let form = try await RequestInput.form(request)
        guard let day = Day(form["day"] ?? "") else { throw WebError(.unprocessableContent, "day \"\(form["day"] ?? "")\" is not a date (YYYY-MM-DD)") }
        try await service.feature(id, on: day, featured: on, by: context.member)
        context.logger.info(on ? "paper featured" : "paper unfeatured", metadata: ["paper": "\(id)", "day": "\(day)", "admin": "\(context.member.username)"])
        return Responses.redirect(.paper(id))
    }
}
