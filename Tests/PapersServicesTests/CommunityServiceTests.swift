import Foundation
import PapersCore
import PapersIngest
import PapersServices
import PapersStore
import Synchronization
import Testing
import TestSupport

/// The community's rules without the web layer, as the command line or a harvester calls them.
@Suite(.stores) struct CommunityServiceTests {
    static let now = Date(timeIntervalSince1970: 1_749_038_400)  // 2025-06-04 12:00 UTC

    static func paper(_ id: String, _ title: String) -> Paper {
        Paper(id: ArxivID(id)!, version: 1, title: title, abstract: "About \(title).", authors: ["Ada Lovelace"], categories: ["cs.LG"],
              publishedAt: Day("2025-06-01")!.start, updatedAt: Day("2025-06-01")!.start)
    }

    func setUp(_ kind: StoreKind) async throws -> (any SiteStore, Catalog, CommunityService, Member, Member, Counter) {
        let store = try await TestStores.make(kind)
        _ = try await store.write(ImportBatch(papers: [Self.paper("2506.00001", "Sparse Experts"), Self.paper("2506.00002", "Proteins")]))
        let catalog = Catalog(store: store, now: { Self.now }, cacheSeconds: 60)
        let changes = Counter()
        let service = CommunityService(store: store, catalog: catalog, arxiv: ArxivClient(baseURL: "http://127.0.0.1:9/api/query"),
                                       contentChanged: { changes.add() })
        let member = try await store.createMember(username: "ada", email: "ada@example.org", passwordHash: "x", isAdmin: false, now: Self.now)
        let admin = try await store.createMember(username: "root", email: "root@example.org", passwordHash: "x", isAdmin: true, now: Self.now)
        return (store, catalog, service, member, admin, changes)
    }

    @Test(arguments: StoreKind.available) func submittingPutsAKnownPaperOnTodaysPageAndClearsTheCaches(_ kind: StoreKind) async throws {
        let (_, catalog, service, member, _, changes) = try await setUp(kind)
        #expect(try await catalog.latestDay() == nil)
        let (id, day) = try await service.submit(" 2506.00001 ", by: member)
        #expect(id == ArxivID("2506.00001") && day == Day("2025-06-04"))
        #expect(try await catalog.latestDay() == day, "the catalog's cached lists were dropped")
        #expect(changes.value == 1)
        let again = await #expect(throws: CommunityError.self) { try await service.submit("2506.00001", by: member) }
        #expect(again?.kind == .conflict)
        await #expect(throws: InputError.self) { try await service.submit("not an id", by: member) }
    }

    @Test(arguments: StoreKind.available) func votesCommentsAndModeration(_ kind: StoreKind) async throws {
        let (_, _, service, member, admin, changes) = try await setUp(kind)
        let id = ArxivID("2506.00001")!
        let first = try await service.vote(member, paper: id, upvoted: nil)
        #expect(first.upvoted && first.upvotes == 1)
        let second = try await service.vote(member, paper: id, upvoted: nil)
        #expect(!second.upvoted && second.upvotes == 0)
        let missing = await #expect(throws: CommunityError.self) { try await service.vote(member, paper: ArxivID("2506.09999")!, upvoted: true) }
        #expect(missing?.kind == .notFound)
        let comment = try await service.comment(member, paper: id, text: "Nice.", address: "10.0.0.1")
        #expect(try await service.visibleComments(paper: id).map(\.body) == ["Nice."])
        let notAdmin = await #expect(throws: CommunityError.self) { try await service.setCommentHidden("\(comment.id)", hidden: true, by: member) }
        #expect(notAdmin?.kind == .forbidden)
        _ = try await service.setCommentHidden("\(comment.id)", hidden: true, by: admin)
        #expect(try await service.visibleComments(paper: id).isEmpty)
        let notAuthor = await #expect(throws: CommunityError.self) { try await service.deleteComment("\(comment.id)", by: admin) }
        #expect(notAuthor?.kind == .forbidden)
        _ = try await service.deleteComment("\(comment.id)", by: member)
        #expect(try await service.comments(paper: id).isEmpty)
        #expect(changes.value == 3, "a comment, a moderation and a deletion each clear the web's cache; votes do not")
    }

    @Test(arguments: StoreKind.available) func featuringIsForAdmins(_ kind: StoreKind) async throws {
        let (_, catalog, service, member, admin, _) = try await setUp(kind)
        let id = ArxivID("2506.00002")!, day = Day("2025-06-02")!
        let refused = await #expect(throws: CommunityError.self) { try await service.feature(id, on: day, featured: true, by: member) }
        #expect(refused?.kind == .forbidden)
        try await service.feature(id, on: day, featured: true, by: admin)
        #expect(try await catalog.featured(days: day...day, sort: .upvotes).map(\.paper.id) == [id])
        try await service.feature(id, on: day, featured: false, by: admin)
        #expect(try await catalog.featured(days: day...day, sort: .upvotes).isEmpty)
    }

    @Test(arguments: StoreKind.available) func commentsAreRateLimitedPerMember(_ kind: StoreKind) async throws {
        let (_, _, service, member, _, _) = try await setUp(kind)
        for n in 0..<10 { _ = try await service.comment(member, paper: ArxivID("2506.00001")!, text: "comment \(n)", address: "10.0.0.\(n)") }
        let limited = await #expect(throws: RateLimitExceeded.self) {
            try await service.comment(member, paper: ArxivID("2506.00001")!, text: "one too many", address: "10.0.1.1")
        }
        #expect(limited?.retryAfter == 600)
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
