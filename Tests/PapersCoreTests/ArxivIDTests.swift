import Foundation
import PapersCore
import Testing

@Suite struct ArxivIDTests {
    @Test(arguments: [
        ("2405.15738", "2405.15738", 0), ("2405.15738v2", "2405.15738", 2), ("0704.0471", "0704.0471", 0),
        ("arXiv:2104.12255v1", "2104.12255", 1), ("https://arxiv.org/abs/1707.08567", "1707.08567", 0),
        ("http://arxiv.org/abs/2104.12255v13", "2104.12255", 13), ("oai:arXiv.org:0804.2273", "0804.2273", 0),
        ("hep-th/9901001", "hep-th/9901001", 0), ("astro-ph/0601001v1", "astro-ph/0601001", 1),
        ("math.GT/0309136", "math.GT/0309136", 0), ("  2501.05441 ", "2501.05441", 0),
    ])
    func parsesValidIdentifiers(text: String, id: String, version: Int) throws {
        let parsed = try #require(ArxivID.parse(text))
        #expect(parsed.id.rawValue == id)
        #expect(parsed.version == version)
    }

    @Test(arguments: ["", "abc", "0000.0000", "2413.00001", "2405.157", "2405.157381", "24051.5738",
                      "hep-th/990100", "hep-th/99010011", "/9901001", "2405.15738v", "<script>", "2405.15738v0"])
    func rejectsInvalidIdentifiers(text: String) {
        #expect(ArxivID.parse(text) == nil)
    }
}

@Suite struct DayTests {
    @Test func parsesAndValidates() throws {
        #expect(Day("2024-05-27")?.description == "2024-05-27")
        #expect(Day("2024-02-29") != nil)
        #expect(Day("2025-02-29") == nil)
        #expect(Day("2025-13-01") == nil)
        #expect(Day("2025-1-01") == nil)
        #expect(Day("yesterday") == nil)
        let day = try #require(Day("2024-12-31"))
        #expect(day.adding(days: 1).description == "2025-01-01")
        #expect(day.adding(days: -365).description == "2024-01-01")
        #expect(Day(day.start) == day)
    }

    @Test func weekdaysAndISOWeeks() throws {
        #expect(Day("2024-05-27")!.isoWeekday == 1) // a Monday
        #expect(Day("2024-06-02")!.isoWeekday == 7)
        #expect(Day("2024-06-01")!.isWeekend)
        #expect(Day("2024-05-27")!.isoWeek.description == "2024-W22")
        #expect(Day("2021-01-03")!.isoWeek.description == "2020-W53")
        let week = try #require(ISOWeek("2024-W22"))
        #expect(week.firstDay.description == "2024-05-27")
        #expect(week.lastDay.description == "2024-06-02")
        #expect(week.next.description == "2024-W23")
        #expect(ISOWeek("2025-W01")!.previous.description == "2024-W52")
        #expect(ISOWeek("2024-W53") == nil)
        #expect(ISOWeek("2020-W53") != nil)
        #expect(ISOWeek("2024-22")?.description == "2024-W22")
    }

    @Test func months() throws {
        let month = try #require(YearMonth("2024-02"))
        #expect(month.lastDay.description == "2024-02-29")
        #expect(month.next.description == "2024-03")
        #expect(YearMonth("2024-01")!.previous.description == "2023-12")
        #expect(YearMonth("2024-13") == nil)
    }
}

@Suite struct TimestampTests {
    @Test func parsesISO8601() throws {
        let date = try #require(Timestamp.parseISO8601("2025-05-30T17:59:01.000Z"))
        #expect(date.timeIntervalSince1970 == 1_748_627_941)
        #expect(Timestamp.parseISO8601("2008-04-14T12:00:00-04:00")?.timeIntervalSince1970 == 1_208_188_800)
        #expect(Timestamp.parseISO8601("2008-04-14")?.timeIntervalSince1970 == 1_208_131_200)
        #expect(Timestamp.parseISO8601("2008-04-14T12:00") == nil)
        #expect(Timestamp.parseISO8601("not a date") == nil)
        #expect(Timestamp.iso8601(date) == "2025-05-30T17:59:01.000Z")
    }

    @Test func parsesRFC1123() throws {
        let date = try #require(Timestamp.parseRFC1123("Tue, 18 Mar 2025 00:00:00 GMT"))
        #expect(Day(date).description == "2025-03-18")
        #expect(Timestamp.parseRFC1123("Tue, 3 Apr 2007 22:04:11 GMT")?.timeIntervalSince1970 == 1_175_637_851)
        #expect(Timestamp.rfc1123(date) == "Tue, 18 Mar 2025 00:00:00 GMT")
        #expect(Timestamp.parseRFC1123("18 March") == nil)
    }
}

@Suite struct PaperMergeTests {
    let id = ArxivID("2405.15738")!

    func paper(version: Int, title: String, day: String, stars: Int? = nil) -> Paper {
        Paper(id: id, version: version, title: title, abstract: "a", authors: ["A"], categories: [],
              publishedAt: Day(day)!.start, updatedAt: version > 0 ? Day(day)!.start : nil, githubStars: stars)
    }

    @Test func newerVersionWins() {
        let v1 = paper(version: 1, title: "Old", day: "2024-05-24")
        let v2 = paper(version: 2, title: "New", day: "2024-06-01")
        #expect(v1.merged(with: v2).title == "New")
        #expect(v2.merged(with: v1).title == "New")
        #expect(v2.merged(with: v1).publishedAt == v1.publishedAt)
    }

    @Test func mergingTheSameRecordChangesNothing() {
        let v1 = paper(version: 1, title: "Old", day: "2024-05-24", stars: 3)
        #expect(v1.merged(with: v1) == v1)
    }

    @Test func alternatingSourcesDoNotFlipFlop() {
        // Hugging Face names no version; the snapshot does. Same day: the snapshot's text stays.
        let hf = paper(version: 0, title: "HF title", day: "2024-05-24", stars: 12)
        let snapshot = paper(version: 1, title: "Snapshot title", day: "2024-05-24")
        let once = hf.merged(with: snapshot)
        #expect(once.title == "Snapshot title")
        #expect(once.githubStars == 12, "links from the other source are kept")
        let twice = once.merged(with: hf)
        #expect(twice.title == "Snapshot title")
        #expect(twice.merged(with: snapshot) == twice)
    }

    @Test func collapsesWhitespace() {
        #expect("  Attention\n  Is All\tYou Need \n".collapsingWhitespace == "Attention Is All You Need")
        #expect("".collapsingWhitespace == "")
    }
}
