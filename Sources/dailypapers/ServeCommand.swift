import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PapersCore
import ServiceLifecycle
import PapersIngest
import PapersMail
import PapersSearch
import PapersServices
import PapersStore
import PapersWeb

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web site, feeds and JSON API.",
        discussion: "Stops cleanly on SIGTERM or SIGINT: in-flight requests finish first.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var mailOptions: MailOptions
    @OptionGroup var harvestOptions: HarvestScheduleOptions
    @OptionGroup var oai: OAISourceOption
    @OptionGroup var hf: HFSourceOption
    @OptionGroup var harvestSources: HarvestSourceOptions
    @OptionGroup var keywordOptions: KeywordSearchOption

    @Option(help: ArgumentHelp("Address to listen on (env HOST; default 127.0.0.1; 0.0.0.0 for every interface).", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on (env PORT; default 8080).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("Public base URL for absolute links in feeds (env BASE_URL; default http://HOST:PORT).", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("Site name shown in pages and feeds (env SITE_NAME; default Daily Papers).", valueName: "name"))
    var siteName: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Embed new and changed papers in the background while serving (env BACKGROUND_EMBEDDING=0 turns it off; default on)."))
    var backgroundEmbedding: Bool?

    @Option(help: ArgumentHelp("arXiv Atom API for looking up submitted papers (env ARXIV_API_URL; default \(ArxivClient.defaultBaseURL)).", valueName: "url"))
    var arxivURL: String?

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error (env LOG_LEVEL; default info).", valueName: "level"))
    var logLevel: String?

    func run() async throws {
        let config = try Configuration(
            flags: ConfigurationFlags(host: host, port: port, baseURL: baseURL, siteName: siteName, logLevel: logLevel,
                                      backgroundEmbedding: backgroundEmbedding, arxivURL: arxivURL,
                                      keywordSearch: keywordOptions.keywordSearch),
            store: storeOptions, model: modelOptions, mail: mailOptions, harvest: (harvestOptions, oai, hf, harvestSources))
        var logger = Logger(label: "dailypapers")
        logger.logLevel = config.logLevel
        // One registry for the process: search, mail, embedding and harvest record their series
        // through swift-metrics into it, and /metrics prints it.
        let metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let configuration = config.web
        let now = config.now
        let store = try await config.openStore(logger: logger)
        let stats = try await store.stats()
        logger.info("catalog opened", metadata: ["database": "\(store.location)", "papers": "\(stats.papers)",
                                                 "featured_days": "\(stats.featuredDays)"])
        let embedder = try config.loadEmbedder()
        if embedder == nil {
            logger.warning("semantic search is off: the embedding model was not found; search is keyword only. To turn it on, \(ModelOptions.installHint)")
        }
        let engine = SearchEngine(store: store, embedder: embedder, logger: logger, keywordSource: config.keywordSearch)
        let started = ContinuousClock.now
        let loaded = try await engine.loadIndex()
        var backlog = 0
        if let embedder { backlog = try await store.embeddingBacklog(model: embedder.modelID) }
        logger.info("search indexes loaded", metadata: ["vectors": "\(loaded)", "keyword_documents": "\(engine.keywordIndex.count)", "to_embed": "\(backlog)",
                                                      "keyword_search": "\(config.keywordSearch.rawValue)",
                                                      "elapsed": "\(ContinuousClock.now - started)"])
        let community = Community(store: store, secret: try await config.secret(store),
                                  configuration: CommunityConfiguration(secureCookies: (config.baseURL ?? "").lowercased().hasPrefix("https://"),
                                                                        arxivBaseURL: config.arxivURL))
        let (mailer, outbox) = try await config.makeMail(store: store, search: engine, now: now, logger: logger)
        let mailService = MailService(mailer: mailer, outbox: outbox, now: now, logger: logger)
        let embedInBackground = config.backgroundEmbedding
        let wakeup = Wakeup()
        var services: [any Service] = [mailService]
        if embedInBackground { services.append(EmbeddingService(engine: engine, wakeup: wakeup, logger: logger)) }
        var monitor: HarvestMonitor?
        if let harvest = config.harvest {
            let schedule = harvest.schedule
            // The site's clock (DAILYPAPERS_NOW sets it for tests) decides which days are harvested.
            let clock = SystemHarvestClock(now: now)
            let fetcher = harvest.fetcher.make(logger: logger, clock: clock)
            let delay = harvest.arxivDelay
            let harvestMonitor = HarvestMonitor()
            monitor = harvestMonitor
            services.append(HarvestService(
                arxiv: OAIHarvester(baseURL: harvest.oaiURL, store: store, fetcher: fetcher, delay: delay, fillDays: schedule.fillDays),
                hf: HFHarvester(baseURL: harvest.hfURL, store: store, fetcher: fetcher, delay: delay / 3),
                schedule: schedule, monitor: harvestMonitor, clock: clock, logger: logger, onChange: { wakeup.signal() }))
            logger.info("harvesting", metadata: [
                "arxiv": "\(schedule.arxivSets.isEmpty ? "off" : "sets \(schedule.arxivSets.joined(separator: ",")) daily at \(String(format: "%02d:%02d", schedule.arxivHour, schedule.arxivMinute)) \(schedule.timeZone.identifier) from \(harvest.oaiURL)")",
                "hf": "\(schedule.hfIntervalMinutes > 0 ? "every \(schedule.hfIntervalMinutes) min from \(harvest.hfURL)" : "off")"])
        } else {
            logger.info("harvesting is off (--no-harvest): papers arrive only by import and submission")
        }
        let app = WebApp(catalog: Catalog(store: store, searchEngine: engine, now: now), configuration: configuration, community: community,
                         mail: WebMail(mailer: mailer, service: mailService), metrics: metrics, harvest: monitor)
        services.append(ChangeListener(store: store, app: app, logger: logger))
        try await app.application(logger: logger, services: services).runService()
    }
}
