import Foundation

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
                word.append(contentsOf: Data(UnsafeBufferPointer(rebasing: bytes[chunkStart..<end])).base64EncodedData())
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
