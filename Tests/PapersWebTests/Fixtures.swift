import Foundation
import PapersCore
import PapersStore
import PapersServices
@testable import PapersWeb
import TestSupport

/// A small catalog with known days, votes and submitters, and a pinned clock.
enum Fixture {
    /// 2025-06-04 12:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_749_038_400)

    static func paper(_ id: String, _ title: String, authors: [String] = ["Ada Lovelace", "Alan Turing"],
                      abstract: String = "We study things.", published: String = "2025-06-01") -> Paper {
        Paper(id: ArxivID(id)!, version: 1, title: title, abstract: abstract, authors: authors, categories: ["cs.LG"],
              publishedAt: Day(published)!.start, updatedAt: Day(published)!.start)
    }

    static func entry(_ id: String, _ day: String, hour: Int = 8, upvotes: Int, by user: String = "akhaliq") -> FeaturedEntry {
        FeaturedEntry(paperID: ArxivID(id)!, day: Day(day)!, featuredAt: Day(day)!.start.addingTimeInterval(Double(hour) * 3600),
                      submitter: HubUser(user: user, fullname: user.capitalized), importedUpvotes: upvotes, importedComments: 1)
    }

    static let hostileTitle = "<script>alert('x')</script> & \"Attention\""

    static func store(_ kind: StoreKind) async throws -> any SiteStore {
        let store = try await TestStores.make(kind)
        let papers = [
            paper("2506.00001", "Sparse Mixtures of Experts at Scale"),
            paper("2506.00002", "Diffusion Models for Protein Design", abstract: "A diffusion model that designs proteins."),
            paper("2506.00003", hostileTitle, abstract: "Hostile <b>markup</b> in an abstract."),
            paper("2506.00004", "Old Favourite", published: "2025-05-20"),
            paper("2505.00005", "Last Week's Paper", published: "2025-05-26"),
        ]
        let entries = [
            entry("2506.00001", "2025-06-03", upvotes: 40),
            entry("2506.00002", "2025-06-03", hour: 9, upvotes: 12, by: "someone"),
            entry("2506.00003", "2025-06-03", hour: 10, upvotes: 3),
            entry("2506.00004", "2025-06-02", upvotes: 90),
            entry("2505.00005", "2025-05-27", upvotes: 7, by: "someone"),
        ]
        _ = try await store.write(ImportBatch(papers: papers, featured: entries))
        return store
    }

    static func app(store: any PaperStore) -> WebApp {
        WebApp(catalog: Catalog(store: store, now: { now }, cacheSeconds: 0),
               configuration: WebConfiguration(host: "127.0.0.1", port: 8080, baseURL: "http://papers.test"))
    }
}
