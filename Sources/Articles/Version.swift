/// A product version as SPEC 2.4 defines it: any text without white space or `<>=!,|*`.
///
/// Versions order by their runs of digits, compared as numbers, and their other runs,
/// compared as text (``VersionOrder``). The usual shape — dot-separated numbers, maybe a
/// suffix (`10.7.2`, `10.7.2-rc1`, `15.0(1)M10`) — keeps its numbers parsed: a missing
/// component is 0 (`10.7` equals `10.7.0`). A pre-release suffix, `-` or `~` then a letter
/// (`10.7.2-rc1`), sorts before the plain version; any other suffix extends it
/// (`12.2` < `12.2(58)SE`, Cisco's service packs; `16.3.1` < `16.3.1a`).
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The version exactly as written, for display and for JSON output.
    public let text: String
    /// The dotted shape's numbers, trailing zeros dropped (`10.7.0` → [10, 7]); empty for
    /// other shapes, which compare by their whole text.
    let components: [UInt64]
    /// The dotted shape's text after its numbers (`-rc1`, `(58)SE`), as written.
    let suffix: String?

    /// True for the dotted shape (`10.7.2`, `15.0(1)M10`): it starts with a number.
    public var isDotted: Bool { !components.isEmpty }

    /// Parses `text` (trimmed); nil when it is empty or holds white space or one of `<>=!,|*`.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        var utf8 = trimmed
        guard let parsed = utf8.withUTF8({ Self.parse($0) }) else { return nil }
        self.text = trimmed
        (components, suffix) = parsed
    }

    /// `init?(_:)` for a word of ASCII bytes without white space or commas, as the range
    /// parser's fast path cuts them: the same version, without Characters.
    init?(asciiWord word: UnsafeBufferPointer<UInt8>) {
        guard let parsed = Self.parse(word) else { return nil }
        text = String(decoding: word, as: UTF8.self)
        (components, suffix) = parsed
    }

    /// The dotted shape's numbers and suffix, or ([], nil) for another valid shape; nil
    /// when the bytes are not a version.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ([UInt64], String?)? {
        guard !bytes.isEmpty else { return nil }
        for byte in bytes where ASCIIText.isSpace(byte) || isForbidden(byte) { return nil }
        // Non-ASCII white space (U+00A0, U+2003 …) is white space too.
        if bytes.contains(where: { $0 >= 0x80 }),
            String(decoding: bytes, as: UTF8.self).unicodeScalars.contains(where: \.properties.isWhitespace)
        {
            return nil
        }
        return dotted(bytes) ?? ([], nil)
    }

    @inline(__always) private static func isForbidden(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: ","),
            UInt8(ascii: "|"), UInt8(ascii: "*"):
            true
        default: false
        }
    }

    /// Numbers separated by single dots, then an optional suffix that does not start with
    /// a dot; nil when the bytes do not start that way (the other shapes).
    private static func dotted(_ bytes: UnsafeBufferPointer<UInt8>) -> ([UInt64], String?)? {
        var components: [UInt64] = []
        components.reserveCapacity(4)  // one allocation for the usual `10.7.2`
        var current: UInt64 = 0
        var digits = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 {
                // A number beyond 64 bits makes it another shape, compared digit by digit.
                let (times10, overflow) = current.multipliedReportingOverflow(by: 10)
                let (next, overflowAdding) = times10.addingReportingOverflow(UInt64(byte - 0x30))
                guard !overflow, !overflowAdding else { return nil }
                current = next
                digits += 1
            } else if byte == 0x2E {  // "."
                guard digits > 0 else { return nil }
                components.append(current)
                current = 0
                digits = 0
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        components.append(current)
        while components.count > 1, components.last == 0 { components.removeLast() }
        let suffix = index < bytes.count ? String(decoding: UnsafeBufferPointer(rebasing: bytes[index...]), as: UTF8.self) : nil
        return (components, suffix)
    }

    public var description: String { text }

    public static func == (lhs: Version, rhs: Version) -> Bool { compare(lhs, rhs) == 0 }

    public static func < (lhs: Version, rhs: Version) -> Bool { compare(lhs, rhs) < 0 }

    public func hash(into hasher: inout Hasher) {
        if isDotted {
            hasher.combine(components)
            hasher.combine(suffix.map(VersionOrder.canonical))
        } else {
            hasher.combine(VersionOrder.canonical(text))
        }
    }

    /// -1, 0 or 1. Two dotted versions compare their numbers (a missing one is 0), then
    /// their suffixes; any other pair compares its whole texts. Both are ``VersionOrder``
    /// on the same runs (a suffix never starts with a digit or a dot, so it meets the other
    /// version's suffix or end), so the order is one total preorder.
    static func compare(_ lhs: Version, _ rhs: Version) -> Int {
        guard lhs.isDotted, rhs.isDotted else {
            return VersionOrder.compare(lhs.canonicalText, rhs.canonicalText)
        }
        let count = max(lhs.components.count, rhs.components.count)
        for position in 0..<count {
            let left = position < lhs.components.count ? lhs.components[position] : 0
            let right = position < rhs.components.count ? rhs.components[position] : 0
            if left != right { return left < right ? -1 : 1 }
        }
        switch (lhs.suffix, rhs.suffix) {
        case (nil, nil): return 0
        // The suffix's first run against the end of the other version.
        case (nil, let right?): return VersionOrder.compare("", right)
        case (let left?, nil): return VersionOrder.compare(left, "")
        case let (left?, right?): return VersionOrder.compare(left, right)
        }
    }

    /// The text as ``VersionOrder`` compares it with other shapes: the dotted numbers
    /// without trailing zeros (`10.7.0-rc1` is `10.7-rc1`).
    var canonicalText: String {
        guard isDotted else { return text }
        return components.map(String.init).joined(separator: ".") + (suffix ?? "")
    }
}

/// The order of versions of any shape (SPEC 2.4). Text is cut into runs of digits and
/// runs of other characters, and runs compare pairwise as (rank, value): two numbers as
/// numbers, two words as bytes. The ranks: a pre-release word (`-` or `~` then a letter:
/// `-rc`, `~beta`) < the end of the version < any other word (`a`, `(`, `-`) < a word
/// that starts with `.` < a number. So `10.7.2-rc1` < `10.7.2` < `10.7.2a` < `10.7.2.1`,
/// `15.0(1)M9` < `15.0(1)M10`, and the order is total: one (rank, value) pair after the
/// other, like text.
enum VersionOrder {
    /// -1, 0 or 1.
    static func compare(_ lhs: String, _ rhs: String) -> Int {
        var a = Runs(lhs)
        var b = Runs(rhs)
        while true {
            let x = a.next()
            let y = b.next()
            if x.rank != y.rank { return x.rank < y.rank ? -1 : 1 }
            switch x.rank {
            case .end: return 0
            case .number:
                let order = numeric(x.bytes, y.bytes)
                if order != 0 { return order }
            case .preRelease, .word, .dotWord:
                let order = bytewise(x.bytes, y.bytes)
                if order != 0 { return order }
            }
        }
    }

    /// The text with each number's leading zeros dropped: equal versions, equal text.
    static func canonical(_ text: String) -> String {
        var runs = Runs(text)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        while true {
            let run = runs.next()
            switch run.rank {
            case .end: return String(decoding: out, as: UTF8.self)
            case .number:
                let digits = run.bytes.drop { $0 == UInt8(ascii: "0") }
                out.append(contentsOf: digits.isEmpty ? [UInt8(ascii: "0")] : Array(digits))
            case .preRelease, .word, .dotWord:
                // A separator between runs, kept so that `1-2` and `1+2` stay apart.
                out.append(0)
                out.append(contentsOf: run.bytes)
                out.append(0)
            }
        }
    }

    enum Rank: Int, Comparable {
        case preRelease, end, word, dotWord, number
        static func < (lhs: Rank, rhs: Rank) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The runs of a text, one after the other, then `.end` for ever.
    struct Runs {
        let bytes: [UInt8]
        var index = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        mutating func next() -> (rank: Rank, bytes: ArraySlice<UInt8>) {
            guard index < bytes.count else { return (.end, []) }
            let start = index
            let digits = isDigit(bytes[index])
            while index < bytes.count, isDigit(bytes[index]) == digits { index += 1 }
            let run = bytes[start..<index]
            if digits { return (.number, run) }
            if run.first == UInt8(ascii: ".") { return (.dotWord, run) }
            if run.count >= 2, run.first == UInt8(ascii: "-") || run.first == UInt8(ascii: "~"),
                (run[run.startIndex + 1] | 0x20) >= UInt8(ascii: "a"), (run[run.startIndex + 1] | 0x20) <= UInt8(ascii: "z")
            {
                return (.preRelease, run)
            }
            return (.word, run)
        }
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Digit runs of any length, compared as numbers: leading zeros aside, the longer is larger.
    private static func numeric(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        let x = a.drop(while: { $0 == UInt8(ascii: "0") })
        let y = b.drop(while: { $0 == UInt8(ascii: "0") })
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        return bytewise(x, y)
    }

    private static func bytewise(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        // Usually nothing to trim: a Character is white space when its first scalar is, and
        // an ASCII byte other than white space begins and ends a Character that is not.
        if let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80, !ASCIIText.isSpace(first),
            !ASCIIText.isSpace(last)
        {
            return self
        }
        return self[...].trimmingWhitespace()
    }
}
