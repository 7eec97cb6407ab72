import Foundation
import PapersCore
import PapersStore
import PostgresNIO

extension PostgresStore: TableCopying {
    /// The table as `SiteTables` names it (so names are never user input in SQL).
    private static func known(_ table: SiteTable) throws -> SiteTable {
        guard let known = SiteTables.all.first(where: { $0.name == table.name }), Set(table.columns).isSubset(of: known.columns),
              Set(table.key).isSubset(of: known.columns) else {
            throw StoreError("\(table.name) is not a table of the site's schema")
        }
        return table
    }

    /// A cell as a copied value: booleans (members.is_admin) become 0 and 1, as SQLite keeps them.
    static func columnValue(_ cell: PostgresCell) throws -> ColumnValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float8, .float4: return .real(try cell.decode(Double.self))
        case .bytea: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        default: return .text(try cell.decode(String.self))
        }
    }

    /// Binds a copied value for a column of PostgreSQL type `type` (information_schema's data_type).
    static func bind(_ value: ColumnValue, type: String, into sql: inout SQLBuilder) throws -> String {
        switch value {
        case .null:
            return "NULL"
        case let .integer(v):
            if type == "boolean" { return try sql.bind(v != 0) }
            if type == "double precision" { return try sql.bind(Double(v)) }
            if type == "text" { return try sql.bind(String(v)) }
            return try sql.bind(v)
        case let .real(v):
            if type == "bigint" { return try sql.bind(Int64(v)) }
            if type == "text" { return try sql.bind(String(v)) }
            return try sql.bind(v)
        case let .text(s):
            if type == "bytea" { return try sql.bind(ByteBuffer(string: s)) }
            return try sql.bind(s)
        case let .blob(b):
            if type == "text" { return try sql.bind(String(decoding: b, as: UTF8.self)) }
            return try sql.bind(ByteBuffer(bytes: b))
        }
    }

    public func exportRows(_ table: SiteTable, batchSize: Int, _ body: ([[ColumnValue]]) async throws -> Void) async throws {
        let table = try Self.known(table)
        let columns = table.columns.joined(separator: ", ")
        let order = table.key.joined(separator: ", ")
        let keyIndexes = table.key.map { key in table.columns.firstIndex(of: key)! }
        var after: [ColumnValue]? = nil
        let types = try await columnTypes(table.name)
        while true {
            // Keyset pages: each read is one statement, and no row is read twice.
            var sql = SQLBuilder()
            var condition = ""
            if let after {
                let placeholders = try zip(table.key, after).map { key, value in try Self.bind(value, type: types[key] ?? "text", into: &sql) }
                condition = " WHERE (\(order)) > (\(placeholders.joined(separator: ", ")))"
            }
            let limit = try sql.bind(batchSize)
            sql.append("SELECT \(columns) FROM \(table.name)\(condition) ORDER BY \(order) LIMIT \(limit)")
            let rows = try await rows(sql.query).map { row in try table.columns.map { try Self.columnValue(row[$0]) } }
            if rows.isEmpty { return }
            try await body(rows)
            after = keyIndexes.map { rows[rows.count - 1][$0] }
            if rows.count < batchSize { return }
        }
    }

    public func importRows(_ table: SiteTable, _ rows: [[ColumnValue]]) async throws {
        guard !rows.isEmpty else { return }
        let table = try Self.known(table)
        let types = try await columnTypes(table.name)
        var statements = [PostgresQuery]()
        for row in rows {
            guard row.count == table.columns.count else {
                throw StoreError("\(table.name): a row of \(row.count) values for \(table.columns.count) columns")
            }
            var sql = SQLBuilder()
            let values = try zip(table.columns, row).map { column, value in try Self.bind(value, type: types[column] ?? "text", into: &sql) }
            sql.append("INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(values.joined(separator: ", ")))")
            statements.append(sql.query)
        }
        let logger = self.logger
        let batch = statements
        try await transaction { connection in
            for statement in batch { try await connection.run(statement, logger) }
        }
    }

    public func finishImport() async throws {
        // Generated ids continue after the largest copied one. (The search column is generated
        // from each row as it is written: nothing to rebuild.)
        let logger = self.logger
        let identities = [("papers", "seq"), ("members", "id"), ("api_tokens", "id"), ("comments", "id"),
                          ("subscriptions", "id"), ("alerts", "id"), ("outbox", "id")]
        try await transaction { connection in
            for (table, column) in identities {
                try await connection.run(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce(max(\(column)), 0) + 1, false) FROM \(table)
                    """), logger)
            }
        }
        for (table, _) in identities { try await execute(PostgresQuery(unsafeSQL: "ANALYZE \(table)")) }
    }

    public func rowCount(_ table: SiteTable) async throws -> Int {
        let table = try Self.known(table)
        return try await rows(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table.name)"))[0]["n"].decode(Int.self)
    }

    /// Column name to data type (information_schema's words: bigint, boolean, text, …).
    private func columnTypes(_ table: String) async throws -> [String: String] {
        var types = [String: String]()
        for row in try await rows("""
            SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table)
            """) {
            types[try row["name"].decode(String.self)] = try row["type"].decode(String.self)
        }
        return types
    }
}

extension PostgresStore {
    public func countAttempt(key: String, window: TimeInterval, now: Date) async throws -> (count: Int, windowStart: Date) {
        let t = now.timeIntervalSince1970
        // Windows over a day old are swept now and then (one attempt in a hundred).
        if Int.random(in: 0..<100) == 0 {
            try await execute("DELETE FROM rate_limits WHERE window_start < \(t - 86_400)")
        }
        let row = try await execute("""
            INSERT INTO rate_limits AS r (key, window_start, count) VALUES (\(key), \(t), 1)
            ON CONFLICT (key) DO UPDATE SET
              count = CASE WHEN excluded.window_start - r.window_start >= \(window) THEN 1 ELSE r.count + 1 END,
              window_start = CASE WHEN excluded.window_start - r.window_start >= \(window) THEN excluded.window_start
                                  ELSE r.window_start END
            RETURNING count, window_start
            """)[0]
        return (try row["count"].decode(Int.self), date(try row["window_start"].decode(Double.self)))
    }
}
