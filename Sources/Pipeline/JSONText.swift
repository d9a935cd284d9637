public import Articles
public import Foundation

/// Hand-written JSON for outputs whose key order SPEC 7 shows, streamed without
/// building the whole document.
public enum JSONText {
    public static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var bytes = ByteBuffer()
        defer { bytes.deallocate() }
        appendString(value, to: &bytes)
        return bytes.string
    }

    /// Appends `value` as a JSON string, copying runs of plain bytes at once.
    /// A JSON string literal appended to an array (for small documents such as a webhook body).
    static func appendString(_ value: String, to out: inout [UInt8]) {
        var buffer = ByteBuffer(capacity: value.utf8.count + 16)
        defer { buffer.deallocate() }
        appendString(value, to: &buffer)
        out.append(contentsOf: buffer.bytes)
    }

    static func appendString(_ value: String, to out: inout ByteBuffer) {
        out.append(0x22)
        appendEscaped(value, to: &out)
        out.append(0x22)
    }

    /// The inside of `value`'s JSON string, without the quotes.
    static func appendEscaped(_ value: String, to out: inout ByteBuffer) {
        var value = value
        value.withUTF8 { appendEscaped($0, to: &out) }
    }

    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout ByteBuffer) {
        guard let base = utf8.baseAddress else { return }
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            // Sixteen, then eight plain bytes at a time: most of a summary needs no escape.
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
            // U+2028 / U+2029 (E2 80 A8/A9) break JavaScript parsers.
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
                out.append(contentsOf: "\\u202")
                out.append(base[index + 2] == 0xA8 ? 0x38 : 0x39)
            } else {
                out.append(contentsOf: "\\u00")
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
    @inline(__always) static func escapeFlags(_ word: UInt64) -> UInt64 {
        ByteWord.below(0x20, word) | ByteWord.equal(0x22, word) | ByteWord.equal(0x5C, word) | ByteWord.equal(0xE2, word)
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }

    public static func date(_ date: Date?) -> String {
        date.map { string(Timestamp.rfc3339($0)) } ?? "null"
    }

    public static func int(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// `String(value)`'s digits, written in place.
    static func appendInt(_ value: Int, to out: inout ByteBuffer) {
        guard value >= 0 else { return out.append(contentsOf: String(value)) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(0x30 + rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// One article as SPEC 7.1 shows it.
    public static func article(_ article: Article) -> String {
        var bytes = ByteBuffer()
        defer { bytes.deallocate() }
        appendArticle(article, to: &bytes)
        return bytes.string
    }

    static func appendArticle(_ article: Article, to out: inout ByteBuffer) {
        func raw(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func text(_ value: String?) {
            if let value { appendString(value, to: &out) } else { raw("null") }
        }
        func number(_ value: Int) { appendInt(value, to: &out) }
        func date(_ value: Date?) {
            guard let value else { return raw("null") }
            out.append(0x22)
            Timestamp.writeRFC3339(value, to: out.reserve(20))
            out.append(0x22)
        }
        // The key, `feed/id`, without making it: escaping goes byte by byte (U+2028's three
        // bytes lie within one part), so the parts escaped one after the other are the same.
        raw("{\"key\": \"")
        appendEscaped(article.feed, to: &out)
        out.append(UInt8(ascii: "/"))
        appendEscaped(article.id, to: &out)
        out.append(0x22)
        raw(", \"id\": ")
        text(article.id)
        raw(", \"revision\": ")
        number(article.revision)
        raw(", \"title\": ")
        text(article.title)
        raw(", \"link\": ")
        text(article.link)
        raw(", \"published\": ")
        date(article.published)
        raw(", \"updated\": ")
        date(article.updated)
        raw(", \"severity\": ")
        number(article.severity)
        raw(", \"kind\": ")
        text(article.kind.rawValue)
        raw(", \"products\": [")
        for (index, product) in article.products.enumerated() {
            if index > 0 { raw(", ") }
            raw("{\"id\": ")
            text(product.id)
            raw(", \"affected\": ")
            text(product.affected)
            raw(", \"fixed\": ")
            text(product.fixed)
            // CVRF / CSAF identifiers, for the catalog's `cpe` and `purl` (SPEC 3).
            func list(_ key: StaticString, _ values: [String]) {
                guard !values.isEmpty else { return }
                raw(key)
                for (index, value) in values.enumerated() {
                    if index > 0 { raw(", ") }
                    text(value)
                }
                raw("]")
            }
            list(", \"cpe\": [", product.cpes)
            list(", \"purl\": [", product.purls)
            raw("}")
        }
        raw("], \"categories\": [")
        for (index, category) in article.categories.enumerated() {
            if index > 0 { raw(", ") }
            text(category)
        }
        raw("], \"summary\": ")
        text(article.summary)
        raw(article.isUnmatched ? ", \"unmatched\": true}" : ", \"unmatched\": false}")
    }
}

/// Output bytes behind a pointer: `[UInt8].append(contentsOf:)` costs a call, a uniqueness
/// check and a capacity check for each of the thirty or so pieces of every article. The
/// owner calls ``deallocate()``.
struct ByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func removeAll() { count = 0 }

    /// Room for `length` more bytes, counted as written: the caller fills them.
    @inline(__always) mutating func reserve(_ length: Int) -> UnsafeMutablePointer<UInt8> {
        if count + length > capacity { grow(to: count + length) }
        let start = base + count
        count += length
        return start
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        reserve(1).pointee = byte
    }

    @inline(__always) mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count).update(from: source, count: bytes.count)
    }

    mutating func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    private mutating func grow(to needed: Int) {
        var capacity = self.capacity
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        self.capacity = capacity
    }
}
