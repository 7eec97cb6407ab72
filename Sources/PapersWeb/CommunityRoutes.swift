import Hummingbird

extension WebApp {
    /// Accounts, settings, votes, comments, submissions and moderation. Paper routes come in
    /// two shapes because old-style arXiv ids hold a slash (`hep-th/9901001`).
    func addCommunityRoutes(to router: Router<AppRequestContext>, handlers h: CommunityHandlers) {
        router.get("/signin") { request, context in h.signInForm(request, context) }
        router.post("/signin") { request, context in try await h.signIn(request, context) }
        router.get("/signup") { request, context in h.signUpForm(request, context) }
        router.post("/signup") { request, context in try await h.signUp(request, context) }
        router.post("/signout") { request, context in try await h.signOut(request, context) }
        router.get("/settings") { request, context in try await h.settings(request, context) }
        router.post("/settings/password") { request, context in try await h.changePassword(request, context) }
        router.post("/settings/tokens") { request, context in try await h.createToken(request, context) }
        router.post("/settings/tokens/:token/delete") { request, context in
            try await h.deleteToken(request, context, try context.parameters.require("token"))
        }
        router.get("/submit") { request, context in h.submitForm(request, context) }
        router.post("/submit") { request, context in try await h.submit(request, context) }
        router.post("/api/submit") { request, context in try await h.apiSubmit(request, context) }
        router.post("/comments/:comment/delete") { request, context in
            try await h.deleteComment(request, context, try context.parameters.require("comment"))
        }
        router.post("/comments/:comment/hide") { request, context in
            try await h.hideComment(request, context, try context.parameters.require("comment"), hidden: true)
        }
        router.post("/comments/:comment/unhide") { request, context in
            try await h.hideComment(request, context, try context.parameters.require("comment"), hidden: false)
        }
        for prefix in ["/papers/:id", "/papers/:id/:number"] {
            router.post(RouterPath(prefix + "/vote")) { request, context in try await h.voteForm(request, context, paperID(context)) }
            router.post(RouterPath(prefix + "/comments")) { request, context in try await h.commentForm(request, context, paperID(context)) }
            router.post(RouterPath(prefix + "/feature")) { request, context in try await h.feature(request, context, paperID(context), on: true) }
            router.post(RouterPath(prefix + "/unfeature")) { request, context in try await h.feature(request, context, paperID(context), on: false) }
        }
        for prefix in ["/api/papers/:id", "/api/papers/:id/:number"] {
            router.post(RouterPath(prefix + "/vote")) { request, context in try await h.apiVote(request, context, paperID(context)) }
            router.get(RouterPath(prefix + "/comments")) { _, context in try await h.apiComments(paperID(context)) }
            router.post(RouterPath(prefix + "/comments")) { request, context in try await h.apiPostComment(request, context, paperID(context)) }
        }
    }
}

/// The arXiv id of a paper route: `:id`, or `:id/:number` for old-style ids.
func paperID(_ context: AppRequestContext) -> String {
    let id = context.parameters.get("id") ?? ""
    guard let number = context.parameters.get("number") else { return id }
    return "\(id)/\(number)"
}
