import Logging
import PapersPostgres
import PapersSQLite
import PapersStore

/// Opens the store a location names, migrated to the current schema: an SQLite file (created
/// with its folder when missing) or a PostgreSQL database (which must exist). Errors name the
/// location, never a password.
public enum StoreOpener {
    public static func open(_ location: StoreLocation, logger: Logger) async throws -> any SiteStore {
        switch location {
        case let .sqlite(path): try SQLiteStore(path: path)
        case let .postgres(connection): try await PostgresStore(connection: connection, logger: logger)
        }
    }

    /// A private, empty store in memory (SQLite), for evaluations and tests.
    public static func inMemory() throws -> any SiteStore { try SQLiteStore() }

    /// Parses then opens.
    public static func open(_ text: String, logger: Logger) async throws -> any SiteStore {
        try await open(StoreLocation(parsing: text), logger: logger)
    }
}
