/// An affected-version range (SPEC 2.4): comparators joined by `,` or white space
/// (AND) and `||` (OR); a bare version means `=`; `*` or empty means every version.
/// The purl form `vers:generic/>=10.5|<10.7.2` is one interval with vers semantics.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    public enum Comparator: String, Sendable, Hashable {
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

        func admits(_ version: Version, bound: Version) -> Bool {
            switch self {
            case .equal: version == bound
            case .notEqual: version != bound
            case .less: version < bound
            case .lessOrEqual: version <= bound
            case .greater: version > bound
            case .greaterOrEqual: version >= bound
            }
        }
    }

    public struct Constraint: Sendable, Hashable {
        public var comparator: Comparator
        public var version: Version
    }

    enum Form: Sendable, Hashable {
        case every
        /// OR of ANDs.
        case alternatives([[Constraint]])
        /// A vers range: the constraints sorted by version.
        case vers([Constraint])
    }

    /// The range exactly as written.
    public let text: String
    let form: Form

    /// Every version.
    public static let every = VersionRange(text: "*", form: .every)

    init(text: String, form: Form) {
        self.text = text
        self.form = form
    }

    public var description: String { text }

    /// True when the range admits every version.
    public var isEvery: Bool { if case .every = form { true } else { false } }

    public init(parsing text: String) throws(VersionRangeError) {
        // Feeds write short ASCII ranges, one per product of every article: read those as
        // bytes. Anything else, and every invalid range (for its message), takes the
        // general path, which gives the same result more slowly.
        if let range = Self.parseASCII(text) {
            self = range
        } else {
            try self.init(parsingGeneral: text)
        }
    }

    /// The reference parser, over Characters and Unicode scalars.
    init(parsingGeneral text: String) throws(VersionRangeError) {
        let trimmed = text.trimmingWhitespace()
        self.text = trimmed
        if trimmed.isEmpty || trimmed == "*" {
            form = .every
        } else if trimmed.lowercased().hasPrefix("vers:") {
            form = try Self.parseVers(trimmed)
        } else {
            form = try Self.parseNative(trimmed)
        }
    }

    // MARK: ASCII fast path

    /// The range `init(parsingGeneral:)` would make from `text`, read as bytes; nil when
    /// `text` is not all ASCII or is not a valid range.
    static func parseASCII(_ text: String) -> VersionRange? {
        var utf8 = text
        return utf8.withUTF8 { bytes -> VersionRange? in
            for byte in bytes where byte >= 0x80 { return nil }
            let trimmed = ASCIIText.trimmed(bytes)
            // Ranges come trimmed from the parser: keep the String rather than make another.
            let written = trimmed.count == bytes.count ? text : String(decoding: trimmed, as: UTF8.self)
            if trimmed.isEmpty || (trimmed.count == 1 && trimmed[0] == UInt8(ascii: "*")) {
                return VersionRange(text: written, form: .every)
            }
            let form = ASCIIText.hasVersPrefix(trimmed) ? parseVersASCII(trimmed) : parseNativeASCII(trimmed)
            return form.map { VersionRange(text: written, form: $0) }
        }
    }

    /// `parseNative` on bytes: alternatives split at each `||`, left to right.
    static func parseNativeASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Form? {
        var alternatives: [[Constraint]] = []
        alternatives.reserveCapacity(1)
        var start = 0
        while true {
            var end = start
            while end < bytes.count,
                !(bytes[end] == UInt8(ascii: "|") && end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: "|"))
            {
                end += 1
            }
            let part = ASCIIText.trimmed(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if part.count == 1, part[0] == UInt8(ascii: "*") { return .every }
            guard !part.isEmpty, let constraints = parseConjunctionASCII(part) else { return nil }
            alternatives.append(constraints)
            guard end < bytes.count else { return .alternatives(alternatives) }
            start = end + 2
        }
    }

    /// `parseConjunction` on bytes: comparators and versions separated by commas and white space.
    static func parseConjunctionASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> [Constraint]? {
        var constraints: [Constraint] = []
        constraints.reserveCapacity(2)  // one allocation for `>=A, <F`
        var index = 0
        let count = bytes.count
        func skipSeparators() {
            while index < count, bytes[index] == UInt8(ascii: ",") || ASCIIText.isSpace(bytes[index]) { index += 1 }
        }
        skipSeparators()
        while index < count {
            let opStart = index
            while index < count, ASCIIText.isOperator(bytes[index]) { index += 1 }
            let op = UnsafeBufferPointer(rebasing: bytes[opStart..<index])
            while index < count, ASCIIText.isSpace(bytes[index]) { index += 1 }
            let wordStart = index
            while index < count, bytes[index] != UInt8(ascii: ","), !ASCIIText.isSpace(bytes[index]) { index += 1 }
            guard let comparator = ASCIIText.comparator(op), index > wordStart,
                let version = Version(asciiWord: UnsafeBufferPointer(rebasing: bytes[wordStart..<index]))
            else { return nil }
            constraints.append(Constraint(comparator: comparator, version: version))
            skipSeparators()
        }
        return constraints.isEmpty ? nil : constraints
    }

    /// `parseVers` on bytes (after a `vers:` prefix, in any case).
    static func parseVersASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Form? {
        let body = UnsafeBufferPointer(rebasing: bytes[5...])
        guard let slash = body.firstIndex(of: UInt8(ascii: "/")), slash != body.startIndex else { return nil }
        let constraintsText = ASCIIText.trimmed(UnsafeBufferPointer(rebasing: body[(slash + 1)...]))
        if constraintsText.count == 1, constraintsText[0] == UInt8(ascii: "*") { return .every }
        guard !constraintsText.isEmpty else { return nil }
        var constraints: [Constraint] = []
        for piece in constraintsText.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false) {
            let part = ASCIIText.trimmed(UnsafeBufferPointer(rebasing: piece))
            guard !part.isEmpty, let parsed = parseConjunctionASCII(part), parsed.count == 1 else { return nil }
            constraints.append(parsed[0])
        }
        constraints.sort { $0.version < $1.version }
        return .vers(constraints)
    }

    public func contains(_ version: Version) -> Bool {
        switch form {
        case .every:
            return true
        case .alternatives(let alternatives):
            return alternatives.contains { all in
                all.allSatisfy { $0.comparator.admits(version, bound: $0.version) }
            }
        case .vers(let constraints):
            return Self.versContains(constraints, version)
        }
    }

    /// `text` in the native syntax, so that ranges can be joined with `||` (CSAF lists a
    /// product's ranges one by one): a `vers:` range becomes its intervals, `>=A, <B || =C`;
    /// any other text is returned as written.
    public static func nativeText(_ text: String) -> String {
        guard let range = try? VersionRange(parsing: text) else { return text }
        switch range.form {
        case .every: return "*"
        case .alternatives: return range.text
        case .vers(let constraints):
            var atoms: [String] = []
            var excluded: [String] = []
            var bounds: [Constraint] = []
            for constraint in constraints {
                switch constraint.comparator {
                case .equal: atoms.append("=\(constraint.version.text)")
                case .notEqual: excluded.append("!=\(constraint.version.text)")
                default: bounds.append(constraint)
                }
            }
            func written(_ constraint: Constraint) -> String { constraint.comparator.rawValue + constraint.version.text }
            func isLower(_ constraint: Constraint) -> Bool { [.greater, .greaterOrEqual].contains(constraint.comparator) }
            if let first = bounds.first, !isLower(first) { atoms.append(written(first)) }
            for (current, next) in zip(bounds, bounds.dropFirst()) where isLower(current) && !isLower(next) {
                atoms.append("\(written(current)), \(written(next))")
            }
            if let last = bounds.last, isLower(last) { atoms.append(written(last)) }
            if atoms.isEmpty { return excluded.isEmpty ? "*" : excluded.joined(separator: ", ") }
            return atoms.map { ([$0] + excluded).joined(separator: ", ") }.joined(separator: " || ")
        }
    }

    // MARK: Native syntax

    static func parseNative(_ text: String) throws(VersionRangeError) -> Form {
        var alternatives: [[Constraint]] = []
        for alternative in text.components(separatedBy: "||") {
            let part = alternative.trimmingWhitespace()
            if part == "*" { return .every }
            guard !part.isEmpty else { throw VersionRangeError("'\(text)' has an empty alternative around '||'") }
            alternatives.append(try parseConjunction(part, in: text))
        }
        return .alternatives(alternatives)
    }

    static func parseConjunction(_ text: String, in whole: String) throws(VersionRangeError) -> [Constraint] {
        var constraints: [Constraint] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func skipSeparators() {
            while index < scalars.count, scalars[index] == "," || scalars[index].properties.isWhitespace { index += 1 }
        }
        skipSeparators()
        while index < scalars.count {
            var op = ""
            while index < scalars.count, "<>=!".unicodeScalars.contains(scalars[index]) {
                op.unicodeScalars.append(scalars[index])
                index += 1
            }
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
            var word = ""
            while index < scalars.count, scalars[index] != ",", !scalars[index].properties.isWhitespace {
                word.unicodeScalars.append(scalars[index])
                index += 1
            }
            let comparator: Comparator
            if op.isEmpty || op == "==" {
                comparator = .equal
            } else if let known = Comparator(rawValue: op) {
                comparator = known
            } else {
                throw VersionRangeError("'\(op)' is not a comparator (use =, !=, <, <=, >, >=) in '\(whole)'")
            }
            guard !word.isEmpty else { throw VersionRangeError("'\(op)' has no version after it in '\(whole)'") }
            guard let version = Version(word) else {
                throw VersionRangeError("'\(word)' is not a version in '\(whole)'")
            }
            constraints.append(Constraint(comparator: comparator, version: version))
            skipSeparators()
        }
        guard !constraints.isEmpty else { throw VersionRangeError("'\(whole)' has no comparator") }
        return constraints
    }

    // MARK: vers (purl) syntax

    static func parseVers(_ text: String) throws(VersionRangeError) -> Form {
        let body = text.dropFirst("vers:".count)
        guard let slash = body.firstIndex(of: "/"), slash != body.startIndex else {
            throw VersionRangeError("'\(text)' lacks the scheme: write vers:generic/<constraints>")
        }
        let constraintsText = body[body.index(after: slash)...].trimmingWhitespace()
        if constraintsText == "*" { return .every }
        guard !constraintsText.isEmpty else { throw VersionRangeError("'\(text)' has no constraints") }
        var constraints: [Constraint] = []
        for piece in constraintsText.split(separator: "|", omittingEmptySubsequences: false) {
            let part = piece.trimmingWhitespace()
            guard !part.isEmpty else { throw VersionRangeError("'\(text)' has an empty constraint") }
            let parsed = try parseConjunction(part, in: text)
            guard parsed.count == 1 else { throw VersionRangeError("'\(part)' in '\(text)' must be one comparator and version") }
            constraints.append(parsed[0])
        }
        constraints.sort { $0.version < $1.version }
        return .vers(constraints)
    }

    /// The containment algorithm of the vers specification.
    static func versContains(_ constraints: [Constraint], _ version: Version) -> Bool {
        var ranges: [Constraint] = []
        var sawEqual = false
        var sawNotEqual = false
        for constraint in constraints {
            switch constraint.comparator {
            case .equal:
                if constraint.version == version { return true }
                sawEqual = true
            case .notEqual:
                if constraint.version == version { return false }
                sawNotEqual = true
            default:
                ranges.append(constraint)
            }
        }
        if ranges.isEmpty { return sawNotEqual && !sawEqual }
        if let first = ranges.first, first.comparator == .less || first.comparator == .lessOrEqual,
            first.comparator.admits(version, bound: first.version)
        {
            return true
        }
        if let last = ranges.last, last.comparator == .greater || last.comparator == .greaterOrEqual,
            last.comparator.admits(version, bound: last.version)
        {
            return true
        }
        for (current, next) in zip(ranges, ranges.dropFirst())
        where (current.comparator == .greater || current.comparator == .greaterOrEqual)
            && (next.comparator == .less || next.comparator == .lessOrEqual)
        {
            if current.comparator.admits(version, bound: current.version)
                && next.comparator.admits(version, bound: next.version)
            {
                return true
            }
        }
        return false
    }
}

public struct VersionRangeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Byte helpers of the ASCII fast path, matching what the general path does with
/// Characters and scalars on ASCII text.
enum ASCIIText {
    /// `Character.isWhitespace` and `Unicode.Scalar.Properties.isWhitespace` on ASCII: TAB, LF,
    /// VT, FF, CR and space.
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    @inline(__always) static func isOperator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "!")
    }

    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// `vers:` in any case.
    static func hasVersPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 5 else { return false }
        return bytes[0] | 0x20 == UInt8(ascii: "v") && bytes[1] | 0x20 == UInt8(ascii: "e")
            && bytes[2] | 0x20 == UInt8(ascii: "r") && bytes[3] | 0x20 == UInt8(ascii: "s")
            && bytes[4] == UInt8(ascii: ":")
    }

    /// The comparator an operator spells; none (or `==`) is `=`; nil for anything else.
    static func comparator(_ op: UnsafeBufferPointer<UInt8>) -> VersionRange.Comparator? {
        switch op.count {
        case 0: return .equal
        case 1:
            switch op[0] {
            case UInt8(ascii: "="): return .equal
            case UInt8(ascii: "<"): return .less
            case UInt8(ascii: ">"): return .greater
            default: return nil
            }
        case 2:
            guard op[1] == UInt8(ascii: "=") else { return nil }
            switch op[0] {
            case UInt8(ascii: "="): return .equal
            case UInt8(ascii: "!"): return .notEqual
            case UInt8(ascii: "<"): return .lessOrEqual
            case UInt8(ascii: ">"): return .greaterOrEqual
            default: return nil
            }
        default: return nil
        }
    }
}
