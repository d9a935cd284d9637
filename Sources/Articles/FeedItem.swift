public import Foundation

/// The feed formats critfix reads: a CSAF ROLIE feed lists CSAF documents (SPEC 2.6).
public enum FeedFormat: String, Sendable, Codable {
    case rss2, rss1, atom, cvrf, csaf, rolie
}

/// A problem in a feed that does not stop it: reported, never fatal.
public struct FeedWarning: Sendable, Hashable, CustomStringConvertible {
    /// The line in the document, when known.
    public var line: Int?
    public var message: String

    public init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { "line \(line): \(message)" } else { message }
    }
}

/// A product an item names, as written: an `fx:product`, a product category, or a
/// CVRF product.
public struct ProductReference: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// `fx:product/@id` or a CVRF product: an id, name or alias as it stands.
        case identifier
        /// A `category` whose text may end in a version (`ERP LN 10.7`).
        case category
    }

    public var name: String
    /// The affected range as written; nil means every version.
    public var affected: String?
    /// Fixed versions, comma-separated: one per release line (SPEC 2.4).
    public var fixed: String?
    public var origin: Origin
    /// CVRF / CSAF: the product's CPE names and package URLs, for the catalog (SPEC 3).
    public var cpes: [String]
    public var purls: [String]

    public init(
        name: String, affected: String? = nil, fixed: String? = nil, origin: Origin = .identifier, cpes: [String] = [],
        purls: [String] = []
    ) {
        self.name = name
        self.affected = affected
        self.fixed = fixed
        self.origin = origin
        self.cpes = cpes
        self.purls = purls
    }
}

/// One item/entry of a feed as the parser read it, before catalog resolution and
/// feed defaults are applied.
public struct FeedItem: Sendable, Hashable {
    /// Line of the item's start tag.
    public var line: Int
    /// The article id, chosen in SPEC 1's order of preference (the SHA-256 fallback included).
    public var id: String
    public var revision: Int
    public var title: String
    public var link: String?
    public var published: Date?
    public var updated: Date?
    /// 1…4 when the item states it (extension or category); nil leaves it to defaults.
    public var severity: Int?
    public var kind: Kind?
    public var products: [ProductReference]
    /// Every category text, in document order.
    public var categories: [String]
    /// Plain-text summary (markup stripped), at most a few thousand characters.
    public var summary: String

    /// The line for a warning about this item: none for a JSON document (line 0).
    public var warningLine: Int? { line > 0 ? line : nil }

    public init(
        line: Int, id: String, revision: Int = 1, title: String = "", link: String? = nil,
        published: Date? = nil, updated: Date? = nil, severity: Int? = nil, kind: Kind? = nil,
        products: [ProductReference] = [], categories: [String] = [], summary: String = ""
    ) {
        self.line = line
        self.id = id
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
    }
}
