import Foundation
import Logging
import NIOCore
import PapersCore
@testable import PapersMail
import PapersSearch
import PapersStore
import Synchronization
import Testing
import TestSupport

/// Undoes quoted-printable, for checking what a client would show.
func decodeQuotedPrintable(_ text: String) -> String {
    let utf8 = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
    var bytes = [UInt8]()
    var k = 0
    while k < utf8.count {
        if utf8[k] == UInt8(ascii: "="), k + 2 < utf8.count, let v = UInt8(String(decoding: utf8[k + 1...k + 2], as: UTF8.self), radix: 16) {
            bytes.append(v)
            k += 3
        } else {
            bytes.append(utf8[k])
            k += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func message(subject: String = "Hello", to: String = "reader@example.org", text: String = "Text", html: String = "<p>HTML</p>") -> MailMessage {
    MailMessage(from: MailAddress("papers@example.org", name: "Daily Papers"), to: MailAddress(to), subject: subject, text: text,
                html: html, date: Date(timeIntervalSince1970: 1_795_000_000), messageID: "digest.1@example.org",
                listID: "Daily Papers daily digest <daily.digest.example.org>",
                unsubscribeURL: "https://papers.example.org/unsubscribe?token=abc.def")
}

struct MessageTests {
    @Test func headersForListsAndMultipartBodies() throws {
        let raw = String(decoding: try message().rendered(boundary: "=_b"), as: UTF8.self)
        let head = raw.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.contains("From: Daily Papers <papers@example.org>\r\n"))
        #expect(head.contains("Date: Wed, 18 Nov 2026 11:06:40 +0000"))
        #expect(head.contains("Message-ID: <digest.1@example.org>"))
        #expect(head.contains("List-Id: Daily Papers daily digest <daily.digest.example.org>"))
        #expect(head.contains("List-Unsubscribe: <https://papers.example.org/unsubscribe?token=abc.def>"))
        #expect(head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(head.contains("Content-Type: multipart/alternative; boundary=\"=_b\""))
        #expect(raw.contains("--=_b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(raw.contains("--=_b\r\nContent-Type: text/html; charset=utf-8"))
        #expect(raw.hasSuffix("--=_b--\r\n"))
        // Every line ends in CRLF and none is longer than 78 characters.
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(raw.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
    }

    @Test func lineBreaksInASubjectCannotAddHeaders() throws {
        let raw = String(decoding: try message(subject: "Evil\r\nBcc: mallory@example.org\n\nbody").rendered(), as: UTF8.self)
        let head = raw.components(separatedBy: "\r\n\r\n")[0]
        #expect(!head.contains("\r\nBcc:"))
        #expect(head.contains("Subject: Evil Bcc: mallory@example.org body\r\n"))
        #expect(throws: MailHeaderError.self) { try message(to: "a@example.org\r\nBcc: b@example.org").rendered() }
        #expect(throws: MailHeaderError.self) { try message(to: "a@example.org>, <b@example.org").rendered() }
    }

    @Test func nonASCIISubjectsAreEncodedWords() throws {
        let subject = "Trending: Schrödinger bridges, 拡散モデル, and a rather long tail of words to fold over lines"
        let encoded = MailMessage.encodedSubject(subject)
        #expect(encoded.hasPrefix("=?UTF-8?B?"))
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.allSatisfy { $0.count <= 75 })
        let decoded = words.map { word -> String in
            let b64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(b64))!, as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
    }

    @Test func quotedPrintableRoundTripsAndEncodesLeadingDots() {
        let text = "Line one\n.starts with a dot\n" + String(repeating: "long é line ", count: 20) + "\ntrailing space \nend = done"
        let encoded = MailMessage.quotedPrintable(text)
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 && !$0.hasPrefix(".") && !$0.hasSuffix(" ") })
        #expect(decodeQuotedPrintable(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func dotStuffingAndTheEndOfData() {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        SMTPConnection.dotStuff(Array("Subject: x\r\n\r\n.\r\n..two\nlast".utf8), into: &buffer)
        #expect(String(buffer: buffer) == "Subject: x\r\n\r\n..\r\n...two\r\nlast\r\n.\r\n")
    }
}

struct ConfigurationTests {
    @Test func smtpURLs() throws {
        let plain = try SMTPConfiguration(url: "smtp://user:p%40ss@mail.example.org?starttls=required&timeout=5")
        #expect(plain.port == 587 && plain.security == .startTLSRequired && plain.password == "p@ss" && plain.timeout == .seconds(5))
        #expect(plain.description == "smtp://user:***@mail.example.org:587")
        let implicit = try SMTPConfiguration(url: "smtps://mail.example.org?auth=login")
        #expect(implicit.port == 465 && implicit.security == .implicitTLS && implicit.preferLogin)
        #expect(SMTPConfiguration.redacted("smtp://u:secret@h:25") == "smtp://u:***@h:25")
        for bad in ["http://mail.example.org", "smtp://", "smtps://h?starttls=required", "smtp://h?starttls=sometimes", "smtp://h?colour=blue"] {
            #expect(throws: MailConfigurationError.self) { try SMTPConfiguration(url: bad) }
        }
        let error = #expect(throws: MailConfigurationError.self) { try SMTPConfiguration(url: "ftp://u:secret@h") }
        #expect(error.map { !$0.description.contains("secret") && $0.description.contains("scheme") } == true, "\(String(describing: error))")
    }

    @Test func retriesBackOffThenGiveUp() {
        let policy = RetryPolicy(base: 10, maximumDelay: 60, maximumAttempts: 4)
        let now = Date(timeIntervalSince1970: 0)
        #expect(policy.retryAt(afterAttempt: 1, now: now) == Date(timeIntervalSince1970: 10))
        #expect(policy.retryAt(afterAttempt: 2, now: now) == Date(timeIntervalSince1970: 20))
        #expect(policy.retryAt(afterAttempt: 3, now: now) == Date(timeIntervalSince1970: 40))
        #expect(policy.retryAt(afterAttempt: 4, now: now) == nil)
    }

    @Test func subscriptionRules() throws {
        let request = try MailRules.subscription(email: " a@example.org ", frequency: "Weekly", keywords: "diffusion, Diffusion\nretrieval",
                                                 categories: "cs.CL cs")
        #expect(request.email == "a@example.org" && request.frequency == .weekly)
        #expect(request.keywords == ["diffusion", "retrieval"] && request.categories == ["cs.CL", "cs"])
        #expect(throws: InputError(field: "frequency", "must be daily or weekly")) {
            try MailRules.subscription(email: "a@example.org", frequency: "hourly", keywords: "", categories: "")
        }
        #expect(throws: InputError.self) { try MailRules.categories("cs.CL; DROP TABLE") }
        #expect(MailRules.categoriesMatch(["cs"], ["cs.LG"]) && !MailRules.categoriesMatch(["cs.CL"], ["cs.LG", "stat.ML"]))
        #expect(MailRules.authorMatches("jose garcia", ["A. B.", "José  García"]))
        let monday = Day("2026-11-23")!
        #expect(DigestFrequency.daily.period(sentOn: monday) == Day("2026-11-20")!...Day("2026-11-22")!)
        #expect(DigestFrequency.weekly.isDue(on: monday) && !DigestFrequency.weekly.isDue(on: monday.adding(days: 1)))
        #expect(!DigestFrequency.daily.isDue(on: Day("2026-11-22")!))
    }
}

/// A mailer over an in-memory store, with links on example.org.
func makeMailer(_ store: any SiteStore) -> Mailer {
    let base = "https://papers.example.org"
    let links = MailLinks(home: base + "/", paper: { base + "/papers/\($0)" }, confirmSubscription: { base + "/subscribe/confirm?token=\($0)" },
                          unsubscribe: { base + "/unsubscribe?token=\($0)" }, verifyEmail: { base + "/verify-email?token=\($0)" },
                          subscribe: base + "/subscribe", alerts: base + "/alerts")
    return Mailer(store: store, search: SearchEngine(store: store, embedder: nil), signer: TokenSigner(secret: Array(repeating: 7, count: 32)),
                  settings: MailSettings(from: MailAddress("papers@example.org"), siteName: "Daily Papers", links: links, domain: "example.org"),
                  logger: Logger(label: "test"))
}

func paper(_ id: String, title: String, authors: [String] = ["Ada Lovelace"]) -> Paper {
    Paper(id: ArxivID(id)!, version: 1, title: title, abstract: "About \(title.lowercased()).", authors: authors, categories: ["cs.LG"],
          publishedAt: Date(timeIntervalSince1970: 1_790_000_000))
}

@Suite(.stores)
struct MailerTests {
    @Test(arguments: StoreKind.available) func doubleOptInAppliesOnlyTheLatestRequest(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let mailer = makeMailer(store)
        let now = Date()
        try await mailer.requestSubscription(SubscriptionRequest(email: "a@example.org", frequency: .daily), now: now)
        try await mailer.requestSubscription(SubscriptionRequest(email: "A@example.org", frequency: .weekly, keywords: ["graphs"]), now: now)
        let queued = try await store.claimDue(now: now, limit: 10, lease: 60)
        #expect(queued.count == 2 && queued.allSatisfy { $0.entry.key.hasPrefix("confirm ") })
        let links = queued.map { String(decoding: $0.entry.message, as: UTF8.self) }.map { raw in
            decodeQuotedPrintable(raw).components(separatedBy: "confirm?token=")[1].prefix(while: { !$0.isWhitespace && $0 != "\"" && $0 != "<" })
        }
        #expect(try await store.confirmedSubscriptions(frequency: .daily).isEmpty)  // nothing before confirming
        #expect(try await mailer.confirmSubscription(token: String(links[0]), now: now) == nil)  // replaced by the newer request
        let confirmed = try #require(try await mailer.confirmSubscription(token: String(links[1]), now: now))
        #expect(confirmed.frequency == .weekly && confirmed.keywords == ["graphs"] && confirmed.status == .confirmed)
        #expect(try await mailer.confirmSubscription(token: String(links[1]), now: now) == nil)  // used
        #expect(throws: TokenError.expired) {
            try mailer.confirmationTarget(String(links[1]), now: now.addingTimeInterval(4 * 86_400))
        }
        let token = mailer.unsubscribeToken(.subscription(confirmed.id), now: now)
        #expect(try mailer.unsubscribeTarget(token, now: now) == .subscription(confirmed.id))
        #expect(throws: TokenError.wrongPurpose) { try mailer.unsubscribeTarget(String(links[1]), now: now) }
        try await mailer.unsubscribe(.subscription(confirmed.id), now: now)
        #expect(try await store.confirmedSubscriptions(frequency: .weekly).isEmpty)
    }

    @Test(arguments: StoreKind.available) func alertsMailEachNewMatchingPaperOnce(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let mailer = makeMailer(store)
        let now = Date()
        _ = try await store.write(ImportBatch(papers: [paper("2401.00001", title: "Old graph paper")]))
        let member = try await store.createMember(username: "ada", email: "ada@example.org", passwordHash: "x", isAdmin: false, now: now)
        let byAuthor = try await store.createAlert(member: member.id, kind: .author, query: "ada lovelace", now: now)
        let bySearch = try await store.createAlert(member: member.id, kind: .search, query: "graph networks", now: now)
        _ = try await store.write(ImportBatch(papers: [paper("2401.00002", title: "Graph networks for molecules"),
                                                       paper("2401.00003", title: "Protein folding", authors: ["Someone Else"])]))
        #expect(try await mailer.queueAlerts(now: now) == 0)  // the address is not confirmed yet
        #expect(try await store.confirmMemberEmail(member.id, email: "ada@example.org", now: now))
        #expect(try await mailer.queueAlerts(now: now) == 2)  // 2401.00002 for each alert
        #expect(try await mailer.queueAlerts(now: now) == 0)
        _ = try await store.write(ImportBatch(papers: [paper("2401.00004", title: "Graph networks at scale"),
                                                       paper("2401.00005", title: "Protein design", authors: ["Someone Else"])]))
        #expect(try await mailer.queueAlerts(now: now) == 2)
        // A new version of a paper already mailed is not new; the old paper never matched either alert as new.
        _ = try await store.write(ImportBatch(papers: [Paper(id: ArxivID("2401.00004")!, version: 2, title: "Graph networks at scale, v2",
                                                             abstract: "Changed.", authors: ["Ada Lovelace"])]))
        #expect(try await mailer.queueAlerts(now: now) == 0)
        let messages = try await store.claimDue(now: now, limit: 10, lease: 60)
        #expect(messages.count == 4)
        var mailed = [String: Int]()
        for message in messages {
            let text = decodeQuotedPrintable(String(decoding: message.entry.message, as: UTF8.self))
            for id in ["2401.00001", "2401.00002", "2401.00003", "2401.00004", "2401.00005"] where text.contains("/papers/\(id)\r\n") {
                mailed[id, default: 0] += 1
            }
            #expect(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        }
        // Each of the two matching papers once per alert; the others never.
        #expect(mailed == ["2401.00002": 2, "2401.00004": 2])
        #expect(try await store.alertSent(id: byAuthor.id, among: [ArxivID("2401.00004")!]).count == 1)
        #expect(try await store.alertSent(id: bySearch.id, among: [ArxivID("2401.00004")!]).count == 1)
        // An alert's unsubscribe link deletes it.
        try await mailer.unsubscribe(try mailer.unsubscribeTarget(mailer.unsubscribeToken(.alert(bySearch.id), now: now), now: now), now: now)
        #expect(try await store.alerts(member: member.id).map(\.id) == [byAuthor.id])
    }

    @Test(arguments: StoreKind.available) func claimsKeepTwoSendersApartAndFilesAreWritten(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let past = Date().addingTimeInterval(-1000)
        let entries = (0..<5).map { OutboxEntry(key: "test \($0)", sender: "papers@example.org", recipient: "r\($0)@example.org",
                                                message: Array("Subject: \($0)\r\n\r\nbody\r\n".utf8)) }
        #expect(try await store.enqueue(entries, now: past) == 5)
        #expect(try await store.enqueue(entries, now: past) == 0)  // the same keys queue once
        let first = try await store.claimDue(now: past, limit: 3, lease: 60)
        let second = try await store.claimDue(now: past, limit: 10, lease: 60)
        #expect(first.count == 3 && second.count == 2 && Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        #expect(try await store.claimDue(now: past, limit: 10, lease: 60).isEmpty)
        // After a claim runs out (its sender died), the messages can be claimed again.
        #expect(try await store.claimDue(now: past.addingTimeInterval(61), limit: 10, lease: 60).count == 5)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID())").path
        let outbox = Outbox(store: store, transport: FileTransport(folder: folder), logger: Logger(label: "test"))
        #expect(try await outbox.deliverDue() == DeliveryReport(sent: 5))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }
        #expect(files.count == 5)
        #expect(try await store.outboxCounts().sent == 5)
        #expect(try await outbox.deliverDue() == DeliveryReport())
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ date: Date) { current = Mutex(date) }
    var now: Date { current.withLock { $0 } }
    func set(_ day: String, hour: Int, minute: Int = 0) {
        move(to: Day(day)!.start.addingTimeInterval(Double(hour * 3600 + minute * 60)))
    }
    func move(to date: Date) { current.withLock { $0 = date } }
}

@Suite(.stores)
struct MailServiceTests {
    /// A confirmed subscription, as following the confirmation link leaves it.
    func subscribe(_ store: any SiteStore, _ email: String, _ frequency: DigestFrequency, now: Date, keywords: [String] = []) async throws {
        let pending = try await store.requestSubscription(SubscriptionRequest(email: email, frequency: frequency, keywords: keywords),
                                                          nonce: "n-\(email)", now: now)
        _ = try #require(try await store.confirmSubscription(id: pending.id, nonce: "n-\(email)", now: now))
    }

    func mailed(_ folder: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }.sorted()
            .map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
    }

    @Test(arguments: StoreKind.available) func digestsGoOutOnceEachEditionFromTheDigestHour(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let thursday = Day("2026-11-19")!
        // Two papers just outside the weekly digest's week (Sunday Nov 15 and Monday Nov 23),
        // with more votes than either inside it: they must not be in it.
        let sundayBefore = Day("2026-11-15")!, mondayAfter = Day("2026-11-23")!
        _ = try await store.write(ImportBatch(
            papers: [paper("2611.00001", title: "Graph networks"), paper("2611.00002", title: "Protein folding"),
                     paper("2611.00003", title: "Sunday sparsity"), paper("2611.00004", title: "Monday morning")],
            featured: [FeaturedEntry(paperID: ArxivID("2611.00001")!, day: thursday, featuredAt: thursday.start.addingTimeInterval(8 * 3600), importedUpvotes: 9),
                       FeaturedEntry(paperID: ArxivID("2611.00002")!, day: thursday, featuredAt: thursday.start.addingTimeInterval(9 * 3600), importedUpvotes: 2),
                       FeaturedEntry(paperID: ArxivID("2611.00003")!, day: sundayBefore, featuredAt: sundayBefore.start.addingTimeInterval(20 * 3600), importedUpvotes: 90),
                       FeaturedEntry(paperID: ArxivID("2611.00004")!, day: mondayAfter, featuredAt: mondayAfter.start.addingTimeInterval(60), importedUpvotes: 90)]))
        let clock = TestClock(Day("2026-11-18")!.start)
        try await subscribe(store, "daily@example.org", .daily, now: clock.now)
        try await subscribe(store, "weekly@example.org", .weekly, now: clock.now)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID())").path
        // A new service each time stands for a restart of `serve`: nothing it remembers in memory matters.
        func tick() async {
            let outbox = Outbox(store: store, transport: FileTransport(folder: folder), now: { clock.now }, logger: Logger(label: "test"))
            let service = MailService(mailer: makeMailer(store), outbox: outbox,
                                      now: { clock.now }, logger: Logger(label: "test"))
            await service.tick()
        }

        clock.set("2026-11-20", hour: 5, minute: 59)  // Friday, before the digest hour (6)
        await tick()
        #expect(try mailed(folder).isEmpty)
        clock.set("2026-11-20", hour: 6)
        await tick()
        let friday = try mailed(folder)
        #expect(friday.count == 1)
        #expect(friday.first?.contains("To: <daily@example.org>") == true)
        #expect(friday.first?.contains("Subject: Daily papers: Graph networks and 1 more") == true)
        #expect(friday.first.map(decodeQuotedPrintable)?.contains("Trending papers, Nov 19, 2026") == true)
        clock.set("2026-11-20", hour: 18)
        await tick()
        await tick()
        #expect(try mailed(folder).count == 1)  // once per edition, across restarts
        clock.set("2026-11-21", hour: 7)  // Saturday: no digest
        await tick()
        #expect(try mailed(folder).count == 1)
        // Monday: the weekly digest covers the week before; the daily one (Friday to Sunday) has no papers.
        clock.set("2026-11-23", hour: 6, minute: 30)
        await tick()
        let monday = try mailed(folder).dropFirst()
        #expect(monday.count == 1)
        #expect(monday.first?.contains("To: <weekly@example.org>") == true)
        // What the weekly digest holds: the week before (Nov 16 to 22), its papers by trending
        // score (9 votes before 2 on the same day), as cards with their links.
        let weekly = try #require(monday.first)
        #expect(weekly.contains("Subject: Weekly papers: Graph networks and 1 more\r\n"))
        let text = decodeQuotedPrintable(weekly.components(separatedBy: "Content-Type: text/html")[0])
        #expect(text.contains("Trending papers, Nov 16"), "the period starts on the Monday before")
        #expect(text.contains("22, 2026"), "and ends on the Sunday")
        let graph = try #require(text.range(of: "https://papers.example.org/papers/2611.00001"))
        let protein = try #require(text.range(of: "https://papers.example.org/papers/2611.00002"))
        #expect(graph.lowerBound < protein.lowerBound)
        #expect(text.contains("Graph networks") && text.contains("Protein folding"))
        #expect(!text.contains("Sunday sparsity") && !text.contains("2611.00003"), "the Sunday before the week is not in it")
        #expect(!text.contains("Monday morning") && !text.contains("2611.00004"), "the Monday after the week is not in it")
        #expect(text.contains("You get the weekly digest of Daily Papers at weekly@example.org."))
        #expect(try await store.editionQueued(DigestFrequency.daily.edition(sentOn: Day("2026-11-23")!)))
    }
}

/// A server that takes its time: it holds the first message until the test lets it go.
struct HeldTransport: MailTransport {
    let started: AsyncStream<Void>.Continuation
    let release: AsyncStream<Void>
    var description: String { "a slow server" }

    func deliver(next: @escaping NextMessage, report: @escaping ReportOutcome) async throws {
        var first = true
        while let message = try await next() {
            if first {
                started.yield()
                for await _ in release { break }
                first = false
            }
            try await report(message, .sent)
        }
    }
}

@Suite(.stores)
struct ClaimRenewalTests {
    @Test(arguments: StoreKind.available) func aSlowSenderKeepsItsClaimSoNoOtherSenderTakesItsMessages(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = TestClock(start)
        let entries = (0..<3).map { OutboxEntry(key: "slow \($0)", sender: "papers@example.org", recipient: "r\($0)@example.org",
                                                message: Array("Subject: \($0)\r\n\r\nbody\r\n".utf8)) }
        #expect(try await store.enqueue(entries, now: start) == 3)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let lease: TimeInterval = 0.3
        let outbox = Outbox(store: store, transport: HeldTransport(started: startedContinuation, release: release), claimLease: lease,
                            now: { clock.now }, logger: Logger(label: "test"))
        let delivery = Task { try await outbox.deliverDue() }
        for await _ in started { break }  // the sender holds all three, and the server sits on the first

        // Later, still before the claim would run out, the sender renews it.
        clock.move(to: start.addingTimeInterval(lease * 2 / 3))
        let deadline = ContinuousClock.now + .seconds(30)
        while let next = try await store.outboxCounts().nextAttempt, next <= start.addingTimeInterval(lease) {
            #expect(ContinuousClock.now < deadline, "the claim was never renewed")
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // Past the first claim's end, another sender still finds nothing to take.
        clock.move(to: start.addingTimeInterval(lease * 4 / 3))
        #expect(try await store.claimDue(now: clock.now, limit: 10, lease: lease).isEmpty)

        releaseContinuation.yield()
        #expect(try await delivery.value == DeliveryReport(sent: 3))
        let counts = try await store.outboxCounts()
        #expect(counts.sent == 3 && counts.pending == 0)
    }

    @Test(arguments: StoreKind.available) func renewingLeavesSentAndFailedMessagesAlone(_ kind: StoreKind) async throws {
        let store = try await TestStores.make(kind)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let entries = (0..<3).map { OutboxEntry(key: "renew \($0)", sender: "papers@example.org", recipient: "r\($0)@example.org",
                                                message: Array("Subject: \($0)\r\n\r\nbody\r\n".utf8)) }
        try await store.enqueue(entries, now: start)
        let claimed = try await store.claimDue(now: start, limit: 10, lease: 10)
        try await store.markSent(claimed[0].id, now: start)
        try await store.markFailed(claimed[2].id, error: "451 try later", retryAt: start.addingTimeInterval(20), now: start)
        // A renewal that still names all three (the sender had not settled them when it looked).
        try await store.renewClaims(claimed.map(\.id), until: start.addingTimeInterval(100))
        // The held one stays held until the renewed end; the failed one comes due at its retry;
        // the sent one stays sent.
        let retried = try await store.claimDue(now: start.addingTimeInterval(50), limit: 10, lease: 10)
        #expect(retried.map(\.id) == [claimed[2].id])
        try await store.markSent(claimed[2].id, now: start.addingTimeInterval(50))
        #expect(try await store.claimDue(now: start.addingTimeInterval(70), limit: 10, lease: 10).isEmpty)
        #expect(try await store.claimDue(now: start.addingTimeInterval(100), limit: 10, lease: 10).map(\.id) == [claimed[1].id])
        #expect(try await store.outboxCounts().sent == 2)
    }
}

/// The keyword match of digests with the real model: a paper that holds the keyword's words,
/// or whose vector has a cosine of at least 0.45 with the keyword's.
@Suite(.stores)
struct DigestKeywordMatchTests {
    @Test(arguments: StoreKind.available) func keywordsMatchByWordsOrByACosineOfAtLeast045(_ kind: StoreKind) async throws {
        guard let embedder = try MiniLMEmbedder.load(directory: ProcessInfo.processInfo.environment["MODEL_DIR"]) else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup.sh --test (it is never skipped)")
            return
        }
        let store = try await TestStores.make(kind)
        let thursday = Day("2026-11-19")!
        let papers = [
            Paper(id: ArxivID("2611.00011")!, version: 1, title: "Protein folding with attention networks",
                  abstract: "A network predicts structures.", authors: ["A. Author"], categories: ["q-bio.BM"]),
            Paper(id: ArxivID("2611.00012")!, version: 1, title: "Predicting the three-dimensional shape of polypeptide chains",
                  abstract: "We predict how chains of amino acids fold into their native conformation.", authors: ["B. Author"], categories: ["q-bio.BM"]),
            Paper(id: ArxivID("2611.00013")!, version: 1, title: "Stock price forecasting with transformers",
                  abstract: "Predicting financial markets from historical prices.", authors: ["C. Author"], categories: ["q-fin.ST"]),
            Paper(id: ArxivID("2611.00014")!, version: 1, title: "Robot grasping by trial and error",
                  abstract: "A robot arm learns to pick up objects.", authors: ["D. Author"], categories: ["cs.RO"]),
        ]
        _ = try await store.write(ImportBatch(papers: papers, featured: papers.enumerated().map { k, p in
            FeaturedEntry(paperID: p.id, day: thursday, featuredAt: thursday.start.addingTimeInterval(Double(8 + k) * 3600), importedUpvotes: 10 - k)
        }))
        let engine = SearchEngine(store: store, embedder: embedder)
        while try await engine.embedPending() > 0 {}
        let keyword = "protein folding"
        try await MailServiceTests().subscribe(store, "reader@example.org", .daily, now: Date(), keywords: [keyword])

        // Expected, worked out here: the words, or the cosine of the stored unit vectors.
        let query = embedder.embed([keyword])[0]
        let vectors = Dictionary(uniqueKeysWithValues: try await store.embeddings(model: embedder.modelID).map { ($0.paperID, $0.vector) })
        var cosines = [String: Float]()
        for paper in papers {
            let vector = try #require(vectors[paper.id])
            cosines[paper.id.rawValue] = zip(query, vector).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let byWords = Set(papers.filter { "\($0.title) \($0.abstract)".lowercased().contains(keyword) }.map(\.id.rawValue))
        let byMeaning = Set(cosines.filter { $0.value >= 0.45 }.map(\.key))
        let expected = byWords.union(byMeaning)
        let comment: Comment = "cosines with \"\(keyword)\": \(cosines.sorted { $0.key < $1.key })"
        // The case is worth testing: one paper matches by meaning alone, and some do not match.
        #expect(byWords == ["2611.00011"])
        #expect(!byMeaning.subtracting(byWords).isEmpty, comment)
        #expect(expected.count < papers.count, comment)
        #expect(cosines.values.allSatisfy { abs($0 - 0.45) > 0.005 }, "no cosine sits on the threshold: \(comment)")

        let mailer = Mailer(store: store, search: engine, signer: TokenSigner(secret: Array(repeating: 7, count: 32)),
                            settings: makeMailer(store).settings, logger: Logger(label: "test"))
        let plans = try await mailer.plan(.daily, on: Day("2026-11-20")!)
        #expect(plans.count == 1)
        #expect(Set(plans.first?.cards.map(\.paper.id.rawValue) ?? []) == expected, comment)
    }
}

/// The production setups: one SQLite file in WAL mode, or one PostgreSQL database, opened by
/// two processes (`serve` and a `digest --send`, or two nodes), each with its own connections.
@Suite(.stores) struct SharedDatabaseSenderTests {
    @Test(arguments: StoreKind.available) func twoSendersOnOneDatabaseSendEachMessageOnce(_ kind: StoreKind) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("senders-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await TestStores.database(kind)
        let first = try await database.open(), second = try await database.open()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let entries = (0..<300).map { OutboxEntry(key: "wal \($0)", sender: "papers@example.org", recipient: "r\($0)@example.org",
                                                  message: Array("Subject: \($0)\r\n\r\nbody\r\n".utf8)) }
        #expect(try await first.enqueue(entries, now: start) == 300)
        if case let .sqlite(path) = database.location {
            #expect(FileManager.default.fileExists(atPath: path + "-wal"), "the database is in WAL mode")
        }
        #expect(try await second.outboxCounts().pending == 300, "the second connection sees the first one's writes")

        // Claims first: taken at the same time, in small batches, never the same message twice.
        async let a = Self.claimAll(first, now: start)
        async let b = Self.claimAll(second, now: start)
        let (claimedA, claimedB) = try await (a, b)
        #expect(Set(claimedA).isDisjoint(with: claimedB))
        #expect(claimedA.count + claimedB.count == 300)

        // Then two outboxes, after those claims ran out, each delivering from its own connection.
        let later = start.addingTimeInterval(120)
        let mail = folder.appendingPathComponent("mail").path
        let outboxA = Outbox(store: first, transport: FileTransport(folder: mail), now: { later }, logger: Logger(label: "a"))
        let outboxB = Outbox(store: second, transport: FileTransport(folder: mail), now: { later }, logger: Logger(label: "b"))
        async let reportA = outboxA.deliverDue()
        async let reportB = outboxB.deliverDue()
        let (ra, rb) = try await (reportA, reportB)
        #expect(ra.sent + rb.sent == 300 && ra.failed == 0 && rb.failed == 0 && ra.retrying == 0 && rb.retrying == 0, "\(ra), \(rb)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mail).filter { $0.hasSuffix(".eml") }.count == 300)
        #expect(try await first.outboxCounts().sent == 300)
    }

    static func claimAll(_ store: any SiteStore, now: Date) async throws -> [Int64] {
        var ids = [Int64]()
        while true {
            let batch = try await store.claimDue(now: now, limit: 7, lease: 60)
            if batch.isEmpty { return ids }
            ids += batch.map(\.id)
            await Task.yield()
        }
    }
}
