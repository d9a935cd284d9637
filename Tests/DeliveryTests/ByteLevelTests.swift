@testable import Delivery
import Foundation
import TestSupport
import Testing

/// The byte-level cleaners and encoders against the scalar-by-scalar versions they
/// replaced (kept here as references), on random text made of the characters that
/// matter: controls, CR/LF, blanks, C1 controls, NBSP, bidi controls, BOM, line
/// separators, dashes, Polish letters, emoji, "From ", ".", "=", "<", ">".
@Suite struct ByteLevelTests {
    static let pieces: [String] = [
        "a", "Z", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{0}", "\u{7}", "\u{7F}", "\u{85}", "\u{9F}", "\u{A0}",
        "\u{1680}", "\u{2003}", "\u{2028}", "\u{2029}", "\u{202E}", "\u{2066}", "\u{FEFF}", "\u{3000}", "—", "…",
        "’", "ż", "Ł", "😀", "e\u{301}", "From ", ">From ", ".", "=", "<", ">", "&", "\"", "'", "http://", "HTTPS://",
        "x.example/", "%20", String(repeating: "w", count: 80),
    ]

    static func samples(_ count: Int) -> [String] {
        var generator = SplitMix(seed: 6)
        return (0..<count).map { _ in
            let length = Int.random(in: 0...40, using: &generator)
            return (0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }
    }

    @Test func cleanersMatchTheScalarReferences() {
        for text in Self.samples(4000) {
            #expect(TextCleaning.line(text, maxCharacters: 30) == Reference.line(text, maxCharacters: 30), "\(Array(text.utf8))")
            #expect(TextCleaning.body(text, maxCharacters: 60) == Reference.body(text, maxCharacters: 60), "\(Array(text.utf8))")
            #expect(TextCleaning.link(text) == Reference.link(text), "\(Array(text.utf8))")
            #expect(TextCleaning.link("https://x.example/" + text) == Reference.link("https://x.example/" + text))
            #expect(TextCleaning.token(text) == Reference.token(text), "\(Array(text.utf8))")
            // A message id: the caller's own, in brackets, or anything else, cleaned and bracketed.
            for id in [text, "<" + text + ">", "<" + text] {
                #expect(TextCleaning.bracketedToken(id) == "<" + Reference.token(id) + ">", "\(Array(id.utf8))")
            }
            var escaped: [UInt8] = []
            HTML.appendEscaped(text, to: &escaped)
            #expect(escaped == Reference.escaped(text))
        }
    }

    @Test func encodersMatchTheByteByByteReferences() {
        var long = ""
        for text in Self.samples(400) {
            long += text
            let bytes = Array(text.utf8)
            var encoded: [UInt8] = []
            QuotedPrintable.encode(bytes, into: &encoded)
            #expect(encoded == Reference.quotedPrintable(bytes), "\(bytes)")
            var quoted: [UInt8] = []
            bytes.withUnsafeBufferPointer { MboxFormat.appendQuoted($0, to: &quoted) }
            #expect(quoted == Reference.mboxQuoted(bytes), "\(bytes)")
        }
        var encoded: [UInt8] = [1, 2]  // appends after what is there
        QuotedPrintable.encode(Array(long.utf8), into: &encoded)
        #expect(encoded == [1, 2] + Reference.quotedPrintable(Array(long.utf8)))
    }
}

/// The implementations before issue 6, unchanged but for names.
private enum Reference {
    static func line(_ text: String, maxCharacters: Int) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if TextCleaning.isUnsafe(scalar.value) || TextCleaning.isWhitespace(scalar.value) {
                pendingSpace = true
                continue
            }
            if pendingSpace && !scalars.isEmpty { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        return TextCleaning.truncate(String(scalars), maxCharacters: maxCharacters)
    }

    static func body(_ text: String, maxCharacters: Int) -> String {
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
            if TextCleaning.isUnsafe(value) { continue }
            if !pendingSpaces.isEmpty { scalars.append(contentsOf: pendingSpaces); pendingSpaces.removeAll() }
            scalars.append(scalar)
        }
        while let last = scalars.last, last == "\n" { scalars.removeLast() }
        while let first = scalars.first, first == "\n" { scalars.removeFirst() }
        return TextCleaning.truncate(String(scalars), maxCharacters: maxCharacters)
    }

    static func link(_ text: String) -> String? {
        var result = ""
        for scalar in text.unicodeScalars {
            if TextCleaning.isUnsafe(scalar.value) { continue }
            if TextCleaning.isWhitespace(scalar.value) {
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

    static func token(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars
        where !TextCleaning.isUnsafe(scalar.value) && !TextCleaning.isWhitespace(scalar.value) {
            if scalar == "<" || scalar == ">" { continue }
            result.append(scalar)
        }
        return String(result)
    }

    static func escaped(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
        return out
    }

    static func quotedPrintable(_ input: [UInt8]) -> [UInt8] {
        func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x37 + value }
        var out: [UInt8] = []
        var column = 0
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == 0x0A {
                out.append(0x0A)
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
            let endsLine = index + 1 == count || input[index + 1] == 0x0A
            if column + (literal ? 1 : 3) > (endsLine ? 76 : 75) {
                out.append(contentsOf: [UInt8(ascii: "="), 0x0A])
                column = 0
            }
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
                out.append(byte)
                column += 1
            } else {
                out.append(contentsOf: [UInt8(ascii: "="), hexDigit(byte >> 4), hexDigit(byte & 0x0F)])
                column += 3
            }
            index += 1
        }
        return out
    }

    static func mboxQuoted(_ bytes: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        var lineStart = true
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if lineStart {
                var probe = index
                while probe < bytes.count && bytes[probe] == UInt8(ascii: ">") { probe += 1 }
                if probe + 5 <= bytes.count && bytes[probe] == UInt8(ascii: "F") && bytes[probe + 1] == UInt8(ascii: "r")
                    && bytes[probe + 2] == UInt8(ascii: "o") && bytes[probe + 3] == UInt8(ascii: "m")
                    && bytes[probe + 4] == 0x20
                {
                    buffer.append(UInt8(ascii: ">"))
                }
            }
            if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                index += 1
                continue
            }
            buffer.append(byte)
            lineStart = byte == 0x0A
            index += 1
        }
        if !lineStart { buffer.append(0x0A) }
        buffer.append(0x0A)
        return buffer
    }
}
