public import Articles

/// What the state store remembers of a customer and an article already notified.
public struct NotifiedBefore: Sendable, Hashable {
    /// Severity of the last notification of this article to the customer.
    public var severity: Int
    /// Revision of that notification.
    public var revision: Int

    public init(severity: Int, revision: Int) {
        self.severity = severity
        self.revision = revision
    }
}

/// Rule 5 of SPEC 5: whether a match becomes a notification, given the history.
public enum RevisionPolicy {
    public enum Verdict: Sendable, Equatable {
        case notify
        /// Already notified at this revision (or a later one).
        case alreadyNotified
        /// A new revision that neither raised the severity nor newly included the customer.
        case revisionNotRelevant
    }

    /// - Parameters:
    ///   - revision: the article's revision now seen.
    ///   - severity: its severity now.
    ///   - before: the last notification of this article to this customer, if any.
    ///   - previousProducts: the affected products of the previously recorded revision
    ///     (nil when the article was never seen).
    public static func verdict(
        customer: Customer, revision: Int, severity: Int, before: NotifiedBefore?,
        previousProducts: [AffectedProduct]?
    ) -> Verdict {
        guard let before else { return .notify }
        if revision <= before.revision { return .alreadyNotified }
        if severity < before.severity { return .notify }
        if let previousProducts, !Matcher.productsInclude(customer, previousProducts) { return .notify }
        return .revisionNotRelevant
    }
}
