import Foundation
import Hummingbird
import PapersCore
import PapersServices

/// Comments on paper pages and in the API; authors delete their own, admins hide and unhide.
struct CommentsController: SiteController {
    let service: CommunityService

    func addRoutes(to routes: SiteRoutes) {
        routes.members
            .on(.comment) { request, context in try await commentForm(request, context) }
            .on(.commentDelete) { _, context in
                let comment = try await service.deleteComment(try RequestInput.parameter(context, "comment"), by: context.member)
                return Responses.redirect(.paper(comment.paperID), fragment: "comments")
            }
        routes.admins
            .on(.commentHide) { _, context in try await hide(context, hidden: true) }
            .on(.commentUnhide) { _, context in try await hide(context, hidden: false) }
        routes.api.on(.apiComments) { _, context in
            Responses.json(try await service.visibleComments(paper: try RequestInput.paperID(context)).map(API.CommentJSON.init)).response
        }
        routes.apiMembers.on(.apiPostComment) { request, context in
            struct Body: Decodable { var text: String }
            let body = try await RequestInput.json(Body.self, request, example: "{\"text\": \"...\"}")
            let comment = try await post(context, text: body.text)
            return Responses.json(API.CommentJSON(comment), status: .created).response
        }
    }

    func post(_ context: MemberRequestContext, text: String) async throws -> PaperComment {
        try await service.comment(context.member, paper: try RequestInput.paperID(context), text: text, address: context.clientAddress)
    }

    func commentForm(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        let comment = try await post(context, text: form["text"] ?? "")
        return Responses.redirect(.paper(comment.paperID), fragment: "comment-\(comment.id)")
    }

    func hide(_ context: MemberRequestContext, hidden: Bool) async throws -> Response {
        let comment = try await service.setCommentHidden(try RequestInput.parameter(context, "comment"), hidden: hidden, by: context.member)
        context.logger.info("comment \(hidden ? "hidden" : "unhidden")", metadata: ["comment": "\(comment.id)", "admin": "\(context.member.username)"])
        return Responses.redirect(.paper(comment.paperID), fragment: "comment-\(comment.id)")
    }
}
