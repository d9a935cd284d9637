public import Articles
public import Configuration

/// Rules 1–4 of SPEC 5 through an index by product, so that the cost of matching an
/// article grows with the customers registered for its products, not with every
/// customer. Pure: values in, values out.
public struct Matcher: Sendable {
    /// A customer's registration of one product, packed for the inner loop.
    struct Entry: Sendable {
        var customer: Int32
        /// Index into `ProductIndex.versions`; -1 when no version is registered.
        var version: Int32
        var minSeverity: UInt8
        var kinds: UInt8
    }

    struct ProductIndex: Sendable {
        var entries: [Entry] = []
        /// The distinct installed versions of this product, so that a range is
        /// evaluated once per version rather than once per customer.
        var versions: [Version] = []
    }

    public let customers: [Customer]
    public let catalog: Catalog
    let index: [String: ProductIndex]

    public init(registrations: Registrations, catalog: Catalog) {
        customers = registrations.customers
        self.catalog = catalog
        var index: [String: ProductIndex] = [:]
        var versionSlots: [String: [Version: Int32]] = [:]
        for (position, customer) in customers.enumerated() where customer.status == .active {
            let kinds = Matcher.mask(customer.kinds)
            for registered in customer.products {
                var slot: Int32 = -1
                if let version = registered.version {
                    if let known = versionSlots[registered.product]?[version] {
                        slot = known
                    } else {
                        slot = Int32(index[registered.product, default: ProductIndex()].versions.count)
                        index[registered.product, default: ProductIndex()].versions.append(version)
                        versionSlots[registered.product, default: [:]][version] = slot
                    }
                }
                index[registered.product, default: ProductIndex()].entries.append(
                    Entry(
                        customer: Int32(position), version: slot, minSeverity: UInt8(clamping: customer.minSeverity),
                        kinds: kinds))
            }
        }
        self.index = index
    }

    static func mask(_ kinds: Set<Kind>) -> UInt8 {
        kinds.reduce(0) { $0 | bit($1) }
    }

    static func bit(_ kind: Kind) -> UInt8 {
        UInt8(1) << UInt8(Kind.allCases.firstIndex(of: kind)!)
    }

    /// One match of rules 1–4: the customer's position in `customers` and the products
    /// through which it matched.
    public struct Match: Sendable {
        public var customer: Int
        public var matched: [MatchedProduct]
    }

    /// Every active customer that rules 1–4 select for `article`, in customer order.
    public func matches(_ article: Article) -> [Match] {
        let kindBit = Matcher.bit(article.kind)
        let severity = UInt8(clamping: article.severity)
        var result: [Match] = []
        var positions: [Int32: Int] = [:]
        for product in article.products where product.isResolved {
            guard let productIndex = index[product.id] else { continue }
            if article.kind == .criticalFix, catalog.product(named: product.id)?.criticalNotifications == false {
                continue
            }
            let admits = productIndex.versions.map { product.range.contains($0) }
            let everyVersion = product.range.isEvery
            for entry in productIndex.entries {
                guard entry.kinds & kindBit != 0, severity <= entry.minSeverity else { continue }
                guard entry.version < 0 || everyVersion || admits[Int(entry.version)] else { continue }
                let version = entry.version < 0 ? nil : productIndex.versions[Int(entry.version)].text
                let matched = MatchedProduct(product: product.id, version: version)
                if let existing = positions[entry.customer] {
                    result[existing].matched.append(matched)
                } else {
                    positions[entry.customer] = result.count
                    result.append(Match(customer: Int(entry.customer), matched: [matched]))
                }
            }
        }
        if article.products.count > 1 { result.sort { $0.customer < $1.customer } }
        return result
    }

    /// Rule 3 alone (products and affected ranges) for one customer: used to decide
    /// whether a new revision newly includes the customer (rule 5).
    public static func productsInclude(_ customer: Customer, _ products: [AffectedProduct]) -> Bool {
        products.contains { product in
            product.isResolved
                && customer.products.contains { registered in
                    registered.product == product.id && (registered.version.map(product.range.contains) ?? true)
                }
        }
    }
}
