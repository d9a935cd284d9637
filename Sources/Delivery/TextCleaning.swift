import Articles
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// What the renderer writes byte by byte, without Foundation formatters, is in this
// file and its neighbours: text cleaning here, HTML escaping, quoted-printable and
// RFC 2047 headers beside it.

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
        cleaned(text, maxCharacters: maxCharacters, isClean: isCleanLine, clean: cleanLine)
    }

    /// `text` cleaned by `clean` unless `isClean` finds nothing to do (one scan, no copy),
    /// then truncated.
    private static func cleaned(
        _ text: String, maxCharacters: Int, isClean: (UnsafeBufferPointer<UInt8>) -> Bool,
        clean: (UnsafeBufferPointer<UInt8>) -> [UInt8]
    ) -> String {
        let cleaned: [UInt8]? = withUTF8(text) { bytes in isClean(bytes) ? nil : clean(bytes) }
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
        cleaned(text, maxCharacters: maxCharacters, isClean: isCleanBody, clean: cleanBody)
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
