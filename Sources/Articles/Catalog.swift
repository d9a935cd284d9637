/// The vendor's product catalog (SPEC 3 `products`): ids, names and aliases that
/// feeds and registrations use to name a product.
public struct CatalogProduct: Sendable, Hashable {
    public var id: String
    public var name: String
    public var aliases: [String]
    /// False when proactive notification of critical fixes is not offered (SPEC 5 rule 4).
    public var criticalNotifications: Bool
    /// CVRF / CSAF products carrying a CPE one of these covers are this product.
    public var cpes: [CPE]
    /// … or a package URL one of these matches.
    public var purls: [PackageURLPattern]

    public init(
        id: String, name: String? = nil, aliases: [String] = [], criticalNotifications: Bool = true, cpes: [CPE] = [],
        purls: [PackageURLPattern] = []
    ) {
        self.id = id
        self.name = name ?? id
        self.aliases = aliases
        self.criticalNotifications = criticalNotifications
        self.cpes = cpes
        self.purls = purls
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

    /// The first product (catalog order) with a CPE entry covering `cpe`, and that entry.
    public func product(cpe text: String) -> (product: CatalogProduct, entry: CPE)? {
        guard hasCPEs, let cpe = CPE(text) else { return nil }
        for product in products {
            if let entry = product.cpes.first(where: { $0.covers(cpe) }) { return (product, entry) }
        }
        return nil
    }

    /// The first product (catalog order) with a package URL pattern matching `purl`, and that pattern.
    public func product(purl: String) -> (product: CatalogProduct, pattern: PackageURLPattern)? {
        guard hasPURLs else { return nil }
        for product in products {
            if let pattern = product.purls.first(where: { $0.matches(purl) }) { return (product, pattern) }
        }
        return nil
    }

    /// A document's product, by the order of SPEC 3: id, name or alias, then CPE, then
    /// package URL; with the rule that resolved it, in words.
    public func resolve(name: String, cpes: [String], purls: [String]) -> (product: CatalogProduct, rule: String)? {
        if let product = product(named: name) { return (product, "by name '\(name)'") }
        for cpe in cpes {
            if let (product, entry) = product(cpe: cpe) { return (product, "by CPE \(cpe) (catalog entry \(entry.text))") }
        }
        for purl in purls {
            if let (product, pattern) = product(purl: purl) {
                return (product, "by package URL \(purl) (catalog entry \(pattern.text))")
            }
        }
        return nil
    }

    private var hasCPEs: Bool { products.contains { !$0.cpes.isEmpty } }
    private var hasPURLs: Bool { products.contains { !$0.purls.isEmpty } }

    /// Resolves a product category: the whole text, else the text without a trailing
    /// version (`ERP LN 10.7` is ERP LN, affected = 10.7).
    public func resolveCategory(_ text: String) -> (product: CatalogProduct, version: Version?)? {
        if let product = product(named: text) { return (product, nil) }
        guard let (name, version) = Catalog.splitTrailingVersion(text), let product = product(named: name) else {
            return nil
        }
        return (product, version)
    }

    /// `ERP LN 10.7` -> (`ERP LN`, 10.7); nil when the last word is not a version that
    /// starts with a number (`ERP LN Cloud` is a name, not ERP LN at version `Cloud`).
    public static func splitTrailingVersion(_ text: String) -> (String, Version)? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, let last = words.last, let version = Version(String(last)), version.isDotted
        else { return nil }
        return (words.dropLast().joined(separator: " "), version)
    }
}
