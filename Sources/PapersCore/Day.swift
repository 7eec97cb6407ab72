import Foundation

/// A calendar day in UTC, the unit of the daily page: `2024-05-27`.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Validates the date (no 2025-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= Day.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
              let y = Day.number(utf8[0..<4]), let m = Day.number(utf8[5..<7]), let d = Day.number(utf8[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The UTC day of an instant.
    public init(_ date: Date) {
        self = Timestamp.civil(fromDays: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : "\(month)", d = day < 10 ? "0\(day)" : "\(day)"
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + m + "-" + d
    }

    public static func < (a: Day, b: Day) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// Midnight UTC at the start of the day.
    public var start: Date {
        Date(timeIntervalSince1970: Double(Timestamp.daysSinceEpoch(self)) * 86_400)
    }

    public func adding(days n: Int) -> Day {
        Day(start.addingTimeInterval(TimeInterval(n) * 86_400))
    }

    /// Monday = 1 ... Sunday = 7 (ISO 8601).
    public var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        let days = Timestamp.daysSinceEpoch(self)
        return ((days % 7 + 7) % 7 + 3) % 7 + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public var isoWeek: ISOWeek {
        let c = Day.isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: start)
        return ISOWeek(year: c.yearForWeekOfYear!, week: c.weekOfYear!)!
    }

    public var yearMonth: YearMonth { YearMonth(year: year, month: month)! }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var n = 0
        for b in bytes {
            guard b >= 48, b <= 57 else { return nil }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    static let isoCalendar: Calendar = {
        var c = Calendar(identifier: .iso8601)
        c.timeZone = TimeZone(identifier: "UTC")!
        c.firstWeekday = 2
        c.minimumDaysInFirstWeek = 4
        return c
    }()
}

/// An ISO 8601 week, `2024-W22`: Monday to Sunday.
public struct ISOWeek: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    public init?(year: Int, week: Int) {
        guard (1...9999).contains(year), week >= 1, week <= ISOWeek.weeks(in: year) else { return nil }
        self.year = year
        self.week = week
    }

    /// Parses `YYYY-Www` (also accepts `YYYY-ww` as Hugging Face's API does).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]) else { return nil }
        var w = parts[1]
        if w.first == "W" || w.first == "w" { w = w.dropFirst() }
        guard (1...2).contains(w.count), w.allSatisfy({ $0.isASCIIDigit }), let n = Int(w) else { return nil }
        self.init(year: y, week: n)
    }

    public var description: String { "\(year)-W\(week < 10 ? "0" : "")\(week)" }

    public static func < (a: ISOWeek, b: ISOWeek) -> Bool { (a.year, a.week) < (b.year, b.week) }

    /// Monday of the week.
    public var firstDay: Day {
        let date = Day.isoCalendar.date(from: DateComponents(weekday: 2, weekOfYear: week, yearForWeekOfYear: year))!
        return Day(date)
    }

    public var lastDay: Day { firstDay.adding(days: 6) }
    public var next: ISOWeek { firstDay.adding(days: 7).isoWeek }
    public var previous: ISOWeek { firstDay.adding(days: -7).isoWeek }

    static func weeks(in year: Int) -> Int {
        // A year has 53 ISO weeks when Dec 28 falls in week 53.
        guard let dec28 = Day(year: year, month: 12, day: 28) else { return 52 }
        return Day.isoCalendar.component(.weekOfYear, from: dec28.start)
    }
}

/// A calendar month, `2024-05`.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM`.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 7, utf8[4] == UInt8(ascii: "-"),
              let y = Day.number(utf8[0..<4]), let m = Day.number(utf8[5..<7]) else { return nil }
        self.init(year: y, month: m)
    }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
    public var firstDay: Day { Day(year: year, month: month, day: 1)! }
    public var lastDay: Day { Day(year: year, month: month, day: Day.daysInMonth(year: year, month: month))! }
    public var next: YearMonth { month == 12 ? YearMonth(year: year + 1, month: 1)! : YearMonth(year: year, month: month + 1)! }
    public var previous: YearMonth { month == 1 ? YearMonth(year: year - 1, month: 12)! : YearMonth(year: year, month: month - 1)! }
}
