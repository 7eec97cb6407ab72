import ArgumentParser
import Foundation
import Logging
import PapersCore
import PapersIngest
import PapersStore

/// Where arXiv's OAI-PMH endpoint is.
struct OAISourceOption: ParsableArguments {
    @Option(name: .customLong("oai-url"), help: ArgumentHelp("arXiv's OAI-PMH endpoint (env ARXIV_OAI_URL; default \(OAIHarvester.defaultBaseURL)).", valueName: "url"))
    var oaiURL: String?

    /// Flag, environment, default; an http(s) URL.
    func resolved() throws -> String {
        try HarvestSourceOptions.check(oaiURL ?? Environment.value("ARXIV_OAI_URL") ?? OAIHarvester.defaultBaseURL, "--oai-url")
    }
}

/// Where Hugging Face is.
struct HFSourceOption: ParsableArguments {
    @Option(name: .customLong("hf-url"), help: ArgumentHelp("Hugging Face, for /api/daily_papers (env HF_URL; default \(HFHarvester.defaultBaseURL)).", valueName: "url"))
    var hfURL: String?

    func resolved() throws -> String {
        try HarvestSourceOptions.check(hfURL ?? Environment.value("HF_URL") ?? HFHarvester.defaultBaseURL, "--hf-url")
    }
}

/// How harvests fetch; shared by `harvest` and `serve`.
struct HarvestSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds between requests to arXiv; arXiv asks for at least 3 (env HARVEST_DELAY; default 3). Hugging Face gets a third of it.", valueName: "seconds"))
    var delay: Double?

    @Option(name: .customLong("harvest-timeout"), help: ArgumentHelp("Seconds a harvest request may take, body included (env HARVEST_TIMEOUT; default 60).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("harvest-attempts"), help: ArgumentHelp("Tries per request before a harvest run fails: timeouts, dropped connections, 429, 5xx and unreadable bodies are retried with exponential backoff and jitter, honouring Retry-After (env HARVEST_ATTEMPTS; default 5).", valueName: "n"))
    var attempts: Int?

    @Option(name: .customLong("harvest-backoff"), help: ArgumentHelp("Seconds before the first retry; each next one waits about twice as long, up to 5 minutes (env HARVEST_BACKOFF; default 5).", valueName: "seconds"))
    var backoff: Double?

    @Option(name: .customLong("harvest-max-body"), help: ArgumentHelp("Largest response body read, in MiB; a larger one fails the run (env HARVEST_MAX_BODY_MB; default 64).", valueName: "MiB"))
    var maxBodyMiB: Int?

    /// Checks that a source's URL is an http(s) URL.
    static func check(_ url: String, _ name: String) throws -> String {
        guard WebLink(url) != nil else { throw ValidationError("\(name) \"\(url)\" is not an http or https URL") }
        return url
    }

    var arxivDelay: Double { get throws { try nonNegative(delay, "HARVEST_DELAY", "--delay", default: 3, unit: "seconds") } }

    /// How the fetcher behaves, checked (no I/O: `serve` resolves it with the rest of its configuration).
    struct FetcherSettings {
        var timeout: Double, maxBodyBytes: Int, attempts: Int, backoff: Double

        func make(logger: Logger, clock: any HarvestClock = SystemHarvestClock()) -> HarvestFetcher {
            HarvestFetcher(timeout: .milliseconds(Int64(max(0.1, timeout) * 1000)), maxBodyBytes: maxBodyBytes, attempts: attempts,
                           backoff: backoff, clock: clock, onRetry: { logger.warning("\($0)") })
        }
    }

    func fetcher(logger: Logger) throws -> HarvestFetcher { try fetcherSettings().make(logger: logger) }

    func fetcherSettings() throws -> FetcherSettings {
        let attemptsText = attempts.map(String.init) ?? Environment.value("HARVEST_ATTEMPTS") ?? "5"
        guard let attempts = Int(attemptsText), attempts >= 1 else { throw ValidationError("--harvest-attempts \"\(attemptsText)\" must be at least 1") }
        let mibText = maxBodyMiB.map(String.init) ?? Environment.value("HARVEST_MAX_BODY_MB") ?? "64"
        guard let mib = Int(mibText), mib >= 1 else { throw ValidationError("--harvest-max-body \"\(mibText)\" must be at least 1 (MiB)") }
        let timeout = try nonNegative(self.timeout, "HARVEST_TIMEOUT", "--harvest-timeout", default: 60, unit: "seconds")
        return FetcherSettings(timeout: timeout, maxBodyBytes: mib << 20, attempts: attempts,
                               backoff: try nonNegative(backoff, "HARVEST_BACKOFF", "--harvest-backoff", default: 5, unit: "seconds"))
    }
}

struct Harvest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch new papers from arXiv (OAI-PMH) or Hugging Face daily papers into the catalog.",
        discussion: """
            `serve` runs both on a schedule by itself; these commands run one harvest now. \
            Exit status: 0 harvested, 1 some records or days were rejected (named on standard error), \
            2 the database could not be opened, 3 the source failed (after retries) or answered with an OAI-PMH error.
            """,
        subcommands: [HarvestArxiv.self, HarvestHF.self])
}

/// What both harvest commands do around their harvester: open the store, run, print, exit.
private func runHarvest(source: String, store storeOptions: StoreOptions, quiet: Bool,
                        _ body: (any SiteStore, HarvestFetcher) async throws -> HarvestReport,
                        sources: HarvestSourceOptions) async throws {
    var logger = Logger(label: "dailypapers.harvest")
    logger.logLevel = quiet ? .error : .info
    let fetcher = try sources.fetcher(logger: logger)
    let store = try await storeOptions.openStoreOrExit()
    let started = ContinuousClock.now
    let report: HarvestReport
    do {
        report = try await body(store, fetcher)
    } catch {
        try? await store.recordHarvestRun(source: source, HarvestRunRecord(at: Date(), succeeded: false, counts: HarvestCounts(), error: "\(error)"))
        printError("error: harvest failed: \(error)")
        throw ExitCode(3)
    }
    for rejection in report.rejections { printError("rejected: \(rejection)") }
    let elapsed = ContinuousClock.now - started
    var line = "\(report.source): \(report.counts)"
    if let cursor = report.cursor { line += "; cursor \(cursor)" }
    if report.restarts > 0 { line += "; listing restarted \(report.restarts)x after a rejected resumption token" }
    print("\(line) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
    try? await store.recordHarvestRun(source: report.source, HarvestRunRecord(at: Date(), succeeded: true, counts: report.counts))
    if report.counts.rejected > 0 { throw ExitCode(1) }
}

extension Day: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

struct HarvestArxiv: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arxiv",
        abstract: "Harvest arXiv over OAI-PMH (ListRecords, following resumption tokens to the end).",
        discussion: """
            Without --from, a run starts at the set's cursor (the last day it harvested completely; \
            the day is read again, which changes nothing) or, the first time, 7 days back. \
            New versions replace the text of papers and are embedded again by `embed` or `serve`.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var oai: OAISourceOption
    @OptionGroup var sources: HarvestSourceOptions

    @Option(help: ArgumentHelp("OAI set: cs, math, physics:hep-th, …; `all` for every set.", valueName: "set"))
    var set = "cs"

    @Option(help: ArgumentHelp("First datestamp (YYYY-MM-DD); default: the set's cursor.", valueName: "day"))
    var from: Day?

    @Option(help: ArgumentHelp("Last datestamp (YYYY-MM-DD); default: up to now.", valueName: "day"))
    var until: Day?

    @Option(help: ArgumentHelp("Metadata format: arXivRaw (every version with its date) or arXiv.", valueName: "format"))
    var metadata = "arXivRaw"

    @Option(help: ArgumentHelp("Keep only these categories or archives, comma separated (cs.CL,cs.LG); default all of the set.", valueName: "list"))
    var categories: String?

    @Flag(help: "Print only the summary and the rejections.")
    var quiet = false

    func validate() throws {
        guard OAIHarvester.metadataPrefixes.contains(metadata) else {
            throw ValidationError("--metadata \"\(metadata)\" is not one of \(OAIHarvester.metadataPrefixes.joined(separator: ", "))")
        }
        if let from, let until, until < from { throw ValidationError("--until \(until) is before --from \(from)") }
    }

    func run() async throws {
        let request = OAIHarvestRequest(set: set == "all" ? nil : set, from: from, until: until, metadataPrefix: metadata,
                                        categories: categories.map(splitList) ?? [])
        let delay = try sources.arxivDelay
        let url = try oai.resolved()
        try await runHarvest(source: request.source, store: storeOptions, quiet: quiet, { store, fetcher in
            try await OAIHarvester(baseURL: url, store: store, fetcher: fetcher, delay: delay).run(request)
        }, sources: sources)
    }
}

struct HarvestHF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hf",
        abstract: "Harvest Hugging Face daily papers for a day or a range of days, and always today and the 3 days before.",
        discussion: "Featured days, submitters, upvotes, comment counts, links and GitHub stars are updated idempotently.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var hf: HFSourceOption
    @OptionGroup var sources: HarvestSourceOptions

    @Option(help: ArgumentHelp("One day (YYYY-MM-DD).", valueName: "day"))
    var date: Day?

    @Option(help: ArgumentHelp("First day of a range (with --to).", valueName: "day"))
    var from: Day?

    @Option(help: ArgumentHelp("Last day of a range (with --from).", valueName: "day"))
    var to: Day?

    @Flag(help: "Print only the summary and the rejections.")
    var quiet = false

    func validate() throws {
        if date != nil && (from != nil || to != nil) { throw ValidationError("--date cannot be combined with --from/--to") }
        if (from == nil) != (to == nil) { throw ValidationError("--from and --to go together") }
        if let from, let to {
            guard from <= to else { throw ValidationError("--to \(to) is before --from \(from)") }
            guard to.start.timeIntervalSince(from.start) < 3660 * 86_400 else { throw ValidationError("--from \(from) --to \(to) spans more than ten years") }
        }
    }

    func run() async throws {
        var asked = [Day]()
        if let date { asked = [date] }
        if let from, let to {
            var day = from
            while day <= to { asked.append(day); day = day.adding(days: 1) }
        }
        let delay = try sources.arxivDelay / 3
        let url = try hf.resolved()
        try await runHarvest(source: HFHarvester.source, store: storeOptions, quiet: quiet, { store, fetcher in
            let harvester = HFHarvester(baseURL: url, store: store, fetcher: fetcher, delay: delay)
            return try await harvester.run(days: harvester.days(asked: asked))
        }, sources: sources)
    }
}

/// A number from a flag, else its environment variable, else the default; never negative.
func nonNegative(_ flag: Double?, _ variable: String, _ name: String, default value: Double, unit: String) throws -> Double {
    if let flag {
        guard flag >= 0 else { throw ValidationError("\(name) must not be negative") }
        return flag
    }
    guard let text = Environment.value(variable) else { return value }
    guard let n = Double(text), n >= 0 else { throw ValidationError("\(variable) \"\(text)\" is not a number of \(unit)") }
    return n
}

func splitList(_ text: String) -> [String] {
    text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
}

/// When `serve` harvests; the sources are `HarvestSourceOptions`.
struct HarvestScheduleOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Harvest arXiv and Hugging Face on a schedule while serving (env HARVEST=0 turns it off; default on). An empty catalog is filled with the last --fill-days days at start."))
    var harvest: Bool?

    @Option(name: .customLong("harvest-sets"), help: ArgumentHelp("arXiv OAI sets, comma separated (env ARXIV_SETS; default cs); an empty list turns the arXiv harvest off.", valueName: "list"))
    var sets: String?

    @Option(name: .customLong("harvest-categories"), help: ArgumentHelp("Keep only these categories or archives of the sets, comma separated: cs.CL,cs.LG (env ARXIV_CATEGORIES; default all).", valueName: "list"))
    var categories: String?

    @Option(name: .customLong("harvest-metadata"), help: ArgumentHelp("OAI metadata format, arXivRaw or arXiv (env ARXIV_METADATA; default arXivRaw).", valueName: "format"))
    var metadata: String?

    @Option(name: .customLong("arxiv-harvest-at"), help: ArgumentHelp("Time of day of the arXiv harvest, HH:MM in --harvest-time-zone, after arXiv's announcement at 20:00 US Eastern (env ARXIV_HARVEST_AT; default 02:00).", valueName: "HH:MM"))
    var arxivAt: String?

    @Option(name: .customLong("harvest-time-zone"), help: ArgumentHelp("Time zone of --arxiv-harvest-at, e.g. UTC or America/New_York (env HARVEST_TIME_ZONE; default UTC).", valueName: "zone"))
    var timeZone: String?

    @Option(name: .customLong("hf-harvest-minutes"), help: ArgumentHelp("Minutes between Hugging Face harvests of today and the 3 days before (env HF_HARVEST_MINUTES; default 60; 0 turns them off).", valueName: "minutes"))
    var hfMinutes: Double?

    @Option(name: .customLong("harvest-retry-minutes"), help: ArgumentHelp("Minutes before a failed harvest is tried again (env HARVEST_RETRY_MINUTES; default 15).", valueName: "minutes"))
    var retryMinutes: Double?

    @Option(name: .customLong("fill-days"), help: ArgumentHelp("Days back a first harvest into an empty catalog goes (env HARVEST_FILL_DAYS; default 7).", valueName: "days"))
    var fillDays: Int?

    var enabled: Bool { harvest ?? (Environment.value("HARVEST").map { $0 != "0" && $0.lowercased() != "false" && $0.lowercased() != "off" } ?? true) }

    func schedule() throws -> HarvestSchedule {
        let sets = splitList(sets ?? Environment.value("ARXIV_SETS") ?? "cs")
        let categories = splitList(categories ?? Environment.value("ARXIV_CATEGORIES") ?? "")
        let metadata = metadata ?? Environment.value("ARXIV_METADATA") ?? "arXivRaw"
        guard OAIHarvester.metadataPrefixes.contains(metadata) else {
            throw ValidationError("--harvest-metadata \"\(metadata)\" is not one of \(OAIHarvester.metadataPrefixes.joined(separator: ", "))")
        }
        let at = arxivAt ?? Environment.value("ARXIV_HARVEST_AT") ?? "02:00"
        let parts = at.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0..<24).contains(hour), (0..<60).contains(minute) else {
            throw ValidationError("--arxiv-harvest-at \"\(at)\" is not a time of day HH:MM")
        }
        let zoneName = timeZone ?? Environment.value("HARVEST_TIME_ZONE") ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ValidationError("--harvest-time-zone \"\(zoneName)\" is not a time zone (e.g. UTC, Europe/Berlin, America/New_York)")
        }
        let fillText = fillDays.map(String.init) ?? Environment.value("HARVEST_FILL_DAYS") ?? "7"
        guard let fill = Int(fillText), (1...365).contains(fill) else { throw ValidationError("--fill-days \"\(fillText)\" must be from 1 to 365") }
        return HarvestSchedule(arxivSets: sets, arxivCategories: categories, metadataPrefix: metadata, arxivHour: hour, arxivMinute: minute,
                               timeZone: zone, hfIntervalMinutes: try nonNegative(hfMinutes, "HF_HARVEST_MINUTES", "--hf-harvest-minutes", default: 60, unit: "minutes"),
                               retryMinutes: max(0.01, try nonNegative(retryMinutes, "HARVEST_RETRY_MINUTES", "--harvest-retry-minutes", default: 15, unit: "minutes")),
                               fillDays: fill)
    }
}
