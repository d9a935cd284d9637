public import Articles

/// A product through which a customer matched an article, with the installed version.
public struct MatchedProduct: Sendable, Hashable, Codable {
    public var product: String
    public var version: String?

    public init(product: String, version: String?) {
        self.product = product
        self.version = version
    }
}

/// One (customer, article, revision) that matched (SPEC 1): delivered to every
/// contact and webhook of the customer.
public struct Notification: Sendable {
    public var customer: Customer
    public var article: Article
    public var matched: [MatchedProduct]

    public init(customer: Customer, article: Article, matched: [MatchedProduct]) {
        self.customer = customer
        self.article = article
        self.matched = matched
    }
}

/// SPEC 5's dispatch order: severity ascending, then plan elite, premium, xtreme,
/// then article published time ascending (undated last), then customer id, then
/// article key (so that the order is total).
public enum DispatchOrder {
    public static func precedes(
        severity: Int, plan: Plan, published: Double?, customer: String, key: String,
        _ otherSeverity: Int, _ otherPlan: Plan, _ otherPublished: Double?, _ otherCustomer: String, _ otherKey: String
    ) -> Bool {
        if severity != otherSeverity { return severity < otherSeverity }
        if plan != otherPlan { return plan > otherPlan }
        switch (published, otherPublished) {
        case let (a?, b?) where a != b: return a < b
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        if customer != otherCustomer { return customer < otherCustomer }
        return key < otherKey
    }

    public static func precedes(_ lhs: Notification, _ rhs: Notification) -> Bool {
        precedes(
            severity: lhs.article.severity, plan: lhs.customer.plan,
            published: lhs.article.published?.timeIntervalSince1970, customer: lhs.customer.id, key: lhs.article.key,
            rhs.article.severity, rhs.customer.plan, rhs.article.published?.timeIntervalSince1970, rhs.customer.id,
            rhs.article.key)
    }
}
