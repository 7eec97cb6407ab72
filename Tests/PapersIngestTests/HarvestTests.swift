import Foundation
@testable import PapersIngest
import PapersCore
import PapersStore
import Synchronization
import Testing
import TestSupport

/// A clock that never waits: sleeps are recorded and move `now` forward.
final class FakeClock: HarvestClock, @unchecked Sendable {
    private let state: Mutex<(now: Date, sleeps: [Double])>
    init(_ now: Date = Date(timeIntervalSince1970: 1_764_633_600)) { state = Mutex((now, [])) }  // 2025-12-02
    var now: Date { state.withLock { $0.now } }
    var sleeps: [Double] { state.withLock { $0.sleeps } }
    func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        state.withLock { $0.sleeps.append(seconds); $0.now += seconds }
    }
}

/// Distinct OAI identifiers of the recorded records in `oai/FORMAT`, counted here by pattern
/// (not with the parser under test).
func recordedIdentifiers(_ format: String) throws -> Set<String> {
    let folder = SharedData.path("arxiv-api/oai/\(format)")
    var ids = Set<String>()
    let pattern = try Regex(#"<identifier>\s*([^<\s]+)\s*</identifier>"#)
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasPrefix("ErrorResponse") {
        let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        for match in text.matches(of: pattern) { ids.insert(String(match.output[1].substring!)) }
    }
    return ids
}

/// The newest header datestamp among the recorded records, found by pattern.
func newestRecordedDatestamp(_ format: String) throws -> String? {
    let folder = SharedData.path("arxiv-api/oai/\(format)")
    let pattern = try Regex(#"<datestamp>\s*([0-9-]{10})"#)
    var newest: String?
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasPrefix("ErrorResponse") {
        let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        for match in text.matches(of: pattern) {
            let stamp = String(match.output[1].substring!)
            if newest.map({ stamp > $0 }) ?? true { newest = stamp }
        }
    }
    return newest
}

func fetcher(_ clock: FakeClock, attempts: Int = 4, maxBody: Int = 8 << 20, timeout: Int64 = 5) -> HarvestFetcher {
    HarvestFetcher(timeout: .seconds(timeout), maxBodyBytes: maxBody, attempts: attempts, backoff: 2, clock: clock)
}

/// Harvests against the loopback replay server; faults are injected through its control endpoints.
@Suite(.enabled(if: SharedData.available, SharedData.absentMessage), .serialized, .stores)
struct OAIHarvestTests {
    func harvester(_ store: any SiteStore, _ replay: HarvestReplayServer, _ clock: FakeClock, attempts: Int = 4, delay: Double = 3) -> OAIHarvester {
        OAIHarvester(baseURL: replay.oaiURL, store: store, fetcher: fetcher(clock, attempts: attempts), delay: delay)
    }

    static let everything = OAIHarvestRequest(set: nil, from: Day("2000-01-01"))

    @Test(arguments: StoreKind.available) func followsResumptionTokensToTheEndWithTheDelayBetweenRequests(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        let expected = try recordedIdentifiers("arXivRaw")
        let report = try await harvester(store, replay, clock).run(Self.everything)
        let pages = (expected.count + 1) / 2
        #expect(report.counts.requests == pages)
        #expect(report.counts.read == expected.count)
        #expect(report.counts.new == expected.count)
        #expect(try await store.stats().papers == expected.count)
        // Waits only between requests, each the full delay arXiv asks for.
        #expect(clock.sleeps == Array(repeating: 3, count: pages - 1))
        let paths = try await replay.requests()
        #expect(paths.count == pages)
        #expect(paths.dropFirst().allSatisfy { $0.contains("resumptionToken=") })
        // The cursor is the newest datestamp of the completed listing; the next run starts there.
        let newest = try newestRecordedDatestamp("arXivRaw")
        #expect(report.cursor?.description == newest)
        let second = try await harvester(store, replay, clock).run(OAIHarvestRequest(set: nil))
        #expect(second.counts.new == 0 && second.counts.updated == 0)
        let again = try await replay.requests()
        #expect(again[pages].contains("from=\(report.cursor!)"))
    }

    @Test(arguments: StoreKind.available) func theArXivFormatIsHarvestedToo(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let expected = try recordedIdentifiers("arXiv")
        var request = Self.everything
        request.metadataPrefix = "arXiv"
        let report = try await harvester(store, replay, FakeClock()).run(request)
        #expect(report.counts.new == expected.count && report.counts.rejected == 0)
        let paths = try await replay.requests()
        #expect(paths.first?.contains("metadataPrefix=arXiv&") == true, "\(paths.first ?? "no request")")
        let papers = try await store.allPapers()
        #expect(Set(papers.map { "oai:arXiv.org:" + $0.id.rawValue }) == expected)
        #expect(papers.allSatisfy { !$0.title.isEmpty && !$0.authors.isEmpty && !$0.categories.isEmpty })
    }

    @Test(arguments: StoreKind.available) func honoursRetryAfterAndRetriesDroppedAndMalformedPages(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        let expected = try recordedIdentifiers("arXivRaw")
        try await replay.inject("oai", "status", ["status": 503, "retry_after": 17])
        try await replay.inject("oai", "drop")
        try await replay.inject("oai", "truncate")
        try await replay.inject("oai", "malformed")
        let report = try await harvester(store, replay, clock, attempts: 5).run(Self.everything)
        #expect(clock.sleeps.first == 17, "Retry-After 17 is waited out first: \(clock.sleeps)")
        // The retries after attempts 2, 3 and 4 back off exponentially with jitter: 2·2^(n-1)·[0.5, 1].
        let backoffs = Array(clock.sleeps.dropFirst().prefix(3))
        #expect(backoffs.count == 3)
        for (k, wait) in backoffs.enumerated() {
            let full = 2 * pow(2, Double(k + 1))
            #expect(wait >= full * 0.5 && wait <= full, "the wait after attempt \(k + 2) was \(wait), not within [\(full / 2), \(full)]")
        }
        #expect(report.counts.new == expected.count)
        #expect(try await store.stats().papers == expected.count)
    }

    @Test(arguments: StoreKind.available) func aSourceThatKeepsFailingEndsTheRunNamingTheURLAndTheLastReply(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        try await replay.inject("oai", "status", count: 3, ["status": 500])
        do {
            _ = try await harvester(store, replay, clock, attempts: 3).run(Self.everything)
            Issue.record("the run should have failed")
        } catch let error as HarvestError {
            let text = "\(error)"
            #expect(text.contains(replay.oaiURL + "?verb=ListRecords"))
            #expect(text.contains("after 3 attempts"))
            #expect(text.contains("HTTP 500"))
        }
        #expect(try await store.stats().papers == 0)
        #expect(try await store.harvestCursor(source: "arxiv:all") == nil)
    }

    @Test(arguments: StoreKind.available) func aWindowThatSkipsDaysLeavesTheCursorWhereItWas(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let source = "arxiv:all"
        _ = try await harvester(store, replay, FakeClock()).run(OAIHarvestRequest(set: nil, from: Day("2000-01-01"), until: Day("2014-11-18")))
        #expect(try await store.harvestCursor(source: source) == Day("2014-11-18"))
        // A later window on its own: 2014-11-19 to 2014-11-30 were never read.
        let ahead = try await harvester(store, replay, FakeClock()).run(OAIHarvestRequest(set: nil, from: Day("2014-12-01")))
        #expect(ahead.counts.new >= 1, "the window's records are written")
        #expect(try await store.harvestCursor(source: source) == Day("2014-11-18"), "the cursor does not jump the gap")
        // The next run starts at the cursor, reads the gap and moves it to the newest record.
        _ = try await harvester(store, replay, FakeClock()).run(OAIHarvestRequest(set: nil))
        let newest = try newestRecordedDatestamp("arXivRaw")
        #expect(try await store.harvestCursor(source: source)?.description == newest)
        #expect(newest.map { $0 > "2014-12-01" } == true)
    }

    @Test(arguments: StoreKind.available) func aRejectedResumptionTokenRestartsTheWindowWithNothingDuplicated(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        let expected = try recordedIdentifiers("arXivRaw")
        try await replay.inject("oai", "stale_token")
        let report = try await harvester(store, replay, FakeClock()).run(Self.everything)
        #expect(report.restarts == 1)
        #expect(report.counts.new == expected.count)
        #expect(report.counts.unchanged == 2, "the first page is read twice and changes nothing the second time")
        #expect(try await store.stats().papers == expected.count)
    }

    @Test(arguments: StoreKind.available) func oaiErrorsEndTheRunQuotingTheError(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer(pageSize: 2)
        let store = try await TestStores.make(kind)
        /// Runs `request` and returns the OAI-PMH error that ended it (nil if none did).
        func failure(_ request: OAIHarvestRequest) async throws -> (code: String, message: String, url: String)? {
            do {
                _ = try await harvester(store, replay, FakeClock()).run(request)
                return nil
            } catch let HarvestError.protocolError(url, code, message) {
                #expect("\(HarvestError.protocolError(url: url, code: code, message: message))".contains(message),
                        "the error's text quotes the repository's message")
                return (code, message, url)
            }
        }
        // Answered by the repository itself for what the harvester asked.
        var request = Self.everything
        request.metadataPrefix = "oai_dc"
        let format = try await failure(request)
        #expect(format?.code == "cannotDisseminateFormat")
        #expect(format?.message.contains("oai_dc") == true)
        let backwards = try await failure(OAIHarvestRequest(set: nil, from: Day("2025-12-05"), until: Day("2025-12-01")))
        #expect(backwards?.code == "badArgument")
        #expect(backwards?.message.contains("after the 'until' date") == true)
        // The recorded error responses, answered for the second page (the replay server answers
        // them to a request with a resumption token): the run ends there, what the
        // first page wrote stays (an idempotent upsert), and the cursor does not move.
        for (code, quoted) in [("badVerb", "Bad verb. Verb 'wah' not implemented."),
                               ("idDoesNotExist", "does not correspond to an item in this repository"),
                               ("badArgument", "illegal argument 'identifier'")] {
            let before = try await store.stats().papers
            try await replay.inject("oai", "oai_error", ["code": code])
            let ended = try await failure(Self.everything)
            #expect(ended?.code == code)
            #expect(ended?.message.contains(quoted) == true, "\(code): \(ended?.message ?? "no error")")
            #expect(ended?.url.contains("resumptionToken=") == true, "the second page's URL is named")
            #expect(try await store.stats().papers >= before)
            #expect(try await store.harvestCursor(source: "arxiv:all") == nil)
        }
        // noRecordsMatch is an empty result, not an error.
        let empty = try await harvester(store, replay, FakeClock()).run(OAIHarvestRequest(set: nil, from: Day("2030-01-01")))
        #expect(empty.counts.read == 0 && empty.counts.requests == 1)
    }

    @Test(arguments: StoreKind.available) func entityDeclarationsAreRefusedAndNothingIsWritten(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        for kind in ["entities", "external_entity"] {
            try await replay.inject("oai", kind, count: 2)
            do {
                _ = try await harvester(store, replay, FakeClock(), attempts: 2).run(Self.everything)
                Issue.record("\(kind): the run should have failed")
            } catch let error as HarvestError {
                #expect("\(error)".contains("DOCTYPE"), "\(kind): \(error)")
            }
        }
        #expect(try await store.stats().papers == 0)
    }

    @Test(arguments: StoreKind.available) func bodiesAreBoundedAndHangsTimeOut(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        try await replay.inject("oai", "huge", ["bytes": 4 << 20])
        let small = OAIHarvester(baseURL: replay.oaiURL, store: store, fetcher: fetcher(clock, maxBody: 1 << 20), delay: 0)
        await #expect(throws: HarvestError.tooLarge(url: replay.oaiURL + "?verb=ListRecords&metadataPrefix=arXivRaw&from=2000-01-01", limit: 1 << 20)) {
            _ = try await small.run(Self.everything)
        }
        try await replay.inject("oai", "hang", ["seconds": 20])
        let impatient = OAIHarvester(baseURL: replay.oaiURL, store: store, fetcher: fetcher(clock, attempts: 1, timeout: 1), delay: 0)
        do {
            _ = try await impatient.run(Self.everything)
            Issue.record("a hanging source should time out")
        } catch let error as HarvestError {
            #expect("\(error)".contains("timed out"), "\(error)")
        }
        #expect(try await store.stats().papers == 0)
    }

    @Test(arguments: StoreKind.available) func categoriesNarrowTheSet(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        var request = Self.everything
        request.categories = ["nucl-th"]
        let report = try await harvester(store, replay, FakeClock()).run(request)
        let papers = try await store.allPapers()
        #expect(!papers.isEmpty)
        #expect(papers.allSatisfy { $0.categories.contains("nucl-th") })
        #expect(report.counts.read > papers.count, "records of other categories were read and left out")
    }
}

@Suite(.enabled(if: SharedData.available, SharedData.absentMessage), .serialized, .stores)
struct HFHarvestTests {
    /// The items of a recorded day, read here with JSONSerialization.
    func recordedItems(_ day: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("hf-daily/\(day).json")))
        return try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
    }

    @Test(arguments: StoreKind.available) func pagesThroughADayAndReadingItAgainChangesNothing(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        let items = try recordedItems("2025-06-02")
        var harvester = HFHarvester(baseURL: replay.hfURL, store: store, fetcher: fetcher(clock), delay: 0)
        harvester.pageSize = 5
        let report = try await harvester.run(days: [Day("2025-06-02")!])
        #expect(report.counts.read == items.count)
        #expect(report.counts.requests == items.count / 5 + 1)
        let cards = try await store.featuredCards(FeaturedQuery(days: Day("2025-06-02")!...Day("2025-06-02")!))
        #expect(cards.count == items.count)
        let upvotes = Dictionary(uniqueKeysWithValues: items.map { (($0["paper"] as! [String: Any])["id"] as! String, ($0["paper"] as! [String: Any])["upvotes"] as! Int) })
        for card in cards { #expect(card.featured?.importedUpvotes == upvotes[card.paper.id.rawValue]) }
        let again = try await harvester.run(days: [Day("2025-06-02")!])
        #expect(again.counts.new == 0 && again.counts.updated == 0 && again.counts.featuredUpdated == 0)
    }

    @Test(arguments: StoreKind.available) func faultsAreRetriedAndADayIsWrittenWholeOrNotAtAll(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        let clock = FakeClock()
        let items = try recordedItems("2025-06-02")
        var harvester = HFHarvester(baseURL: replay.hfURL, store: store, fetcher: fetcher(clock, attempts: 5), delay: 0)
        harvester.pageSize = 5
        try await replay.inject("hf", "status", ["status": 503, "retry_after": 9])
        try await replay.inject("hf", "drop")
        try await replay.inject("hf", "truncate")
        try await replay.inject("hf", "malformed")
        let report = try await harvester.run(days: [Day("2025-06-02")!])
        #expect(clock.sleeps.first == 9, "Retry-After 9 is waited out first: \(clock.sleeps)")
        #expect(clock.sleeps.count >= 4, "one wait before each of the four retries: \(clock.sleeps)")
        #expect(report.counts.rejected == 0, "a cut-off or garbled body is retried, not rejected")
        #expect(report.counts.read == items.count)
        #expect(try await store.featuredCards(FeaturedQuery(days: Day("2025-06-02")!...Day("2025-06-02")!)).count == items.count)

        // A day whose second page keeps failing: the run ends naming the page, and nothing of
        // that day is written (its first page included).
        let other = try await TestStores.make(kind)
        var failing = HFHarvester(baseURL: replay.hfURL, store: other, fetcher: fetcher(FakeClock(), attempts: 3), delay: 0)
        failing.pageSize = 5
        try await replay.inject("hf", "malformed", count: 3, ["skip": 1])
        do {
            _ = try await failing.run(days: [Day("2025-06-02")!])
            Issue.record("a page that stays malformed should end the run")
        } catch let error as HarvestError {
            #expect("\(error)".contains("date=2025-06-02&p=1"), "\(error)")
            #expect("\(error)".contains("after 3 attempts"), "\(error)")
        }
        #expect(try await other.stats().papers == 0)
    }

    @Test(arguments: StoreKind.available) func changedCountsAreUpdatedAndUnsafeLinksDropped(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        var items = try recordedItems("2025-06-02")
        let harvester = HFHarvester(baseURL: replay.hfURL, store: store, fetcher: fetcher(FakeClock()), delay: 0)
        _ = try await harvester.run(days: [Day("2025-06-02")!])
        var paper = items[0]["paper"] as! [String: Any]
        let id = paper["id"] as! String
        paper["upvotes"] = (paper["upvotes"] as! Int) + 40
        paper["githubRepo"] = "javascript:alert(document.cookie)"
        paper["projectPage"] = "https://example.org/project?a=1&b=\"x\""
        items[0]["paper"] = paper
        try await replay.control("hf", ["date": "2025-06-02", "items": items])
        let report = try await harvester.run(days: [Day("2025-06-02")!])
        #expect(report.counts.featuredUpdated == 1)
        let stored = try await store.paper(ArxivID(id)!)
        #expect(stored?.githubRepo == nil, "a javascript: link is not a link")
        #expect(stored?.projectPage?.url == "https://example.org/project?a=1&b=\"x\"")
        let entry = try await store.featuredEntries(for: ArxivID(id)!).first
        #expect(entry?.importedUpvotes == paper["upvotes"] as? Int)
    }

    @Test(arguments: StoreKind.available) func aDamagedDayIsRejectedAndTheOthersGoOn(_ kind: StoreKind) async throws {
        let replay = try HarvestReplayServer()
        let store = try await TestStores.make(kind)
        let harvester = HFHarvester(baseURL: replay.hfURL, store: store, fetcher: fetcher(FakeClock()), delay: 0)
        let report = try await harvester.run(days: [Day("2024-12-11")!, Day("2025-06-03")!])
        #expect(report.counts.rejected == 1)
        #expect(report.rejections.first?.reason.contains("list of strings") == true)
        #expect(report.rejections.first?.source.contains("date=2024-12-11") == true)
        #expect(try await store.stats().featuredDays == 1)
    }

    @Test func everyRunReadsTodayAndTheThreeDaysBefore() {
        let clock = FakeClock(Date(timeIntervalSince1970: 1_764_633_600 + 3600))  // 2025-12-02 01:00 UTC
        let harvester = HFHarvester(baseURL: "http://127.0.0.1:1", store: try! TestStores.scratch(), fetcher: fetcher(clock), delay: 0)
        #expect(harvester.days(asked: [Day("2025-06-02")!]).map(\.description) == ["2025-06-02", "2025-11-29", "2025-11-30", "2025-12-01", "2025-12-02"])
    }
}

struct HarvestScheduleTests {
    @Test func arxivRunsAfterTheAnnouncementInTheChosenZone() {
        let utc = HarvestSchedule()
        let noon = Date(timeIntervalSince1970: 1_764_633_600 + 12 * 3600)  // 2025-12-02 12:00 UTC
        #expect(utc.nextArxivRun(after: noon) == Date(timeIntervalSince1970: 1_764_633_600 + 86_400 + 2 * 3600))
        let early = Date(timeIntervalSince1970: 1_764_633_600 + 3600)  // 01:00 UTC: later the same day
        #expect(utc.nextArxivRun(after: early) == Date(timeIntervalSince1970: 1_764_633_600 + 2 * 3600))
        let newYork = HarvestSchedule(arxivHour: 21, arxivMinute: 30, timeZone: TimeZone(identifier: "America/New_York")!)
        // 21:30 EST is 02:30 UTC the next day.
        #expect(newYork.nextArxivRun(after: noon) == Date(timeIntervalSince1970: 1_764_633_600 + 86_400 + 2 * 3600 + 1800))
    }
}

struct XMLSafetyTests {
    @Test func aDoctypeIsRefusedBeforeAnyEntityIsExpanded() throws {
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <OAI-PMH><ListRecords><record><metadata><arXivRaw><id>2501.00001</id><title>&lol3;</title></arXivRaw></metadata></record></ListRecords></OAI-PMH>
            """
        #expect(throws: IngestError("x", "refused: the XML has a DOCTYPE declaration (line 2); entity declarations are not accepted")) {
            _ = try OAIParser.parse(Data(laughs.utf8), source: "x")
        }
        let external = "<?xml version=\"1.0\"?><!doctype feed [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><feed><title>&x;</title></feed>"
        #expect(throws: IngestError.self) { _ = try AtomParser.parse(Data(external.utf8), source: "y") }
        // The word in text after the root element is only text.
        let harmless = "<feed><entry><title>About &lt;!DOCTYPE&gt; and <![CDATA[<!DOCTYPE x>]]></title></entry></feed>"
        #expect(XMLNode.doctypeLine(Data(harmless.utf8)) == nil)
    }

    @Test(.enabled(if: SharedData.available, SharedData.absentMessage)) func recordedOAIErrorsKeepTheirCodes() throws {
        let expected = ["ErrorResponseBadArgument.xml": "badArgument", "ErrorResponseBadResumptionToken.xml": "badResumptionToken",
                        "ErrorResponseBadVerb.xml": "badVerb", "ErrorResponseIdDoesNotExist.xml": "idDoesNotExist",
                        "ErrorResponseNoRecordsMatch.xml": "noRecordsMatch"]
        for (file, code) in expected {
            let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("arxiv-api/oai/arXivRaw/\(file)")))
            guard case let .error(found, message) = try OAIParser.parseResponse(data, source: file) else {
                Issue.record("\(file) was not read as an error"); continue
            }
            #expect(found == code)
            #expect(!message.isEmpty)
        }
    }
}

struct WebLinkTests {
    @Test func onlyHTTPAndHTTPSURLsWithAHostAreLinks() {
        for good in ["https://github.com/a/b", "http://example.org", "HTTPS://EXAMPLE.ORG/x?y=1&z=\"2\""] {
            #expect(WebLink(good)?.url == good, "\(good)")
        }
        for bad in ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<script>", "/avatars/x.png",
                    "//evil.org/x", "ftp://example.org", "https://", "https://exa mple.org", "https://example.org/\u{0}", "vbscript:x", ""] {
            #expect(WebLink(bad) == nil, "\(bad)")
        }
    }
}
