import ArgumentParser
import Foundation
import PapersIngest
import PapersStore

extension ImportFormat: ExpressibleByArgument {}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import papers from files or folders (format detected from content).",
        discussion: """
            Formats: hf-daily (Hugging Face /api/daily_papers bodies, one file or a folder of YYYY-MM-DD.json), \
            snapshot (arXiv metadata JSON lines, plain or .gz), atom (arXiv API responses), \
            oai (OAI-PMH ListRecords/GetRecord in arXiv or arXivRaw format). \
            Imports are idempotent upserts by arXiv id. Every rejected file or record is named on \
            standard error with its reason; the rest is imported. \
            Exit status: 0 all imported, 1 something was rejected, 2 nothing could be opened.
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Read every file as this format instead of detecting it: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ImportFormat?

    @Flag(help: "Print only the summary and the rejections, no progress.")
    var quiet = false

    @Argument(help: "Files or folders to import.")
    var paths: [String]

    func run() async throws {
        let store = try await storeOptions.openStoreOrExit()
        let importer = Importer(store: store)
        importer.onReject = { printError("rejected: \($0)") }
        if !quiet { importer.progress = ProgressReporter(label: "import") }
        let started = ContinuousClock.now
        let summary = await importer.run(paths: paths, format: format)
        let elapsed = ContinuousClock.now - started
        print("\(summary.description) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
        if summary.rejected > 0 { throw ExitCode(1) }
    }
}
