public import Articles
public import Configuration
public import FeedParsing
import Foundation

/// One feed read and parsed: its articles, or why it failed.
public struct LoadedFeed: Sendable {
    public var feed: FeedConfiguration
    public var title: String?
    public var format: FeedFormat?
    public var articles: [Article] = []
    /// Data warnings, each tied to the line of the item it concerns when known.
    public var warnings: [FeedWarning] = []
    /// Set when the feed failed: nothing of it may be recorded.
    public var failure: String?
    public var httpStatus: Int?
    public var etag: String?
    public var lastModified: String?
    /// True for an HTTP 304: nothing changed, nothing parsed.
    public var notModified = false
}

/// Reads feeds from files (paths and `file://` URLs) and parses them while reading.
/// HTTP(S) fetching plugs in here.
public struct FeedLoader: Sendable {
    public let catalog: Catalog?
    public let limits: FeedParserLimits

    public init(catalog: Catalog?, limits: FeedParserLimits = FeedParserLimits()) {
        self.catalog = catalog
        self.limits = limits
    }

    /// The local path a feed URL names, or nil for a network URL.
    public static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") {
            let rest = url.dropFirst("file://".count)
            let path = rest.hasPrefix("/") ? String(rest) : "/" + rest.drop(while: { $0 != "/" }).dropFirst()
            return path.removingPercentEncoding ?? path
        }
        if url.contains("://") { return nil }
        return url
    }

    public func load(_ feed: FeedConfiguration) -> LoadedFeed {
        var loaded = LoadedFeed(feed: feed)
        guard let path = FeedLoader.localPath(feed.url) else {
            loaded.failure = "cannot fetch \(feed.url): only local files are supported by this build"
            return loaded
        }
        let normalizer = ArticleNormalizer(feed: feed.name, defaults: feed.defaults, catalog: catalog)
        var items: [FeedItem] = []
        let result = FeedParser.parse(file: path, limits: limits) { items.append($0) }
        loaded.title = result.title
        loaded.format = result.format
        if let error = result.error {
            loaded.failure = error.description
            return loaded
        }
        var warnings = result.warnings
        var seen: [String: Int] = [:]
        for item in items {
            let article = normalizer.article(from: item, warnings: &warnings)
            // One key, one article: a repeated key keeps its highest revision.
            if let index = seen[article.key] {
                if article.revision > loaded.articles[index].revision { loaded.articles[index] = article }
                continue
            }
            seen[article.key] = loaded.articles.count
            loaded.articles.append(article)
        }
        loaded.warnings = warnings
        return loaded
    }
}
