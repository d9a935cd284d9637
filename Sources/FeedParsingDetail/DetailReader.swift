public import Articles
public import FeedParsing
import Foundation

// The detail reader: a second reader that runs beside the parser's own, on the same SAX
// events (`ParseObserver`), and records what `FeedDetail`/`EntryDetail` hold, to check the
// parser against feedparser's test suite. Not part of critfix: only the tests link it, and
// a parser without an observer does not execute a single instruction of it. Every bound of
// the parser holds here too: the same depth limit (the observer is called after the
// parser, which counts depth), `maxTextBytes` per field, and nothing beyond libxml2's
// predefined entities is expanded.

/// What an open element means to the detail reader.
enum DetailField: UInt8 {
    /// Nothing of interest, and nothing inside it is either.
    case ignored
    /// `rss` / `rdf:RDF` root: holds the channel (and for RDF, the items).
    case root
    /// RSS `channel` or the Atom `feed`: feed-level fields are its children.
    case feed
    /// RSS `item` / Atom `entry`.
    case entry
    /// Atom `author`: name, email, uri are its children.
    case person
    /// An element inside a text field (Atom xhtml, naked HTML): its text belongs to the field.
    case markup
    // Text fields.
    case title, dcTitle, link, guid, id, published, updated, summary, content, category, subject, authorText
    case personName, personEmail, personURI

    var capturesText: Bool { rawValue >= DetailField.markup.rawValue }
}

/// The detail reader; one per parser.
final class DetailReader: ParseObserver {
    struct Frame {
        var field: DetailField
        var markup: Markup = .text
        /// MIME type of a text construct, for `TextValue.type`.
        var type: String = ""
        /// RSS `category/@domain`, RSS `guid/@isPermaLink`.
        var attribute: String?
        /// A block element inside a text field: its end separates words too.
        var block = false
    }

    var entries: [(item: FeedItem, detail: EntryDetail)] = []
    let maxTextBytes: Int
    var feed = FeedDetail()
    var entry = EntryDetail()
    var inEntry = false
    var frames: [Frame] = []
    var text: [UInt8] = []
    var capturing = false
    var truncated = false
    /// The entry's `guid` was a permalink.
    var guidIsPermaLink = false
    var dcTitle: String?
    var person = Person()
    /// The DOCTYPE named Netscape's RSS 0.91 DTD.
    var netscapeDoctype = false

    init(limits: FeedParserLimits) {
        maxTextBytes = limits.maxTextBytes
        frames.reserveCapacity(32)
    }

    var capturesText: Bool { capturing }

    func doctype(_ identifier: String) {
        if identifier.lowercased().contains("netscape") { netscapeDoctype = true }
    }

    func illFormed() {
        feed.isWellFormed = false
    }

    func item(_ item: FeedItem) {
        entries.append((item, entry))
    }

    func finished(_ parser: FeedParser, consumedBytes: Int) {
        if consumedBytes == 0 { feed.isWellFormed = false }
    }

    var common: CommonDetail {
        get { inEntry ? entry.common : feed.common }
        set {
            if inEntry { entry.common = newValue } else { feed.common = newValue }
        }
    }
}

extension FeedParser {
    /// Parses a whole document in memory, in detail: the parser's result, the feed in
    /// detail, and every item with its detail, in document order. The parser reads on past
    /// well-formedness errors, to report what a lenient reader would still find; the first
    /// such error stays in the result's `error`.
    public static func parseDetailed(data: [UInt8], limits: FeedParserLimits = FeedParserLimits())
        -> (result: FeedParseResult, detail: FeedDetail, entries: [(item: FeedItem, detail: EntryDetail)])
    {
        let reader = DetailReader(limits: limits)
        let parser = FeedParser(limits: limits, observer: reader)
        data.withUnsafeBytes { parser.consume($0) }
        let result = parser.finish()
        return (result, reader.feed, reader.entries)
    }
}

extension DetailReader {
    func elementStarted(
        _ parser: FeedParser, localname: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: Attributes,
        namespaces: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, namespaceCount: Int
    ) {
        let d = self
        let parent = d.frames.last?.field
        if let parent, parent.capturesText {
            let length = strlen(UnsafeRawPointer(localname).assumingMemoryBound(to: CChar.self))
            let block = PlainText.isBlock(UnsafeBufferPointer(start: localname, count: length))
            if block { appendSpace() }
            d.frames.append(DetailReader.Frame(field: .markup, block: block))
            return
        }
        if parser.depth == 1 {
            root(parser, localname: localname, uri: uri, attributes: attributes, namespaces: namespaces, count: namespaceCount)
            return
        }
        var frame = DetailReader.Frame(field: .ignored)
        defer { d.frames.append(frame) }
        guard let parent, parent != .ignored else { return }
        if parser.result.format == .cvrf { return }
        var namespace = Namespace.classify(uri)
        if namespace == .none, parser.atomWithoutNamespace { namespace = .atom }
        if parser.itemDepth == parser.depth {
            // The normal reader just opened an item: the detail reader follows it.
            frame.field = .entry
            d.inEntry = true
            d.entry = EntryDetail()
            d.guidIsPermaLink = false
            d.dcTitle = nil
            if parser.result.format == .rss1 {
                d.entry.id = attributes.trimmed("about", namespace: "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            }
            version(parser, uri)
            return
        }
        if parent == .root {
            if equals(localname, "channel"), namespace == .none || namespace == .rss1 {
                frame.field = .feed
                version(parser, uri)
            }
            return
        }
        if parent == .person {
            guard namespace == .atom else { return }
            if equals(localname, "name") {
                frame.field = .personName
            } else if equals(localname, "email") {
                frame.field = .personEmail
            } else if equals(localname, "uri") || equals(localname, "url") || equals(localname, "homepage") {
                frame.field = .personURI
            }
            if frame.field != .ignored { beginText() }
            return
        }
        guard parent == .feed || parent == .entry else { return }
        let entry = parent == .entry
        frame.field = classify(localname, uri: uri, namespace: namespace, entry: entry)
        switch frame.field {
        case .title:
            frame.markup = namespace == .atom ? (FeedParser.markup(attributes) ?? .text) : .text
            frame.type = namespace == .atom ? FeedParser.mimeType(attributes) : "text/plain"
        case .summary:
            if namespace == .atom {
                frame.markup = FeedParser.markup(attributes) ?? .text
                frame.type = FeedParser.mimeType(attributes)
            } else if equals(localname, "summary") {
                frame.markup = .text
                frame.type = "text/plain"
            } else {
                frame.markup = .html
                frame.type = "text/html"
            }
        case .content:
            if namespace == .atom {
                if attributes.value("src") != nil {
                    frame.field = .ignored
                    return
                }
                frame.markup = FeedParser.markup(attributes) ?? .text
                frame.type = FeedParser.mimeType(attributes)
            } else if equals(localname, "body") {
                frame.markup = .xhtml
                frame.type = "application/xhtml+xml"
            } else {
                frame.markup = .html
                frame.type = "text/html"
            }
        case .category:
            frame.attribute = attributes.trimmed("domain")
        case .guid:
            frame.attribute = attributes.value("isPermaLink")
        case .link where namespace == .atom:
            frame.field = .ignored
            guard let href = attributes.trimmed("href") else { return }
            d.common.links.append(
                Link(
                    href: href, rel: attributes.trimmed("rel") ?? "alternate", type: attributes.trimmed("type"),
                    title: attributes.value("title"), length: attributes.trimmed("length"),
                    hreflang: attributes.trimmed("hreflang")))
            return
        case .person:
            d.person = Person()
            return
        case .ignored:
            if namespace == .atom, equals(localname, "category"), let term = attributes.value("term") {
                let term = PlainText.collapsed(term)
                if !term.isEmpty {
                    d.common.tags.append(
                        Tag(term: term, scheme: attributes.trimmed("scheme"), label: attributes.value("label")))
                }
            } else if namespace == .none, equals(localname, "enclosure"), let url = attributes.trimmed("url") {
                d.common.links.append(
                    Link(href: url, rel: "enclosure", type: attributes.trimmed("type"), length: attributes.trimmed("length")))
            }
            return
        default:
            break
        }
        beginText()
    }

    func elementEnding(_ parser: FeedParser) {
        let d = self
        guard let frame = d.frames.popLast() else { return }
        switch frame.field {
        case .ignored, .root:
            return
        case .markup:
            if frame.block { appendSpace() }
            return
        case .feed:
            if d.feed.link == nil, let link = d.feed.links.first(where: { $0.rel == "alternate" })?.href {
                d.feed.link = link
            }
            if d.feed.title == nil, let title = d.dcTitle { d.feed.title = TextValue(value: title, type: "text/plain") }
            d.dcTitle = nil
            return
        case .entry:
            if d.entry.title == nil, let title = d.dcTitle { d.entry.title = TextValue(value: title, type: "text/plain") }
            if d.entry.link == nil,
                let link = d.entry.links.first(where: { $0.rel == "alternate" })?.href
            {
                d.entry.link = link
            }
            if d.entry.link == nil, d.guidIsPermaLink, let guid = d.entry.id,
                guid.hasPrefix("http://") || guid.hasPrefix("https://")
            {
                d.entry.link = guid
            }
            d.inEntry = false
            return
        case .person:
            if d.person != Person() { d.common.authors.append(d.person) }
            return
        default:
            break
        }
        // A text field.
        d.capturing = false
        let value = d.text.withUnsafeBufferPointer { bytes -> String in
            switch frame.field {
            case .link, .guid, .id, .published, .updated, .personEmail, .personURI: PlainText.trimmed(bytes)
            default: frame.markup == .html ? PlainText.fromHTML(bytes) : PlainText.collapsed(bytes)
            }
        }
        d.text.removeAll(keepingCapacity: true)
        switch frame.field {
        case .title:
            if d.common.title == nil { d.common.title = TextValue(value: value, type: frame.type) }
        case .dcTitle:
            if d.dcTitle == nil { d.dcTitle = value }
        case .link:
            guard !value.isEmpty else { return }
            if d.common.link == nil { d.common.link = value }
            d.common.links.append(Link(href: value))
        case .guid:
            guard !value.isEmpty, d.common.id == nil else { return }
            d.common.id = value
            d.guidIsPermaLink = frame.attribute.map { $0.lowercased() != "false" } ?? true
        case .id:
            if !value.isEmpty, d.common.id == nil { d.common.id = value }
        case .published, .updated:
            guard !value.isEmpty else { return }
            let date = DateValue(raw: value, date: FeedDate.parse(value))
            if frame.field == .published {
                if d.common.published == nil { d.common.published = date }
            } else if d.common.updated == nil {
                d.common.updated = date
            }
        case .summary:
            let text = TextValue(value: value, type: frame.type)
            if !d.inEntry { return }
            if d.entry.summary == nil { d.entry.summary = text } else { d.entry.content.append(text) }
        case .content:
            if d.inEntry { d.entry.content.append(TextValue(value: value, type: frame.type)) }
        case .category, .subject:
            if !value.isEmpty { d.common.tags.append(Tag(term: value, scheme: frame.attribute)) }
        case .authorText:
            guard !value.isEmpty else { return }
            if d.common.authorText == nil { d.common.authorText = value }
            d.common.authors.append(Person(parsing: value))
        case .personName:
            if !value.isEmpty { d.person.name = value }
        case .personEmail:
            if !value.isEmpty { d.person.email = value }
        case .personURI:
            if !value.isEmpty { d.person.href = value }
        default:
            break
        }
    }

    private func classify(
        _ name: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, namespace: Namespace, entry: Bool
    ) -> DetailField {
        switch namespace {
        case .none, .rss1:
            if equals(name, "title") { return .title }
            if equals(name, "link") { return .link }
            if equals(name, "description") { return .summary }
            if equals(name, "category") { return namespace == .none ? .category : .ignored }
            if equals(name, "pubDate") { return .published }
            if equals(name, "lastBuildDate") { return .updated }
            if equals(name, "author") { return .authorText }
            if entry {
                if equals(name, "guid") { return .guid }
                if equals(name, "summary") { return .summary }
                if equals(name, "fullitem") { return .content }
            } else if equals(name, "managingEditor") {
                return .authorText
            }
        case .atom:
            if equals(name, "title") { return .title }
            if equals(name, "link") { return .link }
            if equals(name, "id") { return .id }
            if equals(name, "published") || equals(name, "issued") { return .published }
            if equals(name, "updated") || equals(name, "modified") { return .updated }
            if equals(name, "author") { return .person }
            if entry {
                if equals(name, "summary") { return .summary }
                if equals(name, "content") { return .content }
            }
        case .dublinCore:
            if equals(name, "title") { return .dcTitle }
            if equals(name, "date") { return .updated }
            if equals(name, "subject") { return .subject }
            if equals(name, "creator") || equals(name, "author") { return .authorText }
            if entry, equals(name, "description") { return .summary }
        case .content:
            if entry, equals(name, "encoded") { return .content }
        case .other:
            guard let uri else { return .ignored }
            if equals(uri, "http://purl.org/dc/terms/") {
                if equals(name, "issued") { return .published }
                if equals(name, "modified") { return .updated }
            } else if entry, equals(uri, "http://www.w3.org/1999/xhtml"), equals(name, "body") {
                return .content
            }
        case .rdf, .fix:
            break
        }
        return .ignored
    }

    private func root(
        _ parser: FeedParser, localname: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: Attributes,
        namespaces: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int
    ) {
        let d = self
        d.feed.encoding = parser.inputEncoding
        switch parser.result.format {
        case .rss2:
            d.frames.append(DetailReader.Frame(field: .root))
            if d.netscapeDoctype {
                d.feed.version = .rss091n
            } else {
                switch attributes.trimmed("version") {
                case "0.91": d.feed.version = .rss091u
                case "0.92": d.feed.version = .rss092
                case "0.93": d.feed.version = .rss093
                case "0.94": d.feed.version = .rss094
                case let version? where version.hasPrefix("2."): d.feed.version = .rss20
                default: d.feed.version = .rss
                }
            }
        case .rss1:
            d.frames.append(DetailReader.Frame(field: .root))
            // The dialect follows the namespaces declared on the root (or used below it).
            if let namespaces {
                for index in 0..<count {
                    guard let declared = namespaces[index * 2 + 1] else { continue }
                    version(parser, declared)
                }
            }
        case .atom:
            d.frames.append(DetailReader.Frame(field: .feed))
            if let uri, equals(uri, "http://www.w3.org/2005/Atom") {
                d.feed.version = .atom10
            } else if let uri, equals(uri, "http://purl.org/atom/ns#") {
                d.feed.version = .atom03
            } else {
                d.feed.version = attributes.trimmed("version") == "0.3" ? .atom03 : .atom
            }
        case .cvrf:
            d.frames.append(DetailReader.Frame(field: .ignored))
            d.feed.version = .cvrf
        case nil, .csaf, .rolie:  // JSON documents never reach the XML root
            d.frames.append(DetailReader.Frame(field: .ignored))
        }
    }

    /// RSS 1.0 or 0.90, from a namespace in use.
    private func version(_ parser: FeedParser, _ uri: UnsafePointer<UInt8>?) {
        let d = self
        guard parser.result.format == .rss1, d.feed.version == nil, let uri else { return }
        if equals(uri, "http://purl.org/rss/1.0/") {
            d.feed.version = .rss10
        } else if equals(uri, "http://my.netscape.com/rdf/simple/0.9/") {
            d.feed.version = .rss090
        }
    }

    private func beginText() {
        capturing = true
        truncated = false
        text.removeAll(keepingCapacity: true)
    }

    /// Character data (and resolved references) while a text field is open.
    @inline(__always)
    func characters(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        guard capturing else { return }
        let room = maxTextBytes - text.count
        guard room > 0 else {
            truncated = true
            return
        }
        text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(count, room)))
    }

    func appendSpace() {
        var space: UInt8 = 0x20
        characters(&space, 1)
    }
}

extension FeedParser {
    /// The MIME type of an Atom text construct's `type` attribute, as feedparser names it.
    static func mimeType(_ attributes: Attributes) -> String {
        guard let type = attributes.trimmed("type")?.lowercased() else { return "text/plain" }
        switch type {
        case "text": return "text/plain"
        case "html": return "text/html"
        case "xhtml": return "application/xhtml+xml"
        default: return type
        }
    }
}

extension Person {
    /// An RSS author text (`Example editor (me@example.com)`, `me@example.com (Name)`,
    /// `Name <mailto:me@example.com>`) split into name and email.
    init(parsing text: String) {
        self.init()
        let scalars = Array(text.unicodeScalars)
        guard let at = scalars.firstIndex(of: "@") else {
            name = text
            return
        }
        func isLocal(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "_-.+".unicodeScalars.contains(s))
        }
        func isDomain(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "-.".unicodeScalars.contains(s))
        }
        var start = at
        while start > 0, isLocal(scalars[start - 1]) { start -= 1 }
        var end = at + 1
        while end < scalars.count, isDomain(scalars[end]) { end += 1 }
        while end > at + 1, scalars[end - 1] == "." { end -= 1 }
        guard start < at, end > at + 1 else {
            name = text
            return
        }
        email = String(String.UnicodeScalarView(scalars[start..<end]))
        var rest = String(String.UnicodeScalarView(scalars[..<start])) + String(String.UnicodeScalarView(scalars[end...]))
        for noise in ["mailto:", "()", "<>"] { rest = rest.replacingOccurrences(of: noise, with: "") }
        rest = rest.trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("(") { rest.removeFirst() }
        if rest.hasSuffix(")") { rest.removeLast() }
        rest = PlainText.collapsed(rest)
        if !rest.isEmpty { name = rest }
    }
}
