public import Foundation

/// Dates in UTC, the one calendar implementation of critfix: a civil time from an instant
/// and back (H. Hinnant's algorithms, proleptic Gregorian), and the forms its outputs
/// write — RFC 3339 (JSON, status, summaries), RFC 5322 (email headers), asctime (mbox
/// `From ` lines) and the English or Polish text of an email body. By hand, because a
/// formatter costs microseconds and every message and every JSON article carries dates.
/// `FeedDate` parses feeds' dates into it.
public struct CivilTime: Sendable, Hashable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// 0 = Sunday.
    public var weekday: Int

    public init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86400
        var rest = seconds % 86400
        if rest < 0 {
            rest += 86400
            days -= 1
        }
        hour = rest / 3600
        minute = rest % 3600 / 60
        second = rest % 60
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        // civil_from_days.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    // MARK: From fields

    /// The instant of a civil time `offset` seconds east of UTC; nil when a field is out
    /// of range (day 31 of a 30-day month, hour 24, year 0). A leap second counts as :59.
    public static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offset: Int) -> Date? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second), year >= 1, year <= 9999
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    // MARK: RFC 3339

    /// A date as an operator types it on the command line: `2026-11-01` (midnight UTC),
    /// `2026-11-01T09:30:00Z` or `2026-11-01T09:30:00+01:00`; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) }
        }
        func byte(_ at: Int, _ expected: UInt8) -> Bool { at < bytes.count && bytes[at] == expected }
        guard let year = number(0..<4), byte(4, 0x2D), let month = number(5..<7), byte(7, 0x2D), let day = number(8..<10)
        else { return nil }
        if bytes.count == 10 { return date(year: year, month: month, day: day, hour: 0, minute: 0, second: 0, offset: 0) }
        guard byte(10, 0x54) || byte(10, 0x74), let hour = number(11..<13), byte(13, 0x3A), let minute = number(14..<16),
            byte(16, 0x3A), let second = number(17..<19)
        else { return nil }
        var offset = 0
        if bytes.count == 20, byte(19, 0x5A) || byte(19, 0x7A) {
            offset = 0
        } else if bytes.count == 25, byte(19, 0x2B) || byte(19, 0x2D), let hours = number(20..<22), byte(22, 0x3A),
            let minutes = number(23..<25)
        {
            offset = (hours * 3600 + minutes * 60) * (bytes[19] == 0x2D ? -1 : 1)
        } else {
            return nil
        }
        return date(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    /// `2026-11-24T09:30:00Z`.
    public static func rfc3339(_ date: Date) -> String {
        String(unsafeUninitializedCapacity: 20) { buffer in
            writeRFC3339(date, to: buffer.baseAddress!)
            return 20
        }
    }

    /// The 20 bytes of ``rfc3339(_:)``, written without making a String (JSON output
    /// writes two per article). `bytes` must have room for 20.
    public static func writeRFC3339(_ date: Date, to bytes: UnsafeMutablePointer<UInt8>) {
        let time = CivilTime(date)
        func put(_ value: Int, _ offset: Int, _ width: Int) {
            var value = value
            for position in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[position] = UInt8(0x30 + value % 10)
                value /= 10
            }
        }
        put(time.year, 0, 4)
        bytes[4] = 0x2D
        put(time.month, 5, 2)
        bytes[7] = 0x2D
        put(time.day, 8, 2)
        bytes[10] = 0x54
        put(time.hour, 11, 2)
        bytes[13] = 0x3A
        put(time.minute, 14, 2)
        bytes[16] = 0x3A
        put(time.second, 17, 2)
        bytes[19] = 0x5A
    }

    // MARK: Email

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    /// Genitive, as Polish dates need ("24 listopada 2026").
    static let polishMonths = [
        "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
        "października", "listopada", "grudnia",
    ]

    /// RFC 5322: `Tue, 24 Nov 2026 09:30:00 +0000`.
    public func appendRFC5322(to out: inout [UInt8]) {
        Self.append(Self.weekdays[weekday], to: &out)
        Self.append(", ", to: &out)
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        Self.append(Self.months[month - 1], to: &out)
        out.append(0x20)
        Self.appendNumber(year, to: &out)
        out.append(0x20)
        appendClock(to: &out)
        Self.append(" +0000", to: &out)
    }

    public var rfc5322: String {
        var out: [UInt8] = []
        appendRFC5322(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// asctime, as the mbox `From ` line has it: `Tue Nov 24 09:30:00 2026`.
    public func appendAsctime(to out: inout [UInt8]) {
        Self.append(Self.weekdays[weekday], to: &out)
        out.append(0x20)
        Self.append(Self.months[month - 1], to: &out)
        out.append(0x20)
        if day < 10 { out.append(0x20) }
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        appendClock(to: &out)
        out.append(0x20)
        Self.appendNumber(year, to: &out)
    }

    public var asctime: String {
        var out: [UInt8] = []
        appendAsctime(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `24 November 2026, 09:30 UTC` / `24 listopada 2026, 09:30 UTC`.
    public func text(polish: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(40)
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        Self.append(polish ? Self.polishMonths[month - 1] : Self.englishMonths[month - 1], to: &out)
        out.append(0x20)
        Self.appendNumber(year, to: &out)
        Self.append(", ", to: &out)
        Self.appendNumber(hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(minute, width: 2, to: &out)
        Self.append(" UTC", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `hh:mm:ss`.
    private func appendClock(to out: inout [UInt8]) {
        Self.appendNumber(hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(second, width: 2, to: &out)
    }

    /// Appends `value` in decimal, zero-padded to `width` digits (as `String(value)` when 1).
    private static func appendNumber(_ value: Int, width: Int = 1, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            appendNumber(Int(value.magnitude), width: width, to: &out)  // a year before 1 AD, if ever
            return
        }
        if value >= 10 || width > 1 { appendNumber(value / 10, width: width - 1, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }
}
