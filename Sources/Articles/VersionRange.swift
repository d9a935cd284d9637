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
