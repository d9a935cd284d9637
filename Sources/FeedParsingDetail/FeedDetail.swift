public import Foundation

// A feed in detail: every link, person, tag and date element the parser understands,
// with the raw date text, the dialect and the encoding (`FeedParser.parseDetailed`). It
// exists to check the parser against other readers (the feedparser peer suite); critfix
// itself needs only `FeedItem`, and does not link this module.

/// The feed dialect, in feedparser's codes (`rss20`, `atom10` …).
public enum FeedVersion: String, Sendable, Hashable, CaseIterable {
    case rss090, rss091n, rss091u, rss092, rss093, rss094, rss20, rss10
    case atom03, atom10
    /// `<rss>` without a version, or with one that is none of the above.
    case rss
    /// `<feed>` without the Atom namespace and without `version="0.3"`.
    case atom
    case cvrf
}

/// An RSS `<link>`/`<enclosure>` or an Atom `<link>`.
public struct Link: Sendable, Hashable {
    public var href: String
    /// `alternate` when the element has none.
    public var rel: String
    public var type: String?
    public var title: String?
    public var length: String?
    public var hreflang: String?

    public init(
        href: String, rel: String = "alternate", type: String? = nil, title: String? = nil, length: String? = nil,
        hreflang: String? = nil
    ) {
        self.href = href
        self.rel = rel
        self.type = type
        self.title = title
        self.length = length
        self.hreflang = hreflang
    }
}

/// An author or contributor: an Atom person, or an RSS `author`/`dc:creator` text split into parts.
public struct Person: Sendable, Hashable {
    public var name: String?
    public var email: String?
    /// Atom `uri` (Atom 0.3 `url`/`homepage`).
    public var href: String?

    public init(name: String? = nil, email: String? = nil, href: String? = nil) {
        self.name = name
        self.email = email
        self.href = href
    }

    /// `name (email)`, the name alone, or the email alone.
    public var displayName: String? {
        switch (name, email) {
        case let (name?, email?): "\(name) (\(email))"
        case let (name?, nil): name
        case let (nil, email?): email
        case (nil, nil): nil
        }
    }
}

/// A category: RSS `<category domain>` (the domain is the scheme), `dc:subject`, Atom `<category>`.
public struct Tag: Sendable, Hashable {
    public var term: String
    public var scheme: String?
    public var label: String?

    public init(term: String, scheme: String? = nil, label: String? = nil) {
        self.term = term
        self.scheme = scheme
        self.label = label
    }
}

/// A date element: its text as written and the instant it was read as (nil when unparseable).
public struct DateValue: Sendable, Hashable {
    public var raw: String
    public var date: Date?

    public init(raw: String, date: Date?) {
        self.raw = raw
        self.date = date
    }
}

/// A text construct as critfix reads it: plain text (markup stripped, white space folded),
/// and the MIME type the document gave it (`text/plain`, `text/html`, `application/xhtml+xml`).
public struct TextValue: Sendable, Hashable {
    public var value: String
    public var type: String

    public init(value: String, type: String) {
        self.value = value
        self.type = type
    }
}

/// The fields an entry and a feed share.
public struct CommonDetail: Sendable, Hashable {
    public var title: TextValue?
    /// The main link: RSS `<link>`, else the first Atom `<link>` whose rel is `alternate`,
    /// else (entries) an RSS `<guid>` that is a permalink and an http(s) URL.
    public var link: String?
    /// Every link in document order.
    public var links: [Link] = []
    /// RSS `<guid>`, Atom `<id>`, RSS 1.0 `rdf:about`, as written (trimmed).
    public var id: String?
    /// RSS `pubDate`, Atom `published`, Atom 0.3 `issued`, `dcterms:issued`. The first one wins.
    public var published: DateValue?
    /// `lastBuildDate`, `dc:date`, `dcterms:modified`, Atom `updated`, Atom 0.3 `modified`.
    public var updated: DateValue?
    /// Every author in document order; the first is "the" author.
    public var authors: [Person] = []
    public var tags: [Tag] = []

    public init() {}

    /// The first author as one string: RSS text as written, an Atom person as `name (email)`.
    public var author: String? { authorText ?? authors.first?.displayName }
    public var authorDetail: Person? { authors.first }

    /// The first RSS author text, kept as written.
    var authorText: String?
}

/// One RSS item or Atom entry, in detail. The shared fields (`title`,
/// `link`, `links`, `id`, dates, authors, tags) are read through to ``CommonDetail``.
@dynamicMemberLookup
public struct EntryDetail: Sendable, Hashable {
    public var common = CommonDetail()
    /// RSS `description`, Atom `summary`, `dc:description`.
    public var summary: TextValue?
    /// `content:encoded`, `xhtml:body`, `fullitem`, Atom `content`; also a second summary-like element.
    public var content: [TextValue] = []

    public init() {}

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<CommonDetail, T>) -> T {
        get { common[keyPath: keyPath] }
        set { common[keyPath: keyPath] = newValue }
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<CommonDetail, T>) -> T { common[keyPath: keyPath] }
}

/// The feed as a whole, in detail. The shared fields are read through to
/// ``CommonDetail``.
@dynamicMemberLookup
public struct FeedDetail: Sendable, Hashable {
    public var common = CommonDetail()
    public var version: FeedVersion?
    /// The encoding libxml2 decoded the bytes with, lower case (`utf-8`, `iso-8859-2`,
    /// `utf-16le` …); nil when the parse never reached the root element.
    public var encoding: String?
    /// False when the document is not well-formed XML: a fatal libxml2 error, a namespace
    /// error (an undeclared prefix) or bytes that do not match the encoding. Parsing in
    /// detail reads on past such errors (libxml2's recovery) to keep what it can; the
    /// first error is still in `FeedParseResult.error`.
    public var isWellFormed = true

    public init() {}

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<CommonDetail, T>) -> T {
        get { common[keyPath: keyPath] }
        set { common[keyPath: keyPath] = newValue }
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<CommonDetail, T>) -> T { common[keyPath: keyPath] }
}
