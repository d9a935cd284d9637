/// What an article is (SPEC 1).
public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    case criticalFix = "critical-fix"
    case patch
    case servicePack = "service-pack"
    case featurePack = "feature-pack"
    case update
    case regulatory
    case documentation
    case article

    /// Parses a kind case-insensitively, with white space trimmed.
    public init?(parsing text: String) {
        self.init(rawValue: text.trimmingWhitespace().lowercased())
    }

    public static let allNames = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Severity 1 (critical) … 4 (low); lower is more severe.
public enum Severity {
    public static let range = 1...4
    public static let lowest = 4

    /// Parses `1`…`4`; nil for anything else.
    public static func parse(_ text: String) -> Int? {
        guard let value = Int(text.trimmingWhitespace()), range.contains(value) else { return nil }
        return value
    }
}

/// A customer's support plan: `xtreme` < `premium` < `elite`.
public enum Plan: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case xtreme, premium, elite

    var rank: Int {
        switch self {
        case .xtreme: 0
        case .premium: 1
        case .elite: 2
        }
    }

    public static func < (lhs: Plan, rhs: Plan) -> Bool { lhs.rank < rhs.rank }
    public static let allNames = allCases.map(\.rawValue).joined(separator: ", ")
}
