import Foundation
import Hummingbird
import PapersCore
import PapersIngest
import PapersStore

extension API {
    struct VoteJSON: Encodable {
        var paper: String
        var upvoted: Bool
        var upvotes: Int
    }

    struct CommentJSON: Encodable {
        var id: Int64
        var paper: String
        var author: String
        var text: String
        var createdAt: String

        init(_ c: PaperComment) {
            id = c.id.rawValue
            paper = c.paperID.rawValue
            author = c.authorName
            text = c.body
            createdAt = Timestamp.iso8601(c.createdAt)
        }
    }

    struct SubmissionJSON: Encodable {
        var paper: PaperJSON
        var day: String
        var submitter: String
    }
}

/// Accounts, votes, comments, submissions and moderation: the pages' form posts and the
/// API's POST endpoints call the same functions.
struct CommunityHandlers: Sendable {
    let app: WebApp
    let community: Community
    var store: any CommunityStore { community.store }
    var now: Date { app.catalog.now() }

    static let unprocessable = HTTPResponse.Status(code: 422, reasonPhrase: "Unprocessable Content")

    /// A page with forms, as this member or visitor sees it. A visitor without a CSRF cookie
    /// gets one with the page (made only here, so the pages everyone reads cost no cookie).
    func form(_ context: AppRequestContext, status: HTTPResponse.Status = .ok, _ render: (Pages) -> HTML) -> Response {
        var csrf = context.csrfToken
        var cookie: String?
        if csrf.isEmpty, context.member == nil {
            let value = TokenSigner.randomToken()
            cookie = value
            csrf = community.csrfToken(anonymous: value)
        }
        var response = html(render(Pages(siteName: app.configuration.siteName, now: now, viewer: Viewer(member: context.member, csrf: csrf))),
                            status: status)
        if let cookie { response.setCookie(community.csrfCookie(cookie)) }
        return response
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A local path to go back to after a form: only paths on this site.
    static func safeNext(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.count <= 500,
              !text.unicodeScalars.contains(where: { $0 == "\\" || $0.value < 32 || $0.value == 127 }) else { return nil }
        return text
    }

    func signInRedirect(_ request: Request) -> Response {
        // A page asked for with GET comes back whole, query included (a prefilled alert form).
        let page = request.method == .get ? request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path : request.uri.path
        return redirect(SiteRoute.signIn(next: Self.safeNext(page)).url.path)
    }

    func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Responses.html(page, status: status).response
    }

    // MARK: Sign up, in and out

    func signInForm(_ request: Request, _ context: AppRequestContext) -> Response {
        let next = Self.safeNext(QueryParameters(request)["next"])
        if context.member != nil { return redirect(next ?? "/") }
        return form(context) { $0.signIn(FormState(values: ["next": next ?? ""])) }
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        let login = (form["login"] ?? "").trimmingCharacters(in: .whitespaces), password = form["password"] ?? ""
        var state = FormState(values: ["login": login, "next": Self.safeNext(form["next"]) ?? ""])
        let limits = community.configuration.rateLimits
        try await community.limiter.hit("sign-in", key: context.clientAddress, limit: limits.signInPerAddress, now: now)
        guard !login.isEmpty, login.count <= CommunityRules.emailLength.upperBound, !password.isEmpty,
              password.utf8.count <= 200 else {
            state.error = login.count > CommunityRules.emailLength.upperBound || password.utf8.count > 200
                ? "The username or password is too long." : "Enter your username (or email) and password."
            return self.form(context, status: Self.unprocessable) { $0.signIn(state) }
        }
        try await community.limiter.hit("sign-in", key: "account:" + login.lowercased(), limit: limits.signInPerAccount, now: now)
        let found = try await store.credentials(login: login)
        let valid = try await community.verifyPassword(password, hash: found?.passwordHash ?? Community.decoyHash)
        guard let member = found?.member, valid else {
            state.error = "Wrong username or password."
            return self.form(context, status: .unauthorized) { $0.signIn(state) }
        }
        return try await startSession(for: member, context: context, next: state["next"])
    }

    func startSession(for member: Member, context: AppRequestContext, next: String) async throws -> Response {
        if let old = context.sessionTokenHash { try await store.deleteSession(tokenHash: old) }
        let token = TokenSigner.randomToken()
        try await store.createSession(tokenHash: TokenSigner.sha256Hex(token), member: member.id, now: now,
                                      expires: now.addingTimeInterval(community.configuration.sessionLifetime))
        var response = redirect(next.isEmpty ? "/" : next)
        response.setCookie(community.sessionCookie(token, now: now))
        return response
    }

    func signUpForm(_ request: Request, _ context: AppRequestContext) -> Response {
        let next = Self.safeNext(QueryParameters(request)["next"])
        if context.member != nil { return redirect(next ?? "/") }
        return form(context) { $0.signUp(FormState(values: ["next": next ?? ""])) }
    }

    func signUp(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        var state = FormState(values: ["username": form["username"] ?? "", "email": form["email"] ?? "",
                                       "next": Self.safeNext(form["next"]) ?? ""])
        try await community.limiter.hit("sign-up", key: context.clientAddress,
                                        limit: community.configuration.rateLimits.signUpPerAddress, now: now)
        do {
            let username = try CommunityRules.username(form["username"] ?? "")
            let email = try CommunityRules.email(form["email"] ?? "")
            let password = form["password"] ?? ""
            try CommunityRules.password(password)
            let hash = try await community.hashPassword(password)
            let member = try await store.createMember(username: username, email: email, passwordHash: hash, isAdmin: false, now: now)
            context.logger.info("member signed up", metadata: ["member": "\(member.id)", "username": "\(member.username)"])
            return try await startSession(for: member, context: context, next: state["next"])
        } catch let error as InputError {
            state.error = "The \(error.field) \(error.problem)."
        } catch let error as CommunityStoreError {
            state.error = "Sorry, \(error.description). Choose another or sign in."
        }
        return self.form(context, status: Self.unprocessable) { $0.signUp(state) }
    }

    func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let hash = context.sessionTokenHash { try await store.deleteSession(tokenHash: hash) }
        var response = redirect("/")
        response.setCookie(community.sessionCookie(nil, now: now))
        return response
    }

    // MARK: Settings

    func settings(_ request: Request, _ context: AppRequestContext, newToken: String? = nil, passwordState: FormState = FormState(),
                  tokenState: FormState = FormState(), notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let tokens = try await store.apiTokens(member: member.id)
        return self.form(context, status: status) {
            $0.settings(member: member, tokens: tokens, newToken: newToken, passwordState: passwordState, tokenState: tokenState, notice: notice)
        }
    }

    func changePassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let form = try await FormFields.read(request)
        var state = FormState()
        guard let found = try await store.credentials(login: member.username),
              try await community.verifyPassword(form["current"] ?? "", hash: found.passwordHash) else {
            state.error = "The current password is wrong."
            return try await settings(request, context, passwordState: state, status: .unauthorized)
        }
        do {
            let password = form["password"] ?? ""
            try CommunityRules.password(password)
            try await store.setPassword(member.id, passwordHash: try await community.hashPassword(password),
                                        keepingSession: context.sessionTokenHash)
            return try await settings(request, context, notice: "Your password was changed. Your other sessions were signed out.")
        } catch let error as InputError {
            state.error = "The new \(error.field) \(error.problem)."
            return try await settings(request, context, passwordState: state, status: Self.unprocessable)
        }
    }

    func createToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let form = try await FormFields.read(request)
        do {
            let name = try CommunityRules.tokenName(form["name"] ?? "")
            let token = "dp_" + TokenSigner.randomToken()
            _ = try await store.createAPIToken(member: member.id, name: name, tokenHash: TokenSigner.sha256Hex(token),
                                               prefix: String(token.prefix(8)), now: now)
            return try await settings(request, context, newToken: token)
        } catch let error as InputError {
            return try await settings(request, context, tokenState: FormState(values: ["name": form["name"] ?? ""],
                                                                              error: "The token \(error.field) \(error.problem)."),
                                      status: Self.unprocessable)
        }
    }

    func deleteToken(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        guard let id = Int64(idText), try await store.deleteAPIToken(id, member: member.id) else {
            throw WebError.notFound("You have no API token \(idText).")
        }
        return redirect(SiteRoute.settings.url.path)
    }

    // MARK: Votes

    func vote(_ member: Member, _ idText: String, upvoted: Bool?) async throws -> API.VoteJSON {
        guard let id = ArxivID(idText) else { throw WebError.badRequest("\"\(idText)\" is not an arXiv id") }
        guard let result = try await store.vote(member: member.id, paper: id, upvoted: upvoted, now: now) else {
            throw WebError.notFound("Paper \(id) is not in this catalog.")
        }
        // Members' pages are made fresh but read lists through the catalog's cache: drop it so
        // the voter sees their vote counted. Visitors' cached pages may trail by 2 seconds.
        app.catalog.invalidate()
        return API.VoteJSON(paper: id.rawValue, upvoted: result.upvoted, upvotes: result.upvotes)
    }

    /// The vote form: JSON for the page's script (`Accept: application/json`), else back to the page.
    func voteForm(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        let wantsJSON = request.headers[.accept]?.contains("application/json") == true
        guard let member = context.member else {
            if wantsJSON { throw WebError(.unauthorized, "sign in to upvote") }
            return redirect(SiteRoute.signIn(next: ArxivID(idText).map { SiteRoute.paper($0).url.path }).url.path)
        }
        let form = try await FormFields.read(request)
        let result = try await vote(member, idText, upvoted: nil)
        if wantsJSON { return Responses.json(result).response }
        return redirect(Self.safeNext(form["next"]) ?? SiteRoute.paper(ArxivID(result.paper)!).url.path)
    }

    func apiVote(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        guard let member = context.member else { throw Self.apiUnauthorized }
        struct Body: Decodable { var upvoted: Bool? }
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        var upvoted: Bool?
        if body.readableBytes > 0 {
            do { upvoted = try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)).upvoted } catch {
                throw WebError.badRequest("the body must be JSON like {\"upvoted\": true}, or empty to toggle")
            }
        }
        return Responses.json(try await vote(member, idText, upvoted: upvoted)).response
    }

    static let apiUnauthorized = WebError(.unauthorized, "this endpoint needs an API token: send Authorization: Bearer <token> (create one on /settings)")

    // MARK: Comments

    func postComment(_ member: Member, _ idText: String, text: String, address: String) async throws -> PaperComment {
        guard let id = ArxivID(idText) else { throw WebError.badRequest("\"\(idText)\" is not an arXiv id") }
        let limits = community.configuration.rateLimits
        try await community.limiter.hit("comment", key: "member:\(member.id)", limit: limits.commentPerMember, now: now)
        try await community.limiter.hit("comment", key: address, limit: limits.commentPerAddress, now: now)
        let body = try CommunityRules.comment(text)
        guard let comment = try await store.addComment(member: member.id, paper: id, body: body, now: now) else {
            throw WebError.notFound("Paper \(id) is not in this catalog.")
        }
        app.contentChanged()
        return comment
    }

    func commentForm(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let form = try await FormFields.read(request)
        let comment = try await postComment(member, idText, text: form["text"] ?? "", address: context.clientAddress)
        return redirect(SiteRoute.paper(comment.paperID).url.path + "#comment-\(comment.id)")
    }

    func apiComments(_ idText: String) async throws -> Response {
        guard let id = ArxivID(idText) else { throw WebError.badRequest("\"\(idText)\" is not an arXiv id") }
        guard try await app.catalog.store.paper(id) != nil else { throw WebError.notFound("paper \(id) not found") }
        let comments = try await store.comments(paper: id).filter { $0.hiddenAt == nil }
        return Responses.json(comments.map(API.CommentJSON.init)).response
    }

    func apiPostComment(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        guard let member = context.member else { throw Self.apiUnauthorized }
        struct Body: Decodable { var text: String }
        let body = try await decodeJSON(Body.self, request, example: "{\"text\": \"...\"}")
        let comment = try await postComment(member, idText, text: body.text, address: context.clientAddress)
        return Responses.json(API.CommentJSON(comment), status: .created).response
    }

    func deleteComment(_ request: Request, _ context: AppRequestContext, _ idText: String) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let comment = try await existingComment(idText)
        guard comment.author == member.id else { throw WebError(.forbidden, "You can delete only your own comments.") }
        try await store.deleteComment(comment.id)
        app.contentChanged()
        return redirect(SiteRoute.paper(comment.paperID).url.path + "#comments")
    }

    func hideComment(_ request: Request, _ context: AppRequestContext, _ idText: String, hidden: Bool) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        guard member.isAdmin else { throw WebError(.forbidden, "Only admins can hide comments.") }
        let comment = try await existingComment(idText)
        try await store.setCommentHidden(comment.id, hidden: hidden, now: now)
        app.contentChanged()
        context.logger.info("comment \(hidden ? "hidden" : "unhidden")", metadata: ["comment": "\(comment.id)", "admin": "\(member.username)"])
        return redirect(SiteRoute.paper(comment.paperID).url.path + "#comment-\(comment.id)")
    }

    func existingComment(_ idText: String) async throws -> PaperComment {
        guard let id = Int64(idText), let comment = try await store.comment(PaperComment.ID(id)) else {
            throw WebError.notFound("There is no comment \(idText).")
        }
        return comment
    }

    // MARK: Submissions and featuring

    /// Puts a paper on today's page for `member`, looking it up on arXiv when it is new here.
    func submitPaper(_ text: String, member: Member) async throws -> (ArxivID, Day) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw InputError(field: "id", "is empty: paste an arXiv id such as 2405.15738") }
        guard trimmed.count <= 200 else { throw InputError(field: "id", "is too long to be an arXiv id") }
        guard let (id, _) = ArxivID.parse(trimmed) else {
            throw InputError(field: "id", "\"\(trimmed)\" is not an arXiv id such as 2405.15738 or hep-th/9901001")
        }
        let today = Day(now)
        if try await app.catalog.store.paper(id) == nil {
            let paper: Paper?
            do {
                paper = try await community.arxiv.paper(id)
            } catch {
                switch error {
                case .rejected: throw WebError(Self.unprocessable, "\(error.description)")
                case .status, .unreachable: throw WebError(.badGateway, "Could not look \(id) up: \(error.description).")
                }
            }
            guard let paper else { throw WebError(Self.unprocessable, "arXiv has no paper \(id). Check the id and try again.") }
            _ = try await app.catalog.store.write(ImportBatch(papers: [paper]))
        }
        guard try await store.feature(paper: id, day: today, submitter: member, now: now) else {
            throw WebError(.conflict, "\(id) is already on today's page.")
        }
        app.contentChanged()
        return (id, today)
    }

    func submitForm(_ request: Request, _ context: AppRequestContext) -> Response {
        guard context.member != nil else { return signInRedirect(request) }
        return form(context) { $0.submit(FormState(), today: Day(now)) }
    }

    func submit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        let form = try await FormFields.read(request)
        do {
            let (id, _) = try await submitPaper(form["id"] ?? "", member: member)
            context.logger.info("paper submitted", metadata: ["paper": "\(id)", "member": "\(member.username)"])
            return redirect(SiteRoute.paper(id).url.path)
        } catch let error as InputError {
            return self.form(context, status: Self.unprocessable) {
                $0.submit(FormState(values: ["id": form["id"] ?? ""], error: "The \(error.field) \(error.problem)."), today: Day(now))
            }
        } catch let error as WebError {
            return self.form(context, status: error.status) {
                $0.submit(FormState(values: ["id": form["id"] ?? ""], error: error.message), today: Day(now))
            }
        }
    }

    func apiSubmit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { throw Self.apiUnauthorized }
        struct Body: Decodable { var id: String }
        let body = try await decodeJSON(Body.self, request, example: "{\"id\": \"2405.15738\"}")
        let (id, day) = try await submitPaper(body.id, member: member)
        guard let (card, _) = try await app.catalog.paper(id) else { throw WebError.notFound("paper \(id) not found") }
        return Responses.json(API.SubmissionJSON(paper: API.PaperJSON(card), day: day.description, submitter: member.username),
                              status: .created).response
    }

    func feature(_ request: Request, _ context: AppRequestContext, _ idText: String, on: Bool) async throws -> Response {
        guard let member = context.member else { return signInRedirect(request) }
        guard member.isAdmin else { throw WebError(.forbidden, "Only admins can feature and unfeature papers.") }
        guard let id = ArxivID(idText) else { throw WebError.badRequest("\"\(idText)\" is not an arXiv id") }
        let form = try await FormFields.read(request)
        guard let day = Day(form["day"] ?? "") else { throw WebError(Self.unprocessable, "day \"\(form["day"] ?? "")\" is not a date (YYYY-MM-DD)") }
        guard try await app.catalog.store.paper(id) != nil else { throw WebError.notFound("Paper \(id) is not in this catalog.") }
        if on {
            guard try await store.feature(paper: id, day: day, submitter: member, now: now) else {
                throw WebError(.conflict, "\(id) is already featured on \(day).")
            }
        } else {
            guard try await store.unfeature(paper: id, day: day) else { throw WebError.notFound("\(id) is not featured on \(day).") }
        }
        app.contentChanged()
        context.logger.info(on ? "paper featured" : "paper unfeatured", metadata: ["paper": "\(id)", "day": "\(day)", "admin": "\(member.username)"])
        return redirect(SiteRoute.paper(id).url.path)
    }

    func decodeJSON<T: Decodable>(_ type: T.Type, _ request: Request, example: String) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw WebError.badRequest("the body must be JSON like \(example)")
        }
    }
}
