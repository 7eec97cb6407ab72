import Foundation
import Logging
import PapersCore
import PapersStore
import ServiceLifecycle

/// When `serve` harvests, and what.
public struct HarvestSchedule: Sendable, Hashable {
    /// arXiv sets to harvest (`cs`); empty turns the arXiv harvest off.
    public var arxivSets: [String]
    /// Keep only these categories or archives; empty keeps all of each set.
    public var arxivCategories: [String]
    public var metadataPrefix: String
    /// The time of day of the arXiv harvest, after arXiv's announcement (20:00 US Eastern,
    /// Sunday to Thursday): 02:00 UTC by default.
    public var arxivHour: Int
    public var arxivMinute: Int
    public var timeZone: TimeZone
    /// Minutes between Hugging Face harvests (today and the 3 days before); 0 turns them off.
    public var hfIntervalMinutes: Double
    /// A failed run is tried again after this many minutes.
    public var retryMinutes: Double
    /// On an empty catalog, how many days back the first harvest goes.
    public var fillDays: Int

    public init(arxivSets: [String] = ["cs"], arxivCategories: [String] = [], metadataPrefix: String = "arXivRaw",
                arxivHour: Int = 2, arxivMinute: Int = 0, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                hfIntervalMinutes: Double = 60, retryMinutes: Double = 15, fillDays: Int = 7) {
        self.arxivSets = arxivSets
        self.arxivCategories = arxivCategories
        self.metadataPrefix = metadataPrefix
        self.arxivHour = arxivHour
        self.arxivMinute = arxivMinute
        self.timeZone = timeZone
        self.hfIntervalMinutes = hfIntervalMinutes
        self.retryMinutes = retryMinutes
        self.fillDays = fillDays
    }

    /// The first arXiv harvest time strictly after `date`.
    public func nextArxivRun(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(hour: arxivHour, minute: arxivMinute, second: 0)
        return calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime) ?? date.addingTimeInterval(86_400)
    }
}

/// Runs the harvesters inside `serve`: arXiv once a day after its announcement, Hugging Face
/// every hour (by default), and on an empty catalog a first fill of the last days from both.
/// A source that cannot be reached fails that run with one log line and is tried again
/// `retryMinutes` later; the site keeps serving. Each run is logged with its counts and
/// reported to the `HarvestMonitor` behind `/healthz` and `/metrics`.
public struct HarvestService: Service {
    let arxiv: OAIHarvester?
    let hf: HFHarvester?
    let schedule: HarvestSchedule
    let monitor: HarvestMonitor
    let clock: any HarvestClock
    let logger: Logger
    /// Called after a run that added or changed papers (wakes the embedder).
    let onChange: @Sendable () -> Void

    public init(arxiv: OAIHarvester?, hf: HFHarvester?, schedule: HarvestSchedule, monitor: HarvestMonitor,
                clock: any HarvestClock = SystemHarvestClock(), logger: Logger, onChange: @escaping @Sendable () -> Void = {}) {
        self.arxiv = schedule.arxivSets.isEmpty ? nil : arxiv
        self.hf = schedule.hfIntervalMinutes > 0 ? hf : nil
        self.schedule = schedule
        self.monitor = monitor
        self.clock = clock
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            do {
                try await self.loop()
            } catch {
                if !(error is CancellationError) { self.logger.error("the harvest service stopped", metadata: ["error": "\(error)"]) }
            }
        }
    }

    func loop() async throws {
        guard arxiv != nil || hf != nil else { return }
        let store = (arxiv?.store ?? hf?.store)!
        let empty = (try? await store.stats().papers) == 0
        let now = clock.now
        // When each source runs next. A new install (empty catalog) fills itself at once; after
        // a restart, arXiv runs at once only if its last run is more than a day old.
        var nextArxiv = [String: Date]()
        for set in schedule.arxivSets where arxiv != nil {
            let source = OAIHarvestRequest(set: set).source
            let last = try? await store.lastHarvestRun(source: source)
            monitor.restore(source, last)
            let stale = last.map { now.timeIntervalSince($0.at) > 86_400 || !$0.succeeded } ?? true
            nextArxiv[set] = empty || stale ? now : schedule.nextArxivRun(after: now)
            monitor.scheduled(source, next: nextArxiv[set])
        }
        var nextHF: Date? = hf == nil ? nil : now
        if hf != nil {
            monitor.restore(HFHarvester.source, try? await store.lastHarvestRun(source: HFHarvester.source))
            monitor.scheduled(HFHarvester.source, next: nextHF)
        }
        var fillHF = empty
        while !Task.isCancelled {
            let due = (Array(nextArxiv.values) + [nextHF].compactMap { $0 }).min()!
            let wait = due.timeIntervalSince(clock.now)
            if wait > 0 { try await clock.sleep(seconds: wait) }
            let start = clock.now
            for set in schedule.arxivSets.sorted() {
                guard let arxiv, let due = nextArxiv[set], due <= start else { continue }
                let request = OAIHarvestRequest(set: set, metadataPrefix: schedule.metadataPrefix, categories: schedule.arxivCategories)
                let ok = await runOnce(source: request.source, store: store) { try await arxiv.run(request) }
                nextArxiv[set] = ok ? schedule.nextArxivRun(after: clock.now) : clock.now.addingTimeInterval(schedule.retryMinutes * 60)
                monitor.scheduled(request.source, next: nextArxiv[set])
            }
            if let hf, let due = nextHF, due <= start {
                let today = Day(clock.now)
                let asked = fillHF ? (1...schedule.fillDays).map { today.adding(days: -$0) } : []
                let ok = await runOnce(source: HFHarvester.source, store: store) { try await hf.run(days: hf.days(asked: asked)) }
                if ok { fillHF = false }
                nextHF = clock.now.addingTimeInterval((ok ? schedule.hfIntervalMinutes : min(schedule.retryMinutes, schedule.hfIntervalMinutes)) * 60)
                monitor.scheduled(HFHarvester.source, next: nextHF)
            }
        }
    }

    /// One run: logged in one line, reported to the monitor and kept in the database.
    func runOnce(source: String, store: any HarvestStore, _ body: () async throws -> HarvestReport) async -> Bool {
        monitor.started(source)
        let started = clock.now
        let record: HarvestRunRecord
        do {
            let report = try await body()
            let seconds = clock.now.timeIntervalSince(started)
            var metadata: Logger.Metadata = ["source": "\(source)", "seconds": "\(String(format: "%.1f", seconds))"]
            if let cursor = report.cursor { metadata["cursor"] = "\(cursor)" }
            if report.restarts > 0 { metadata["restarts"] = "\(report.restarts)" }
            logger.info("harvest \(source) done: \(report.counts)", metadata: metadata)
            for rejection in report.rejections.prefix(20) {
                logger.warning("harvest \(source) rejected: \(rejection)")
            }
            record = HarvestRunRecord(at: clock.now, succeeded: true, counts: report.counts)
            if report.counts.new + report.counts.updated > 0 { onChange() }
        } catch is CancellationError {
            monitor.finished(source, HarvestRunRecord(at: clock.now, succeeded: false, counts: HarvestCounts(), error: "stopped"))
            return false
        } catch {
            let retry = schedule.retryMinutes >= 1 ? "\(Int(schedule.retryMinutes)) min" : "\(Int((schedule.retryMinutes * 60).rounded())) s"
            logger.error("harvest \(source) failed, will retry in \(retry): \(error)")
            record = HarvestRunRecord(at: clock.now, succeeded: false, counts: HarvestCounts(), error: "\(error)")
        }
        monitor.finished(source, record)
        try? await store.recordHarvestRun(source: source, record)
        return record.succeeded
    }
}
