import Articles
import Foundation

/// An article as stored: every field needed to render its notifications later.
struct ArticleRecord: Codable, Equatable {
    struct Product: Codable, Equatable {
        var id: String
        var affected: String?
        var fixed: String?
        var resolved: Bool
        /// How the catalog resolved it (`explain` says so); absent in records older than that.
        var resolution: String?
    }

    var feed: String
    var id: String
    var revision: Int
    var title: String
    var link: String?
    var published: Double?
    var updated: Double?
    var severity: Int
    var kind: String
    var products: [Product]
    var categories: [String]
    var summary: String

    /// A record to fill field by field (`RecordJSON`).
    static let empty = ArticleRecord(
        feed: "", id: "", revision: 1, title: "", link: nil, published: nil, updated: nil, severity: 4, kind: "article",
        products: [], categories: [], summary: "")

    init(
        feed: String, id: String, revision: Int, title: String, link: String?, published: Double?, updated: Double?,
        severity: Int, kind: String, products: [Product], categories: [String], summary: String
    ) {
        self.feed = feed
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

    init(_ article: Article) {
        feed = article.feed
        id = article.id
        revision = article.revision
        title = article.title
        link = article.link
        published = article.published?.timeIntervalSince1970
        updated = article.updated?.timeIntervalSince1970
        severity = article.severity
        kind = article.kind.rawValue
        products = article.products.map { Product(
                id: $0.id, affected: $0.affected, fixed: $0.fixed, resolved: $0.isResolved, resolution: $0.resolution) }
        categories = article.categories
        summary = article.summary
    }

    var article: Article { article(parsingRanges: true) }

    /// The article; without `parsingRanges` every product's range reads `.every`: for
    /// rendering a delivery, which shows the range as written and never evaluates it.
    func article(parsingRanges: Bool) -> Article {
        Article(
            feed: feed, id: id, revision: revision, title: title, link: link,
            published: published.map { Date(timeIntervalSince1970: $0) },
            updated: updated.map { Date(timeIntervalSince1970: $0) }, severity: severity,
            kind: Kind(rawValue: kind) ?? .article,
            products: products.map {
                AffectedProduct(
                    id: $0.id, affected: $0.affected, range: parsingRanges ? (try? VersionRange(parsing: $0.affected ?? "")) ?? .every : .every,
                    fixed: $0.fixed, isResolved: $0.resolved, resolution: $0.resolution)
            }, categories: categories, summary: summary)
    }
}

/// One revision of an article.
public struct ArticleVersion: Hashable, Sendable {
    public let key: String
    public let revision: Int

    public init(key: String, revision: Int) {
        self.key = key
        self.revision = revision
    }
}
