import Foundation
import PapersCore
import PapersStore

/// Harvests Hugging Face's daily papers (`GET {base}/api/daily_papers?date=DAY&p=&limit=`),
/// one day at a time, paging until a page comes back short. A day is written in one
/// transaction: its papers, their featured entries, submitters, upvotes, comment counts,
/// links and GitHub stars, all upserted, so reading a day again only updates what changed.
public struct HFHarvester: Sendable {
    public static let defaultBaseURL = "https://huggingface.co"
    /// Days before today read again on every run: their counts still change.
    public static let recentDays = 3

    public var baseURL: String
    public var store: any PaperStore & HarvestStore
    public var fetcher: HarvestFetcher
    /// Seconds between requests.
    public var delay: Double
    /// Items asked for per page (Hugging Face allows up to 100).
    public var pageSize = 100
    /// A day with more pages than this is cut off there (a source that ignores `p`).
    public var maxPages = 20

    public static let source = "hf"

    public init(baseURL: String = HFHarvester.defaultBaseURL, store: any PaperStore & HarvestStore, fetcher: HarvestFetcher, delay: Double = 1) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.store = store
        self.fetcher = fetcher
        self.delay = delay
    }

    /// The days a run reads: those asked for, plus today and the `recentDays` before it.
    public func days(asked: [Day]) -> [Day] {
        let today = Day(fetcher.clock.now)
        let recent = (0...Self.recentDays).map { today.adding(days: -$0) }
        return Array(Set(asked + recent)).sorted()
    }

    /// Reads `days`. A day whose body is not the API's shape is rejected with its reason and
    /// the others go on; a source that cannot be reached ends the run with an error.
    public func run(days: [Day]) async throws -> HarvestReport {
        var report = HarvestReport(source: Self.source)
        var firstRequest = true
        for day in days {
            var records = [ParsedRecord]()
            var seen = Set<ArxivID>()
            var dayRejected = false
            for page in 0..<maxPages {
                if !firstRequest { try await fetcher.clock.sleep(seconds: delay) }
                firstRequest = false
                let url = "\(baseURL)/api/daily_papers?date=\(day)&p=\(page)&limit=\(pageSize)"
                let parsed: Result<(ParsedDocument, Int), IngestError> = try await fetcher.get(url) { bytes in
                    do {
                        let document = try HFDailyParser.parse(bytes, source: url, day: day)
                        return .success((document, document.records.count + document.rejected.count))
                    } catch let error as IngestError {
                        // Invalid JSON is retried (a cut-off body); JSON that is not the API's
                        // shape will not change on a retry, so it is kept as a rejection.
                        guard (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil else { throw error }
                        return .failure(error)
                    }
                }
                report.counts.requests += 1
                switch parsed {
                case let .failure(error):
                    report.counts.rejected += 1
                    report.rejections.append(error)
                    dayRejected = true
                case let .success((document, items)):
                    report.counts.read += items
                    report.counts.rejected += document.rejected.count
                    report.rejections += document.rejected
                    let fresh = document.records.filter { seen.insert($0.paper.id).inserted }
                    records += fresh
                    // A short page is the last; so is one that brings nothing new (a source
                    // that ignores `p` and sends the whole day every time).
                    if items < pageSize || fresh.isEmpty { break }
                    continue
                }
                break
            }
            guard !dayRejected, !records.isEmpty else { continue }
            let batch = ImportBatch(papers: records.map(\.paper), featured: records.compactMap(\.featured))
            do {
                report.counts.add(try await store.write(batch))
            } catch {
                throw IngestError("\(baseURL)/api/daily_papers?date=\(day)", "nothing of this day was written: \(error)")
            }
        }
        return report
    }
}
