import Foundation
import Logging
import PapersStore
import PostgresNIO

/// Creating and dropping databases, for tests (each test its own database) and set-up scripts.
public enum PostgresAdmin {
    /// Creates the database `name` (letters a–z, digits and _ only) on the server `admin` names,
    /// connecting to the admin URL's own database (such as postgres) to do it.
    public static func createDatabase(_ name: String, on admin: PapersStore.PostgresConnection, logger: Logger) async throws {
        try validate(name)
        try await run("CREATE DATABASE \(name)", on: admin, logger: logger)
    }

    /// Drops the database `name` if it exists, ending its sessions first.
    public static func dropDatabase(_ name: String, on admin: PapersStore.PostgresConnection, logger: Logger) async throws {
        try validate(name)
        try await run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin, logger: logger)
    }

    static func validate(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 63,
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw StoreError("\"\(name)\" is not a database name this tool makes: use a–z, 0–9 and _, at most 63 characters")
        }
    }

    private static func run(_ sql: String, on admin: PapersStore.PostgresConnection, logger: Logger) async throws {
        try await PostgresStore.withSingleConnection(admin, logger: logger) { connection in
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).drain()
            } catch let error as PSQLError {
                throw StoreError("\(admin.redacted): \(sql): \(PostgresStore.plainCause(error))")
            }
        }
    }
}
