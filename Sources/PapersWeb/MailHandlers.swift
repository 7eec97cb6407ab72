import Foundation
import Hummingbird
import PapersCore
import PapersMail
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
struct MailHandlers: Sendable {
    let community: CommunityHandlers
    let mail: WebMail
    var mailer: Mailer { mail.mailer }
    var now: Date { community.now }

    func subscribeForm(_ request: Request, _ context: AppRequestContext) -> Response {
        // A link from a search fills in its keywords (`?keywords=`); the form checks them when sent.
        let query = QueryParameters(request)
        return community.form(context) {
            $0.subscribe(FormState(values: ["email": context.member?.email ?? "", "frequency": "daily",
                                            "keywords": query["keywords"] ?? "", "categories": query["categories"] ?? ""]))
        }
    }

    func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        var state = FormState(values: ["email": form["email"] ?? "", "frequency": form["frequency"] ?? "daily",
                                       "keywords": form["keywords"] ?? "", "categories": form["categories"] ?? ""])
        let limits = community.community.configuration.rateLimits
        try await community.community.limiter.hit("subscribe", key: context.clientAddress, limit: limits.subscribePerAddress, now: now)
        let subscription: SubscriptionRequest
        do {
            subscription = try MailRules.subscription(email: state["email"], frequency: state["frequency"], keywords: state["keywords"],
                                                      categories: state["categories"])
        } catch {
            state.error = "The \(error.field) \(error.problem)."
            return community.form(context, status: CommunityHandlers.unprocessable) { $0.subscribe(state) }
        }
        try await community.community.limiter.hit("subscribe", key: "email:" + subscription.email.lowercased(),
                                                  limit: limits.subscribePerEmail, now: now)
        try await mailer.requestSubscription(subscription, now: now)
        mail.service?.wake()
        // The same answer whether the address was new, pending or subscribed already.
        return community.form(context) { $0.mailNotice(title: "Check your inbox",
                                                       "We sent a confirmation link to \(subscription.email). The subscription starts when you follow it.") }
    }

    static func token(_ request: Request, form: FormFields? = nil) -> String {
        form?["token"] ?? QueryParameters(request)["token"] ?? ""
    }

    func tokenProblem(_ error: TokenError, _ context: AppRequestContext) -> Response {
        let message = error == .expired
            ? "This link has expired. Ask again and use the new link within three days."
            : "This link is not valid. Copy the whole link from the message, or ask again."
        return community.form(context, status: .badRequest) { $0.mailNotice(title: "Link not valid", message) }
    }

    /// The page a link from an email opens: the token checked, then a button that POSTs it.
    func tokenPage(_ request: Request, _ context: AppRequestContext, purpose: String, title: String, text: String,
                   action: (String) -> SiteRoute, button: String) -> Response {
        let token = Self.token(request)
        do {
            _ = try mailer.signer.verify(token, purpose: purpose, now: now)
        } catch {
            return tokenProblem(error, context)
        }
        return community.form(context) { $0.tokenButton(title: title, text: text, action: action(token).url, button: button) }
    }

    func confirmForm(_ request: Request, _ context: AppRequestContext) -> Response {
        tokenPage(request, context, purpose: "subscribe", title: "Confirm your subscription",
                  text: "Press the button to start getting the digest.", action: { .subscribeConfirm(token: $0) },
                  button: "Confirm subscription")
    }

    func confirm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        let subscription: Subscription?
        do {
            subscription = try await mailer.confirmSubscription(token: Self.token(request, form: form), now: now)
        } catch let error as TokenError {
            return tokenProblem(error, context)
        }
        guard let subscription else {
            return community.form(context, status: .gone) {
                $0.mailNotice(title: "Link already used", "This link was used already, or a newer request replaced it. Nothing changed.")
            }
        }
        return community.form(context) {
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
            return community.form(context) { $0.mailNotice(title: "Unsubscribed", "There is nothing left to unsubscribe from here.") }
        }
        return community.form(context) {
            $0.tokenButton(title: "Unsubscribe", text: "Stop \(what)?", action: SiteRoute.unsubscribe(token: token).url, button: "Unsubscribe")
        }
    }

    /// The one-click POST (body `List-Unsubscribe=One-Click`) and the page's button both land here.
    func unsubscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        let target: UnsubscribeTarget
        do {
            target = try mailer.unsubscribeTarget(Self.token(request, form: form), now: now)
        } catch {
            return tokenProblem(error, context)
        }
        let what = try await mailer.describe(target)
        try await mailer.unsubscribe(target, now: now)
        return community.form(context) {
            $0.mailNotice(title: "Unsubscribed", what.map { "Done: you will not get \($0) any more." } ?? "Done: nothing more will be sent.")
        }
    }

    // MARK: Alerts

    func alerts(_ request: Request, _ context: AppRequestContext, state: FormState = FormState(), notice: String? = nil,
                status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let member = context.member else { return community.signInRedirect(request) }
        let alerts = try await mailer.store.alerts(member: member.id)
        let confirmed = try await mailer.store.memberEmailConfirmed(member.id)
        return community.form(context, status: status) {
            $0.alerts(member: member, alerts: alerts, emailConfirmed: confirmed, state: state, notice: notice)
        }
    }

    func createAlert(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { return community.signInRedirect(request) }
        let form = try await FormFields.read(request)
        var state = FormState(values: ["kind": form["kind"] ?? "search", "query": form["query"] ?? ""])
        do {
            let kind = try MailRules.alertKind(state["kind"])
            let query = try MailRules.alertQuery(state["query"])
            guard try await mailer.store.alerts(member: member.id).count < 50 else {
                throw InputError(field: "query", "cannot be saved: you have 50 alerts, the most one member can have")
            }
            _ = try await mailer.store.createAlert(member: member.id, kind: kind, query: query, now: now)
        } catch let error as InputError {
            state.error = "The \(error.field) \(error.problem)."
            return try await alerts(request, context, state: state, status: CommunityHandlers.unprocessable)
        }
        return community.redirect(SiteRoute.alerts.url.path)
    }

    func deleteAlert(_ request: Request, _ context: AppRequestContext, _ id: String) async throws -> Response {
        guard let member = context.member else { return community.signInRedirect(request) }
        guard let id = Int64(id), try await mailer.store.deleteAlert(id: id, member: member.id) else {
            throw WebError(.notFound, "You have no alert \(id)")
        }
        return community.redirect(SiteRoute.alerts.url.path)
    }

    func sendVerification(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let member = context.member else { return community.signInRedirect(request) }
        let limits = community.community.configuration.rateLimits
        try await community.community.limiter.hit("subscribe", key: "email:" + member.email.lowercased(), limit: limits.subscribePerEmail, now: now)
        try await mailer.requestEmailVerification(member: member, now: now)
        mail.service?.wake()
        return try await alerts(request, context, notice: "We sent a confirmation link to \(member.email).")
    }

    func verifyForm(_ request: Request, _ context: AppRequestContext) -> Response {
        tokenPage(request, context, purpose: "verify-email", title: "Confirm your address",
                  text: "Press the button to get alerts at this address.", action: { .verifyEmail(token: $0) },
                  button: "Confirm address")
    }

    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormFields.read(request)
        let ok: Bool
        do {
            ok = try await mailer.verifyEmail(token: Self.token(request, form: form), now: now)
        } catch let error as TokenError {
            return tokenProblem(error, context)
        }
        return community.form(context, status: ok ? .ok : .gone) {
            ok ? $0.mailNotice(title: "Address confirmed", "Your alerts will be mailed to it.")
               : $0.mailNotice(title: "Link not valid", "The account's address changed since this link was sent.")
        }
    }
}

extension WebApp {
    func addMailRoutes(to router: Router<AppRequestContext>, handlers h: MailHandlers) {
        router.get("/subscribe") { request, context in h.subscribeForm(request, context) }
        router.post("/subscribe") { request, context in try await h.subscribe(request, context) }
        router.get("/subscribe/confirm") { request, context in h.confirmForm(request, context) }
        router.post("/subscribe/confirm") { request, context in try await h.confirm(request, context) }
        router.get("/unsubscribe") { request, context in try await h.unsubscribeForm(request, context) }
        router.post("/unsubscribe") { request, context in try await h.unsubscribe(request, context) }
        router.get("/alerts") { request, context in
            // A link from a search or a paper page fills in the new alert (`?kind=&query=`).
            let query = QueryParameters(request)
            return try await h.alerts(request, context, state: FormState(values: ["kind": query["kind"] ?? "", "query": query["query"] ?? ""]))
        }
        router.post("/alerts") { request, context in try await h.createAlert(request, context) }
        router.post("/alerts/:alert/delete") { request, context in
            try await h.deleteAlert(request, context, try context.parameters.require("alert"))
        }
        router.post("/alerts/send-verification") { request, context in try await h.sendVerification(request, context) }
        router.get("/verify-email") { request, context in h.verifyForm(request, context) }
        router.post("/verify-email") { request, context in try await h.verify(request, context) }
    }
}
