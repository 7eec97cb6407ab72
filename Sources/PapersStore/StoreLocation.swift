import Foundation

/// Where a site's database is, parsed from what a user gives `--database` or `DATABASE_URL`:
/// a file path or `sqlite:PATH` for SQLite, `postgres://` or `postgresql://` for PostgreSQL.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresConnection)

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw StoreError("the database location is empty: give a file path, sqlite:PATH or postgres://USER@HOST/NAME") }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(try PostgresConnection(url: trimmed))
        } else if lower.hasPrefix("sqlite://") {
            let path = String(trimmed.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StoreError("\(trimmed): no file path after sqlite://") }
            self = .sqlite(path: path)
        } else if lower.hasPrefix("sqlite:") {
            let path = String(trimmed.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError("\(trimmed): no file path after sqlite:") }
            self = .sqlite(path: path)
        } else if let colon = trimmed.range(of: "://"), !trimmed[..<colon.lowerBound].contains("/") {
            throw StoreError("\(trimmed): unknown database scheme \"\(trimmed[..<colon.lowerBound])\" (use a file path, sqlite:PATH or postgres://…)")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// For messages and logs: never the password.
    public var description: String {
        switch self {
        case let .sqlite(path): path
        case let .postgres(connection): connection.redacted
        }
    }
}

/// A PostgreSQL server, database and credentials, and how the store uses them, from a URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?pool_size=N&connect_timeout=S&statement_timeout=S&sslmode=disable|require]`.
/// A host of `/path` (percent-encoded, or `?host=/path`) is a Unix socket folder.
public struct PostgresConnection: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var unixSocketPath: String?
    public var user: String
    public var password: String?
    public var database: String
    /// Connections the store keeps open at most.
    public var poolSize: Int
    /// Seconds to wait for a connection (TCP connect, TLS and authentication).
    public var connectTimeout: Double
    /// Seconds a statement may run before the server cancels it.
    public var statementTimeout: Double
    /// Whether TLS is required; `disable` (the default for loopback) or `require`.
    public var requireTLS: Bool

    public init(url text: String) throws {
        guard let components = URLComponents(string: text) else {
            throw StoreError("\(Self.redact(text)): not a URL like postgres://USER:PASSWORD@HOST:5432/NAME")
        }
        let redacted = Self.redact(text)
        user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? ""
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        host = components.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        port = components.port ?? 5432
        database = String(components.path.drop(while: { $0 == "/" }))
        unixSocketPath = nil
        poolSize = 10
        connectTimeout = 10
        statementTimeout = 30
        requireTLS = false
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            func seconds() throws -> Double {
                guard let s = Double(value), s > 0, s <= 3600 else {
                    throw StoreError("\(redacted): \(item.name)=\(value) is not a number of seconds from 0 to 3600")
                }
                return s
            }
            switch item.name {
            case "pool_size":
                guard let n = Int(value), (1...500).contains(n) else {
                    throw StoreError("\(redacted): pool_size=\(value) is not a number from 1 to 500")
                }
                poolSize = n
            case "connect_timeout": connectTimeout = try seconds()
            case "statement_timeout": statementTimeout = try seconds()
            case "sslmode":
                switch value {
                case "disable", "allow", "prefer": requireTLS = false
                case "require", "verify-ca", "verify-full": requireTLS = true
                default: throw StoreError("\(redacted): sslmode=\(value) is not one of disable, prefer, require")
                }
            case "host": host = value
            case "user": user = value
            case "password": password = value
            default:
                throw StoreError("\(redacted): unknown option \"\(item.name)\" (known: pool_size, connect_timeout, statement_timeout, sslmode, host)")
            }
        }
        if host.hasPrefix("/") {
            unixSocketPath = host + "/.s.PGSQL.\(port)"
        } else if host.isEmpty {
            host = "localhost"
        }
        if user.isEmpty { user = ProcessInfo.processInfo.environment["USER"] ?? "postgres" }
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError("\(redacted): name the database after the host, as in postgres://USER@HOST:5432/dailypapers")
        }
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    public var redacted: String {
        let where_ = unixSocketPath.map { "\($0)" } ?? "\(host):\(port)"
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(where_)/\(database)"
    }

    /// Any URL-like text with what stands between `://user:` and `@` replaced by `***`.
    public static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let credentials = rest[..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<scheme.upperBound]) + credentials[..<colon] + ":***" + rest[at...]
    }
}
