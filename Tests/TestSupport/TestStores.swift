import Foundation
import Logging
import PapersBackends
import PapersPostgres
import PapersStore
import Testing

/// The backends the suites run against. Every suite that stores anything takes one of these as
/// an argument, so one suite covers both: `@Test(arguments: StoreKind.available)`.
public enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    public var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when `DAILYPAPERS_TEST_POSTGRES_URL` names a server. Without
    /// one, the PostgreSQL cases are not made, and `PostgresStoreTests` (skipped, with
    /// `TestStores.skipMessage`) says so in the run's counts.
    public static let available: [StoreKind] = TestStores.postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Fresh, empty stores for tests. SQLite: a private database in memory (or a temporary file
/// when two stores must share it). PostgreSQL: a new database on the server named by
/// `DAILYPAPERS_TEST_POSTGRES_URL` (scripts/test.sh starts a throw-away cluster and sets it),
/// dropped when the test ends; without that variable the PostgreSQL case is skipped with a
/// message saying so.
///
/// A suite that makes stores carries the `.stores` trait, which closes and drops them after
/// each test.
public enum TestStores {
    public static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["DAILYPAPERS_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    public static let skipMessage: Comment =
        "PostgreSQL half skipped: DAILYPAPERS_TEST_POSTGRES_URL is not set (scripts/test.sh starts a throw-away PostgreSQL 15 cluster and sets it)"

    /// A new, empty database of this kind that several stores can open.
    public static func database(_ kind: StoreKind) async throws -> TestDatabase {
        guard let registry = StoreRegistry.current else {
            throw StoreError("TestStores needs the .stores trait on the test or its suite (it closes and drops what tests open)")
        }
        let database: TestDatabase
        switch kind {
        case .sqlite:
            let folder = TemporaryFolder()
            database = TestDatabase(location: .sqlite(path: folder.path("test.sqlite")), folder: folder)
        case .postgres:
            guard let url = postgresURL else { throw StoreError("\(skipMessage)") }
            let admin = try PostgresConnection(url: url)
            let name = "dp_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try await PostgresAdmin.createDatabase(name, on: admin, logger: logger)
            var connection = admin
            connection.database = name
            connection.poolSize = 4
            database = TestDatabase(location: .postgres(connection), admin: admin, name: name)
        }
        await registry.add(database)
        return database
    }

    /// One fresh, empty store of this kind.
    public static func make(_ kind: StoreKind) async throws -> any SiteStore {
        if kind == .sqlite, StoreRegistry.current != nil { return try StoreOpener.inMemory() }
        return try await database(kind).open()
    }

    /// A private SQLite store in memory, for tests that only need something to hand a component.
    public static func scratch() throws -> any SiteStore { try StoreOpener.inMemory() }

    static let logger: Logger = {
        var logger = Logger(label: "test.stores")
        logger.logLevel = .warning  // not a line per migration of every test database
        return logger
    }()
}

/// A test's database: open it as often as a test needs processes on it.
public final class TestDatabase: @unchecked Sendable {
    public let location: StoreLocation
    let folder: TemporaryFolder?
    let admin: PostgresConnection?
    let name: String?
    private let lock = NSLock()
    private var opened = [any SiteStore]()

    init(location: StoreLocation, folder: TemporaryFolder? = nil, admin: PostgresConnection? = nil, name: String? = nil) {
        self.location = location
        self.folder = folder
        self.admin = admin
        self.name = name
    }

    /// A store on this database, migrated; closed when the test ends.
    public func open() async throws -> any SiteStore {
        let store = try await StoreOpener.open(location, logger: TestStores.logger)
        lock.withLock { opened.append(store) }
        return store
    }

    func release() async {
        for store in lock.withLock({ opened }) { await store.close() }
        if let admin, let name { try? await PostgresAdmin.dropDatabase(name, on: admin, logger: TestStores.logger) }
        folder?.remove()
    }
}

/// The databases one test made.
public actor StoreRegistry {
    @TaskLocal public static var current: StoreRegistry?
    private var databases = [TestDatabase]()
    func add(_ database: TestDatabase) { databases.append(database) }
    func release() async {
        for database in databases { await database.release() }
        databases = []
    }
}

/// Closes and drops the stores each test made (`@Suite(.stores)` or `@Test(.stores)`).
public struct StoresTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // Once per test case: a suite's own scope only wraps its tests.
        guard testCase != nil || !test.isSuite else { return try await function() }
        let registry = StoreRegistry()
        do {
            try await StoreRegistry.$current.withValue(registry) { try await function() }
        } catch {
            await registry.release()
            throw error
        }
        await registry.release()
    }
}

extension Trait where Self == StoresTrait {
    public static var stores: StoresTrait { StoresTrait() }
}
