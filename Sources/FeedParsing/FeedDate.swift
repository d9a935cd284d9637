import Articles
public import Foundation

/// Date parsing used by the parser: RFC 822 / RFC 1123 (RSS), RFC 3339 / W3C-DTF (Atom,
/// CVRF, Dublin Core) and the broken variants real feeds use. Results are UTC; the
/// calendar arithmetic is `CivilTime`'s.
///
/// Written by hand over the UTF-8 bytes: `DateFormatter` is far too slow for a feed of
/// 65,000 items, and no single pattern accepts the variants below.
///
/// RFC 822 family (tokens separated by white space or commas, in almost any order):
/// `Tue, 24 Nov 2026 09:30:00 +0000`, without the day name, a 1- or 2-digit day, a 2-digit
/// year (`00`–`49` → 20xx, `50`–`99` → 19xx), full month names, missing seconds, a missing
/// time (midnight), zones `GMT`/`UT`/`UTC`/`Z`, the North American zones (`EST`, `EDT`, `ET`
/// …), `MET`/`CET`/`MEST`/`CEST`/`BST`/`EET`/`EEST`/`WET`/`WEST`/`JST`, RFC 822 military
/// letters, `Etc/GMT`, numeric offsets (`+0100`, `+01:00`, `+01`, `GMT-01:01`), asctime
/// (`Sun Jan  4 16:29:06 2004`) and month-before-day orders (`Thu Aug 30 2012 17:26:16 +0200`),
/// `24-Nov-2026`.
///
/// RFC 3339 family: `2026-11-24T09:30:00Z`, fractional seconds, lower-case `t`/`z`, a space
/// instead of `T`, no zone (UTC), a space before the zone, `2026-11-24`, `2026-11`, `2026`,
/// a 3-digit month with a leading zero (`2003-012-31`), and the basic ISO 8601 form
/// `20261124T093000Z`.
///
/// Anything else, and any out-of-range field (day 32, hour 25, zone `-99:99`), is nil.
public enum FeedDate {
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes raw: UnsafeBufferPointer<UInt8>) -> Date? {
        var start = 0
        var end = raw.count
        while start < end, isSpace(raw[start]) { start += 1 }
        while end > start, isSpace(raw[end - 1]) { end -= 1 }
        guard start < end else { return nil }
        let bytes = UnsafeBufferPointer(rebasing: raw[start..<end])
        if isDigit(bytes[0]), let date = parseISO(bytes) { return date }
        return parseRFC822(bytes)
    }

    // MARK: - RFC 3339 / ISO 8601

    private static func parseISO(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        let n = b.count
        func digits(_ minCount: Int, _ maxCount: Int) -> (Int, Int)? {
            var value = 0
            var count = 0
            while i < n, count < maxCount, isDigit(b[i]) {
                value = value * 10 + Int(b[i] &- 48)
                i += 1
                count += 1
            }
            return count >= minCount ? (value, count) : nil
        }
        guard let (year, yearDigits) = digits(4, 8) else { return nil }
        var month = 1
        var day = 1
        if yearDigits == 8 {
            // 20261124: basic format.
            day = year % 100
            month = (year / 100) % 100
            let y = year / 10000
            return finishISO(b, &i, year: y, month: month, day: day)
        }
        guard yearDigits == 4 else { return nil }
        if i < n, b[i] == UInt8(ascii: "-") {
            i += 1
            guard let (m, mDigits) = digits(1, 3) else { return nil }
            if mDigits == 3, b[i - 3] != UInt8(ascii: "0") { return nil }
            month = m
            if i < n, b[i] == UInt8(ascii: "-") {
                i += 1
                guard let (d, _) = digits(1, 2) else { return nil }
                day = d
            } else if i < n {
                return nil  // 2003-12T…: a time needs a full date
            }
        }
        return finishISO(b, &i, year: year, month: month, day: day)
    }

    private static func finishISO(
        _ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, year: Int, month: Int, day: Int
    ) -> Date? {
        let n = b.count
        var hour = 0
        var minute = 0
        var second = 0
        var offset = 0
        if i < n {
            let separator = b[i]
            guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == 0x20 else {
                return nil
            }
            i += 1
            while i < n, b[i] == 0x20 { i += 1 }
            func two() -> Int? {
                var value = 0
                var count = 0
                while i < n, count < 2, isDigit(b[i]) {
                    value = value * 10 + Int(b[i] &- 48)
                    i += 1
                    count += 1
                }
                return count >= 1 ? value : nil
            }
            guard let h = two() else { return nil }
            hour = h
            let colon = i < n && b[i] == UInt8(ascii: ":")
            if colon { i += 1 }
            guard let m = two() else { return nil }
            minute = m
            if i < n, (colon && b[i] == UInt8(ascii: ":")) || (!colon && isDigit(b[i])) {
                if colon { i += 1 }
                guard let s = two() else { return nil }
                second = s
                if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    guard i < n, isDigit(b[i]) else { return nil }
                    while i < n, isDigit(b[i]) { i += 1 }
                }
            }
            while i < n, b[i] == 0x20 { i += 1 }
            if i < n {
                let c = b[i]
                if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                    i += 1
                } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    guard let o = numericOffset(UnsafeBufferPointer(rebasing: b[i..<n])) else { return nil }
                    offset = o
                    i = n
                } else {
                    guard let o = zoneOffset(UnsafeBufferPointer(rebasing: b[i..<n])) else { return nil }
                    offset = o
                    i = n
                }
            }
            guard i == n else { return nil }
        }
        return CivilTime.date(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    // MARK: - RFC 822 and friends

    private static func parseRFC822(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        var offset: Int?
        var sawDate = false
        var i = 0
        let n = b.count
        while i < n {
            while i < n, isSpace(b[i]) || b[i] == UInt8(ascii: ",") { i += 1 }
            if i == n { break }
            let start = i
            while i < n, !isSpace(b[i]), b[i] != UInt8(ascii: ",") { i += 1 }
            var token = UnsafeBufferPointer(rebasing: b[start..<i])
            // Trailing dots: "Tue." "Nov."
            while token.count > 1, token[token.count - 1] == UInt8(ascii: ".") {
                token = UnsafeBufferPointer(rebasing: token[0..<(token.count - 1)])
            }
            let first = token[0]
            if first == UInt8(ascii: "(") {
                // a comment: "+0000 (UTC)"
                while i < n, b[i - 1] != UInt8(ascii: ")") { i += 1 }
                continue
            }
            if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
                guard offset == nil, let o = numericOffset(token) else { return nil }
                offset = o
                continue
            }
            if isDigit(first) {
                if token.contains(UInt8(ascii: ":")) {
                    guard time == nil, let t = parseClock(token) else { return nil }
                    time = t
                    continue
                }
                if token.contains(UInt8(ascii: "-")) || token.contains(UInt8(ascii: "/")) {
                    // 24-Nov-2026, 24/Nov/2026
                    guard let (d, m, y) = parseCompactDate(token), day == nil, month == nil, year == nil else {
                        return nil
                    }
                    (day, month, year) = (d, m, y)
                    sawDate = true
                    continue
                }
                guard token.allSatisfy(isDigit) else { return nil }
                let value = token.reduce(0) { $0 * 10 + Int($1 &- 48) }
                switch token.count {
                case 1, 2:
                    if day == nil, year == nil || month != nil {
                        day = value
                    } else if year == nil {
                        year = value < 50 ? 2000 + value : 1900 + value
                    } else {
                        return nil
                    }
                case 4:
                    guard year == nil else { return nil }
                    year = value
                default:
                    return nil
                }
                sawDate = true
                continue
            }
            guard isAlpha(first) else { return nil }
            // Letters, maybe followed by an offset: GMT-01:01, UTC+1.
            var letters = 0
            while letters < token.count, isAlpha(token[letters]) || token[letters] == UInt8(ascii: "/") { letters += 1 }
            let word = UnsafeBufferPointer(rebasing: token[0..<letters])
            if letters < token.count {
                let rest = UnsafeBufferPointer(rebasing: token[letters...])
                guard rest[0] == UInt8(ascii: "+") || rest[0] == UInt8(ascii: "-"), offset == nil,
                    let base = zoneOffset(word), let o = numericOffset(rest)
                else { return nil }
                offset = base + o
                continue
            }
            if month == nil, let m = monthNumber(word) {
                month = m
                sawDate = true
                continue
            }
            if !sawDate, time == nil, isDayName(word) { continue }
            if offset == nil, sawDate || time != nil, let o = zoneOffset(word) {
                offset = o
                continue
            }
            return nil
        }
        guard let day, let month, let year else { return nil }
        let (hour, minute, second) = time ?? (0, 0, 0)
        return CivilTime.date(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset ?? 0)
    }

    /// `09:30`, `09:30:00`, `9:30:00.123`.
    private static func parseClock(_ t: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        var parts: (Int, Int, Int) = (0, 0, 0)
        var count = 0
        var value = 0
        var digits = 0
        var i = 0
        func store() -> Bool {
            guard digits >= 1, digits <= 2 else { return false }
            switch count {
            case 0: parts.0 = value
            case 1: parts.1 = value
            case 2: parts.2 = value
            default: return false
            }
            count += 1
            value = 0
            digits = 0
            return true
        }
        while i < t.count {
            let c = t[i]
            if isDigit(c) {
                value = value * 10 + Int(c &- 48)
                digits += 1
            } else if c == UInt8(ascii: ":") {
                guard store() else { return nil }
            } else if c == UInt8(ascii: "."), count == 2 {
                // fraction of the seconds
                guard store() else { return nil }
                i += 1
                guard i < t.count else { return nil }
                while i < t.count {
                    guard isDigit(t[i]) else { return nil }
                    i += 1
                }
                return parts
            } else {
                return nil
            }
            i += 1
        }
        guard store(), count >= 2 else { return nil }
        return parts
    }

    /// `24-Nov-2026`, `24/Nov/2026`, `24-11-2026` is refused (ambiguous).
    private static func parseCompactDate(_ t: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        var fields: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        for i in 0...t.count where i == t.count || t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "/") {
            fields.append(UnsafeBufferPointer(rebasing: t[start..<i]))
            start = i + 1
        }
        guard fields.count == 3, let month = monthNumber(fields[1]),
            let day = number(fields[0], maxDigits: 2), let y = number(fields[2], maxDigits: 4)
        else { return nil }
        let year = fields[2].count == 2 ? (y < 50 ? 2000 + y : 1900 + y) : y
        guard fields[2].count == 2 || fields[2].count == 4 else { return nil }
        return (day, month, year)
    }

    private static func number(_ t: UnsafeBufferPointer<UInt8>, maxDigits: Int) -> Int? {
        guard !t.isEmpty, t.count <= maxDigits, t.allSatisfy(isDigit) else { return nil }
        return t.reduce(0) { $0 * 10 + Int($1 &- 48) }
    }

    /// `+0100`, `-01:00`, `+01`, `+1`: seconds east of UTC.
    private static func numericOffset(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.count >= 2 else { return nil }
        let sign = t[0] == UInt8(ascii: "-") ? -1 : 1
        let body = UnsafeBufferPointer(rebasing: t[1...])
        var hours = 0
        var minutes = 0
        if let colon = body.firstIndex(of: UInt8(ascii: ":")) {
            guard let h = number(UnsafeBufferPointer(rebasing: body[0..<colon]), maxDigits: 2),
                colon + 3 == body.count,
                let m = number(UnsafeBufferPointer(rebasing: body[(colon + 1)...]), maxDigits: 2)
            else { return nil }
            hours = h
            minutes = m
        } else {
            guard let v = number(body, maxDigits: 4) else { return nil }
            if body.count <= 2 {
                hours = v
            } else {
                hours = v / 100
                minutes = v % 100
            }
        }
        guard hours <= 23, minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// Named zones (case-insensitive), seconds east of UTC.
    private static func zoneOffset(_ word: UnsafeBufferPointer<UInt8>) -> Int? {
        var w = word
        // Etc/GMT
        if w.count > 4, lower(w[0]) == UInt8(ascii: "e"), lower(w[1]) == UInt8(ascii: "t"),
            lower(w[2]) == UInt8(ascii: "c"), w[3] == UInt8(ascii: "/")
        {
            w = UnsafeBufferPointer(rebasing: w[4...])
        }
        guard w.count <= 4 else { return nil }
        var key: UInt32 = 0
        for c in w {
            guard isAlpha(c) else { return nil }
            key = key << 8 | UInt32(lower(c))
        }
        if w.count == 1 {
            // RFC 822 military zones: A–I = -1…-9, K–M = -10…-12, N–Y = +1…+12, Z = 0.
            let c = Int(key)
            let a = Int(UInt8(ascii: "a"))
            switch UInt8(key) {
            case UInt8(ascii: "z"): return 0
            case UInt8(ascii: "a")...UInt8(ascii: "i"): return -(c - a + 1) * 3600
            case UInt8(ascii: "k")...UInt8(ascii: "m"): return -(c - a) * 3600
            case UInt8(ascii: "n")...UInt8(ascii: "y"): return (c - Int(UInt8(ascii: "n")) + 1) * 3600
            default: return nil
            }
        }
        let hours: Int
        switch key {
        case fourCC("ut"), fourCC("utc"), fourCC("gmt"), fourCC("wet"), fourCC("z"): hours = 0
        case fourCC("est"), fourCC("et"), fourCC("cdt"): hours = -5
        case fourCC("edt"), fourCC("ast"), fourCC("at"): hours = -4
        case fourCC("adt"): hours = -3
        case fourCC("cst"), fourCC("ct"), fourCC("mdt"): hours = -6
        case fourCC("mst"), fourCC("mt"), fourCC("pdt"): hours = -7
        case fourCC("pst"), fourCC("pt"), fourCC("akdt"): hours = -8
        case fourCC("akst"): hours = -9
        case fourCC("hst"): hours = -10
        case fourCC("met"), fourCC("cet"), fourCC("bst"), fourCC("west"): hours = 1
        case fourCC("mest"), fourCC("cest"), fourCC("eet"): hours = 2
        case fourCC("eest"), fourCC("msk"): hours = 3
        case fourCC("jst"): hours = 9
        default: return nil
        }
        return hours * 3600
    }

    private static func fourCC(_ s: StaticString) -> UInt32 {
        var key: UInt32 = 0
        s.withUTF8Buffer { for c in $0 { key = key << 8 | UInt32(c) } }
        return key
    }

    private static let monthNames: [StaticString] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let monthKeys: [UInt32] = monthNames.map(fourCC)

    private static let fullMonths: [[UInt8]] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    ].map { Array($0.utf8) }

    /// `Nov`, `November`, `Sept` (case-insensitive).
    private static func monthNumber(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
        guard w.count >= 3, w.allSatisfy(isAlpha) else { return nil }
        let key = UInt32(lower(w[0])) << 16 | UInt32(lower(w[1])) << 8 | UInt32(lower(w[2]))
        guard let index = monthKeys.firstIndex(of: key) else { return nil }
        if w.count == 3 { return index + 1 }
        if index == 8, w.count == 4, lower(w[3]) == UInt8(ascii: "t") { return 9 }  // Sept
        let full = fullMonths[index]
        guard w.count == full.count else { return nil }
        for (a, c) in zip(full, w) where a != lower(c) { return nil }
        return index + 1
    }

    private static let dayNames: [StaticString] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let dayKeys: [UInt32] = dayNames.map(fourCC)

    /// `Tue`, `Tues`, `Tuesday`, `Thur`, `Thurs` (case-insensitive).
    private static func isDayName(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
        guard w.count >= 3, w.allSatisfy(isAlpha) else { return false }
        let key = UInt32(lower(w[0])) << 16 | UInt32(lower(w[1])) << 8 | UInt32(lower(w[2]))
        return dayKeys.contains(key) && w.count <= 9
    }

    // MARK: - Bytes

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 97 < 26 }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { isAlpha(c) ? c | 0x20 : c }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
}
