public import Articles

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
        var matches = Matches()
        self.matches(article, into: &matches)
        return matches.indices.map { Match(customer: matches.customer($0), matched: matches.matched($0)) }
    }

    /// Rules 1–4 for `article` into a reusable buffer: the run's hot loop, which
    /// allocates nothing per (customer, article) pair once the buffer has grown.
    public func matches(_ article: Article, into matches: inout Matches) {
        matches.removeAll()
        matches.article = article
        let kindBit = Matcher.bit(article.kind)
        let severity = UInt8(clamping: article.severity)
        // Worked on outside the buffer, so that the loop holds no access to it.
        var pairs: [Matches.Pair] = []
        swap(&pairs, &matches.pairs)
        for (productPosition, product) in article.products.enumerated() where product.isResolved {
            guard let productIndex = index[product.id] else { continue }
            if article.kind == .criticalFix, catalog.product(named: product.id)?.criticalNotifications == false {
                continue
            }
            let everyVersion = product.range.isEvery
            let admits = productIndex.versions.map { everyVersion || product.range.contains($0) }
            matches.productIndexes.append(productIndex)
            let slot = Int32(matches.productIndexes.count - 1)
            admits.withUnsafeBufferPointer { admits in
                productIndex.entries.withUnsafeBufferPointer { entries in
                    for entry in entries {
                        guard entry.kinds & kindBit != 0, severity <= entry.minSeverity else { continue }
                        guard entry.version < 0 || admits[Int(entry.version)] else { continue }
                        pairs.append(
                            Matches.Pair(
                                customer: entry.customer, product: Int32(productPosition), index: slot,
                                version: entry.version))
                    }
                }
            }
        }
        swap(&pairs, &matches.pairs)
        matches.group(severalProducts: matches.productIndexes.count > 1)
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

/// The matches of one article, kept flat: (customer, product) pairs grouped by customer.
/// Reused from article to article so that matching allocates only while it grows.
public struct Matches: Sendable {
    struct Pair: Sendable {
        var customer: Int32
        /// Position of the product in the article's products.
        var product: Int32
        /// Which of `productIndexes` the version slot refers to.
        var index: Int32
        var version: Int32
    }

    var pairs: [Pair] = []
    /// Where each customer's run of pairs starts in `pairs` (one more: the end).
    var starts: [Int] = []
    var productIndexes: [Matcher.ProductIndex] = []
    var article: Article?

    public init() {}

    mutating func removeAll() {
        pairs.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        productIndexes.removeAll(keepingCapacity: true)
        article = nil
    }

    mutating func group(severalProducts: Bool) {
        // Each product's entries are in customer order; several products need merging.
        if severalProducts {
            pairs.sort { $0.customer != $1.customer ? $0.customer < $1.customer : $0.product < $1.product }
        }
        for (position, pair) in pairs.enumerated() where position == 0 || pairs[position - 1].customer != pair.customer {
            starts.append(position)
        }
        starts.append(pairs.count)
    }

    /// Customers matched: (customer, article) pairs.
    public var count: Int { starts.isEmpty ? 0 : starts.count - 1 }
    public var indices: Range<Int> { 0..<count }
    public var isEmpty: Bool { count == 0 }

    /// The customer's position in `Matcher.customers`.
    public func customer(_ match: Int) -> Int { Int(pairs[starts[match]].customer) }

    /// The products through which the customer matched, with the installed version.
    public func matched(_ match: Int) -> [MatchedProduct] {
        guard let article else { return [] }
        return pairs[starts[match]..<starts[match + 1]].map { pair in
            let version = pair.version < 0 ? nil : productIndexes[Int(pair.index)].versions[Int(pair.version)].text
            return MatchedProduct(product: article.products[Int(pair.product)].id, version: version)
        }
    }
}
