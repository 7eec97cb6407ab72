import ArgumentParser
import Foundation
import Logging
import PapersCore
import PapersMail
import PapersSearch
import PapersStore
import PapersWeb

/// How the site sends mail; shared by `serve` and `digest`.
struct MailOptions: ParsableArguments {
    @Option(name: .customLong("smtp-url"), help: ArgumentHelp(
        "Where mail goes (env SMTP_URL): smtp://user:password@host:587 (STARTTLS when offered; ?starttls=required|never), smtps://host:465 (implicit TLS), or file:///folder for .eml files. Other parameters: auth=login, ca_file=PATH, timeout=SECONDS, helo=NAME. Default: .eml files in a mail folder next to the database.",
        valueName: "url"))
    var smtpURL: String?

    @Option(help: ArgumentHelp("Sender of every message (env MAIL_FROM; default \"SITE_NAME <dailypapers@HOST of the base URL>\").", valueName: "address"))
    var mailFrom: String?

    @Option(help: ArgumentHelp("SMTP connections used at once (env SMTP_CONNECTIONS; default 2).", valueName: "n"))
    var smtpConnections: Int?

    @Option(help: ArgumentHelp("Hour of the day (UTC, 0-23) digests go out (env DIGEST_HOUR; default 6).", valueName: "hour"))
    var digestHour: Int?

    @Option(help: ArgumentHelp("Seconds before the first retry of a message that failed for a temporary reason; each next retry waits twice as long, up to 4 hours, 10 attempts in all (env MAIL_RETRY_SECONDS; default 60).", valueName: "seconds"))
    var mailRetrySeconds: Double?

    @Option(help: ArgumentHelp("Seconds a sender's claim on the messages it is sending lasts unless renewed; it renews it every third of that while it works, so two senders (serve and digest, or two nodes) never send one twice, and after a crash the messages it held wait this long (env MAIL_CLAIM_SECONDS; default 60).", valueName: "seconds"))
    var mailClaimSeconds: Double?
}

struct Digest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or send the email digest (and members' alerts) now.",
        discussion: """
            --dry-run lists who would get which papers and sends nothing. --send queues each \
            subscriber's digest (once: running it again the same day queues nothing new), queues \
            alerts for new papers, and delivers everything the outbox holds, retrying temporary \
            failures for up to --retry-window seconds; what is still left waits for the next run \
            or for `serve`. Without --frequency, the digests due on the date go out: daily on \
            weekdays, weekly on Mondays.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var mailOptions: MailOptions

    @Flag(help: "List who would get what; send nothing.") var dryRun = false
    @Flag(help: "Queue and deliver the digest now.") var send = false
    @Option(help: ArgumentHelp("The day the digest is for (YYYY-MM-DD; default today, UTC): it covers the featured days before it.", valueName: "day"))
    var date: String?
    @Option(help: ArgumentHelp("Send this digest whatever the weekday: daily or weekly.", valueName: "frequency"))
    var frequency: String?
    @Option(help: ArgumentHelp("Seconds to keep retrying temporary failures before leaving them queued (default 0).", valueName: "seconds"))
    var retryWindow: Double = 0
    @Option(help: ArgumentHelp("Public base URL for links in messages (env BASE_URL; default http://127.0.0.1:8080).", valueName: "url"))
    var baseURL: String?
    @Option(help: ArgumentHelp("Site name in messages (env SITE_NAME; default Daily Papers).", valueName: "name"))
    var siteName: String?

    func validate() throws {
        guard dryRun != send else { throw ValidationError("choose one of --dry-run and --send") }
    }

    func run() async throws {
        let config = try Configuration(flags: ConfigurationFlags(baseURL: baseURL, siteName: siteName), store: storeOptions,
                                       model: modelOptions, mail: mailOptions, defaultLogLevel: .notice)
        var logger = Logger(label: "dailypapers")
        logger.logLevel = config.logLevel
        let day: Day
        if let date {
            guard let parsed = Day(date) else { throw ValidationError("--date \"\(date)\" is not a day like 2025-03-14") }
            day = parsed
        } else {
            day = Day(Date())
        }
        let frequencies: [DigestFrequency]
        if let frequency {
            do { frequencies = [try MailRules.frequency(frequency)] } catch { throw ValidationError("--frequency \(error.problem)") }
        } else {
            frequencies = Mailer.frequencies(dueOn: day)
        }
        let store = try await config.openStore(logger: logger)
        let embedder = try config.loadEmbedder()
        let search = SearchEngine(store: store, embedder: embedder, logger: logger)
        if embedder != nil { try await search.loadIndex() }
        let (mailer, outbox) = try await config.makeMail(store: store, search: search, logger: logger)
        if frequencies.isEmpty { print("no digest is due on \(day) (a weekend day); pass --frequency to send one anyway") }
        if dryRun {
            for frequency in frequencies {
                let plans = try await mailer.plan(frequency, on: day)
                let period = frequency.period(sentOn: day)
                print("\(frequency.edition(sentOn: day)): featured days \(period.lowerBound) to \(period.upperBound), \(plans.count) subscriber(s) with papers")
                for plan in plans {
                    print("  \(plan.subscription.email): \(plan.cards.count) paper(s)")
                    for card in plan.cards { print("    \(card.paper.id)  \(card.upvotes)▲  \(card.paper.title)") }
                }
            }
            return
        }
        let started = ContinuousClock.now
        var queued = 0
        for frequency in frequencies {
            queued += try await mailer.queueDigests(frequency, on: day, now: Date())
        }
        let alerts = try await mailer.queueAlerts(now: Date())
        let composed = ContinuousClock.now
        let report = try await outbox.deliver(until: Date().addingTimeInterval(retryWindow))
        let counts = try await store.outboxCounts()
        print("queued \(queued) digest(s) and \(alerts) alert(s) in \(composed - started); delivered through \(outbox.transport): \(report) in \(ContinuousClock.now - composed)")
        print("outbox: \(counts.pending) pending, \(counts.sent) sent, \(counts.failed) failed, \(counts.cancelled) cancelled")
        for (message, error) in try await store.failedMessages(limit: 10) where report.failed > 0 {
            print("  failed: \(message.entry.recipient): \(error)")
        }
    }
}
