import ArgumentParser
import Foundation
import Logging
import PapersBackends
import PapersStore

/// Copies a whole site from one database to another (an SQLite file to PostgreSQL, when a
/// community moves to several web nodes) and proves the copy: the same row count and the same
/// checksum of every table on both sides.
struct MigrateData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Copy a whole site's database to another database (SQLite to PostgreSQL) and verify the copy.",
        discussion: """
            The target must be empty (a new database: its schema is created here). Every table is copied \
            in batches, then both sides are read again and each table's row count and checksum compared; \
            the command exits 0 only when all match. Stop `serve` and harvests on the source first: \
            what they write during the copy is not copied.
            """)

    @Option(help: ArgumentHelp("The database to copy: an SQLite file, sqlite:PATH or postgres://…", valueName: "path-or-url"))
    var from: String

    @Option(help: ArgumentHelp("The empty database to copy into: postgres://USER:PASSWORD@HOST:PORT/NAME (or an SQLite file).", valueName: "url"))
    var to: String

    @Option(help: ArgumentHelp("Rows per batch (one transaction each).", valueName: "n"))
    var batchSize = 1000

    @Flag(help: "Print only the verification table and errors.")
    var quiet = false

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size \(batchSize) is not a number from 1 to 100000") }
    }

    func run() async throws {
        var logger = Logger(label: "dailypapers.migrate-data")
        logger.logLevel = .error
        let source: StoreLocation, target: StoreLocation
        do { source = try StoreLocation(parsing: from) } catch { throw ValidationError("--from: \(error)") }
        do { target = try StoreLocation(parsing: to) } catch { throw ValidationError("--to: \(error)") }
        guard source != target else { throw ValidationError("--from and --to name the same database (\(source))") }
        if case let .sqlite(path) = source, !FileManager.default.fileExists(atPath: path) {
            printError("error: --from \(path): no such database file")
            throw ExitCode(2)
        }
        let from: any SiteStore, to: any SiteStore
        do {
            from = try await StoreOpener.open(source, logger: logger)
            to = try await StoreOpener.open(target, logger: logger)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        defer { Task { await from.close(); await to.close() } }

        // Into an empty database only: a copy over existing rows could not be proven.
        var held = [String]()
        for table in SiteTables.all {
            let n = try await to.rowCount(table)
            if n > 0 { held.append("\(table.name) \(n)") }
        }
        guard held.isEmpty else {
            printError("error: --to \(to.location) already holds rows (\(held.joined(separator: ", "))); migrate-data copies into an empty database")
            throw ExitCode(2)
        }

        let started = ContinuousClock.now
        for table in SiteTables.all {
            var copied = 0
            do {
                try await from.exportRows(table, batchSize: batchSize) { rows in
                    try await to.importRows(table, rows)
                    copied += rows.count
                }
            } catch {
                printError("error: copying \(table.name) after \(copied) rows: \(error)")
                printError("the target is incomplete: drop and create it again, then run migrate-data again")
                throw ExitCode(1)
            }
            if !quiet { printError("copied \(table.name): \(copied) rows") }
        }
        try await to.finishImport()
        if !quiet { printError("copied in \(ContinuousClock.now - started); verifying") }

        print("| table | rows (from) | rows (to) | checksum (from) | checksum (to) | same |")
        print("| --- | --- | --- | --- | --- | --- |")
        var mismatched = [String]()
        for table in SiteTables.all {
            let a = try await Self.checksum(from, table), b = try await Self.checksum(to, table)
            let same = a == b
            if !same { mismatched.append(table.name) }
            print("| \(table.name) | \(a.rows) | \(b.rows) | \(a) | \(b) | \(same ? "yes" : "NO") |")
        }
        guard mismatched.isEmpty else {
            printError("error: the copy differs from the source in: \(mismatched.joined(separator: ", "))")
            throw ExitCode(1)
        }
        print("verified: \(SiteTables.all.count) tables copied from \(from.location) to \(to.location), every count and checksum the same")
    }

    static func checksum(_ store: any SiteStore, _ table: SiteTable) async throws -> TableChecksum {
        var sum = TableChecksum()
        try await store.exportRows(table, batchSize: 2000) { rows in for row in rows { sum.add(row) } }
        return sum
    }
}
