public import Articles

/// `critfix explain`: rule by rule, why a customer does or does not match an article.
public struct Explanation: Sendable {
    public struct Rule: Sendable {
        public var number: Int
        public var holds: Bool
        public var reason: String
    }

    public var rules: [Rule]
    public var matches: Bool { rules.allSatisfy(\.holds) }

    /// Rules 1–4; rule 5 (history) is added by the caller, which knows the state.
    public init(customer: Customer, article: Article, catalog: Catalog) {
        var rules: [Rule] = []
        rules.append(Rule(
            number: 1, holds: customer.status == .active,
            reason: customer.status == .active
                ? "customer is active" : "customer is \(customer.status.rawValue); only active customers are notified"))
        let kindOK = customer.kinds.contains(article.kind)
        let severityOK = article.severity <= customer.minSeverity
        rules.append(Rule(
            number: 2, holds: kindOK && severityOK,
            reason: [
                kindOK
                    ? "kind \(article.kind.rawValue) is among the customer's kinds"
                    : "kind \(article.kind.rawValue) is not among the customer's kinds (\(customer.kinds.map(\.rawValue).sorted().joined(separator: ", ")))",
                severityOK
                    ? "severity \(article.severity) <= min_severity \(customer.minSeverity)"
                    : "severity \(article.severity) is above min_severity \(customer.minSeverity)",
            ].joined(separator: "; ")))
        var productReasons: [String] = []
        var productOK = false
        var allowedProductMatched = false
        for product in article.products {
            guard product.isResolved else {
                productReasons.append("product '\(product.id)' is not in the catalog")
                continue
            }
            guard let registered = customer.products.first(where: { $0.product == product.id }) else {
                productReasons.append("customer has not registered \(product.id)")
                continue
            }
            let range = product.affected.map { "'\($0)'" } ?? "every version"
            if let version = registered.version {
                guard product.range.contains(version) else {
                    productReasons.append("\(product.id) \(version.text) is not in \(range)")
                    continue
                }
                productReasons.append("\(product.id) \(version.text) lies in \(range)")
            } else {
                productReasons.append("\(product.id) registered without a version: every version matches")
            }
            if let resolution = product.resolution { productReasons[productReasons.count - 1] += " (\(resolution))" }
            let advice = product.advice(installed: registered.version)
            productReasons[productReasons.count - 1] +=
                "; advice: \(advice.sentence(product: product.id, installed: registered.version?.text))"
            productOK = true
            if article.kind == .criticalFix, catalog.product(named: product.id)?.criticalNotifications == false {
                productReasons[productReasons.count - 1] += " (but \(product.id) has critical_notifications: false)"
            } else {
                allowedProductMatched = true
            }
        }
        if article.products.isEmpty { productReasons.append("the article names no product") }
        rules.append(Rule(number: 3, holds: productOK, reason: productReasons.joined(separator: "; ")))
        // Rule 4 is decided per product: it fails only when every matching product is barred.
        let rule4Reason =
            !productOK
            ? "no matching product to check"
            : allowedProductMatched
                ? "a matching product allows critical notifications"
                : "a critical fix for products whose critical_notifications is false only"
        rules.append(Rule(number: 4, holds: !productOK || allowedProductMatched, reason: rule4Reason))
        self.rules = rules
    }
}
