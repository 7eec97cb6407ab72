import ArgumentParser
import PapersStore

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print catalog counts: papers, featured days, first and last day.")

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let stats = try await storeOptions.openStore().stats()
        print("papers:           \(stats.papers)")
        print("featured entries: \(stats.featuredEntries)")
        print("featured days:    \(stats.featuredDays)")
        print("first day:        \(stats.firstDay?.description ?? "-")")
        print("last day:         \(stats.lastDay?.description ?? "-")")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or migrate the database schema and list the applied migrations.")

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let store = try await storeOptions.openStore()
        for name in try await store.appliedMigrations() { print(name) }
    }
}

