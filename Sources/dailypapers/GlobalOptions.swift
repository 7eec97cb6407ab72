import ArgumentParser
import Foundation
import PapersStore

/// Options every subcommand that touches the database shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "SQLite database file (env DATABASE_PATH; default ./data/dailypapers.sqlite).", valueName: "path"))
    var database: String?

    /// Flags, then environment, then the default.
    var databasePath: String {
        database ?? Environment.value("DATABASE_PATH") ?? "./data/dailypapers.sqlite"
    }

    func openStore() throws -> SQLiteStore {
        try SQLiteStore(path: databasePath)
    }
}

/// The one place the process environment is read.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else { return nil }
        return v
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
