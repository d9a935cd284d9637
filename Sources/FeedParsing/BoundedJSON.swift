import Articles

/// A JSON value (RFC 8259). Numbers are `Double`, as in the JavaScript that CSAF producers
/// write for: integers beyond 2^53 lose precision.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object's members, in document order. A key written twice stays twice in `keys`,
/// `values` and `count`; a lookup by key returns the last one, as browsers and Python do.
struct JSONObject: Sendable, Equatable {
    /// Every key as written, repeats included.
    let keys: [String]
    /// The values, in the order of `keys`.
    let values: [JSONValue]
    /// Key → position of its last occurrence, only for objects too large to scan.
    private let index: [String: Int]?

    init(keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
        // CSAF objects are small; a linear scan beats hashing every key of every object.
        index = keys.count > 16 ? Dictionary(zip(keys, keys.indices), uniquingKeysWith: { $1 }) : nil
    }

    var count: Int { keys.count }

    /// The value of the last member named `key`.
    subscript(key: String) -> JSONValue? {
        if let index { return index[key].map { values[$0] } }
        return keys.lastIndex(of: key).map { values[$0] }
    }

    static func == (a: JSONObject, b: JSONObject) -> Bool { a.keys == b.keys && a.values == b.values }
}

extension JSONValue {
    /// The member named `key` when this is an object; nil otherwise.
    subscript(key: String) -> JSONValue? { object?[key] }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var object: JSONObject? { if case .object(let value) = self { value } else { nil } }
}

/// Bounds for untrusted documents: Foundation's JSON readers have none.
struct JSONLimits: Sendable {
    /// Arrays and objects open at once; the next one is an error. Parsing never recurses,
    /// so any value is safe for the stack.
    var maxDepth: Int
    /// Bytes of input, checked before anything is read.
    var maxBytes: Int
    /// Bytes of one string once its escapes are decoded.
    var maxStringBytes: Int

    init(maxDepth: Int = 128, maxBytes: Int = 20 << 20, maxStringBytes: Int = 8 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxStringBytes = maxStringBytes
    }
}

/// Why a document was rejected, and where. Lines count line feeds; columns count bytes
/// from 1, after a byte order mark if there is one.
struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    var line: Int
    var column: Int
    /// e.g. `invalid UTF-8`, `nesting deeper than 128 levels`.
    var message: String

    init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line 3, column 17: invalid UTF-8`.
    var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 reader for documents from the internet (CSAF advisories): one pass
/// over the bytes, no recursion, every size bounded by ``JSONLimits``.
///
/// Strings must be valid UTF-8 and may not hold raw control characters. A `\u` escape of a
/// lone surrogate becomes U+FFFD, as it has no UTF-8 form. Numbers follow the grammar exactly
/// (no `+1`, `01`, `.5`, `NaN`); one too large for a `Double` is an error, not infinity.
/// Comments and trailing commas are errors. A UTF-8 byte order mark at the start is skipped.
enum BoundedJSON {
    static func parse(
        _ bytes: UnsafeRawBufferPointer, limits: JSONLimits = JSONLimits()
    ) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw JSONParseError(line: 1, column: 1, message: "document larger than \(limits.maxBytes) bytes")
        }
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        // Reading the caller's bytes as UInt8 is valid for memory of any type, and the
        // rebound view does not escape the closure.
        return try UnsafeRawBufferPointer(rebasing: bytes[bom...]).withMemoryRebound(to: UInt8.self) {
            body throws(JSONParseError) in
            var parser = Parser(bytes: body, limits: limits)
            return try parser.document()
        }
    }

    static func parse(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(JSONParseError) -> JSONValue {
        // `withUnsafeBytes` only rethrows `any Error`; a `Result` keeps the error's type.
        try bytes.withUnsafeBytes { raw in Result { () throws(JSONParseError) in try parse(raw, limits: limits) } }
            .get()
    }
}

/// The parser's state. Open arrays and objects live on explicit stacks rather than the
/// call stack: their values and keys are pushed flat and gathered when they close.
private struct Parser {
    struct Frame {
        var isObject: Bool
        var firstValue: Int
        var firstKey: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var i = 0
    var frames: [Frame] = []
    var values: [JSONValue] = []
    var keys: [String] = []
    /// Decoded bytes of the current string, used only once it has an escape.
    var scratch: [UInt8] = []

    /// The byte at `index`, or 0 past the end (0 is never valid there, so no caller
    /// mistakes the end for data).
    @inline(__always) private func peek(_ index: Int) -> UInt8 {
        // Bounds checked on the line itself.
        index < bytes.count ? bytes[index] : 0
    }

    @inline(__always) private func peek() -> UInt8 { peek(i) }

    mutating func document() throws(JSONParseError) -> JSONValue {
        value: while true {
            skipSpace()
            switch peek() {
            case UInt8(ascii: "["):
                try open(isObject: false)
                if peek() != UInt8(ascii: "]") { continue value }  // else closed below, empty
            case UInt8(ascii: "{"):
                try open(isObject: true)
                if peek() != UInt8(ascii: "}") {
                    try memberName()
                    continue value
                }
            case UInt8(ascii: "\""): values.append(.string(try string()))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(.number(try number()))
            case UInt8(ascii: "t"): try literal("true", .bool(true))
            case UInt8(ascii: "f"): try literal("false", .bool(false))
            case UInt8(ascii: "n"): try literal("null", .null)
            default: throw unexpected()
            }
            // Close what ends here, up to the next comma.
            while let frame = frames.last {
                skipSpace()
                let close = frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                switch peek() {
                case UInt8(ascii: ","):
                    i += 1
                    skipSpace()
                    if peek() == close { throw fail("trailing comma before '\(Character(Unicode.Scalar(close)))'") }
                    if frame.isObject { try memberName() }
                    continue value
                case close:
                    i += 1
                    frames.removeLast()
                    let items = Array(values[frame.firstValue...])
                    values.removeSubrange(frame.firstValue...)
                    if frame.isObject {
                        values.append(.object(JSONObject(keys: Array(keys[frame.firstKey...]), values: items)))
                        keys.removeSubrange(frame.firstKey...)
                    } else {
                        values.append(.array(items))
                    }
                default:
                    throw unexpected(expecting: "',' or '\(Character(Unicode.Scalar(close)))'")
                }
            }
            skipSpace()
            guard i == bytes.count else { throw fail("unexpected data after the document") }
            return values[0]
        }
    }

    /// Past `[` or `{` and the space after it, once the depth allows.
    private mutating func open(isObject: Bool) throws(JSONParseError) {
        guard frames.count < limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth) levels") }
        frames.append(Frame(isObject: isObject, firstValue: values.count, firstKey: keys.count))
        i += 1
        skipSpace()
    }

    /// `"name" :` and the space after it.
    private mutating func memberName() throws(JSONParseError) {
        guard peek() == UInt8(ascii: "\"") else { throw unexpected(expecting: "a member name in double quotes") }
        keys.append(try string())
        skipSpace()
        guard peek() == UInt8(ascii: ":") else { throw unexpected(expecting: "':' after the member name") }
        i += 1
    }

    private mutating func skipSpace() {
        while true {
            switch peek() {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A:
                i += 1
                // Indentation in pretty-printed documents: eight spaces at a time.
                // `load` reads bytes i..<i+8, inside `bytes` by the condition before it.
                while i + 8 <= bytes.count, ByteWord.load(bytes, at: i) == 0x2020_2020_2020_2020 { i += 8 }
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) {
        let start = i
        guard word.withUTF8Buffer({ $0.enumerated().allSatisfy { peek(start + $0) == $1 } }) else {
            throw fail("invalid literal; expected '\(word)'")
        }
        i += word.utf8CodeUnitCount
        values.append(value)
    }

    // MARK: - Numbers

    private static let powersOf10: [Double] = (0...22).map { (0..<$0).reduce(1.0) { r, _ in r * 10 } }

    private mutating func number() throws(JSONParseError) -> Double {
        let start = i
        let negative = peek() == UInt8(ascii: "-")
        if negative { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits, from the first nonzero one
        var exponent = 0  // of `mantissa`, used only while `digits` is at most 15
        @inline(__always) func digit(_ c: UInt8) {
            if digits > 0 || c != UInt8(ascii: "0") {
                digits += 1
                if digits <= 19 { mantissa = mantissa &* 10 &+ UInt64(c &- 48) }
            }
        }
        switch peek() {
        case UInt8(ascii: "0"):
            i += 1
            if isDigit(peek()) { throw fail("number with a leading zero", at: start) }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            while isDigit(peek()) {
                digit(peek())
                i += 1
            }
        default: throw unexpected(expecting: "a digit after '-'")
        }
        if peek() == UInt8(ascii: ".") {
            i += 1
            guard isDigit(peek()) else { throw unexpected(expecting: "a digit after '.'") }
            while isDigit(peek()) {
                digit(peek())
                exponent -= 1
                i += 1
            }
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            i += 1
            let sign = peek()
            if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { i += 1 }
            guard isDigit(peek()) else { throw unexpected(expecting: "a digit in the exponent") }
            var e = 0
            while isDigit(peek()) {
                e = min(e * 10 + Int(peek() &- 48), 1_000_000)
                i += 1
            }
            exponent += sign == UInt8(ascii: "-") ? -e : e
        }
        guard i - start <= 1000 else { throw fail("number longer than 1000 characters", at: start) }
        // Up to 15 digits and 10^±22 are exact in a Double, so one operation rounds correctly.
        if digits <= 15, (-22...22).contains(exponent) {
            let magnitude = Double(mantissa)
            let value = exponent < 0 ? magnitude / Self.powersOf10[-exponent] : magnitude * Self.powersOf10[exponent]
            return negative ? -value : value
        }
        // start..<i lies within `bytes`: every byte in it was read through `peek`.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("number out of range", at: start) }
        return value
    }

    // MARK: - Strings

    private mutating func string() throws(JSONParseError) -> String {
        let quote = i
        i += 1
        var run = i  // start of the bytes not yet copied to `scratch`
        var escaped = false
        while true {
            // Plain ASCII eight bytes at a time. Borrows in the masks only carry upwards, so
            // the lowest flagged byte (in little-endian order) is the first that matters.
            while i + 8 <= bytes.count {
                // `load` reads bytes i..<i+8, inside `bytes` by the loop condition.
                let word = UInt64(littleEndian: ByteWord.load(bytes, at: i))
                let found =
                    ByteWord.equal(UInt8(ascii: "\""), word) | ByteWord.equal(UInt8(ascii: "\\"), word)
                    | ByteWord.below(0x20, word) | ByteWord.high(word)
                if found != 0 {
                    i += found.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < bytes.count else { throw fail("unterminated string", at: quote) }
            let c = peek()
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                if !escaped { scratch.removeAll(keepingCapacity: true) }
                escaped = true
                // run <= i < bytes.count: a slice of bytes already read.
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
                try escape(quote: quote)
                run = i
            } else if c >= 0x80 {
                try utf8Sequence()
            } else if c < 0x20 {
                throw fail("unescaped control character U+00\(hex(c)) in a string")
            } else {
                i += 1
            }
        }
        let end = i
        i += 1
        guard (escaped ? scratch.count : 0) + end - run <= limits.maxStringBytes else {
            throw fail("string longer than \(limits.maxStringBytes) bytes", at: quote)
        }
        // run <= end < bytes.count: the string's bytes, read and validated above.
        let tail = UnsafeBufferPointer(rebasing: bytes[run..<end])
        if !escaped { return String(decoding: tail, as: UTF8.self) }
        scratch.append(contentsOf: tail)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Past one well-formed UTF-8 sequence (Unicode table 3-7): no overlong forms, no
    /// surrogates, nothing above U+10FFFF, nothing cut short.
    private mutating func utf8Sequence() throws(JSONParseError) {
        let second = peek(i + 1)
        let (length, low, high): (Int, UInt8, UInt8) =
            switch peek() {
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
            case 0xED: (3, 0x80, 0x9F)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)
            default: (1, 1, 0)
            }
        guard low <= second, second <= high, length < 3 || isContinuation(peek(i + 2)),
            length < 4 || isContinuation(peek(i + 3))
        else { throw fail("invalid UTF-8") }
        i += length
    }

    /// Decodes the escape at `i` into `scratch`.
    private mutating func escape(quote: Int) throws(JSONParseError) {
        let c = peek(i + 1)
        let simple: UInt8? =
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): c
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            scratch.append(simple)
            i += 2
            return
        }
        guard i + 1 < bytes.count else { throw fail("unterminated string", at: quote) }
        guard c == UInt8(ascii: "u") else {
            throw fail("invalid escape" + (isPrintable(c) ? " '\\\(Character(Unicode.Scalar(c)))'" : ""))
        }
        guard var scalar = hex4(at: i + 2) else { throw fail("invalid \\u escape; expected four hex digits") }
        i += 6
        if (0xD800...0xDBFF).contains(scalar), peek() == UInt8(ascii: "\\"), peek(i + 1) == UInt8(ascii: "u"),
            let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low)
        {
            scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
            i += 6
        }
        // A surrogate left alone has no UTF-8 form: it becomes U+FFFD.
        UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}") { scratch.append($0) }
    }

    private func hex4(at index: Int) -> UInt32? {
        var value: UInt32 = 0
        for k in index..<index + 4 {
            let c = peek(k)
            let letter = (c | 0x20) &- UInt8(ascii: "a")  // a-f and A-F → 0-5
            guard isDigit(c) || letter < 6 else { return nil }
            value = value << 4 | UInt32(isDigit(c) ? c - UInt8(ascii: "0") : letter + 10)
        }
        return value
    }

    // MARK: - Errors

    /// The byte at `i` does not belong there.
    private func unexpected(expecting expected: String? = nil) -> JSONParseError {
        guard i < bytes.count else {
            return fail("unexpected end of the document" + (expected.map { "; expected \($0)" } ?? ""))
        }
        let c = peek()
        let hint =
            switch c {
            case UInt8(ascii: "/"): " (JSON has no comments)"
            case UInt8(ascii: "'"): " (JSON strings take double quotes)"
            default: ""
            }
        let found = isPrintable(c) ? "character '\(Character(Unicode.Scalar(c)))'" : "byte 0x\(hex(c))"
        return fail(expected.map { "expected \($0), found \(found)\(hint)" } ?? "unexpected \(found)\(hint)")
    }

    /// An error at `offset` (by default `i`). Line and column are counted only here, so the
    /// hot path tracks nothing but the offset.
    @inline(never)
    private func fail(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? i, bytes.count)
        var line = 1
        var lineStart = 0
        for k in 0..<offset where peek(k) == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return JSONParseError(line: line, column: offset - lineStart + 1, message: message)
    }
}

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }
@inline(__always) private func isContinuation(_ c: UInt8) -> Bool { c & 0xC0 == 0x80 }
private func isPrintable(_ c: UInt8) -> Bool { (0x20..<0x7F).contains(c) }
private func hex(_ c: UInt8) -> String {
    let text = String(c, radix: 16, uppercase: true)
    return c < 0x10 ? "0" + text : text
}
