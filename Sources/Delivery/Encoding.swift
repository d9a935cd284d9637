import Foundation

// Text cleaning, HTML escaping, quoted-printable, RFC 2047 headers and hand-made date
// formats: everything the renderer writes byte by byte, without Foundation formatters.

enum TextCleaning {
    /// Scalars that never reach a header and are dropped from bodies: C0/C1 controls,
    /// DEL, line/paragraph separators, bidi embeddings/overrides/isolates, BOM.
    @inline(__always)
    static func isUnsafe(_ value: UInt32) -> Bool {
        value < 0x20 || (value >= 0x7F && value <= 0x9F) || value == 0x2028 || value == 0x2029
            || (value >= 0x202A && value <= 0x202E) || (value >= 0x2066 && value <= 0x2069) || value == 0xFEFF
    }

    /// White space as `Unicode.Scalar.Properties.isWhitespace` has it, without the table lookup.
    @inline(__always)
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// The UTF-8 lead bytes that can start an unsafe or white-space scalar above U+007F
    /// (C2: C1 controls and NBSP; E1: U+1680; E2: U+2000…U+206F; E3: U+3000; EF: U+FEFF).
    /// Text without them (and without ASCII controls) needs no scalar-by-scalar look.
    @inline(__always)
    static func mayNeedScalarCheck(_ byte: UInt8) -> Bool {
        byte == 0xC2 || byte == 0xE1 || byte == 0xE2 || byte == 0xE3 || byte == 0xEF
    }

    /// One line of text for a header or a title: every unsafe scalar and run of white
    /// space becomes one space, trimmed; longer than `maxCharacters` characters: cut, "…" added.
    static func line(_ text: String, maxCharacters: Int) -> String {
        var clean = true
        var previousSpace = true
        for byte in text.utf8 {
            if byte == 0x20 {
                if previousSpace { clean = false; break }
                previousSpace = true
                continue
            }
            if byte < 0x20 || byte == 0x7F || mayNeedScalarCheck(byte) { clean = false; break }
            previousSpace = false
        }
        if clean && (!previousSpace || text.isEmpty) {
            return truncate(text, maxCharacters: maxCharacters)
        }
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar.value) || isWhitespace(scalar.value) {
                pendingSpace = true
                continue
            }
            if pendingSpace && !scalars.isEmpty { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        return truncate(String(scalars), maxCharacters: maxCharacters)
    }

    /// Multi-line text for a body: CR LF and CR become LF, other unsafe scalars are
    /// dropped (tab kept), trailing white space of lines and of the text removed.
    static func body(_ text: String, maxCharacters: Int) -> String {
        var clean = true
        var previous: UInt8 = 0
        var first = true
        for byte in text.utf8 {
            if byte < 0x20 && byte != 0x0A && byte != 0x09 || byte == 0x7F || mayNeedScalarCheck(byte)
                || (byte == 0x0A && (first || previous == 0x20 || previous == 0x09))
            {
                clean = false
                break
            }
            previous = byte
            first = false
        }
        if clean && previous != 0x0A && previous != 0x20 && previous != 0x09 {
            return truncate(text, maxCharacters: maxCharacters)
        }
        var scalars = String.UnicodeScalarView()
        var pendingSpaces = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0D || value == 0x0A || value == 0x2028 || value == 0x2029 {
                if value == 0x0A && previousCR { previousCR = false; continue }
                previousCR = value == 0x0D
                pendingSpaces.removeAll()
                scalars.append("\n")
                continue
            }
            previousCR = false
            if value == 0x09 || value == 0x20 { pendingSpaces.append(scalar); continue }
            if isUnsafe(value) { continue }
            if !pendingSpaces.isEmpty { scalars.append(contentsOf: pendingSpaces); pendingSpaces.removeAll() }
            scalars.append(scalar)
        }
        while let last = scalars.last, last == "\n" { scalars.removeLast() }
        while let first = scalars.first, first == "\n" { scalars.removeFirst() }
        return truncate(String(scalars), maxCharacters: maxCharacters)
    }

    static func truncate(_ text: String, maxCharacters: Int) -> String {
        guard text.utf8.count > maxCharacters, text.count > maxCharacters else { return text }
        var cut = String(text.prefix(maxCharacters - 1))
        while let last = cut.last, last == " " { cut.removeLast() }
        return cut + "…"
    }

    /// A link for the message: http(s) only, no white space or unsafe scalars; nil otherwise.
    static func link(_ text: String?) -> String? {
        guard let text else { return nil }
        var result = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar.value) { continue }
            if isWhitespace(scalar.value) {
                if !result.isEmpty { result += "%20" }
                continue
            }
            result.unicodeScalars.append(scalar)
        }
        while result.hasSuffix("%20") { result.removeLast(3) }
        let lower = result.prefix(8).lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), result.utf8.count > 8 else { return nil }
        return result
    }

    /// An address or message id for a header: no white space, unsafe scalars or angle brackets.
    static func token(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) {
            return text
        }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isUnsafe(scalar.value) && !isWhitespace(scalar.value) {
            if scalar == "<" || scalar == ">" { continue }
            result.append(scalar)
        }
        return String(result)
    }
}

enum HTML {
    @inline(__always)
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
            case UInt8(ascii: "<"): out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
            case UInt8(ascii: ">"): out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
            case UInt8(ascii: "\""): out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])  // &quot;
            case UInt8(ascii: "'"): out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B])  // &#39;
            default: out.append(byte)
            }
        }
    }
}

enum QuotedPrintable {
    /// Encodes LF-separated text; encoded lines are at most 76 characters. A line
    /// starting with "From " or "." gets its first character encoded, so no transport
    /// has to quote or stuff it.
    static func encode(_ input: [UInt8], into out: inout [UInt8]) {
        // At most 3 bytes per input byte, plus a soft break ("=\n") per 24 or more of them.
        let capacity = input.count * 3 + (input.count / 20 + 2) * 2
        let encoded = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            input.withUnsafeBufferPointer { input in
                initialized = encode(input, into: buffer)
            }
        }
        out.append(contentsOf: encoded)
    }

    private static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var column = 0
        var index = 0
        var written = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == 0x0A {
                out[written] = 0x0A
                written += 1
                column = 0
                index += 1
                continue
            }
            var literal: Bool
            switch byte {
            case 0x21...0x3C, 0x3E...0x7E: literal = true
            case 0x20, 0x09: literal = index + 1 < count && input[index + 1] != 0x0A
            default: literal = false
            }
            // Keep room for the soft break "=" unless this is the last character of the line.
            let endsLine = index + 1 == count || input[index + 1] == 0x0A
            if column + (literal ? 1 : 3) > (endsLine ? 76 : 75) {
                out[written] = UInt8(ascii: "=")
                out[written + 1] = 0x0A
                written += 2
                column = 0
            }
            // Encoded lines (after hard and soft breaks alike) never start with "From " or ".".
            if column == 0 && literal {
                if byte == UInt8(ascii: ".") {
                    literal = false
                } else if byte == UInt8(ascii: "F"), index + 4 < count, input[index + 1] == UInt8(ascii: "r"),
                    input[index + 2] == UInt8(ascii: "o"), input[index + 3] == UInt8(ascii: "m"),
                    input[index + 4] == 0x20
                {
                    literal = false
                }
            }
            if literal {
                out[written] = byte
                written += 1
                column += 1
            } else {
                out[written] = UInt8(ascii: "=")
                out[written + 1] = hexDigit(byte >> 4)
                out[written + 2] = hexDigit(byte & 0x0F)
                written += 3
                column += 3
            }
            index += 1
        }
        return written
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x37 + value }
}

enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append<C: Collection<UInt8>>(_ input: C, to out: inout [UInt8]) {
        var iterator = input.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next(), c = iterator.next()
            let triple = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
            out.append(alphabet[Int(triple >> 18 & 0x3F)])
            out.append(alphabet[Int(triple >> 12 & 0x3F)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int(triple >> 6 & 0x3F)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(triple & 0x3F)])
        }
    }
}

/// Header lines: RFC 2047 encoded words and folding at 78 characters.
enum HeaderWriter {
    static let maxLine = 78

    /// Is `text` printable ASCII that a decoder would not mistake for an encoded word?
    static func isPlain(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte > 0x7E { return false }
            if previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?") { return false }
            previous = byte
        }
        return true
    }

    /// `=?UTF-8?B?…?=` words for `text`, never splitting a character's UTF-8 bytes;
    /// the first word at most `firstLength` characters, the others at most 75.
    static func encodedWords(_ text: String, firstLength: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        var limit = max(firstLength, 16)
        func bytesFor(_ length: Int) -> Int { (length - 12) / 4 * 3 }
        func flush() {
            var word: [UInt8] = Array("=?UTF-8?B?".utf8)
            Base64.append(chunk, to: &word)
            word.append(contentsOf: "?=".utf8)
            words.append(String(decoding: word, as: UTF8.self))
            chunk.removeAll(keepingCapacity: true)
            limit = 75
        }
        for scalar in text.unicodeScalars {
            let encoded = UTF8.encode(scalar)!
            if chunk.count + encoded.count > bytesFor(limit) { flush() }
            chunk.append(contentsOf: encoded)
        }
        if !chunk.isEmpty || words.isEmpty { flush() }
        return words
    }

    /// Writes `Name: token token …` folding between tokens so lines stay within 78
    /// characters where the tokens allow it.
    static func fold(_ name: String, _ tokens: [String], into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ":"))
        var column = name.utf8.count + 1
        var first = true
        for token in tokens where !token.isEmpty {
            let length = token.utf8.count
            if !first && column + 1 + length > maxLine {
                out.append(0x0A)
                column = 0
            }
            out.append(0x20)
            out.append(contentsOf: token.utf8)
            column += 1 + length
            first = false
        }
        out.append(0x0A)
    }

    /// An unstructured header (Subject, X-…): plain when printable ASCII whose words fit
    /// (or `allowLongWords`), else encoded words. `value` must already be cleaned.
    static func unstructured(_ name: String, _ value: String, allowLongWords: Bool = false, into out: inout [UInt8]) {
        if isPlain(value) {
            let words = value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let longest = words.enumerated().map { $0.element.utf8.count + ($0.offset == 0 ? name.utf8.count + 2 : 1) }.max() ?? 0
            if allowLongWords || longest <= maxLine {
                fold(name, words, into: &out)
                return
            }
        }
        fold(name, encodedWords(value, firstLength: min(75, maxLine - name.utf8.count - 2)), into: &out)
    }

    /// `From`/`To`: `"Name" <address>`, `=?UTF-8?B?…?= <address>`, or the bare address.
    static func mailbox(_ name: String, displayName: String?, address: String, into out: inout [UInt8]) {
        let address = TextCleaning.token(address)
        let display = TextCleaning.line(displayName ?? "", maxCharacters: 120)
        guard !display.isEmpty else {
            fold(name, [address], into: &out)
            return
        }
        var tokens: [String]
        if isPlain(display) && display.utf8.count <= 60 {
            var quoted = "\""
            for character in display.unicodeScalars {
                if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(character)
            }
            quoted += "\""
            tokens = [quoted]
        } else {
            tokens = encodedWords(display, firstLength: min(75, maxLine - name.utf8.count - 2))
        }
        tokens.append("<\(address)>")
        fold(name, tokens, into: &out)
    }
}

/// Calendar arithmetic in UTC, by hand (no formatters per message).
struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// 0 = Sunday.
    var weekday: Int

    init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86400
        var rest = seconds % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        hour = rest / 3600
        minute = rest % 3600 / 60
        second = rest % 60
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        // Howard Hinnant's civil_from_days.
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

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    /// RFC 5322: `Tue, 24 Nov 2026 09:30:00 +0000`.
    var rfc5322: String {
        "\(Self.weekdays[weekday]), \(day) \(Self.months[month - 1]) \(year) \(Self.two(hour)):\(Self.two(minute)):\(Self.two(second)) +0000"
    }

    /// asctime, as the mbox `From ` line has it: `Tue Nov 24 09:30:00 2026`.
    var asctime: String {
        let paddedDay = day < 10 ? " \(day)" : String(day)
        return "\(Self.weekdays[weekday]) \(Self.months[month - 1]) \(paddedDay) \(Self.two(hour)):\(Self.two(minute)):\(Self.two(second)) \(year)"
    }

    /// `24 November 2026, 09:30 UTC` / `24 listopada 2026, 09:30 UTC`.
    func text(polish: Bool) -> String {
        let monthName = polish ? Self.polishMonths[month - 1] : Self.englishMonths[month - 1]
        return "\(day) \(monthName) \(year), \(Self.two(hour)):\(Self.two(minute)) UTC"
    }
}
