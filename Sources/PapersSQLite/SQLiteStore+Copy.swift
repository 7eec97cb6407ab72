import Foundation
import GRDB
import PapersStore

extension SQLiteStore: TableCopying {
    /// A column as SQLite selects it (`papers.seq` is the rowid).
    private static func select(_ column: String, of table: SiteTable) -> String {
        table.name == "papers" && column == "seq" ? "rowid AS seq" : column
    }

    private static func value(_ stored: DatabaseValue) -> ColumnValue {
        switch stored.storage {
        case .null: .null
        case let .int64(v): .integer(v)
        case let .double(v): .real(v)
        case let .string(s): .text(s)
        case let .blob(data): .blob([UInt8](data))
        }
    }

    private static func stored(_ value: ColumnValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case let .integer(v): v.databaseValue
        case let .real(v): v.databaseValue
        case let .text(s): s.databaseValue
        case let .blob(b): Data(b).databaseValue
        }
    }

    public func exportRows(_ table: SiteTable, batchSize: Int, _ body: ([[ColumnValue]]) async throws -> Void) async throws {
        let columns = table.columns.map { Self.select($0, of: table) }.joined(separator: ", ")
        let order = table.key.joined(separator: ", ")
        var after: [DatabaseValue]? = nil
        while true {
            // Keyset pages: each read is a short transaction, and no page is read twice.
            let keyCondition = after == nil ? "" : "WHERE (\(order)) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))"
            let arguments = StatementArguments(after ?? []) + [batchSize]
            let (rows, lastKey): ([[ColumnValue]], [DatabaseValue]?) = try await writer.read { db in
                let fetched = try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table.name) \(keyCondition) ORDER BY \(order) LIMIT ?",
                                               arguments: arguments)
                let values = fetched.map { row in table.columns.indices.map { Self.value(row[$0]) } }
                let last = fetched.last.map { row in table.key.map { row[$0] as DatabaseValue } }
                return (values, last)
            }
            if rows.isEmpty { return }
            try await body(rows)
            after = lastKey
            if rows.count < batchSize { return }
        }
    }

    public func importRows(_ table: SiteTable, _ rows: [[ColumnValue]]) async throws {
        guard !rows.isEmpty else { return }
        let columns = table.columns.map { table.name == "papers" && $0 == "seq" ? "rowid" : $0 }
        let sql = "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        try await writer.write { db in
            let statement = try db.makeStatement(sql: sql)
            for row in rows { try statement.execute(arguments: StatementArguments(row.map(Self.stored))) }
        }
    }

    public func finishImport() async throws {
        // Ids come from SQLite's rowids, which continue after the largest by themselves; the
        // full-text index is rebuilt from the copied papers.
        try await writer.write { db in try db.execute(sql: "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')") }
    }

    public func rowCount(_ table: SiteTable) async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
    }
}
