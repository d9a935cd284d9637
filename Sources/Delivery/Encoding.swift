import Articles
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Text cleaning, HTML escaping, quoted-printable, RFC 2047 headers and hand-made date
// formats: everything the renderer writes byte by byte, without Foundation formatters.

enum Bytes {
    /// The index of the first `byte` in `bytes` at or after `start`, else `bytes.count`
    /// (memchr: a vectorised scan).
    @inline(__always)
    static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let base = bytes.baseAddress else { return bytes.count }
        guard let found = memchr(base + start, Int32(byte), bytes.count - start) else { return bytes.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}

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
    /// Any other byte above 0x7F (another lead byte or a continuation byte) belongs to a
    /// scalar that is neither, so the cleaners copy it without decoding.
    @inline(__always)
    static func mayNeedScalarCheck(_ byte: UInt8) -> Bool {
        byte == 0xC2 || byte == 0xE1 || byte == 0xE2 || byte == 0xE3 || byte == 0xEF
    }

    /// The scalar starting at `index` of valid UTF-8 and its length in bytes. Called for
    /// ASCII and the lead bytes of `mayNeedScalarCheck` (one, two or three bytes).
    @inline(__always)
    static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        if lead < 0xE0 { return (UInt32(lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
        return (UInt32(lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
    }

    /// Runs `body` on the UTF-8 bytes of `text` (native strings: in place, no copy).
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = text
        return text.withUTF8(body)
    }

    /// One line of text for a header or a title: every unsafe scalar and run of white
    /// space becomes one space, trimmed; longer than `maxCharacters` characters: cut, "…" added.
    static func line(_ text: String, maxCharacters: Int) -> String {
        let cleaned: [UInt8]? = withUTF8(text) { bytes in
            isCleanLine(bytes) ? nil : cleanLine(bytes)
        }
        guard let cleaned else { return truncate(text, maxCharacters: maxCharacters) }
        return truncate(String(decoding: cleaned, as: UTF8.self), maxCharacters: maxCharacters)
    }

    /// True when `line` would return the text unchanged (before truncation): the usual
    /// case, which then costs one scan and no copy.
    private static func isCleanLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previousSpace = true
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80 && !mayNeedScalarCheck(byte) {
                previousSpace = false
                index += 1
                continue
            }
            let (value, length) = scalar(in: bytes, at: index)
            if value == 0x20 {
                if previousSpace { return false }
                previousSpace = true
            } else if isUnsafe(value) || isWhitespace(value) {
                return false
            } else {
                previousSpace = false
            }
            index += length
        }
        return !previousSpace || bytes.isEmpty
    }

    private static func cleanLine(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingSpace = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            var length = 1
            if byte < 0x80 || mayNeedScalarCheck(byte) {
                let scalar = scalar(in: bytes, at: index)
                length = scalar.length
                if isUnsafe(scalar.value) || isWhitespace(scalar.value) {
                    pendingSpace = true
                    index += length
                    continue
                }
            }
            if pendingSpace && !out.isEmpty { out.append(0x20) }
            pendingSpace = false
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
            index += length
        }
        return out
    }

    /// Multi-line text for a body: CR LF and CR become LF, other unsafe scalars are
    /// dropped (tab kept), trailing white space of lines and of the text removed.
    static func body(_ text: String, maxCharacters: Int) -> String {
        let cleaned: [UInt8]? = withUTF8(text) { bytes in
            isCleanBody(bytes) ? nil : cleanBody(bytes)
        }
        guard let cleaned else { return truncate(text, maxCharacters: maxCharacters) }
        return truncate(String(decoding: cleaned, as: UTF8.self), maxCharacters: maxCharacters)
    }

    /// True when `body` would return the text unchanged (before truncation).
    private static func isCleanBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        var index = 0
        while index < bytes.count {
            // Eight bytes that hold no control, DEL or lead byte of `mayNeedScalarCheck`
            // (continuation bytes are never one) are kept as they are.
            if index + 8 <= bytes.count {
                let word = ByteWord.load(bytes, at: index)
                let control = ByteWord.below(0x20, word) | ByteWord.equal(0x7F, word)
                let leads =
                    ByteWord.equal(0xC2, word) | ByteWord.equal(0xE1, word) | ByteWord.equal(0xE2, word)
                    | ByteWord.equal(0xE3, word) | ByteWord.equal(0xEF, word)
                if control | leads == 0 {
                    previous = bytes[index + 7]
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            if byte == 0x0A {
                // A leading LF is removed, and so are blanks before one.
                if index == 0 || previous == 0x20 || previous == 0x09 { return false }
            } else if byte < 0x20 && byte != 0x09 || byte == 0x7F {
                return false
            } else if mayNeedScalarCheck(byte) {
                let (value, length) = scalar(in: bytes, at: index)
                if isUnsafe(value) { return false }
                previous = byte
                index += length
                continue
            }
            previous = byte
            index += 1
        }
        // Empty, or ending in a character that stays.
        return bytes.isEmpty || (previous != 0x0A && previous != 0x20 && previous != 0x09)
    }

    private static func cleanBody(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        // Spaces and tabs are written at once; `blanksStart` marks where the current run
        // of them began, so a line end (or the end of the text) can take them back.
        var blanksStart: Int?
        var previousCR = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            var length = 1
            if byte < 0x80 || mayNeedScalarCheck(byte) {
                let (value, scalarLength) = scalar(in: bytes, at: index)
                length = scalarLength
                if value == 0x0D || value == 0x0A || value == 0x2028 || value == 0x2029 {
                    index += length
                    if value == 0x0A && previousCR {
                        previousCR = false
                        continue
                    }
                    previousCR = value == 0x0D
                    if let start = blanksStart { out.removeSubrange(start...) }
                    blanksStart = nil
                    out.append(0x0A)
                    continue
                }
                previousCR = false
                if value == 0x09 || value == 0x20 {
                    if blanksStart == nil { blanksStart = out.count }
                    out.append(byte)
                    index += 1
                    continue
                }
                if isUnsafe(value) {
                    index += length
                    continue
                }
            } else {
                previousCR = false
            }
            blanksStart = nil
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
            index += length
        }
        if let start = blanksStart { out.removeSubrange(start...) }
        while out.last == 0x0A { out.removeLast() }
        if let first = out.firstIndex(where: { $0 != 0x0A }) { out.removeSubrange(..<first) } else { out.removeAll() }
        return out
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
        let cleaned: [UInt8] = withUTF8(text) { bytes in
            // The usual link: printable ASCII without spaces, and not ending in the "%20"
            // that is trimmed below, is kept as it is.
            let endsInSpace = bytes.count >= 3 && bytes[bytes.count - 3] == 0x25 && bytes[bytes.count - 2] == 0x32
                && bytes[bytes.count - 1] == 0x30
            if !endsInSpace && bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                return Array(bytes)
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                var length = 1
                if byte < 0x80 || mayNeedScalarCheck(byte) {
                    let scalar = scalar(in: bytes, at: index)
                    length = scalar.length
                    if isUnsafe(scalar.value) {
                        index += length
                        continue
                    }
                    if isWhitespace(scalar.value) {
                        if !out.isEmpty { out.append(contentsOf: [0x25, 0x32, 0x30]) }  // %20
                        index += length
                        continue
                    }
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
                index += length
            }
            while out.count >= 3 && out[out.count - 3] == 0x25 && out[out.count - 2] == 0x32 && out[out.count - 1] == 0x30 {
                out.removeLast(3)
            }
            return out
        }
        guard cleaned.count > 8, hasPrefixIgnoringASCIICase(cleaned, "https://") || hasPrefixIgnoringASCIICase(cleaned, "http://")
        else { return nil }
        return String(decoding: cleaned, as: UTF8.self)
    }

    private static func hasPrefixIgnoringASCIICase(_ bytes: [UInt8], _ prefix: StaticString) -> Bool {
        guard bytes.count >= prefix.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        for (byte, lower) in zip(bytes, expected) {
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != lower { return false }
        }
        return true
    }

    /// A message id in angle brackets, `<token>`: the caller's own id (already in brackets
    /// and clean, the usual case) is returned as it is.
    static func bracketedToken(_ text: String) -> String {
        let isClean = withUTF8(text) { bytes in
            bytes.count > 2 && bytes[0] == UInt8(ascii: "<") && bytes[bytes.count - 1] == UInt8(ascii: ">")
                && UnsafeBufferPointer(rebasing: bytes[1..<(bytes.count - 1)]).allSatisfy(isTokenByte)
        }
        return isClean ? text : "<\(token(text))>"
    }

    @inline(__always)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
    }

    /// An address or message id for a header: no white space, unsafe scalars or angle brackets.
    static func token(_ text: String) -> String {
        let cleaned: [UInt8]? = withUTF8(text) { bytes in
            if bytes.allSatisfy(isTokenByte) { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                var length = 1
                if byte < 0x80 || mayNeedScalarCheck(byte) {
                    let scalar = scalar(in: bytes, at: index)
                    length = scalar.length
                    let value = scalar.value
                    if isUnsafe(value) || isWhitespace(value) || value == 0x3C || value == 0x3E {
                        index += length
                        continue
                    }
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
                index += length
            }
            return out
        }
        guard let cleaned else { return text }
        return String(decoding: cleaned, as: UTF8.self)
    }
}

enum HTML {
    /// Appends `text` with & < > " ' escaped: runs without them are copied in one piece.
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        TextCleaning.withUTF8(text) { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                // Eight bytes without a character to escape belong to the run.
                if index + 8 <= bytes.count {
                    let word = ByteWord.load(bytes, at: index)
                    let special =
                        ByteWord.equal(UInt8(ascii: "&"), word) | ByteWord.equal(UInt8(ascii: "<"), word)
                        | ByteWord.equal(UInt8(ascii: ">"), word) | ByteWord.equal(UInt8(ascii: "\""), word)
                        | ByteWord.equal(UInt8(ascii: "'"), word)
                    if special == 0 {
                        index += 8
                        continue
                    }
                }
                defer { index += 1 }
                let entity: StaticString
                switch bytes[index] {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }
}

enum QuotedPrintable {
    /// Encodes LF-separated text; encoded lines are at most 76 characters. A line
    /// starting with "From " or "." gets its first character encoded, so no transport
    /// has to quote or stuff it.
    static func encode(_ input: [UInt8], into out: inout [UInt8]) {
        input.withUnsafeBufferPointer { encode($0, into: &out) }
    }

    static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // At most 3 bytes per input byte, plus a soft break ("=\n") per 24 or more of them.
        let capacity = input.count * 3 + (input.count / 20 + 2) * 2
        out.appendBytes(maxCount: capacity) { output in
            var written = 0
            var lineStart = 0
            while lineStart < input.count {
                let lineEnd = Bytes.index(of: 0x0A, in: input, from: lineStart)
                written = encodeLine(input, lineStart..<lineEnd, into: output, at: written)
                if lineEnd < input.count {
                    output[written] = 0x0A
                    written += 1
                }
                lineStart = lineEnd + 1
            }
            return written
        }
    }

    /// Encodes one line (without its LF) at `written`; returns the new end of the output.
    private static func encodeLine(
        _ input: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        var written = start
        var column = 0
        var index = line.lowerBound
        let last = line.upperBound - 1
        while index < line.upperBound {
            // The common case, inside the line (not its last character) and past its
            // start: printable characters are copied and others written as =XX while
            // they fit before the soft-break column; the full rules below handle the rest.
            if column > 0 {
                var runStart = true
                while index < last {
                    let byte = input[index]
                    if isLiteralInside(byte) {
                        // At the start of a run, try eight printable ASCII bytes at a time.
                        if runStart {
                            runStart = false
                            copyPrintableWords(input, &index, last: last, out, &written, &column)
                            if index == last { break }
                            continue
                        }
                        guard column < 75 else { break }
                        out[written] = byte
                        written += 1
                        column += 1
                    } else {
                        guard column <= 72 else { break }
                        out[written] = UInt8(ascii: "=")
                        out[written + 1] = hexDigit(byte >> 4)
                        out[written + 2] = hexDigit(byte & 0x0F)
                        written += 3
                        column += 3
                        runStart = true
                    }
                    index += 1
                }
            }
            let byte = input[index]
            var literal = isLiteralInside(byte) && (index < last || (byte != 0x20 && byte != 0x09))
            // Keep room for the soft break "=" unless this is the last character of the line.
            if column + (literal ? 1 : 3) > (index == last ? 76 : 75) {
                out[written] = UInt8(ascii: "=")
                out[written + 1] = 0x0A
                written += 2
                column = 0
            }
            // Encoded lines (after hard and soft breaks alike) never start with "From " or ".".
            if column == 0 && literal && (byte == UInt8(ascii: ".") || startsFrom(input, at: index, end: line.upperBound)) {
                literal = false
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

    /// Copies eight bytes at a time while all eight are printable ASCII but "=" (or a
    /// space), none of them is the line's last, and they fit before the soft-break column.
    @inline(__always)
    private static func copyPrintableWords(
        _ input: UnsafeBufferPointer<UInt8>, _ index: inout Int, last: Int, _ out: UnsafeMutableBufferPointer<UInt8>,
        _ written: inout Int, _ column: inout Int
    ) {
        while column <= 75 - 8 && index + 8 <= last {
            let word = UnsafeRawPointer(input.baseAddress! + index).loadUnaligned(as: UInt64.self)
            guard isPrintableWord(word) else { return }
            UnsafeMutableRawPointer(out.baseAddress! + written).storeBytes(of: word, as: UInt64.self)
            index += 8
            written += 8
            column += 8
        }
    }

    /// Are all eight bytes of `word` in 0x20…0x7E and none "="? (Bit tricks on the whole
    /// word: "has a byte less than n" and "has a zero byte", each exact as a yes/no.)
    @inline(__always)
    private static func isPrintableWord(_ word: UInt64) -> Bool {
        ByteWord.below(0x20, word) | ByteWord.high(word) | ByteWord.equal(0x7F, word) | ByteWord.equal(UInt8(ascii: "="), word)
            == 0
    }

    /// Printable ASCII but "=", and space and tab (which are literal unless they end a line).
    @inline(__always)
    private static func isLiteralInside(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "=")) || byte == 0x09
    }

    @inline(__always)
    private static func startsFrom(_ input: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Bool {
        index + 4 < end && input[index] == UInt8(ascii: "F") && input[index + 1] == UInt8(ascii: "r")
            && input[index + 2] == UInt8(ascii: "o") && input[index + 3] == UInt8(ascii: "m") && input[index + 4] == 0x20
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x37 + value }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 of `text` in one copy (`append(contentsOf: text.utf8)` goes
    /// through the generic, element-by-element path).
    @inline(__always)
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends the bytes that `body` writes at the start of room for `maxCount` bytes and
    /// counts in its result: encoders write through a pointer, without a check per byte.
    /// The room is not initialised: `body` must write every byte it counts.
    mutating func appendBytes(maxCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        // Written into scratch room and copied: cheaper than zero-filling the worst case
        // (three times the input, for quoted-printable) in the array itself.
        let room = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: maxCount)
        defer { room.deallocate() }
        let written = body(room)
        append(contentsOf: UnsafeBufferPointer(rebasing: room[..<written]))
    }
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
        encodedWordBytes(text, firstLength: firstLength).map { String(decoding: $0, as: UTF8.self) }
    }

    static func encodedWordBytes(_ text: String, firstLength: Int) -> [[UInt8]] {
        TextCleaning.withUTF8(text) { bytes in
            var words: [[UInt8]] = []
            var chunkStart = 0
            var limit = max(firstLength, 16)
            func flush(upTo end: Int) {
                var word: [UInt8] = []
                word.reserveCapacity(12 + (end - chunkStart + 2) / 3 * 4)
                word.append(utf8: "=?UTF-8?B?")
                Base64.append(UnsafeBufferPointer(rebasing: bytes[chunkStart..<end]), to: &word)
                word.append(utf8: "?=")
                words.append(word)
                chunkStart = end
                limit = 75
            }
            // A character's bytes: a lead byte and the continuation bytes (10xxxxxx) after it.
            var index = 0
            while index < bytes.count {
                var end = index + 1
                while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
                if end - chunkStart > (limit - 12) / 4 * 3 { flush(upTo: index) }
                index = end
            }
            if chunkStart < bytes.count || words.isEmpty { flush(upTo: bytes.count) }
            return words
        }
    }

    /// Writes `Name: token token …` folding between tokens so lines stay within 78
    /// characters where the tokens allow it.
    static func fold(_ name: String, _ tokens: [String], into out: inout [UInt8]) {
        fold(name, tokens.map { Array($0.utf8) }, into: &out)
    }

    static func fold(_ name: String, _ tokens: [[UInt8]], into out: inout [UInt8]) {
        var writer = FoldingWriter(name: name, into: &out)
        for token in tokens { token.withUnsafeBufferPointer { writer.append($0, to: &out) } }
        out.append(0x0A)
    }

    /// The state of one folded header line: the column, and whether a token was written.
    struct FoldingWriter {
        var column: Int
        var first = true

        init(name: String, into out: inout [UInt8]) {
            out.append(utf8: name)
            out.append(UInt8(ascii: ":"))
            column = name.utf8.count + 1
        }

        /// Writes " token", after a line break when it would pass 78 characters (not before the first).
        mutating func append(_ token: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
            guard !token.isEmpty else { return }
            if !first && column + 1 + token.count > HeaderWriter.maxLine {
                out.append(0x0A)
                column = 0
            }
            out.append(0x20)
            out.append(contentsOf: token)
            column += 1 + token.count
            first = false
        }
    }

    /// Calls `body` with each run of non-space bytes of `bytes`.
    private static func forEachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var index = 0
        while index < bytes.count {
            let end = Bytes.index(of: 0x20, in: bytes, from: index)
            if end > index { body(UnsafeBufferPointer(rebasing: bytes[index..<end])) }
            index = end + 1
        }
    }

    /// An unstructured header (Subject, X-…): plain when printable ASCII whose words fit
    /// (or `allowLongWords`), else encoded words. `value` must already be cleaned.
    static func unstructured(_ name: String, _ value: String, allowLongWords: Bool = false, into out: inout [UInt8]) {
        if isPlain(value) {
            let written: Bool = TextCleaning.withUTF8(value) { bytes in
                if !allowLongWords {
                    // The first word shares its line with "Name: ", the others with a space.
                    var longest = 0
                    var firstWord = true
                    forEachWord(bytes) { word in
                        longest = max(longest, word.count + (firstWord ? name.utf8.count + 2 : 1))
                        firstWord = false
                    }
                    guard longest <= maxLine else { return false }
                }
                var writer = FoldingWriter(name: name, into: &out)
                forEachWord(bytes) { writer.append($0, to: &out) }
                out.append(0x0A)
                return true
            }
            if written { return }
        }
        fold(name, encodedWordBytes(value, firstLength: min(75, maxLine - name.utf8.count - 2)), into: &out)
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

    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `hh:mm:ss`.
    private func appendClock(to out: inout [UInt8]) {
        Self.appendNumber(hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(second, width: 2, to: &out)
    }

    /// RFC 5322: `Tue, 24 Nov 2026 09:30:00 +0000` (written by hand: it is in every message).
    func appendRFC5322(to out: inout [UInt8]) {
        out.append(utf8: Self.weekdays[weekday])
        Self.append(", ", to: &out)
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        out.append(utf8: Self.months[month - 1])
        out.append(0x20)
        Self.appendNumber(year, to: &out)
        out.append(0x20)
        appendClock(to: &out)
        Self.append(" +0000", to: &out)
    }

    var rfc5322: String {
        var out: [UInt8] = []
        appendRFC5322(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// asctime, as the mbox `From ` line has it: `Tue Nov 24 09:30:00 2026`.
    func appendAsctime(to out: inout [UInt8]) {
        out.append(utf8: Self.weekdays[weekday])
        out.append(0x20)
        out.append(utf8: Self.months[month - 1])
        out.append(0x20)
        if day < 10 { out.append(0x20) }
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        appendClock(to: &out)
        out.append(0x20)
        Self.appendNumber(year, to: &out)
    }

    var asctime: String {
        var out: [UInt8] = []
        appendAsctime(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `24 November 2026, 09:30 UTC` / `24 listopada 2026, 09:30 UTC`.
    func text(polish: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(40)
        Self.appendNumber(day, to: &out)
        out.append(0x20)
        out.append(utf8: polish ? Self.polishMonths[month - 1] : Self.englishMonths[month - 1])
        out.append(0x20)
        Self.appendNumber(year, to: &out)
        Self.append(", ", to: &out)
        Self.appendNumber(hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        Self.appendNumber(minute, width: 2, to: &out)
        Self.append(" UTC", to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
