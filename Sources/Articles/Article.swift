public import Foundation

/// A product an article affects, after catalog resolution.
public struct AffectedProduct: Sendable, Hashable {
    /// The catalog id, or the reference as found when it could not be resolved.
    public var id: String
    /// The affected range as written (nil: every version).
    public var affected: String?
    public var range: VersionRange
    public var fixed: String?
    /// False when the catalog does not know this product: it matches nobody.
    public var isResolved: Bool
    /// Which catalog rule resolved it (`name 'ERP LN'`, `CPE cpe:/o:redhat:…`), for `explain`.
    public var resolution: String?
    /// CVRF / CSAF: the CPE names and package URLs the document gives the product, shown by
    /// `parse` so that an operator can put them in the catalog (not recorded).
    public var cpes: [String] = []
    public var purls: [String] = []

    public init(
        id: String, affected: String?, range: VersionRange, fixed: String?, isResolved: Bool, resolution: String? = nil
    ) {
        self.id = id
        self.affected = affected
        self.range = range
        self.fixed = fixed
        self.isResolved = isResolved
        self.resolution = resolution
    }
}

/// An article as the matcher sees it: normalised, keyed and revised.
public struct Article: Sendable, Hashable {
    public var feed: String { didSet { key = Self.key(feed, id) } }
    public var id: String { didSet { key = Self.key(feed, id) } }
    public var revision: Int
    public var title: String
    public var link: String?
    public var published: Date?
    public var updated: Date?
    public var severity: Int
    public var kind: Kind
    public var products: [AffectedProduct]
    public var categories: [String]
    public var summary: String
    /// Line of the item in its feed, for messages.
    public var line: Int

    /// `<feed name>/<id>` (SPEC 1): kept, not made on each use (planning, storing and
    /// rendering read it several times per article).
    public private(set) var key: String

    private static func key(_ feed: String, _ id: String) -> String { feed + "/" + id }

    /// True when no product could be resolved: the article matches nobody.
    public var isUnmatched: Bool { !products.contains(where: \.isResolved) }

    public init(
        feed: String, id: String, revision: Int, title: String, link: String?, published: Date?,
        updated: Date?, severity: Int, kind: Kind, products: [AffectedProduct], categories: [String],
        summary: String, line: Int = 0
    ) {
        self.feed = feed
        self.id = id
        self.key = Self.key(feed, id)
        self.revision = revision
        self.title = title
        self.link = link
        self.published = published
        self.updated = updated
        self.severity = severity
        self.kind = kind
        self.products = products
        self.categories = categories
        self.summary = summary
        self.line = line
    }
}

/// A feed's `defaults` in the configuration (SPEC 2.2), applied field by field.
public struct FeedDefaults: Sendable, Hashable {
    public var product: String?
    public var kind: Kind?
    public var severity: Int?

    public init(product: String? = nil, kind: Kind? = nil, severity: Int? = nil) {
        self.product = product
        self.kind = kind
        self.severity = severity
    }
}

/// Turns what the parser read into articles: feed defaults, catalog resolution and
/// affected ranges (SPEC 2.2, 2.4).
public struct ArticleNormalizer: Sendable {
    public let feed: String
    public let defaults: FeedDefaults
    /// Nil when there is no configuration: product ids are kept as found.
    public let catalog: Catalog?

    public init(feed: String, defaults: FeedDefaults = FeedDefaults(), catalog: Catalog?) {
        self.feed = feed
        self.defaults = defaults
        self.catalog = catalog
    }

    public func article(from item: FeedItem, warnings: inout [FeedWarning]) -> Article {
        var severity = item.severity ?? defaults.severity
        var kind = item.kind ?? defaults.kind
        if severity == nil || kind == nil {
            var missing: [String] = []
            if kind == nil { missing.append("kind (using 'article')") }
            if severity == nil { missing.append("severity (using 4)") }
            warnings.append(FeedWarning(
                line: item.warningLine,
                "'\(item.id)' has no \(missing.joined(separator: " and ")) and the feed sets no default"))
            severity = severity ?? Severity.lowest
            kind = kind ?? .article
        }
        var references = item.products
        if references.isEmpty, let product = defaults.product {
            references = [ProductReference(name: product)]
        }
        var products: [AffectedProduct] = []
        for reference in references {
            guard let product = resolve(reference, item: item, warnings: &warnings), !products.contains(product) else {
                continue
            }
            // Two of an advisory's platforms may be one catalog product (by CPE): one entry.
            if product.isResolved, let index = products.firstIndex(where: { $0.isResolved && $0.id == product.id }) {
                products[index] = Self.merged(products[index], product)
            } else {
                products.append(product)
            }
        }
        return Article(
            feed: feed, id: item.id, revision: item.revision, title: item.title, link: item.link,
            published: item.published, updated: item.updated, severity: severity!, kind: kind!,
            products: products, categories: item.categories, summary: item.summary, line: item.line)
    }

    private func resolve(_ reference: ProductReference, item: FeedItem, warnings: inout [FeedWarning])
        -> AffectedProduct?
    {
        var id = reference.name.trimmingWhitespace()
        var affected = reference.affected
        var resolved = true
        var resolution: String?
        if let catalog {
            switch reference.origin {
            case .identifier:
                if let (product, rule) = catalog.resolve(name: id, cpes: reference.cpes, purls: reference.purls) {
                    id = product.id
                    resolution = rule
                } else {
                    resolved = false
                }
            case .category:
                if let (product, version) = catalog.resolveCategory(id) {
                    id = product.id
                    resolution = "by category '\(reference.name)'"
                    if let version, affected == nil { affected = "=\(version.text)" }
                } else {
                    resolved = false
                }
            }
        }
        if !resolved {
            var known = ""
            if let cpe = reference.cpes.first { known += ", CPE \(cpe)" }
            if let purl = reference.purls.first { known += ", package URL \(purl)" }
            warnings.append(FeedWarning(
                line: item.warningLine, "'\(item.id)' names product '\(reference.name)'\(known), which the catalog does not know"))
        }
        let range: VersionRange
        do {
            range = try VersionRange(parsing: affected ?? "")
        } catch {
            warnings.append(FeedWarning(
                line: item.warningLine, "'\(item.id)' product '\(reference.name)': invalid affected range: \(error.message); product skipped"))
            return nil
        }
        var product = AffectedProduct(
            id: id, affected: affected, range: range, fixed: reference.fixed, isResolved: resolved, resolution: resolution)
        product.cpes = reference.cpes
        product.purls = reference.purls
        return product
    }

    /// One catalog product named twice by an article: affected where either is, fixed in
    /// the versions of both.
    static func merged(_ first: AffectedProduct, _ second: AffectedProduct) -> AffectedProduct {
        var product = first
        if first.range.isEvery || second.range.isEvery {
            product.affected = nil
            product.range = .every
        } else if let a = first.affected, let b = second.affected, a != b,
            let range = try? VersionRange(parsing: "\(VersionRange.nativeText(a)) || \(VersionRange.nativeText(b))")
        {
            product.affected = range.text
            product.range = range
        }
        var fixed = FixAdvice.split(first.fixed)
        for version in FixAdvice.split(second.fixed) where !fixed.contains(version) { fixed.append(version) }
        product.fixed = fixed.isEmpty ? nil : fixed.joined(separator: ", ")
        product.cpes += second.cpes.filter { !product.cpes.contains($0) }
        product.purls += second.purls.filter { !product.purls.contains($0) }
        return product
    }
}
