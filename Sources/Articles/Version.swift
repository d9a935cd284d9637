/// A product version as SPEC 2.4 defines it: dot-separated numeric components,
/// optionally followed by a non-numeric suffix (`10.7.2-rc1`) that sorts before the
/// plain version. A missing component is 0, so `10.7` equals `10.7.0`.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The version exactly as written, for display and for JSON output.
    public let text: String
    let components: [UInt64]
    let suffix: String?

    /// Parses `text`; returns nil when it does not start with a number or has an
    /// empty component (`10..2`, `.5`, `10.`).
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        var components: [UInt64] = []
        var current: UInt64 = 0
        var digits = 0
        var index = trimmed.utf8.startIndex
        let bytes = trimmed.utf8
        var suffixStart: String.Index?
        while index < bytes.endIndex {
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
                suffixStart = index
                break
            }
            index = bytes.index(after: index)
        }
        guard digits > 0 else { return nil }
        components.append(current)
        var suffix: String?
        if let start = suffixStart {
            var tail = Substring(trimmed[start...])
            if let first = tail.first, "-+_~".contains(first) { tail = tail.dropFirst() }
            guard !tail.isEmpty, !tail.contains(where: { $0.isWhitespace || $0 == "," }) else { return nil }
            suffix = String(tail)
        }
        while components.count > 1, components.last == 0 { components.removeLast() }
        self.text = trimmed
        self.components = components
        self.suffix = suffix
    }

    /// `init?(_:)` for a word of ASCII bytes without white space or commas, as the range
    /// parser's fast path cuts them: the same version, without Characters.
    init?(asciiWord word: UnsafeBufferPointer<UInt8>) {
        var components: [UInt64] = []
        components.reserveCapacity(4)  // one allocation for the usual `10.7.2`
        var current: UInt64 = 0
        var digits = 0
        var index = 0
        while index < word.count {
            let byte = word[index]
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
        if index < word.count {
            var tail = UnsafeBufferPointer(rebasing: word[index...])
            if let first = tail.first, "-+_~".utf8.contains(first) {
                tail = UnsafeBufferPointer(rebasing: tail.dropFirst())
            }
            guard !tail.isEmpty, !tail.contains(where: { ASCIIText.isSpace($0) || $0 == UInt8(ascii: ",") }) else {
                return nil
            }
            suffix = String(decoding: tail, as: UTF8.self)
        }
        while components.count > 1, components.last == 0 { components.removeLast() }
        self.text = String(decoding: word, as: UTF8.self)
        self.components = components
        self.suffix = suffix
    }

    public var description: String { text }

    public static func == (lhs: Version, rhs: Version) -> Bool {
        lhs.components == rhs.components && lhs.suffix == rhs.suffix
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(components)
        hasher.combine(suffix)
    }

    public static func < (lhs: Version, rhs: Version) -> Bool {
        let count = max(lhs.components.count, rhs.components.count)
        for position in 0..<count {
            let left = position < lhs.components.count ? lhs.components[position] : 0
            let right = position < rhs.components.count ? rhs.components[position] : 0
            if left != right { return left < right }
        }
        switch (lhs.suffix, rhs.suffix) {
        case (nil, nil), (nil, _): return false
        case (_, nil): return true
        case let (left?, right?): return naturalLess(left, right)
        }
    }
}

/// Compares pre-release suffixes so that `rc2` sorts before `rc10`.
func naturalLess(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    var i = 0
    var j = 0
    while i < a.count, j < b.count {
        if isDigit(a[i]), isDigit(b[j]) {
            var x: UInt64 = 0
            var y: UInt64 = 0
            while i < a.count, isDigit(a[i]) { x = x &* 10 &+ UInt64(a[i] - 0x30); i += 1 }
            while j < b.count, isDigit(b[j]) { y = y &* 10 &+ UInt64(b[j] - 0x30); j += 1 }
            if x != y { return x < y }
        } else {
            if a[i] != b[j] { return a[i] < b[j] }
            i += 1
            j += 1
        }
    }
    return i == a.count && j < b.count
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
