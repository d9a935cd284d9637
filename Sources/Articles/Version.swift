/// A product version as SPEC 2.4 defines it.
///
/// Two shapes:
/// - dot-separated numeric components, optionally followed by a suffix (`10.7.2`,
///   `10.7.2-rc1`, `12.2(58)SE`): components compare numerically, a missing component is 0
///   (`10.7` equals `10.7.0`), and a suffix sorts before the plain version;
/// - any other text without white space or `<>=!,|*`, as vendors write versions
///   (`v2`, `polkit-0:0.115`, `10..2`): it equals itself and orders by ``VersionOrder``.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The version exactly as written, for display and for JSON output.
    public let text: String
    /// The numeric components of the dotted shape; empty for other shapes.
    let components: [UInt64]
    let suffix: String?
    /// The suffix marks a pre-release (`-rc1`, `~beta`): it sorts before the plain version.
    /// Any other suffix (`16.3.1a`, `-2.el7`, `(58)SE`) sorts after it.
    let isPreRelease: Bool

    /// True for the dotted shape (`10.7.2`, `15.0(1)M10`): it starts with a number.
    public var isDotted: Bool { !components.isEmpty }

    /// Parses `text` (trimmed); nil when it is empty or holds white space or one of `<>=!,|*`.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        var utf8 = trimmed
        guard let parsed = utf8.withUTF8({ Self.parse($0) }) else { return nil }
        self.text = trimmed
        (components, suffix, isPreRelease) = parsed
    }

    /// `init?(_:)` for a word of ASCII bytes without white space or commas, as the range
    /// parser's fast path cuts them: the same version, without Characters.
    init?(asciiWord word: UnsafeBufferPointer<UInt8>) {
        guard let parsed = Self.parse(word) else { return nil }
        text = String(decoding: word, as: UTF8.self)
        (components, suffix, isPreRelease) = parsed
    }

    /// The dotted shape's components and suffix, or ([], nil) for another valid shape;
    /// nil when the bytes are not a version.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ([UInt64], String?, Bool)? {
        guard !bytes.isEmpty else { return nil }
        for byte in bytes where ASCIIText.isSpace(byte) || isForbidden(byte) { return nil }
        // Non-ASCII white space (U+00A0, U+2003 …) is white space too.
        if bytes.contains(where: { $0 >= 0x80 }),
            String(decoding: bytes, as: UTF8.self).unicodeScalars.contains(where: \.properties.isWhitespace)
        {
            return nil
        }
        return dotted(bytes) ?? ([], nil, false)
    }

    @inline(__always) private static func isForbidden(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: ","),
            UInt8(ascii: "|"), UInt8(ascii: "*"):
            true
        default: false
        }
    }

    /// Numbers separated by single dots, then an optional suffix (one leading `-+_~` dropped
    /// from it) and whether it is a pre-release; nil when the bytes do not start that way.
    private static func dotted(_ bytes: UnsafeBufferPointer<UInt8>) -> ([UInt64], String?, Bool)? {
        var components: [UInt64] = []
        components.reserveCapacity(4)  // one allocation for the usual `10.7.2`
        var current: UInt64 = 0
        var digits = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 {
                guard digits < 18 else { return nil }
                current = current * 10 + UInt64(byte - 0x30)
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
        var suffix: String?
        var isPreRelease = false
        if index < bytes.count {
            var tail = UnsafeBufferPointer(rebasing: bytes[index...])
            isPreRelease = VersionOrder.isPreRelease(tail)
            if let first = tail.first, "-+_~".utf8.contains(first) {
                tail = UnsafeBufferPointer(rebasing: tail.dropFirst())
            }
            guard !tail.isEmpty else { return nil }
            suffix = String(decoding: tail, as: UTF8.self)
        }
        while components.count > 1, components.last == 0 { components.removeLast() }
        return (components, suffix, isPreRelease)
    }

    public var description: String { text }

    public static func == (lhs: Version, rhs: Version) -> Bool {
        if lhs.isDotted, rhs.isDotted {
            return lhs.components == rhs.components && lhs.suffix == rhs.suffix && lhs.isPreRelease == rhs.isPreRelease
        }
        return lhs.text == rhs.text
    }

    public func hash(into hasher: inout Hasher) {
        if isDotted {
            hasher.combine(components)
            hasher.combine(suffix)
            hasher.combine(isPreRelease)
        } else {
            hasher.combine(text)
        }
    }

    public static func < (lhs: Version, rhs: Version) -> Bool {
        guard lhs.isDotted, rhs.isDotted else {
            let order = VersionOrder.compare(lhs.text, rhs.text)
            return order != 0 ? order < 0 : lhs.text < rhs.text
        }
        let count = max(lhs.components.count, rhs.components.count)
        for position in 0..<count {
            let left = position < lhs.components.count ? lhs.components[position] : 0
            let right = position < rhs.components.count ? rhs.components[position] : 0
            if left != right { return left < right }
        }
        switch (lhs.suffix, rhs.suffix) {
        case (nil, nil): return false
        case (nil, _): return !rhs.isPreRelease
        case (_, nil): return lhs.isPreRelease
        case let (left?, right?):
            if lhs.isPreRelease != rhs.isPreRelease { return lhs.isPreRelease }
            let order = VersionOrder.compare(left, right)
            return order != 0 ? order < 0 : left < right
        }
    }
}

/// The order of versions of any shape (SPEC 2.4): runs of digits compare as numbers, other
/// runs as text (byte order), a number after a word. When one version is the other plus
/// more runs, a pre-release suffix — `-` or `~` then a letter — makes it smaller
/// (`10.7.2-rc1` < `10.7.2`); anything else makes it larger (`10.7.2` < `10.7.2.1`,
/// `16.3.1` < `16.3.1a`, Cisco's rebuild).
public enum VersionOrder {
    /// -1, 0 or 1.
    public static func compare(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            let aDigit = isDigit(a[i])
            let bDigit = isDigit(b[j])
            let aEnd = runEnd(a, i, digits: aDigit)
            let bEnd = runEnd(b, j, digits: bDigit)
            if aDigit != bDigit { return aDigit ? 1 : -1 }
            let order = aDigit ? numeric(a[i..<aEnd], b[j..<bEnd]) : bytewise(a[i..<aEnd], b[j..<bEnd])
            if order != 0 { return order }
            i = aEnd
            j = bEnd
        }
        if i == a.count, j == b.count { return 0 }
        // One ran out: the other's next run decides.
        if i < a.count { return a.withUnsafeBufferPointer { isPreRelease(UnsafeBufferPointer(rebasing: $0[i...])) } ? -1 : 1 }
        return b.withUnsafeBufferPointer { isPreRelease(UnsafeBufferPointer(rebasing: $0[j...])) } ? 1 : -1
    }

    /// `-` or `~` then a letter: `-rc1`, `~beta`.
    static func isPreRelease(_ tail: UnsafeBufferPointer<UInt8>) -> Bool {
        guard tail.count >= 2, tail[0] == UInt8(ascii: "-") || tail[0] == UInt8(ascii: "~") else { return false }
        let letter = tail[1] | 0x20
        return letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z")
    }

    @inline(__always) private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func runEnd(_ bytes: [UInt8], _ start: Int, digits: Bool) -> Int {
        var end = start
        while end < bytes.count, isDigit(bytes[end]) == digits { end += 1 }
        return end
    }

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
