import Articles
internal import CLibXML2
import Foundation

// Detail mode: a second reader that runs beside the normal one, on the same SAX events, and
// records what `FeedDetail`/`EntryDetail` hold. It is installed only by the detail
// initialiser, through a SAX handler of its own (see `FeedParser.makeHandler(detail:)`), so
// the default mode does not execute a single instruction of it. Every bound of the normal
// reader holds here too: the same depth limit (the detail callbacks run after the normal
// ones, which count depth), `maxTextBytes` per field, and nothing beyond libxml2's
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

/// The detail reader's state; one per parser, created only in detail mode.
final class DetailReader {
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

    let onEntry: (FeedItem, EntryDetail) -> Void
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

    init(onEntry: @escaping (FeedItem, EntryDetail) -> Void) {
        self.onEntry = onEntry
        frames.reserveCapacity(32)
    }

    var common: CommonDetail {
        get { inEntry ? entry.common : feed.common }
        set {
            if inEntry { entry.common = newValue } else { feed.common = newValue }
        }
    }
}

extension FeedParser {
    /// Called after `startElement` for the same element.
    func detailStart(
        localname: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: Attributes,
        namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, namespaceCount: Int
    ) {
        guard let d = detail, !failed else { return }
        let parent = d.frames.last?.field
        if let parent, parent.capturesText {
            let block = PlainText.isBlock(UnsafeBufferPointer(start: localname, count: Int(xmlStrlen(localname))))
            if block { detailAppend(space: ()) }
            d.frames.append(DetailReader.Frame(field: .markup, block: block))
            return
        }
        if depth == 1 {
            detailRoot(localname: localname, uri: uri, attributes: attributes, namespaces: namespaces, count: namespaceCount)
            return
        }
        var frame = DetailReader.Frame(field: .ignored)
        defer { d.frames.append(frame) }
        guard let parent, parent != .ignored else { return }
        if result.format == .cvrf { return }
        var namespace = Namespace.classify(uri)
        if namespace == .none, atomWithoutNamespace { namespace = .atom }
        if itemDepth == depth {
            // The normal reader just opened an item: the detail reader follows it.
            frame.field = .entry
            d.inEntry = true
            d.entry = EntryDetail()
            d.guidIsPermaLink = false
            d.dcTitle = nil
            if result.format == .rss1 {
                d.entry.id = attributes.trimmed("about", namespace: "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            }
            detailVersion(uri)
            return
        }
        if parent == .root {
            if equals(localname, "channel"), namespace == .none || namespace == .rss1 {
                frame.field = .feed
                detailVersion(uri)
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
            if frame.field != .ignored { detailBeginText() }
            return
        }
        guard parent == .feed || parent == .entry else { return }
        let entry = parent == .entry
        frame.field = detailClassify(localname, uri: uri, namespace: namespace, entry: entry)
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
        detailBeginText()
    }

    /// Called before `endElement` for the same element.
    func detailEnd() {
        guard let d = detail, !failed, let frame = d.frames.popLast() else { return }
        switch frame.field {
        case .ignored, .root:
            return
        case .markup:
            if frame.block { detailAppend(space: ()) }
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

    private func detailClassify(
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

    private func detailRoot(
        localname: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: Attributes,
        namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int
    ) {
        guard let d = detail else { return }
        d.feed.encoding = detailEncoding()
        switch result.format {
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
                    detailVersion(declared)
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
    private func detailVersion(_ uri: UnsafePointer<UInt8>?) {
        guard let d = detail, result.format == .rss1, d.feed.version == nil, let uri else { return }
        if equals(uri, "http://purl.org/rss/1.0/") {
            d.feed.version = .rss10
        } else if equals(uri, "http://my.netscape.com/rdf/simple/0.9/") {
            d.feed.version = .rss090
        }
    }

    /// The encoding libxml2 decodes the input with, lower case; UTF-8 when it needs no converter.
    func detailEncoding() -> String? {
        guard let context, let input = context.pointee.input else { return nil }
        if let buffer = input.pointee.buf, let encoder = buffer.pointee.encoder, let name = encoder.pointee.name {
            return String(cString: name).lowercased()
        }
        return "utf-8"
    }

    private func detailBeginText() {
        guard let d = detail else { return }
        d.capturing = true
        d.truncated = false
        d.text.removeAll(keepingCapacity: true)
    }

    /// Character data (and resolved references) while a detail text field is open.
    @inline(__always)
    func detailAppend(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        guard let d = detail, d.capturing else { return }
        let room = limits.maxTextBytes - d.text.count
        guard room > 0 else {
            d.truncated = true
            return
        }
        d.text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: min(count, room)))
    }

    func detailAppend(space: ()) {
        var space: UInt8 = 0x20
        detailAppend(&space, 1)
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
