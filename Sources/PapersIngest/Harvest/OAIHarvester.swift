import Foundation
import Logging
import PapersCore
import PapersStore

/// What a harvest run did.
public struct HarvestReport: Sendable {
    public var source: String
    public var counts = HarvestCounts()
    /// Records that were rejected, each named.
    public var rejections: [IngestError] = []
    /// The cursor after the run (arXiv), nil when the source has none.
    public var cursor: Day?
    /// Times the listing was started again after the source rejected a resumption token.
    public var restarts = 0

    public init(source: String) { self.source = source }
}

/// Which part of arXiv to harvest.
public struct OAIHarvestRequest: Sendable, Hashable {
    /// An OAI set (`cs`, `physics:hep-th`); nil for all of arXiv.
    public var set: String?
    /// First datestamp; nil starts at the cursor (or `fillDays` back on the first run).
    public var from: Day?
    /// Last datestamp; nil for up to now.
    public var until: Day?
    /// `arXivRaw` (every version with its date) or `arXiv`.
    public var metadataPrefix: String
    /// Keep only papers in these categories or archives (`cs.CL`, `cs`); empty keeps all.
    public var categories: [String]

    public init(set: String? = "cs", from: Day? = nil, until: Day? = nil, metadataPrefix: String = "arXivRaw", categories: [String] = []) {
        self.set = set
        self.from = from
        self.until = until
        self.metadataPrefix = metadataPrefix
        self.categories = categories
    }

    /// The cursor's key: one cursor per set.
    public var source: String { "arxiv:\(set ?? "all")" }
}

/// Harvests arXiv over OAI-PMH (`ListRecords`), following resumption tokens to the end and
/// writing each page in its own transaction. Import rules apply: an idempotent upsert, a newer
/// version replaces the text (and so is embedded again). The cursor (the last datestamp of a
/// completed listing) moves only when the whole listing was read, so a run that is stopped
/// part way is simply repeated from the same place next time.
public struct OAIHarvester: Sendable {
    public static let defaultBaseURL = "https://export.arxiv.org/oai2"
    public static let metadataPrefixes = ["arXivRaw", "arXiv"]

    public var baseURL: String
    public var store: any PaperStore & HarvestStore
    public var fetcher: HarvestFetcher
    /// Seconds between requests; arXiv asks for at least 3.
    public var delay: Double
    /// How many days back a first run (no cursor, no `from`) starts.
    public var fillDays: Int
    /// How often a rejected resumption token may restart the listing before the run fails.
    public var maxRestarts = 3

    public init(baseURL: String = OAIHarvester.defaultBaseURL, store: any PaperStore & HarvestStore, fetcher: HarvestFetcher,
                delay: Double = 3, fillDays: Int = 7) {
        self.baseURL = baseURL
        self.store = store
        self.fetcher = fetcher
        self.delay = delay
        self.fillDays = fillDays
    }

    public func run(_ request: OAIHarvestRequest) async throws -> HarvestReport {
        var report = HarvestReport(source: request.source)
        let cursor = try await store.harvestCursor(source: request.source)
        let from = request.from ?? cursor ?? Day(fetcher.clock.now).adding(days: -fillDays)
        var url = listURL(request, from: from)
        var latest: Day?
        var firstRequest = true
        pages: while true {
            if !firstRequest { try await fetcher.clock.sleep(seconds: delay) }
            firstRequest = false
            let pageURL = url
            let response = try await fetcher.get(pageURL) { try OAIParser.parseResponse(Data($0), source: pageURL) }
            report.counts.requests += 1
            switch response {
            case let .error(code, _) where code == "noRecordsMatch":
                break pages
            case let .error(code, message) where code == "badResumptionToken" && pageURL.contains("resumptionToken="):
                // The token expired (arXiv keeps them for a while) or the listing changed under
                // it: start the window again; what was written is written again, unchanged.
                report.restarts += 1
                guard report.restarts <= maxRestarts else {
                    throw HarvestError.protocolError(url: pageURL, code: code, message: message + " (after \(maxRestarts) restarts)")
                }
                url = listURL(request, from: from)
                latest = nil
            case let .error(code, message):
                throw HarvestError.protocolError(url: pageURL, code: code, message: message)
            case let .page(page):
                var records = page.document.records.map(\.paper)
                if !request.categories.isEmpty {
                    records.removeAll { !Self.admits($0, categories: request.categories) }
                }
                report.counts.read += page.document.records.count + page.document.rejected.count
                report.counts.rejected += page.document.rejected.count
                report.rejections += page.document.rejected
                if !records.isEmpty {
                    do {
                        report.counts.add(try await store.write(ImportBatch(papers: records)))
                    } catch {
                        throw IngestError(pageURL, "nothing of this page was written: \(error)")
                    }
                }
                if let stamp = page.latestDatestamp, latest.map({ stamp > $0 }) ?? true { latest = stamp }
                guard let token = page.resumptionToken, !token.isEmpty else { break pages }
                url = resumeURL(token)
            }
        }
        // The listing was read to its end: every record up to `latest` is in. A window that
        // began after the day following the cursor leaves a gap behind it, so the cursor stays
        // (the next run fills the gap, then moves it).
        let contiguous = cursor.map { from <= $0.adding(days: 1) } ?? true
        if contiguous, var done = latest {
            if let until = request.until, until < done { done = until }
            try await store.advanceHarvestCursor(source: request.source, to: done)
        }
        report.cursor = try await store.harvestCursor(source: request.source)
        return report
    }

    func listURL(_ request: OAIHarvestRequest, from: Day) -> String {
        var url = "\(baseURL)?verb=ListRecords&metadataPrefix=\(Self.encode(request.metadataPrefix))"
        if let set = request.set { url += "&set=\(Self.encode(set))" }
        url += "&from=\(from)"
        if let until = request.until { url += "&until=\(until)" }
        return url
    }

    func resumeURL(_ token: String) -> String {
        "\(baseURL)?verb=ListRecords&resumptionToken=\(Self.encode(token))"
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? text
    }

    /// Whether a paper is in one of `categories` (`cs.CL`) or their archives (`cs`).
    static func admits(_ paper: Paper, categories: [String]) -> Bool {
        paper.categories.contains { category in
            categories.contains { category == $0 || category.hasPrefix($0 + ".") }
        }
    }
}
