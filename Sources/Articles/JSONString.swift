/// JSON string literals, the one escaper of critfix: its JSON outputs (SPEC 7) and the
/// records it keeps in the state store. `"`, `\` and control characters are escaped, and
/// U+2028 / U+2029, which break JavaScript parsers; everything else is copied as it is.
public enum JSONString {
    /// `value` as a JSON string, quotes included.
    @inlinable
    public static func append<Sink: ByteSink & ~Copyable>(_ value: String, to out: inout Sink) {
        out.append(0x22)
        var value = value
        value.withUTF8 { appendEscaped($0, to: &out) }
        out.append(0x22)
    }

    /// The inside of a JSON string, without the quotes. Runs of plain bytes are copied at
    /// once, sixteen or eight bytes tested at a time: most text needs no escape.
    @inlinable
    public static func appendEscaped<Sink: ByteSink & ~Copyable>(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout Sink) {
        guard let base = utf8.baseAddress else { return }
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            if index + 16 <= count {
                let first = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let second = UnsafeRawPointer(base + index + 8).loadUnaligned(as: UInt64.self)
                if escapeFlags(first) | escapeFlags(second) == 0 {
                    index += 16
                    continue
                }
            }
            if index + 8 <= count, escapeFlags(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) == 0 {
                index += 8
                continue
            }
            let byte = base[index]
            var length = 1
            var escape: (UInt8, UInt8) = (0, 0)
            switch byte {
            case 0x22: escape = (0x5C, 0x22)
            case 0x5C: escape = (0x5C, 0x5C)
            case 0x0A: escape = (0x5C, 0x6E)
            case 0x0D: escape = (0x5C, 0x72)
            case 0x09: escape = (0x5C, 0x74)
            case 0..<0x20: break  // \u00XX below
            // U+2028 / U+2029 (E2 80 A8/A9).
            case 0xE2 where index + 2 < count && base[index + 1] == 0x80 && (base[index + 2] | 1) == 0xA9:
                length = 3
            default:
                index += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
            if escape.0 != 0 {
                out.append(escape.0)
                out.append(escape.1)
            } else if length == 3 {
                for byte in "\\u202".utf8 { out.append(byte) }
                out.append(base[index + 2] == 0xA8 ? 0x38 : 0x39)
            } else {
                for byte in "\\u00".utf8 { out.append(byte) }
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
            index += length
            runStart = index
        }
        out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
    }

    /// Zero when none of the 8 bytes in `word` is below 0x20, `"`, `\` or 0xE2 (the lead
    /// byte of U+2028/U+2029), without branches.
    @inlinable @inline(__always)
    static func escapeFlags(_ word: UInt64) -> UInt64 {
        ByteWord.below(0x20, word) | ByteWord.equal(0x22, word) | ByteWord.equal(0x5C, word) | ByteWord.equal(0xE2, word)
    }

    @inlinable
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }
}
