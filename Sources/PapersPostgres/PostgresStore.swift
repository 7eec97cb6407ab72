import Foundation
import Logging
import PapersCore
import PapersStore
import PostgresNIO

/// A connection of PostgresNIO (not the parsed URL, `PapersStore.PostgresConnection`).
typealias PGConnection = PostgresNIO.PostgresConnection

/// The shared store: a PostgreSQL database through PostgresNIO's connection pool. It behaves as
/// `SQLiteStore` does, method for method; several processes (web nodes, harvests, digest runs)
/// can share one database.
public final class PostgresStore: Sendable {
    let connection: PapersStore.PostgresConnection
    let logger: Logger
    let client: PostgresClient
    private let runTask: Task<Void, Never>

    /// Connects (waiting at most the URL's connect_timeout), then migrates the database to the
    /// current schema. The database must exist. Errors name the database without its password.
    public init(connection: PapersStore.PostgresConnection, logger: Logger) async throws {
        self.connection = connection
        self.logger = logger
        // One connection first, to say plainly why the database cannot be used.
        try await Self.probe(connection, logger: logger)
        let client = PostgresClient(configuration: try Self.clientConfiguration(connection), backgroundLogger: logger)
        self.client = client
        runTask = Task { await client.run() }
        do {
            try await migrate()
        } catch let error as StoreError where !error.description.contains("migration") {
            runTask.cancel()
            throw StoreError("\(error.description) (while migrating the database)")
        } catch {
            runTask.cancel()
            throw error
        }
    }

    deinit { runTask.cancel() }

    /// Closes every connection; the store cannot be used afterwards.
    public func close() async {
        runTask.cancel()
        await runTask.value
    }

    public var location: String { connection.redacted }

    // MARK: - Connecting

    static func clientConfiguration(_ c: PapersStore.PostgresConnection) throws -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if let socket = c.unixSocketPath {
            guard !c.requireTLS else {
                throw StoreError("\(c.redacted): sslmode=require cannot be used with a Unix socket")
            }
            config = .init(unixSocketPath: socket, username: c.user, password: c.password, database: c.database)
        } else {
            config = .init(host: c.host, port: c.port, username: c.user, password: c.password, database: c.database,
                           tls: c.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        }
        config.options.maximumConnections = c.poolSize
        config.options.connectTimeout = .milliseconds(Int64((c.connectTimeout * 1000).rounded()))
        config.options.additionalStartupParameters = startupParameters(c)
        return config
    }

    static func connectionConfiguration(_ c: PapersStore.PostgresConnection) throws -> PGConnection.Configuration {
        var config: PGConnection.Configuration
        if let socket = c.unixSocketPath {
            guard !c.requireTLS else {
                throw StoreError("\(c.redacted): sslmode=require cannot be used with a Unix socket")
            }
            config = .init(unixSocketPath: socket, username: c.user, password: c.password, database: c.database)
        } else {
            let tls: PGConnection.Configuration.TLS
            if c.requireTLS {
                do {
                    tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                } catch {
                    throw StoreError("\(c.redacted): cannot set up TLS: \(error)")
                }
            } else {
                tls = .disable
            }
            config = .init(host: c.host, port: c.port, username: c.user, password: c.password, database: c.database, tls: tls)
        }
        config.options.connectTimeout = .milliseconds(Int64((c.connectTimeout * 1000).rounded()))
        config.options.additionalStartupParameters = startupParameters(c)
        return config
    }

    /// Sent with every new connection: the statement timeout (milliseconds) and a name that
    /// shows in pg_stat_activity.
    static func startupParameters(_ c: PapersStore.PostgresConnection) -> [(String, String)] {
        [("statement_timeout", String(Int((c.statementTimeout * 1000).rounded()))), ("application_name", "dailypapers")]
    }

    /// Opens one connection, runs `body` on it and closes it; within the connect timeout,
    /// failing with a `StoreError` that says why in plain words.
    static func withSingleConnection<R: Sendable>(
        _ c: PapersStore.PostgresConnection, logger: Logger,
        _ body: @escaping @Sendable (PGConnection) async throws -> R
    ) async throws -> R {
        let config = try connectionConfiguration(c)
        let connection: PGConnection
        do {
            connection = try await withDeadline(seconds: c.connectTimeout) {
                try await PGConnection.connect(configuration: config, id: 1, logger: logger)
            }
        } catch is DeadlineExceeded {
            throw StoreError("cannot connect to \(c.redacted): no answer within \(seconds(c.connectTimeout))")
        } catch {
            throw StoreError("cannot connect to \(c.redacted): \(plainCause(error))")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func probe(_ c: PapersStore.PostgresConnection, logger: Logger) async throws {
        try await withSingleConnection(c, logger: logger) { connection in
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        }
    }

    // MARK: - Running queries

    /// Runs `body` on a pooled connection. Waiting for the connection is bounded by the connect
    /// timeout: a database that is gone (or a pool that stays busy) gives `StoreUnavailable`,
    /// not a hang. Reads (`retry`) are tried once more when the connection broke under them,
    /// as pooled connections do once after the server restarted.
    func withConnection<R: Sendable>(retry: Bool = false, _ body: @escaping @Sendable (PGConnection) async throws -> R) async throws -> R {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await leased(body)
            } catch {
                let translated = translate(error)
                if retry, attempt == 1, translated is StoreUnavailable, Self.isBrokenConnection(error) {
                    logger.debug("retrying a read after a broken connection", metadata: ["error": "\(translated)"])
                    continue
                }
                throw translated
            }
        }
    }

    /// Runs `body` in a transaction (READ COMMITTED): committed when it returns, rolled back when
    /// it throws (its error is rethrown as it is).
    func transaction<R: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> R) async throws -> R {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger).drain()
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger).drain()
                return result
            } catch {
                try? await connection.query("ROLLBACK", logger: logger).drain()
                throw error
            }
        }
    }

    /// Rows of one statement on a pooled connection (reads, tried again once on a broken connection).
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = self.logger
        return try await withConnection(retry: true) { connection in try await connection.rows(query, logger) }
    }

    /// Runs one writing statement; its rows (RETURNING …).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = self.logger
        return try await withConnection { connection in try await connection.rows(query, logger) }
    }

    private func leased<R: Sendable>(_ body: @escaping @Sendable (PGConnection) async throws -> R) async throws -> R {
        let client = self.client
        let flag = LeaseFlag()
        let timeout = connection.connectTimeout
        let location = connection.redacted
        let poolSize = connection.poolSize
        return try await withThrowingTaskGroup(of: Optional<R>.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    flag.set()
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64((timeout * 1000).rounded())))
                if flag.isSet { return nil }
                throw StoreUnavailable("cannot reach \(location): no connection within \(Self.seconds(timeout)) "
                    + "(the server is down or refusing connections, or all \(poolSize) pooled connections stayed busy)")
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw StoreUnavailable("cannot reach \(location): the query was cancelled")
        }
    }

    // MARK: - Errors

    /// SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The constraint a server error names (unique violations).
    static func constraint(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.constraintName]
    }

    static func isBrokenConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError: return true
        case .server: return error.serverInfo?[.sqlState].map { $0.hasPrefix("08") || $0 == "57P01" } ?? false
        default: return false
        }
    }

    /// Errors as the store's callers know them: `StoreUnavailable` for a database out of
    /// reach, `StoreError` naming the database for anything else from PostgreSQL; the store's
    /// own errors as they are.
    func translate(_ error: any Error) -> any Error {
        let location = connection.redacted
        switch error {
        case is StoreError, is StoreUnavailable, is CommunityStoreError, is CancellationError:
            return error
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                let message = error.serverInfo?[.message] ?? "unknown error"
                // 08: connection exception; 57P0x: shutdown or restart; 53300: too many
                // connections; 57014: statement timeout (or cancelled).
                if state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
                    return StoreUnavailable("\(location): \(message)")
                }
                if state == "57014" {
                    return StoreUnavailable("\(location): \(message) (statement_timeout is \(Self.seconds(connection.statementTimeout)))")
                }
                var text = "\(location): \(message)"
                if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
                return StoreError(text)
            case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError, .poolClosed:
                return StoreUnavailable("\(location): \(Self.plainCause(error))")
            default:
                return StoreError("\(location): \(Self.plainCause(error))")
            }
        case _ where String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError"):
            // The pool's own errors (its module is not a declared dependency of this target).
            let text = "\(error)"
            if text.contains("CircuitBreaker") {
                return StoreUnavailable("cannot reach \(location): connecting has failed for a minute; trying again in the background")
            }
            if text.contains("poolShutdown") { return StoreUnavailable("\(location): the store is closed") }
            if text.contains("requestCancelled") { return CancellationError() }
            return StoreUnavailable("\(location): \(text)")
        case let error as PostgresDecodingError:
            return StoreError("\(location): cannot read column \(error.columnName) as \(error.targetType) (\(error.code))")
        default:
            return StoreError("\(location): \(error)")
        }
    }

    /// What went wrong connecting or talking to the server, in words.
    static func plainCause(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return message }
            switch error.code {
            case .connectionError: return error.underlying.map(plainCause) ?? "connection failed"
            case .serverClosedConnection: return "the server closed the connection"
            case .clientClosedConnection: return "the connection was closed"
            case .uncleanShutdown: return "the connection broke"
            case .poolClosed: return "the store is closed"
            case .sslUnsupported: return "the server does not support TLS (sslmode=require)"
            case .failedToAddSSLHandler: return "cannot set up TLS"
            case .queryCancelled: return "the query was cancelled"
            case .authMechanismRequiresPassword: return "the server asks for a password and the URL has none"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method this program does not support"
            case .saslError: return "authentication failed (SCRAM)"
            default: return error.underlying.map(plainCause) ?? "\(error.code)"
            }
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "cannot resolve the host name \(error.host)"
            }
            if let first = error.connectionErrors.first { return plainCause(first.error) }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENOENT: return "no server socket there"
            case ETIMEDOUT: return "connection timed out"
            case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
            case ECONNRESET: return "connection reset"
            default: return String(cString: strerror(error.errnoCode)).lowercased()
            }
        case let error as ChannelError:
            if case .connectTimeout = error { return "no answer in time" }
            return "\(error)"
        case is DeadlineExceeded:
            return "no answer in time"
        default:
            return "\(error)"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }
}

// MARK: - Helpers

/// Whether a pooled connection was handed over (so the wait for one is over).
final class LeaseFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

struct DeadlineExceeded: Error {}

/// Runs `body`, cancelling it after `seconds`.
func withDeadline<R: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: R.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded())))
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw DeadlineExceeded() }
        return result
    }
}

extension PGConnection {
    /// Every row of a statement, readable by column name.
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// Runs a statement, its rows (RETURNING …) read by column name.
    @discardableResult
    func run(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await rows(query, logger)
    }
}

extension PostgresRowSequence {
    /// Reads (and drops) whatever rows a statement returned.
    func drain() async throws {
        for try await _ in self {}
    }
}

/// A statement built piece by piece (optional conditions, lists of terms), with its bindings.
struct SQLBuilder {
    private(set) var sql = ""
    private(set) var binds = PostgresBindings()

    init(_ sql: String = "") { self.sql = sql }

    mutating func append(_ text: String) { sql += text }

    /// Binds a value and returns its placeholder ($n).
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

// MARK: - Telling the other nodes

extension PostgresStore: ChangeAnnouncing {
    static let changeChannel = "dailypapers_changes"

    public func announceChange() async {
        do {
            try await execute("NOTIFY dailypapers_changes")
        } catch {
            logger.warning("could not announce a change to the other nodes; their caches expire on their own", metadata: ["error": "\(error)"])
        }
    }

    /// LISTENs on a connection of its own (outside the pool), connecting again a second after
    /// it breaks; each (re)connection yields once, since changes may have been missed meanwhile.
    public func changeAnnouncements() -> AsyncStream<Void> {
        let connection = self.connection, logger = self.logger
        return AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled {
                    do {
                        try await Self.withSingleConnection(connection, logger: logger) { pg in
                            try await pg.listen(on: Self.changeChannel) { notifications in
                                continuation.yield()
                                for try await _ in notifications { continuation.yield() }
                            }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning("listening for other nodes' changes failed; trying again in a second", metadata: ["error": "\(error)"])
                    }
                    // A pause between attempts while the database is away, not a wait for readiness.
                    try? await Task.sleep(for: .seconds(1))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
