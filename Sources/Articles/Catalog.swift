/// The vendor's product catalog (SPEC 3 `products`): ids, names and aliases that
/// feeds and registrations use to name a product.
public struct CatalogProduct: Sendable, Hashable {
    public var id: String
    public var name: String
    public var aliases: [String]
    /// False when proactive notification of critical fixes is not offered (SPEC 5 rule 4).
    public var criticalNotifications: Bool

    public init(id: String, name: String? = nil, aliases: [String] = [], criticalNotifications: Bool = true) {
        self.id = id
        self.name = name ?? id
        self.aliases = aliases
        self.criticalNotifications = criticalNotifications
    }
}

public struct Catalog: Sendable {
    public let products: [CatalogProduct]
    private let byReference: [String: Int]

    /// Builds the lookup; the first product to claim an id, name or alias keeps it.
    public init(_ products: [CatalogProduct]) {
        self.products = products
        var lookup: [String: Int] = [:]
        for (index, product) in products.enumerated() {
            for reference in [product.id, product.name] + product.aliases {
                let key = Catalog.fold(reference)
                if lookup[key] == nil { lookup[key] = index }
            }
        }
        byReference = lookup
    }

    public static let empty = Catalog([])

    /// Product references compare case-insensitively with white space folded (SPEC 2.2).
    public static func fold(_ reference: String) -> String {
        reference.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The product an id, name or alias names, if any.
    public func product(named reference: String) -> CatalogProduct? {
        byReference[Catalog.fold(reference)].map { products[$0] }
    }

    /// Resolves a product category: the whole text, else the text without a trailing
    /// version (`ERP LN 10.7` is ERP LN, affected = 10.7).
    public func resolveCategory(_ text: String) -> (product: CatalogProduct, version: Version?)? {
        if let product = product(named: text) { return (product, nil) }
        guard let (name, version) = Catalog.splitTrailingVersion(text), let product = product(named: name) else {
            return nil
        }
        return (product, version)
    }

    /// `ERP LN 10.7` -> (`ERP LN`, 10.7); nil when the last word is not a version.
    public static func splitTrailingVersion(_ text: String) -> (String, Version)? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, let last = words.last, let version = Version(String(last)) else { return nil }
        return (words.dropLast().joined(separator: " "), version)
    }
}
