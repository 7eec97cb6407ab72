import Foundation
import Hummingbird
import HummingbirdTesting
import PapersCore
@testable import PapersMail
import PapersStore
import PapersServices
@testable import PapersWeb
import Testing
import TestSupport

/// Golden files of what people see: the HTML of the main pages and one digest mail, on the
/// fixture catalog with the clock pinned (2025-06-04 12:00 UTC). Any difference fails; after
/// a change meant to be seen, look at the diff and re-record:
///
///     RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests
///
/// The files are in Tests/PapersWebTests/Snapshots.
@Suite(.stores) struct SnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// Compares `actual` with the stored snapshot `name`; records it when asked to (or when it is missing, failing then).
    static func assertSnapshot(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = folder.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
        guard !record, let expected = try? String(contentsOf: file, encoding: .utf8) else {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            if !record {
                Issue.record("no snapshot \(name) yet: recorded it at \(file.path); look at it and run the test again", sourceLocation: sourceLocation)
            }
            return
        }
        guard actual != expected else { return }
        let a = actual.components(separatedBy: "\n"), e = expected.components(separatedBy: "\n")
        let line = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
        Issue.record("""
            \(name) differs from its snapshot at line \(line + 1):
              expected: \(line < e.count ? e[line] : "(end of file)")
              actual:   \(line < a.count ? a[line] : "(end of file)")
            If the change is meant, re-record with RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests and review the diff of \(file.path).
            """, sourceLocation: sourceLocation)
    }

    /// Values that change on every run (CSRF tokens derive from random sessions) replaced by a
    /// placeholder, and the style sheet left out (it is code, reviewed as such in Layout.swift).
    static func stable(_ html: String) -> String {
        html.replacing(#/name="csrf" value="[^"]*"/#, with: "name=\"csrf\" value=\"CSRF\"")
            .replacing(#/<style>[\s\S]*?</style>/#, with: "<style>…</style>")
    }

    /// The page's own part, between the layout's header and footer (day.html keeps the whole layout).
    static func main(_ html: String) -> String {
        guard let start = html.range(of: "<main>"), let end = html.range(of: "</main>") else { return html }
        return String(html[start.lowerBound..<end.upperBound]) + "\n"
    }

    @Test(arguments: StoreKind.available) func dayPaperAndSearchPages(_ kind: StoreKind) async throws {
        let app = Fixture.app(store: try await Fixture.store(kind))
        let pages = try await get(app, ["/papers/date/2025-06-03", "/papers/2506.00001", "/search?q=diffusion&mode=keyword"])
        #expect(pages.map(\.status) == [200, 200, 200])
        try Self.assertSnapshot(Self.stable(pages[0].body), named: "day.html")
        try Self.assertSnapshot(Self.main(pages[1].body), named: "paper.html")
        try Self.assertSnapshot(Self.main(pages[2].body), named: "search.html")
    }

    @Test(arguments: StoreKind.available) func settingsPage(_ kind: StoreKind) async throws {
        let app = Fixture.mailApp(store: try await Fixture.store(kind))
        try await Application(router: app.router()).test(.router) { client in
            var member = Browser(client: client)
            try await member.signUp("grace")
            let page = try await member.get("/settings")
            #expect(page.status == 200)
            try Self.assertSnapshot(Self.main(Self.stable(page.body)), named: "settings.html")
        }
    }

    @Test(arguments: StoreKind.available) func dailyDigestMail(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        let pending = try await store.requestSubscription(SubscriptionRequest(email: "reader@example.org", frequency: .daily),
                                                          nonce: "n", now: Fixture.now)
        _ = try #require(try await store.confirmSubscription(id: pending.id, nonce: "n", now: Fixture.now))
        let mailer = Fixture.mailApp(store: store).mail!.mailer
        // Wednesday 2025-06-04's daily digest covers Tuesday.
        let plan = try #require(try await mailer.plan(.daily, on: Day("2025-06-04")!).first)
        let entry = try mailer.digestEntry(plan, cards: MailTemplates.cards(plan.cards, links: mailer.settings.links), now: Fixture.now)
        // The MIME boundary is random.
        let message = String(decoding: entry.message, as: UTF8.self).replacing(#/=_dp_[0-9a-f]+/#, with: "=_dp_BOUNDARY")
        try Self.assertSnapshot(message, named: "digest-daily.eml")
    }
}
