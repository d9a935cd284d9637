/// What a notice tells a customer to do about one product (SPEC 2.4): an article's
/// `fixed` may list one version per release line, so the advice depends on the
/// customer's installed version — never "upgrade from 10.10 to 10.7.2".
public enum FixAdvice: Sendable, Hashable {
    /// Upgrade to this version: the lowest fixed version above the installed one (or the
    /// only fixed version, when the installed version is not known).
    case upgrade(to: String)
    /// Fixed versions are announced, but none above the installed version: no fix for
    /// the customer's release yet.
    case noFixForRelease(fixed: [String])
    /// Several fixed versions and no installed version to choose between them.
    case oneOf([String])
    /// No fixed version is announced.
    case noneAnnounced

    /// The version to upgrade to, when there is one.
    public var version: String? {
        if case .upgrade(let version) = self { version } else { nil }
    }

    /// One English line, for `explain`, webhooks and logs.
    public func sentence(product: String, installed: String?) -> String {
        switch self {
        case .upgrade(let version):
            if let installed { "upgrade \(product) from version \(installed) to version \(version) or later" }
            else { "upgrade \(product) to version \(version) or later" }
        case .noFixForRelease(let fixed):
            "no fix for \(product) \(installed ?? "") has been announced yet (fixed versions so far: \(fixed.joined(separator: ", ")))"
        case .oneOf(let fixed):
            "upgrade \(product) to the fixed version of its release line: \(fixed.joined(separator: ", "))"
        case .noneAnnounced:
            "the article names no fixed version of \(product): apply the fix or workaround it describes"
        }
    }
}

extension AffectedProduct {
    /// The fixed versions as listed: `fixed` separated at commas, each trimmed.
    public var fixedVersions: [String] { FixAdvice.split(fixed) }

    /// The advice for a customer who runs `installed` (nil: every version registered).
    public func advice(installed: Version?) -> FixAdvice { FixAdvice.advice(fixed: fixed, installed: installed) }
}

extension FixAdvice {
    static func split(_ fixed: String?) -> [String] {
        guard let fixed else { return [] }
        return fixed.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// The advice for `fixed` (a comma-separated list as an article gives it) and the
    /// installed version.
    public static func advice(fixed: String?, installed: Version?) -> FixAdvice {
        let listed = split(fixed)
        guard !listed.isEmpty else { return .noneAnnounced }
        guard let installed else { return listed.count == 1 ? .upgrade(to: listed[0]) : .oneOf(listed) }
        // A fixed version that is not a version (white space, `<`) cannot be compared: it is
        // shown among the fixed versions but never advised.
        let above = listed.compactMap { text in Version(text).map { (text, $0) } }.filter { $0.1 > installed }
        guard let lowest = above.min(by: { $0.1 < $1.1 }) else { return .noFixForRelease(fixed: listed) }
        return .upgrade(to: lowest.0)
    }
}
