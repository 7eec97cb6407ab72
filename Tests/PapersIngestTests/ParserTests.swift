import Foundation
@testable import PapersIngest
import PapersCore
import Testing
import TestSupport

/// The body of one recorded arXiv API response in ../shared/data/arxiv-api/atom.
func recordedBody(_ name: String) throws -> (status: Int, body: Data) {
    let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("arxiv-api/atom/\(name)")))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return (object["status_code"] as! Int, Data((object["body"] as! String).utf8))
}

func fileBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedData.path(relative))))
}

@Suite(.enabled(if: SharedData.available, SharedData.absentMessage))
struct RealSampleParserTests {
    @Test func hfDailyFile() throws {
        let document = try HFDailyParser.parse(try fileBytes("hf-daily/2025-06-02.json"), source: "2025-06-02.json")
        #expect(document.rejected.isEmpty)
        #expect(document.records.count == 20)
        let first = try #require(document.records.first)
        #expect(first.paper.id.rawValue == "2505.24864")
        #expect(first.paper.title == "ProRL: Prolonged Reinforcement Learning Expands Reasoning Boundaries in Large Language Models")
        #expect(first.paper.authors.first == "Mingjie Liu")
        #expect(!first.paper.abstract.contains("\n"))
        #expect(first.paper.aiKeywords.contains("ProRL"))
        let entry = try #require(first.featured)
        #expect(entry.day.description == "2025-06-02", "the file's date is the featured day")
        #expect(entry.importedUpvotes == 35)
        #expect(entry.submitter?.user == "shizhediao")
        #expect(entry.submitter?.fullname == "Shizhe Diao")
    }

    @Test func damagedHFFilesAreNamedWithTheirProblem() throws {
        #expect(throws: IngestError("2024-12-11.json", "expected a list of objects, found a list of strings (Python dict reprs, not JSON objects)")) {
            try HFDailyParser.parse(try fileBytes("hf-daily/2024-12-11.json"), source: "2024-12-11.json")
        }
        #expect(throws: IngestError("2025-01-10.json", "expected a list of daily-paper objects, found an object with keys count, data, date, status")) {
            try HFDailyParser.parse(try fileBytes("hf-daily/2025-01-10.json"), source: "2025-01-10.json")
        }
    }

    @Test func snapshotLines() throws {
        let reader = try LineReader(path: SharedData.snapshotFile)
        let parser = SnapshotParser()
        let line = try #require(try reader.nextLine())
        let paper = try parser.parse(line)
        #expect(paper.id.rawValue == "2503.11731")
        #expect(paper.version == 1)
        #expect(paper.authors.count == 16)
        #expect(paper.authors.first == "Xianming Zeng")
        #expect(paper.categories == ["cs.CV", "cs.RO"])
        #expect(paper.title.hasPrefix("Industrial-Grade Sensor Simulation via Gaussian Splatting"))
        #expect(paper.abstract.hasPrefix("Sensor simulation is pivotal for scalable validation of autonomous driving systems,"))
        #expect(paper.publishedAt.map { Day($0).description } == "2025-03-18")
    }

    @Test func atomIdLookup() throws {
        let (status, body) = try recordedBody("id_2104.12255v1_s0_m100_6ae69987ffe1.json")
        #expect(status == 200)
        let feed = try AtomParser.parse(body, source: "atom")
        #expect(feed.totalResults == 1)
        let paper = try #require(feed.document.records.first?.paper)
        #expect(paper.id.rawValue == "2104.12255")
        #expect(paper.version == 1)
        #expect(paper.title == "0")
        #expect(paper.authors == ["Quan Thoi Minh Nguyen"])
        #expect(paper.categories == ["cs.CR"])
        #expect(paper.abstract.hasPrefix("What is the funniest number in cryptography?"))
    }

    @Test func atomTwoIdsAndOldStyle() throws {
        let two = try AtomParser.parse(try recordedBody("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json").body, source: "two")
        #expect(two.document.records.map(\.paper.id.rawValue).contains("1707.08567"))
        let old = try AtomParser.parse(try recordedBody("id_astro-ph_0601001_s0_m100_3150dca9dc76.json").body, source: "old")
        #expect(old.document.records.first?.paper.id.rawValue == "astro-ph/0601001")
    }

    @Test func atomEmptyResultAndErrorFeed() throws {
        let empty = try AtomParser.parse(try recordedBody("id_0000.0000_s0_m100_8b51d9633a68.json").body, source: "empty")
        #expect(empty.document.records.isEmpty)
        let (status, body) = try recordedBody("id_abc_s0_m100_b79c8dcf6bc3.json")
        #expect(status == 400)
        #expect(throws: IngestError("bad", "arXiv API error: incorrect id format for abc")) {
            try AtomParser.parse(body, source: "bad")
        }
    }

    @Test func atomPaginatedSearch() throws {
        let feed = try AtomParser.parse(try recordedBody("q_testing_s0_m10_bc5a6c384fe9.json").body, source: "search")
        #expect(feed.document.records.count == 10)
        #expect((feed.totalResults ?? 0) > 10)
    }

    @Test func olderAtomFormat() throws {
        let feed = try AtomParser.parse(Data(try fileBytes("arxiv-api/atom/2016/id_list_1111.2011v2.xml")), source: "2016")
        let paper = try #require(feed.document.records.first?.paper)
        #expect(paper.id.rawValue == "1111.2011")
        #expect(paper.version == 2)
    }

    @Test func oaiArXivRawListRecords() throws {
        let page = try OAIParser.parse(Data(try fileBytes("arxiv-api/oai/arXivRaw/ListRecordsResponse.xml")), source: "list")
        #expect(page.resumptionToken == "726959|1001")
        #expect(page.document.rejected.isEmpty)
        let first = try #require(page.document.records.first?.paper)
        #expect(first.id.rawValue == "0704.0471")
        #expect(first.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"])
        #expect(first.categories == ["nucl-ex", "nucl-th"])
        #expect(first.abstract.contains("extremely \" stiff \" and \" soft \""))
    }

    @Test func oaiArXivRawGetRecordWithTwoVersions() throws {
        let page = try OAIParser.parse(Data(try fileBytes("arxiv-api/oai/arXivRaw/GetRecordResponse.xml")), source: "get")
        let paper = try #require(page.document.records.first?.paper)
        #expect(paper.version == 2)
        #expect(paper.publishedAt! < paper.updatedAt!)
    }

    @Test func oaiErrors() throws {
        #expect(throws: IngestError("x", "OAI-PMH error badVerb: Bad verb. Verb 'wah' not implemented.")) {
            try OAIParser.parse(Data(try fileBytes("arxiv-api/oai/arXivRaw/ErrorResponseBadVerb.xml")), source: "x")
        }
        let none = try OAIParser.parse(Data(try fileBytes("arxiv-api/oai/arXivRaw/ErrorResponseNoRecordsMatch.xml")), source: "none")
        #expect(none.document.records.isEmpty)
    }

    @Test func oaiArXivFormat() throws {
        let page = try OAIParser.parse(Data(try fileBytes("arxiv-api/oai/arXiv/unit__responses__arxiv__sample_arxiv_record0.xml")), source: "r0")
        let paper = try #require(page.document.records.first?.paper)
        #expect(paper.id.rawValue == "1601.03238")
        #expect(paper.authors.prefix(2) == ["Planck Collaboration", "Jieci Wang"])
        #expect(paper.categories.first == "quant-ph")
    }
}

@Suite struct SyntheticParserTests {
    @Test func malformedXMLNamesLineAndColumn() {
        let error = #expect(throws: IngestError.self) {
            try AtomParser.parse(Data("<feed>\n<entry><id>1</entry></feed>".utf8), source: "bad.xml")
        }
        #expect(error?.source == "bad.xml")
        #expect(error?.reason.hasPrefix("malformed XML at line 2") == true)
    }

    @Test func snapshotRecordsWithoutIdOrTitleAreRejected() {
        let parser = SnapshotParser()
        #expect(throws: SnapshotParser.RecordError.self) { try parser.parse(Array(#"{"title": "No id"}"#.utf8)) }
        do {
            _ = try parser.parse(Array(#"{"id": "2501.00001", "title": "  "}"#.utf8))
            Issue.record("expected a rejection")
        } catch {
            #expect(error.id == "2501.00001")
            #expect(error.reason == "the record has no title")
        }
        #expect(throws: SnapshotParser.RecordError.self) { try parser.parse(Array("{not json".utf8)) }
    }

    @Test func formatDetection() {
        #expect(ImportFormat.detect(Array("[{\"paper\":{}}]".utf8)) == .hfDaily)
        #expect(ImportFormat.detect(Array("{\"id\": \"1\", \"abstract\": \"x\", \"categories\": \"cs.AI\"}\n".utf8)) == .snapshot)
        #expect(ImportFormat.detect(Array("<?xml version='1.0'?><feed xmlns=\"http://www.w3.org/2005/Atom\">".utf8)) == .atom)
        #expect(ImportFormat.detect(Array("<?xml version=\"1.0\"?>\n<OAI-PMH>".utf8)) == .oai)
        #expect(ImportFormat.detect(Array("{\"url\": \"u\", \"status_code\": 200, \"body\": \"\"}".utf8)) == .recorded)
        #expect(ImportFormat.detect(Array("id,title\n1,x".utf8)) == nil)
        #expect(ImportFormat.detect([]) == nil)
    }

    @Test func authorStrings() {
        #expect(AuthorList.split("A. One, B. Two, and C. Three") == ["A. One", "B. Two", "C. Three"])
        #expect(AuthorList.split("A. One (1), B. Two (2) ((1) MIT, (2) CMU)") == ["A. One", "B. Two"])
        #expect(AuthorList.split("Solo Author") == ["Solo Author"])
    }
}
