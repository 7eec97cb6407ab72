import Foundation

/// Fast, allocation-light parsing and formatting of the timestamp formats the sources use.
/// (DateFormatter is far too slow for bulk imports of tens of thousands of records.)
public enum Timestamp {
    /// ISO 8601 as Hugging Face and Atom write it: `2025-05-30T17:59:01.000Z`,
    /// `2008-04-14T12:00:00-04:00`, or a bare date `2008-04-14`.
    public static func parseISO8601(_ text: some StringProtocol) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 10, let y = num(b, 0, 4), b[4] == 45, let mo = num(b, 5, 2), b[7] == 45,
              let d = num(b, 8, 2) else { return nil }
        var seconds = 0.0
        var i = 10
        if b.count > 10 {
            guard b.count >= 19, b[10] == 84 || b[10] == 116 || b[10] == 32,
                  let h = num(b, 11, 2), b[13] == 58, let mi = num(b, 14, 2), b[16] == 58,
                  let s = num(b, 17, 2) else { return nil }
            seconds = Double(h * 3600 + mi * 60 + s)
            i = 19
            if i < b.count, b[i] == 46 { // fraction
                var scale = 0.1
                i += 1
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    seconds += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
            }
            if i < b.count {
                if b[i] == 90 || b[i] == 122 { i += 1 } else if b[i] == 43 || b[i] == 45,
                    b.count >= i + 6, let oh = num(b, i + 1, 2), b[i + 3] == 58, let om = num(b, i + 4, 2) {
                    let offset = Double(oh * 3600 + om * 60)
                    seconds += b[i] == 43 ? -offset : offset
                    i += 6
                } else { return nil }
            }
            guard i == b.count else { return nil }
        }
        guard let day = Day(year: y, month: mo, day: d) else { return nil }
        return Date(timeIntervalSince1970: Double(daysSinceEpoch(day)) * 86_400 + seconds)
    }

    /// RFC 1123 / RFC 2822 as arXiv writes version dates: `Tue, 18 Mar 2025 00:00:00 GMT`
    /// (the weekday is optional; so is the zone, taken as GMT).
    public static func parseRFC1123(_ text: some StringProtocol) -> Date? {
        var parts = text.split(separator: " ")
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        guard parts.count >= 4, let d = Int(parts[0]), let y = Int(parts[2]),
              let mo = months.firstIndex(of: parts[1].lowercased()) else { return nil }
        let hms = parts[3].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 || hms.count == 2 else { return nil }
        guard let day = Day(year: y, month: mo + 1, day: d) else { return nil }
        var seconds = Double(hms[0] * 3600 + hms[1] * 60 + (hms.count == 3 ? hms[2] : 0))
        if parts.count >= 5, let sign = parts[4].first, sign == "+" || sign == "-", parts[4].count == 5,
           let hhmm = Int(parts[4].dropFirst()) {
            let offset = Double((hhmm / 100) * 3600 + (hhmm % 100) * 60)
            seconds += sign == "+" ? -offset : offset
        }
        return Date(timeIntervalSince1970: Double(daysSinceEpoch(day)) * 86_400 + seconds)
    }

    /// `2025-05-30T17:59:01.000Z`, the form the Hugging Face API writes.
    public static func iso8601(_ date: Date) -> String {
        let ms = Int((date.timeIntervalSince1970 * 1000).rounded())
        let days = Int((Double(ms) / 86_400_000).rounded(.down))
        let rem = ms - days * 86_400_000
        let day = civil(fromDays: days)
        let h = rem / 3_600_000, mi = rem / 60_000 % 60, s = rem / 1000 % 60, f = rem % 1000
        return "\(day)T\(pad(h))\(":")\(pad(mi)):\(pad(s)).\(f < 10 ? "00" : f < 100 ? "0" : "")\(f)Z"
    }

    /// `Tue, 18 Mar 2025 00:00:00 GMT`, for RSS and HTTP headers.
    public static func rfc1123(_ date: Date) -> String {
        let secs = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(secs) / 86_400).rounded(.down))
        let rem = secs - days * 86_400
        let day = civil(fromDays: days)
        let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day.isoWeekday - 1]
        let month = months[day.month - 1].capitalized
        return "\(weekday), \(pad(day.day)) \(month) \(day.year) \(pad(rem / 3600)):\(pad(rem / 60 % 60)):\(pad(rem % 60)) GMT"
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func num(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var n = 0
        for i in start..<(start + count) {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            n = n * 10 + Int(b[i] - 48)
        }
        return n
    }

    /// Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(_ d: Day) -> Int {
        let y = d.month <= 2 ? d.year - 1 : d.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (d.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + d.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> Day {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return Day(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)!
    }
}
