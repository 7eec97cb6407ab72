import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PapersCore
import PapersMail
import PapersSearch
import PapersStore
import PapersServices
@testable import PapersWeb
import Testing
import TestSupport

extension Fixture {
    /// The community app with the email pages on (mail is queued in the store; nothing delivers it).
    static func mailApp(store: any SiteStore) -> WebApp {
        let base = "http://papers.test"
        let mailer = Mailer(store: store, search: SearchEngine(store: store, embedder: nil), signer: TokenSigner(secret: Array(repeating: 42, count: 32)),
                            settings: MailSettings(from: MailAddress("papers@papers.test"), siteName: "Daily Papers", links: WebMail.links(base: base),
                                                   domain: "papers.test"),
                            logger: Logger(label: "test"))
        return WebApp(catalog: Catalog(store: store, now: { now }, cacheSeconds: 0),
                      configuration: WebConfiguration(host: "127.0.0.1", port: 8080, baseURL: base, responseCacheSeconds: 2),
                      community: Community(store: store, secret: Array(repeating: 42, count: 32),
                                           configuration: CommunityConfiguration(bcryptCost: 4, arxivBaseURL: "http://127.0.0.1:9/api/query")),
                      mail: WebMail(mailer: mailer, service: nil))
    }
}

@Suite(.stores) struct MailPagesTests {
    @Test(arguments: StoreKind.available) func searchesAndPapersLeadToAlertsAndDigests(_ kind: StoreKind) async throws {
        let store = try await Fixture.store(kind)
        try await Application(router: Fixture.mailApp(store: store).router()).test(.router) { client in
            var visitor = Browser(client: client)
            let search = try await visitor.get("/search?q=diffusion+models&mode=keyword")
            #expect(search.body.contains("href=\"/subscribe?keywords=diffusion+models\">Get a digest about it</a>"))
            #expect(search.body.contains("/signin?next=%2Falerts%3Fkind%3Dsearch%26query%3Ddiffusion%2Bmodels"))
            #expect(!search.body.contains("Mail me new papers matching"))
            let subscribe = try await visitor.get("/subscribe?keywords=diffusion+models")
            #expect(subscribe.body.contains("name=\"keywords\" value=\"diffusion models\""))
            // Visitors who follow the alert link sign in first and come back to the filled-in form.
            let redirect = try await visitor.get("/alerts?kind=search&query=diffusion+models")
            #expect(redirect.status == 303)
            #expect(redirect.location == "/signin?next=%2Falerts%3Fkind%3Dsearch%26query%3Ddiffusion%2Bmodels")
            // Hostile search words stay text in the links.
            let hostile = try await visitor.get("/search?q=%3Cscript%3Ex%3C%2Fscript%3E&mode=keyword")
            #expect(!hostile.body.contains("<script>x"))

            var member = Browser(client: client)
            try await member.signUp("ada")
            let found = try await member.get("/search?q=diffusion+models&mode=keyword")
            #expect(found.body.contains("href=\"/alerts?kind=search&amp;query=diffusion+models\">Mail me new papers matching this search</a>"))
            let form = try await member.get("/alerts?kind=search&query=diffusion+models")
            #expect(form.status == 200 && form.body.contains("name=\"query\" value=\"diffusion models\""))
            #expect(form.body.contains("<option value=\"search\" selected>"))
            #expect(try await member.post("/alerts", ["kind": "search", "query": "diffusion models"]).status == 303)

            let paper = try await member.get("/papers/2506.00002")
            #expect(paper.body.contains("<option>Ada Lovelace</option><option>Alan Turing</option>"))
            #expect(try await member.post("/alerts", ["kind": "author", "query": "Alan Turing"]).status == 303)
            let id = try #require(try await store.credentials(login: "ada")?.member.id)
            let alerts = try await store.alerts(member: id)
            #expect(alerts.map(\.kind) == [.search, .author] && alerts.map(\.query) == ["diffusion models", "Alan Turing"])
            #expect(!(try await visitor.get("/papers/2506.00002")).body.contains("Mail me new papers by"))

            let settings = try await member.get("/settings")
            #expect(settings.body.contains("<h2>Email</h2>") && settings.body.contains("href=\"/subscribe\"") && settings.body.contains("href=\"/alerts\""))
        }
    }
}
