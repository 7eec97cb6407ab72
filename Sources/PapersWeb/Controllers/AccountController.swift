import Foundation
import Hummingbird
import PapersCore
import PapersServices
import PapersStore

/// Signing up, in and out; the settings page: password and API tokens.
struct AccountController: SiteController {
    let app: WebApp
    let community: Community
    let service: CommunityService
    var renderer: PageRenderer { app.renderer }
    var now: Date { app.catalog.now() }

    func addRoutes(to routes: SiteRoutes) {
        routes.pages
            .on(.signInForm) { request, context in accountForm(request, context) { $0.signIn($1) } }
            .on(.signIn) { request, context in try await signIn(request, context) }
            .on(.signUpForm) { request, context in accountForm(request, context) { $0.signUp($1) } }
            .on(.signUp) { request, context in try await signUp(request, context) }
            .on(.signOut) { _, context in try await signOut(context) }
        routes.members
            .on(.settings) { _, context in try await settings(context) }
            .on(.settingsPassword) { request, context in try await changePassword(request, context) }
            .on(.settingsTokens) { request, context in try await createToken(request, context) }
            .on(.settingsTokenDelete) { _, context in try await deleteToken(context, try RequestInput.parameter(context, "token")) }
    }

    // MARK: Sign up, in and out

    /// The sign-in or sign-up form, remembering where to go next; a member goes there at once.
    func accountForm(_ request: Request, _ context: AppRequestContext, _ render: @escaping (Pages, FormState) -> HTML) -> Response {
        let next = RequestInput.safeNext(RequestInput.query(request)["next"])
        if context.member != nil { return Responses.redirect(path: next ?? SiteRoute.home.url.path) }
        return renderer.form(context) { render($0, FormState(values: ["next": next ?? ""])) }
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        let login = (form["login"] ?? "").trimmingCharacters(in: .whitespaces), password = form["password"] ?? ""
        var state = FormState(values: ["login": login, "next": RequestInput.safeNext(form["next"]) ?? ""])
        try await service.limit("sign-in", key: context.clientAddress, \.signInPerAddress)
        guard !login.isEmpty, login.count <= CommunityRules.emailLength.upperBound, !password.isEmpty,
              password.utf8.count <= 200 else {
            state.error = login.count > CommunityRules.emailLength.upperBound || password.utf8.count > 200
                ? "The username or password is too long." : "Enter your username (or email) and password."
            return renderer.form(context, status: .unprocessableContent) { $0.signIn(state) }
        }
        try await service.limit("sign-in", key: "account:" + login.lowercased(), \.signInPerAccount)
        guard let member = try await community.authenticate(login: login, password: password) else {
            state.error = "Wrong username or password."
            return renderer.form(context, status: .unauthorized) { $0.signIn(state) }
        }
        return try await startSession(for: member, context: context, next: state["next"])
    }

    func startSession(for member: Member, context: AppRequestContext, next: String) async throws -> Response {
        let token = try await community.startSession(for: member, replacing: context.identity.sessionTokenHash, now: now)
        var response = Responses.redirect(path: next.isEmpty ? SiteRoute.home.url.path : next)
        response.setCookie(community.sessionCookie(token, now: now))
        return response
    }

    func signUp(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        var state = FormState(values: ["username": form["username"] ?? "", "email": form["email"] ?? "",
                                       "next": RequestInput.safeNext(form["next"]) ?? ""])
        try await service.limit("sign-up", key: context.clientAddress, \.signUpPerAddress)
        do {
            let member = try await community.signUp(username: form["username"] ?? "", email: form["email"] ?? "",
                                                    password: form["password"] ?? "", now: now)
            context.logger.info("member signed up", metadata: ["member": "\(member.id)", "username": "\(member.username)"])
            return try await startSession(for: member, context: context, next: state["next"])
        } catch let error as InputError {
            state.error = "The \(error.field) \(error.problem)."
        } catch let error as CommunityStoreError {
            state.error = "Sorry, \(error.description). Choose another or sign in."
        }
        return renderer.form(context, status: .unprocessableContent) { $0.signUp(state) }
    }

    func signOut(_ context: AppRequestContext) async throws -> Response {
        if let hash = context.identity.sessionTokenHash { try await community.endSession(hash) }
        var response = Responses.redirect(.home)
        response.setCookie(community.sessionCookie(nil, now: now))
        return response
    }

    // MARK: Settings

    func settings(_ context: MemberRequestContext, newToken: String? = nil, passwordState: FormState = FormState(),
                  tokenState: FormState = FormState(), notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let tokens = try await community.apiTokens(context.member)
        return renderer.form(context, status: status) {
            $0.settings(member: context.member, tokens: tokens, newToken: newToken, passwordState: passwordState, tokenState: tokenState,
                        notice: notice)
        }
    }

    func changePassword(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        var state = FormState()
        do {
            guard try await community.changePassword(context.member, current: form["current"] ?? "", new: form["password"] ?? "",
                                                     keepingSession: context.identity.sessionTokenHash) else {
                state.error = "The current password is wrong."
                return try await settings(context, passwordState: state, status: .unauthorized)
            }
            return try await settings(context, notice: "Your password was changed. Your other sessions were signed out.")
        } catch let error as InputError {
            state.error = "The new \(error.field) \(error.problem)."
            return try await settings(context, passwordState: state, status: .unprocessableContent)
        }
    }

    func createToken(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        do {
            let token = try await community.createAPIToken(context.member, name: form["name"] ?? "", now: now)
            return try await settings(context, newToken: token)
        } catch let error as InputError {
            return try await settings(context, tokenState: FormState(values: ["name": form["name"] ?? ""],
                                                                     error: "The token \(error.field) \(error.problem)."),
                                      status: .unprocessableContent)
        }
    }

    func deleteToken(_ context: MemberRequestContext, _ idText: String) async throws -> Response {
        guard let id = Int64(idText), try await community.revokeAPIToken(id, member: context.member) else {
            throw WebError.notFound("You have no API token \(idText).")
        }
        return Responses.redirect(.settings)
    }
}
