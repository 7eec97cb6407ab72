import Foundation
import Logging
import PapersCore
import PapersPostgres
import PapersStore
import Testing
import TestSupport

/// What only the PostgreSQL store has: a server that can be down or refuse the credentials,
/// several processes migrating at once, tsvector search. Needs the test server
/// (`DAILYPAPERS_TEST_POSTGRES_URL`; scripts/test.sh starts one); skipped without it, and this
/// suite's skips are how a run without PostgreSQL shows that its PostgreSQL half did not run.
@Suite(.enabled(if: TestStores.postgresURL != nil, TestStores.skipMessage), .stores)
struct PostgresStoreTests {
    static var admin: PostgresConnection { try! PostgresConnection(url: TestStores.postgresURL!) }

    /// Everything logged while opening, as text.
    final class CapturedLog: @unchecked Sendable {
        private let lock = NSLock()
        private var lines = [String]()
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var text: String { lock.withLock { lines.joined(separator: "\n") } }

        var logger: Logger {
            var logger = Logger(label: "captured") { _ in Handler(log: self) }
            logger.logLevel = .trace
            return logger
        }

        struct Handler: LogHandler {
            let log: CapturedLog
            var metadata = Logger.Metadata()
            var logLevel = Logger.Level.trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                let all = metadata.merging(event.metadata ?? [:]) { $1 }
                log.add("\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
            }
        }
    }

    @Test func aWrongPasswordIsAClearErrorThatNeverShowsThePassword() async throws {
        var connection = Self.admin
        connection.password = "wrong-secret-\(UUID().uuidString.prefix(8))"
        let log = CapturedLog()
        let error = await #expect(throws: StoreError.self) { try await PostgresStore(connection: connection, logger: log.logger) }
        let message = error?.description ?? ""
        // The server's own reason, not a timeout.
        #expect(message.contains("password authentication failed for user \"\(connection.user)\""), "\(message)")
        #expect(message.contains("postgres://\(connection.user):***@"), "the location, redacted: \(message)")
        #expect(!message.contains(connection.password!) && !log.text.contains(connection.password!))
        #expect(!message.contains(Self.admin.password ?? "no password") && !log.text.contains(Self.admin.password ?? "no password"))
    }

    @Test func anUnreachableServerOrMissingDatabaseIsAClearError() async throws {
        var refused = Self.admin
        refused.port = try freePort()
        let error = await #expect(throws: StoreError.self) { try await PostgresStore(connection: refused, logger: Logger(label: "t")) }
        #expect(error?.description.contains("connection refused") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(":\(refused.port)/") == true)

        var missing = Self.admin
        missing.database = "no_such_database_here"
        let notThere = await #expect(throws: StoreError.self) { try await PostgresStore(connection: missing, logger: Logger(label: "t")) }
        #expect(notThere?.description.contains("database \"no_such_database_here\" does not exist") == true, "\(notThere?.description ?? "")")
    }

    @Test func nodesStartingTogetherMigrateOnce() async throws {
        let database = try await TestStores.database(.postgres)
        // Four processes open a new database at the same moment: each applies what is missing
        // under one advisory lock, so every migration runs once and all agree.
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { try await database.open().appliedMigrations() } }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(Set(applied.map { $0 }).count == 1)
        #expect(applied[0].first == "0001-catalog" && applied[0].count >= 10)
    }

    @Test func keywordSearchWeighsTitlesAboveAuthorsAndAbstracts() async throws {
        let store = try await TestStores.make(.postgres)
        func paper(_ id: String, title: String, abstract: String, authors: [String] = ["Ada Lovelace"]) -> Paper {
            Paper(id: ArxivID(id)!, version: 1, title: title, abstract: abstract, authors: authors, categories: ["cs.LG"])
        }
        _ = try await store.write(ImportBatch(papers: [
            paper("2401.00001", title: "Protein folding at scale", abstract: "We study graphs."),
            paper("2401.00002", title: "Graph networks", abstract: "Applied to protein design and protein folding."),
            paper("2401.00003", title: "Another study", abstract: "Nothing relevant.", authors: ["Protein Smith"]),
        ]))
        let result = try await store.keywordSearch(KeywordQuery(text: "protein"))
        #expect(result.total == 3)
        #expect(result.cards.first?.paper.id.rawValue == "2401.00001", "a title match first: \(result.cards.map(\.paper.id))")
        // Query syntax is never an error.
        for hostile in ["foo:* & ! ( \"", "'; DROP TABLE papers; --", "<->", "!!", ""] {
            _ = try await store.keywordSearch(KeywordQuery(text: hostile))
        }
        #expect(try await store.stats().papers == 3)
    }

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension PostgresStoreTests {
    /// A change announced by one node reaches another's listener (LISTEN/NOTIFY): what clears
    /// every node's cached pages after a vote or comment.
    @Test func anAnnouncedChangeReachesTheOtherNodes() async throws {
        let database = try await TestStores.database(.postgres)
        let nodeA = try await database.open(), nodeB = try await database.open()
        var heard = nodeB.changeAnnouncements().makeAsyncIterator()
        // The first element: the listener is connected (changes before it may have been missed).
        #expect(await heard.next() != nil)
        await nodeA.announceChange()
        #expect(await heard.next() != nil, "node B hears node A's change")
        await nodeA.announceChange()
        await nodeA.announceChange()
        #expect(await heard.next() != nil)
    }
}
