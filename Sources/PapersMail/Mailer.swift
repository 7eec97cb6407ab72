import Foundation
import Logging
import PapersCore
import PapersSearch
import PapersStore

/// How the site signs and addresses its mail.
public struct MailSettings: Sendable {
    public var from: MailAddress
    public var siteName: String
    public var links: MailLinks
    /// The host in Message-IDs and List-Ids: the public base URL's host.
    public var domain: String
    /// The hour (UTC) digests go out.
    public var digestHour: Int
    /// Papers in one digest or alert message at most.
    public var papersPerMessage = 10
    public var confirmationLifetime: TimeInterval = 3 * 24 * 3600
    /// Unsubscribe links work this long (ten years: in effect, for good).
    public var unsubscribeLifetime: TimeInterval = 10 * 365 * 24 * 3600

    public init(from: MailAddress, siteName: String, links: MailLinks, domain: String, digestHour: Int = 6) {
        self.from = from
        self.siteName = siteName
        self.links = links
        self.domain = domain
        self.digestHour = digestHour
    }
}

/// What an unsubscribe token stops.
public enum UnsubscribeTarget: Sendable, Hashable {
    case subscription(Int64)
    case alert(Int64)
}

/// One subscriber's digest, as a dry run shows it.
public struct PlannedDigest: Sendable {
    public var subscription: Subscription
    public var edition: String
    public var period: ClosedRange<Day>
    public var cards: [PaperCard]
}

/// Composes and queues every message the site sends: confirmations, digests and alerts.
/// Delivery is the `Outbox`'s job; this only writes to it.
public final class Mailer: Sendable {
    public typealias Store = PaperStore & MailStore & CommunityStore
    public let store: any Store
    public let search: SearchEngine
    public let signer: TokenSigner
    public let settings: MailSettings
    let logger: Logger

    public init(store: any Store, search: SearchEngine, signer: TokenSigner, settings: MailSettings, logger: Logger) {
        self.store = store
        self.search = search
        self.signer = signer
        self.settings = settings
        self.logger = logger
    }

    // MARK: - Subscriptions

    /// Records the request and queues the confirmation mail. Says nothing about whether the
    /// address was known: callers show the same page either way.
    public func requestSubscription(_ request: SubscriptionRequest, now: Date) async throws {
        let nonce = TokenSigner.randomToken()
        let subscription = try await store.requestSubscription(request, nonce: nonce, now: now)
        let token = signer.sign(purpose: "subscribe", subject: "\(subscription.id).\(nonce)",
                                expires: now.addingTimeInterval(settings.confirmationLifetime))
        let link = settings.links.confirmSubscription(token)
        var what = "the \(request.frequency.rawValue) digest of trending papers"
        if !request.keywords.isEmpty { what += " about \(request.keywords.joined(separator: ", "))" }
        if !request.categories.isEmpty { what += " in \(request.categories.joined(separator: ", "))" }
        let title = "Confirm your subscription"
        let hours = Int(settings.confirmationLifetime / 3600)
        let text = """
            Someone (we hope you) asked to get \(what) from \(settings.siteName) at this address.

            To confirm, open this link within \(hours) hours:
            \(link)

            If it was not you, ignore this message: nothing more will be sent.
            """
        let html = MailTemplates.page(
            siteName: settings.siteName, title: title,
            content: MailTemplates.paragraph("Someone (we hope you) asked to get \(what) from \(settings.siteName) at this address.")
                + MailTemplates.button("Confirm subscription", link)
                + MailTemplates.paragraph("The link works for \(hours) hours. If it was not you, ignore this message: nothing more will be sent."),
            footer: "You get this because this address was entered at \(settings.links.subscribe).")
        let message = MailMessage(from: settings.from, to: MailAddress(request.email), subject: "\(settings.siteName): \(title.lowercased())",
                                  text: text, html: html, date: now,
                                  messageID: "confirm.\(subscription.id).\(TokenSigner.randomToken().prefix(12))@\(settings.domain)")
        try await store.enqueue([OutboxEntry(key: "confirm \(subscription.id) \(nonce)", sender: settings.from.address,
                                             recipient: request.email, message: try message.rendered())], now: now)
    }

    /// The subscription and nonce a confirmation token names.
    public func confirmationTarget(_ token: String, now: Date) throws(TokenError) -> (id: Int64, nonce: String) {
        let subject = try signer.verify(token, purpose: "subscribe", now: now)
        let parts = subject.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0]) else { throw .malformed }
        return (id, String(parts[1]))
    }

    /// Confirms the subscription a token names; nil when a newer request replaced the link
    /// or it was already used.
    public func confirmSubscription(token: String, now: Date) async throws -> Subscription? {
        let target = try confirmationTarget(token, now: now)
        return try await store.confirmSubscription(id: target.id, nonce: target.nonce, now: now)
    }

    public func unsubscribeToken(_ target: UnsubscribeTarget, now: Date) -> String {
        let subject = switch target {
        case let .subscription(id): "s:\(id)"
        case let .alert(id): "a:\(id)"
        }
        return signer.sign(purpose: "unsubscribe", subject: subject, expires: now.addingTimeInterval(settings.unsubscribeLifetime))
    }

    public func unsubscribeTarget(_ token: String, now: Date) throws(TokenError) -> UnsubscribeTarget {
        let subject = try signer.verify(token, purpose: "unsubscribe", now: now)
        guard subject.count > 2, let id = Int64(subject.dropFirst(2)) else { throw .malformed }
        switch subject.prefix(2) {
        case "s:": return .subscription(id)
        case "a:": return .alert(id)
        default: throw .malformed
        }
    }

    /// What the target is, for the confirmation page ("the daily digest for a@b.org"); nil
    /// when it is gone.
    public func describe(_ target: UnsubscribeTarget) async throws -> String? {
        switch target {
        case let .subscription(id):
            guard let s = try await store.subscription(id: id), s.status != .unsubscribed else { return nil }
            return "the \(s.frequency.rawValue) digest for \(s.email)"
        case let .alert(id):
            return try await store.alert(id: id).map { "the alert for \($0.label)" }
        }
    }

    /// Stops what the token names. Doing it twice is fine.
    public func unsubscribe(_ target: UnsubscribeTarget, now: Date) async throws {
        switch target {
        case let .subscription(id):
            _ = try await store.unsubscribe(id: id, now: now)
        case let .alert(id):
            if let alert = try await store.alert(id: id) { _ = try await store.deleteAlert(id: id, member: alert.member) }
        }
    }

    // MARK: - Members' addresses (for alerts)

    public func requestEmailVerification(member: Member, now: Date) async throws {
        let token = signer.sign(purpose: "verify-email", subject: "\(member.id.rawValue):\(member.email)",
                                expires: now.addingTimeInterval(settings.confirmationLifetime))
        let link = settings.links.verifyEmail(token)
        let title = "Confirm your address for alerts"
        let message = MailMessage(
            from: settings.from, to: MailAddress(member.email), subject: "\(settings.siteName): confirm your address",
            text: "Hello \(member.username),\n\nto get alerts from \(settings.siteName) at this address, open this link:\n\(link)\n\nIf it was not you, ignore this message.\n",
            html: MailTemplates.page(siteName: settings.siteName, title: title,
                                     content: MailTemplates.paragraph("Hello \(member.username), to get alerts from \(settings.siteName) at this address, confirm it.")
                                        + MailTemplates.button("Confirm address", link),
                                     footer: "If it was not you, ignore this message."),
            date: now, messageID: "verify.\(member.id).\(TokenSigner.randomToken().prefix(12))@\(settings.domain)")
        try await store.enqueue([OutboxEntry(key: "verify \(member.id) \(TokenSigner.randomToken())", sender: settings.from.address,
                                             recipient: member.email, message: try message.rendered())], now: now)
    }

    /// Marks the member's address confirmed; false when the token is for another address.
    public func verifyEmail(token: String, now: Date) async throws -> Bool {
        let subject = try signer.verify(token, purpose: "verify-email", now: now)
        let parts = subject.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0]) else { throw TokenError.malformed }
        return try await store.confirmMemberEmail(Member.ID(id), email: String(parts[1]), now: now)
    }

    // MARK: - Alerts a member keeps

    public func alerts(member: Member.ID) async throws -> [PaperAlert] {
        try await store.alerts(member: member)
    }

    /// Whether alerts can be mailed to the member's address (it was confirmed).
    public func emailConfirmed(member: Member.ID) async throws -> Bool {
        try await store.memberEmailConfirmed(member)
    }

    /// Saves an alert, within `MailRules.maxAlertsPerMember`.
    @discardableResult
    public func createAlert(member: Member.ID, kind: PaperAlert.Kind, query: String, now: Date) async throws -> PaperAlert {
        try MailRules.checkAlertCount(try await store.alerts(member: member).count)
        return try await store.createAlert(member: member, kind: kind, query: query, now: now)
    }

    /// Deletes one of the member's alerts; false when they have no such alert.
    public func deleteAlert(_ id: Int64, member: Member.ID) async throws -> Bool {
        try await store.deleteAlert(id: id, member: member)
    }

    // MARK: - Digests

    /// The frequencies whose digest goes out on `day`.
    public static func frequencies(dueOn day: Day) -> [DigestFrequency] {
        DigestFrequency.allCases.filter { $0.isDue(on: day) }
    }

    /// The trending papers featured in `period`, best first.
    /// The same ranking as the site's trending list (`PaperStore.trending`), over the period.
    func trending(in period: ClosedRange<Day>) async throws -> [PaperCard] {
        try await store.trending(featuredOn: period, at: period.upperBound.adding(days: 1).start)
    }

    /// Each confirmed subscriber's digest of `frequency` for `day` (those with no papers left
    /// after their keywords and categories get none).
    public func plan(_ frequency: DigestFrequency, on day: Day) async throws -> [PlannedDigest] {
        let period = frequency.period(sentOn: day)
        let edition = frequency.edition(sentOn: day)
        let trending = try await trending(in: period)
        var byInterest = [[String]: [PaperCard]]()
        var plans = [PlannedDigest]()
        for subscription in try await store.confirmedSubscriptions(frequency: frequency) {
            let interest = subscription.keywords.map { "k:" + $0.lowercased() } + subscription.categories.map { "c:" + $0.lowercased() }
            let cards: [PaperCard]
            if let known = byInterest[interest] {
                cards = known
            } else {
                var candidates = trending.filter { subscription.admits(categories: $0.paper.categories) }
                if !subscription.keywords.isEmpty {
                    let matched = search.matching(candidates.map(\.paper), anyOf: subscription.keywords)
                    candidates = candidates.filter { matched.contains($0.paper.id) }
                }
                cards = Array(candidates.prefix(settings.papersPerMessage))
                byInterest[interest] = cards
            }
            if !cards.isEmpty { plans.append(PlannedDigest(subscription: subscription, edition: edition, period: period, cards: cards)) }
        }
        return plans
    }

    /// Queues the digests of `frequency` for `day` (each subscriber's once, however often this
    /// runs) and marks the edition queued. Returns how many messages were new to the outbox.
    @discardableResult
    public func queueDigests(_ frequency: DigestFrequency, on day: Day, now: Date) async throws -> Int {
        let plans = try await plan(frequency, on: day)
        var added = 0
        var batch = [OutboxEntry]()
        // Subscribers with the same interests get the same cards: rendered once.
        var rendered = [[ArxivID]: MailTemplates.Body]()
        for plan in plans {
            let ids = plan.cards.map(\.paper.id)
            let cards = rendered[ids] ?? MailTemplates.cards(plan.cards, links: settings.links)
            rendered[ids] = cards
            batch.append(try digestEntry(plan, cards: cards, now: now))
            if batch.count == 500 {
                added += try await store.enqueue(batch, now: now)
                batch.removeAll(keepingCapacity: true)
            }
        }
        added += try await store.enqueue(batch, now: now)
        try await store.markEditionQueued(plans.first?.edition ?? frequency.edition(sentOn: day), messages: plans.count, now: now)
        logger.info("digest queued", metadata: ["edition": "\(frequency.edition(sentOn: day))", "subscribers": "\(plans.count)",
                                               "new": "\(added)"])
        return added
    }

    func digestEntry(_ plan: PlannedDigest, cards: MailTemplates.Body, now: Date) throws -> OutboxEntry {
        let s = plan.subscription
        let unsubscribe = settings.links.unsubscribe(unsubscribeToken(.subscription(s.id), now: now))
        let when = DisplayDate.longRange(plan.period)
        var about = ""
        if !s.keywords.isEmpty { about += " about \(s.keywords.joined(separator: ", "))" }
        if !s.categories.isEmpty { about += " in \(s.categories.joined(separator: ", "))" }
        let title = "Trending papers\(about), \(when)"
        let footer = MailTemplates.footer(
            reason: "You get the \(s.frequency.rawValue) digest of \(settings.siteName) at \(s.email).",
            unsubscribe: unsubscribe, manage: settings.links.subscribe)
        let text = "\(title)\n\n\(cards.text)More at \(settings.links.home)\n\n\(footer.text)"
        let html = MailTemplates.page(siteName: settings.siteName, title: title, content: HTML(raw: cards.html), footer: footer.html)
        let top = plan.cards.first.map { ": \(MailMessage.singleLine($0.paper.title))" } ?? ""
        let subject = "\(s.frequency == .daily ? "Daily" : "Weekly") papers\(top)\(plan.cards.count > 1 ? " and \(plan.cards.count - 1) more" : "")"
        let message = MailMessage(from: settings.from, to: MailAddress(s.email), subject: subject, text: text, html: html, date: now,
                                  messageID: "digest.\(s.frequency.rawValue).\(plan.period.upperBound).\(s.id)@\(settings.domain)",
                                  listID: "\(settings.siteName.filter(\.isASCII)) \(s.frequency.rawValue) digest <\(s.frequency.rawValue).digest.\(settings.domain)>",
                                  unsubscribeURL: unsubscribe)
        return OutboxEntry(key: "digest \(plan.edition) #\(s.id)", sender: settings.from.address, recipient: s.email,
                           message: try message.rendered())
    }

    // MARK: - Alerts

    /// For every alert of a member with a confirmed address: the papers added since it last
    /// looked that match it, in one message, each paper at most once per alert.
    @discardableResult
    public func queueAlerts(now: Date) async throws -> Int {
        var queued = 0
        for (alert, email) in try await store.activeAlerts() {
            while true {
                let (papers, mark) = try await store.papersNew(for: alert, limit: 5000)
                guard let previous = try await store.alertMark(id: alert.id), mark > previous else { break }
                var matched: [Paper]
                switch alert.kind {
                case .author: matched = papers.filter { MailRules.authorMatches(alert.query, $0.authors) }
                case .search:
                    let ids = search.matching(papers, anyOf: [alert.query])
                    matched = papers.filter { ids.contains($0.id) }
                }
                let already = try await store.alertSent(id: alert.id, among: matched.map(\.id))
                matched = matched.filter { !already.contains($0.id) }
                var entry: OutboxEntry?
                if !matched.isEmpty {
                    let cards = try await store.cards(matched.map(\.id))
                    entry = try alertEntry(alert, email: email, cards: cards, mark: mark, now: now)
                }
                if try await store.recordAlert(id: alert.id, previous: previous, mark: mark, sent: matched.map(\.id), entry: entry, now: now),
                   entry != nil {
                    queued += 1
                }
            }
        }
        return queued
    }

    func alertEntry(_ alert: PaperAlert, email: String, cards: [PaperCard], mark: Int64, now: Date) throws -> OutboxEntry {
        let unsubscribe = settings.links.unsubscribe(unsubscribeToken(.alert(alert.id), now: now))
        let shown = Array(cards.prefix(settings.papersPerMessage * 5))
        let body = MailTemplates.cards(shown, links: settings.links)
        let title = "\(cards.count) new \(cards.count == 1 ? "paper" : "papers"): \(alert.label)"
        let footer = MailTemplates.footer(reason: "You get this because you set an alert for \(alert.label) on \(settings.siteName).",
                                          unsubscribe: unsubscribe, manage: settings.links.alerts)
        let more = cards.count > shown.count ? "And \(cards.count - shown.count) more.\n\n" : ""
        let message = MailMessage(
            from: settings.from, to: MailAddress(email), subject: "\(settings.siteName) alert: \(title)",
            text: "\(title)\n\n\(body.text)\(more)\(footer.text)",
            html: MailTemplates.page(siteName: settings.siteName, title: title, content: HTML(raw: body.html + more), footer: footer.html),
            date: now, messageID: "alert.\(alert.id).\(mark)@\(settings.domain)",
            listID: "\(settings.siteName.filter(\.isASCII)) alerts <alerts.\(settings.domain)>", unsubscribeURL: unsubscribe)
        return OutboxEntry(key: "alert \(alert.id) \(mark)", sender: settings.from.address, recipient: email, message: try message.rendered())
    }
}
