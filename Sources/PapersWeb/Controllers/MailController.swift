import Foundation
import Hummingbird
import PapersCore
import PapersMail
import PapersServices
import PapersStore

/// The web side of email: what the server needs to queue mail and wake the sender.
public struct WebMail: Sendable {
    public let mailer: Mailer
    /// Woken after a confirmation mail is queued, so it goes out at once; nil when another
    /// process delivers.
    public let service: MailService?

    public init(mailer: Mailer, service: MailService?) {
        self.mailer = mailer
        self.service = service
    }

    /// The links messages carry, absolute on `base` (the public base URL).
    public static func links(base: String) -> MailLinks {
        MailLinks(home: SiteRoute.home.url.absolute(base: base),
                  paper: { SiteRoute.paper($0).url.absolute(base: base) },
                  confirmSubscription: { SiteRoute.subscribeConfirm(token: $0).url.absolute(base: base) },
                  unsubscribe: { SiteRoute.unsubscribe(token: $0).url.absolute(base: base) },
                  verifyEmail: { SiteRoute.verifyEmail(token: $0).url.absolute(base: base) },
                  subscribe: SiteRoute.subscribe.url.absolute(base: base),
                  alerts: SiteRoute.alerts.url.absolute(base: base))
    }
}

/// Subscribing (double opt-in), confirming, unsubscribing (one click, RFC 8058, or a page
/// with a button) and members' alerts.
struct MailController: SiteController {
    let app: WebApp
    let service: CommunityService
    let mail: WebMail
    var mailer: Mailer { mail.mailer }
    var renderer: PageRenderer { app.renderer }
    var now: Date { app.catalog.now() }

    func addRoutes(to routes: SiteRoutes) {
        routes.pages
            .on(.subscribeForm) { request, context in subscribeForm(request, context) }
            .on(.subscribe) { request, context in try await subscribe(request, context) }
        // Opened from links in messages: the POSTs carry the signed token, not a CSRF token.
        routes.emailLinks
            .on(.subscribeConfirmForm) { request, context in tokenPage(request, context, .confirmSubscription) }
            .on(.subscribeConfirm) { request, context in try await confirm(request, context) }
            .on(.unsubscribeForm) { request, context in try await unsubscribeForm(request, context) }
            .on(.unsubscribe) { request, context in try await unsubscribe(request, context) }
            .on(.verifyEmailForm) { request, context in tokenPage(request, context, .verifyEmail) }
            .on(.verifyEmail) { request, context in try await verify(request, context) }
        routes.members
            .on(.alerts) { request, context in
                // A link from a search or a paper page fills in the new alert (`?kind=&query=`).
                let query = RequestInput.query(request)
                return try await alerts(context, state: FormState(values: ["kind": query["kind"] ?? "", "query": query["query"] ?? ""]))
            }
            .on(.alertCreate) { request, context in try await createAlert(request, context) }
            .on(.alertDelete) { _, context in try await deleteAlert(context, try RequestInput.parameter(context, "alert")) }
            .on(.alertsSendVerification) { _, context in try await sendVerification(context) }
    }

    func subscribeForm(_ request: Request, _ context: AppRequestContext) -> Response {
        // A link from a search fills in its keywords (`?keywords=`); the form checks them when sent.
        let query = RequestInput.query(request)
        return renderer.form(context) {
            $0.subscribe(FormState(values: ["email": context.member?.email ?? "", "frequency": "daily",
                                            "keywords": query["keywords"] ?? "", "categories": query["categories"] ?? ""]))
        }
    }

    func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        var state = FormState(values: ["email": form["email"] ?? "", "frequency": form["frequency"] ?? "daily",
                                       "keywords": form["keywords"] ?? "", "categories": form["categories"] ?? ""])
        try await service.limit("subscribe", key: context.clientAddress, \.subscribePerAddress)
        let subscription: SubscriptionRequest
        do {
            subscription = try MailRules.subscription(email: state["email"], frequency: state["frequency"], keywords: state["keywords"],
                                                      categories: state["categories"])
        } catch {
            state.error = "The \(error.field) \(error.problem)."
            return renderer.form(context, status: .unprocessableContent) { $0.subscribe(state) }
        }
        try await service.limit("subscribe", key: "email:" + subscription.email.lowercased(), \.subscribePerEmail)
        try await mailer.requestSubscription(subscription, now: now)
        mail.service?.wake()
        // The same answer whether the address was new, pending or subscribed already.
        return renderer.form(context) { $0.mailNotice(title: "Check your inbox",
                                                      "We sent a confirmation link to \(subscription.email). The subscription starts when you follow it.") }
    }

    static func token(_ request: Request, form: FormFields? = nil) -> String {
        form?["token"] ?? RequestInput.query(request)["token"] ?? ""
    }

    func tokenProblem(_ error: TokenError, _ context: some SiteRequestContext) -> Response {
        let message = error == .expired
            ? "This link has expired. Ask again and use the new link within three days."
            : "This link is not valid. Copy the whole link from the message, or ask again."
        return renderer.form(context, status: .badRequest) { $0.mailNotice(title: "Link not valid", message) }
    }

    /// What the page a link from an email says, and where its button posts the token.
    struct TokenPage: Sendable {
        var purpose: String, title: String, text: String, button: String
        var action: @Sendable (String) -> SiteRoute

        static let confirmSubscription = TokenPage(purpose: "subscribe", title: "Confirm your subscription",
                                                   text: "Press the button to start getting the digest.", button: "Confirm subscription",
                                                   action: { .subscribeConfirm(token: $0) })
        static let verifyEmail = TokenPage(purpose: "verify-email", title: "Confirm your address",
                                           text: "Press the button to get alerts at this address.", button: "Confirm address",
                                           action: { .verifyEmail(token: $0) })
    }

    /// The page a link from an email opens: the token checked, then a button that POSTs it.
    func tokenPage(_ request: Request, _ context: AppRequestContext, _ page: TokenPage) -> Response {
        let token = Self.token(request)
        do {
            _ = try mailer.signer.verify(token, purpose: page.purpose, now: now)
        } catch {
            return tokenProblem(error, context)
        }
        return renderer.form(context) { $0.tokenButton(title: page.title, text: page.text, action: page.action(token).url, button: page.button) }
    }

    func confirm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        let subscription: Subscription?
        do {
            subscription = try await mailer.confirmSubscription(token: Self.token(request, form: form), now: now)
        } catch let error as TokenError {
            return tokenProblem(error, context)
        }
        guard let subscription else {
            return renderer.form(context, status: .gone) {
                $0.mailNotice(title: "Link already used", "This link was used already, or a newer request replaced it. Nothing changed.")
            }
        }
        return renderer.form(context) {
            $0.mailNotice(title: "You are subscribed",
                          "\(subscription.email) gets the \(subscription.frequency.rawValue) digest. Every message has a link to unsubscribe.")
        }
    }

    func unsubscribeForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = Self.token(request)
        let target: UnsubscribeTarget
        do {
            target = try mailer.unsubscribeTarget(token, now: now)
        } catch {
            return tokenProblem(error, context)
        }
        guard let what = try await mailer.describe(target) else {
            return renderer.form(context) { $0.mailNotice(title: "Unsubscribed", "There is nothing left to unsubscribe from here.") }
        }
        return renderer.form(context) {
            $0.tokenButton(title: "Unsubscribe", text: "Stop \(what)?", action: SiteRoute.unsubscribe(token: token).url, button: "Unsubscribe")
        }
    }

    /// The one-click POST (body `List-Unsubscribe=One-Click`) and the page's button both land here.
    func unsubscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        let target: UnsubscribeTarget
        do {
            target = try mailer.unsubscribeTarget(Self.token(request, form: form), now: now)
        } catch {
            return tokenProblem(error, context)
        }
        let what = try await mailer.describe(target)
        try await mailer.unsubscribe(target, now: now)
        return renderer.form(context) {
            $0.mailNotice(title: "Unsubscribed", what.map { "Done: you will not get \($0) any more." } ?? "Done: nothing more will be sent.")
        }
    }

    // MARK: Alerts

    func alerts(_ context: MemberRequestContext, state: FormState = FormState(), notice: String? = nil,
                status: HTTPResponse.Status = .ok) async throws -> Response {
        let alerts = try await mailer.alerts(member: context.member.id)
        let confirmed = try await mailer.emailConfirmed(member: context.member.id)
        return renderer.form(context, status: status) {
            $0.alerts(member: context.member, alerts: alerts, emailConfirmed: confirmed, state: state, notice: notice)
        }
    }

    func createAlert(_ request: Request, _ context: MemberRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        var state = FormState(values: ["kind": form["kind"] ?? "search", "query": form["query"] ?? ""])
        do {
            let kind = try MailRules.alertKind(state["kind"])
            let query = try MailRules.alertQuery(state["query"])
            try await mailer.createAlert(member: context.member.id, kind: kind, query: query, now: now)
        } catch let error as InputError {
            state.error = "The \(error.field) \(error.problem)."
            return try await alerts(context, state: state, status: .unprocessableContent)
        }
        return Responses.redirect(.alerts)
    }

    func deleteAlert(_ context: MemberRequestContext, _ id: String) async throws -> Response {
        guard let id = Int64(id), try await mailer.deleteAlert(id, member: context.member.id) else {
            throw WebError(.notFound, "You have no alert \(id)")
        }
        return Responses.redirect(.alerts)
    }

    func sendVerification(_ context: MemberRequestContext) async throws -> Response {
        let member = context.member
        try await service.limit("subscribe", key: "email:" + member.email.lowercased(), \.subscribePerEmail)
        try await mailer.requestEmailVerification(member: member, now: now)
        mail.service?.wake()
        return try await alerts(context, notice: "We sent a confirmation link to \(member.email).")
    }

    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await RequestInput.form(request)
        let ok: Bool
        do {
            ok = try await mailer.verifyEmail(token: Self.token(request, form: form), now: now)
        } catch let error as TokenError {
            return tokenProblem(error, context)
        }
        return renderer.form(context, status: ok ? .ok : .gone) {
            ok ? $0.mailNotice(title: "Address confirmed", "Your alerts will be mailed to it.")
               : $0.mailNotice(title: "Link not valid", "The account's address changed since this link was sent.")
        }
    }
}
