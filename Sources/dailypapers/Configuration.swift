import ArgumentParser
import Foundation
import Logging
import PapersCore
import PapersIngest
import PapersMail
import PapersSearch
import PapersBackends
import PapersStore
import PapersWeb

/// The flags `serve` and `digest` were given (nil: not given).
struct ConfigurationFlags {
    var host: String?
    var port: Int?
    var baseURL: String?
    var siteName: String?
    var logLevel: String?
    var backgroundEmbedding: Bool?
    var arxivURL: String?
    var keywordSearch: KeywordSearchSource?
}

/// Everything `serve` and `digest` run with, read once at start: flags, then environment
/// variables, then defaults, each checked here so a bad value stops the process with a message
/// naming it before anything is opened. What runs below is handed these typed values and
/// reads no environment.
///
/// Hand-written rather than apple/swift-configuration: a dozen values from two sources fit in
/// this one file, and that package (with its providers and their dependencies) would add a
/// build-time cost to every build of a 2-core machine for what these lines do.
struct Configuration {
    var database: StoreLocation
    /// nil: look for the installed model package.
    var modelDirectory: String?
    var host: String
    var port: Int
    /// As given (`BASE_URL`); `web.resolvedBaseURL` fills in `http://HOST:PORT`.
    var baseURL: String?
    var siteName: String
    var logLevel: Logger.Level
    var backgroundEmbedding: Bool
    var arxivURL: String
    var keywordSearch: KeywordSearchSource
    /// `SECRET_KEY`, when set (at least 32 characters); else the database keeps a random one.
    var secretKey: String?
    /// The process's clock: the system's, or one started at `DAILYPAPERS_NOW`.
    var now: @Sendable () -> Date
    var mail: Mail
    /// Harvesting on a schedule (`serve`); nil when turned off or not asked for.
    var harvest: Harvest?

    struct Harvest {
        var schedule: HarvestSchedule
        var oaiURL: String
        var hfURL: String
        /// Seconds between requests to arXiv (Hugging Face gets a third of it).
        var arxivDelay: Double
        var fetcher: HarvestSourceOptions.FetcherSettings
    }

    /// How the site sends mail.
    struct Mail {
        var smtpURL: String
        /// nil: "SITE_NAME <dailypapers@HOST of the base URL>".
        var from: String?
        var connections: Int
        var digestHour: Int
        var retrySeconds: Double
        var claimSeconds: Double
    }

    init(flags: ConfigurationFlags, store: StoreOptions, model: ModelOptions, mail: MailOptions,
         harvest: (schedule: HarvestScheduleOptions, oai: OAISourceOption, hf: HFSourceOption, sources: HarvestSourceOptions)? = nil,
         defaultLogLevel: Logger.Level = .info, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func number<T: LosslessStringConvertible>(_ flag: T?, _ variable: String, _ fallback: String, _ name: String,
                                                   _ problem: String, valid: (T) -> Bool) throws -> T {
            let text = flag.map { "\($0)" } ?? env(variable) ?? fallback
            guard let value = T(text), valid(value) else { throw ValidationError("\(name) \"\(text)\" \(problem)") }
            return value
        }
        do {
            database = try StoreLocation(parsing: StoreOptions.resolve(flag: store.database, environment: environment))
        } catch {
            throw ValidationError("--database: \(error)")
        }
        modelDirectory = model.modelDir ?? env("MODEL_DIR")
        host = flags.host ?? env("HOST") ?? "127.0.0.1"
        port = try number(flags.port, "PORT", "8080", "port", "is not a TCP port (0-65535)") { (0...65535).contains($0) }
        baseURL = flags.baseURL ?? env("BASE_URL")
        siteName = flags.siteName ?? env("SITE_NAME") ?? "Daily Papers"
        let level = flags.logLevel ?? env("LOG_LEVEL") ?? defaultLogLevel.rawValue
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ValidationError("--log-level \"\(level)\" is not one of trace, debug, info, notice, warning, error")
        }
        self.logLevel = logLevel
        backgroundEmbedding = flags.backgroundEmbedding ?? (env("BACKGROUND_EMBEDDING") != "0")
        arxivURL = flags.arxivURL ?? env("ARXIV_API_URL") ?? ArxivClient.defaultBaseURL
        keywordSearch = try KeywordSearchOption.resolve(flag: flags.keywordSearch, environment: environment)
        secretKey = env("SECRET_KEY")
        if let secretKey, secretKey.utf8.count < 32 { throw ValidationError("SECRET_KEY must be at least 32 characters long") }
        if let text = env("DAILYPAPERS_NOW") {
            guard let start = ISO8601DateFormatter().date(from: text) else {
                throw ValidationError("DAILYPAPERS_NOW \"\(text)\" is not an ISO 8601 instant like 2025-12-13T12:00:00Z")
            }
            let offset = start.timeIntervalSinceNow
            now = { Date().addingTimeInterval(offset) }
        } else {
            now = { Date() }
        }
        // Mail as files goes beside an SQLite database, or to ./data/mail.
        let dataFolder: URL = switch database {
        case let .sqlite(path): URL(fileURLWithPath: path).deletingLastPathComponent()
        case .postgres: URL(fileURLWithPath: "./data")
        }
        self.mail = Mail(
            smtpURL: mail.smtpURL ?? env("SMTP_URL")
                ?? "file://" + dataFolder.appendingPathComponent("mail").standardizedFileURL.path,
            from: mail.mailFrom ?? env("MAIL_FROM"),
            connections: try number(mail.smtpConnections, "SMTP_CONNECTIONS", "2", "--smtp-connections", "is not a number from 1 to 32") { (1...32).contains($0) },
            digestHour: try number(mail.digestHour, "DIGEST_HOUR", "6", "--digest-hour", "is not an hour from 0 to 23") { (0...23).contains($0) },
            retrySeconds: try number(mail.mailRetrySeconds, "MAIL_RETRY_SECONDS", "60", "--mail-retry-seconds", "is not a number of seconds above 0") { $0 > 0 },
            claimSeconds: try number(mail.mailClaimSeconds, "MAIL_CLAIM_SECONDS", "60", "--mail-claim-seconds", "is not a number of seconds above 0") { $0 > 0 })
        if let harvest, harvest.schedule.enabled {
            self.harvest = Harvest(schedule: try harvest.schedule.schedule(), oaiURL: try harvest.oai.resolved(),
                                   hfURL: try harvest.hf.resolved(), arxivDelay: try harvest.sources.arxivDelay,
                                   fetcher: try harvest.sources.fetcherSettings())
        }
    }

    var web: WebConfiguration { WebConfiguration(host: host, port: port, siteName: siteName, baseURL: baseURL) }

    /// The secret that signs CSRF tokens and email links.
    func secret(_ store: any SiteStore) async throws -> [UInt8] {
        if let secretKey { return Array(secretKey.utf8) }
        return try await store.siteSecret()
    }

    func openStore(logger: Logger) async throws -> any SiteStore { try await StoreOpener.open(database, logger: logger) }

    func loadEmbedder() throws -> MiniLMEmbedder? { try MiniLMEmbedder.load(directory: modelDirectory) }

    /// The mailer and outbox for a store, with links on the base URL.
    func makeMail(store: any SiteStore, search: SearchEngine, now: @escaping @Sendable () -> Date = Date.init,
                  logger: Logger) async throws -> (mailer: Mailer, outbox: Outbox) {
        let baseURL = web.resolvedBaseURL
        let host = URLComponents(string: baseURL)?.host ?? "localhost"
        let domain = host.contains(".") ? host : host + ".localdomain"
        let fromText = mail.from ?? "\(siteName) <dailypapers@\(domain)>"
        guard let from = MailAddress(parsing: fromText) else {
            throw ValidationError("--mail-from \"\(fromText)\" is not an address like \"Daily Papers <papers@example.org>\"")
        }
        let transport: MailTransportConfiguration
        do {
            transport = try MailTransportConfiguration(url: mail.smtpURL, connections: mail.connections)
        } catch {
            throw ValidationError(error.description)
        }
        let settings = MailSettings(from: from, siteName: siteName, links: WebMail.links(base: baseURL), domain: domain, digestHour: mail.digestHour)
        let mailer = Mailer(store: store, search: search, signer: TokenSigner(secret: try await secret(store)), settings: settings, logger: logger)
        let outbox = Outbox(store: store, transport: transport.makeTransport(logger: logger), retry: RetryPolicy(base: mail.retrySeconds),
                            claimLease: mail.claimSeconds, now: now, logger: logger)
        return (mailer, outbox)
    }
}
