import Articles
internal import CLibXML2
import Foundation

/// Namespaces that matter, matched by URI (never by prefix).
enum Namespace: UInt8 {
    /// No namespace: RSS 2.0 (also its rarely used userland/harvard URIs).
    case none
    /// RSS 1.0 (and RSS 0.90, its predecessor).
    case rss1
    /// Atom 1.0 (and Atom 0.3).
    case atom
    case rdf
    case dublinCore
    case fix
    case content
    case other

    static func classify(_ uri: UnsafePointer<UInt8>?) -> Namespace {
        guard let uri else { return .none }
        if equals(uri, "urn:critfix:fix:1") { return .fix }
        if equals(uri, "http://www.w3.org/2005/Atom") { return .atom }
        if equals(uri, "http://purl.org/dc/elements/1.1/") { return .dublinCore }
        if equals(uri, "http://purl.org/rss/1.0/modules/content/") { return .content }
        if equals(uri, "http://purl.org/rss/1.0/") { return .rss1 }
        if equals(uri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#") { return .rdf }
        if equals(uri, "http://my.netscape.com/rdf/simple/0.9/") { return .rss1 }
        if equals(uri, "http://purl.org/atom/ns#") { return .atom }
        if equals(uri, "http://backend.userland.com/rss2") { return .none }
        if equals(uri, "http://blogs.law.harvard.edu/tech/rss") { return .none }
        return .other
    }
}

/// The elements of RSS and Atom the parser reacts to. Stored on the element stack as raw values.
enum FeedElement: UInt8 {
    case other = 0
    case root, channel, item, entry
    case title, dcTitle, link, atomLink, guid, atomID
    case pubDate, dcDate, published, updated
    case description, atomSummary, atomContent, contentEncoded
    case category, atomCategory, dcSubject
    case fxArticle, fxRevision, fxSeverity, fxKind, fxProduct

    /// Compares the local name as bytes: no String per element.
    static func classify(_ name: UnsafePointer<UInt8>, _ namespace: Namespace) -> FeedElement {
        switch namespace {
        case .none:
            switch name[0] {
            case UInt8(ascii: "c"):
                if equals(name, "category") { return .category }
                if equals(name, "channel") { return .channel }
            case UInt8(ascii: "d"): if equals(name, "description") { return .description }
            case UInt8(ascii: "g"): if equals(name, "guid") { return .guid }
            case UInt8(ascii: "i"): if equals(name, "item") { return .item }
            case UInt8(ascii: "l"): if equals(name, "link") { return .link }
            case UInt8(ascii: "p"): if equals(name, "pubDate") { return .pubDate }
            case UInt8(ascii: "t"): if equals(name, "title") { return .title }
            default: break
            }
        case .fix:
            switch name[0] {
            case UInt8(ascii: "a"): if equals(name, "article") { return .fxArticle }
            case UInt8(ascii: "k"): if equals(name, "kind") { return .fxKind }
            case UInt8(ascii: "p"): if equals(name, "product") { return .fxProduct }
            case UInt8(ascii: "r"): if equals(name, "revision") { return .fxRevision }
            case UInt8(ascii: "s"): if equals(name, "severity") { return .fxSeverity }
            default: break
            }
        case .atom:
            switch name[0] {
            case UInt8(ascii: "c"):
                if equals(name, "category") { return .atomCategory }
                if equals(name, "content") { return .atomContent }
                if equals(name, "created") { return .published }  // Atom 0.3
            case UInt8(ascii: "e"): if equals(name, "entry") { return .entry }
            case UInt8(ascii: "i"):
                if equals(name, "id") { return .atomID }
                if equals(name, "issued") { return .published }  // Atom 0.3
            case UInt8(ascii: "l"): if equals(name, "link") { return .atomLink }
            case UInt8(ascii: "m"): if equals(name, "modified") { return .updated }  // Atom 0.3
            case UInt8(ascii: "p"): if equals(name, "published") { return .published }
            case UInt8(ascii: "s"): if equals(name, "summary") { return .atomSummary }
            case UInt8(ascii: "t"): if equals(name, "title") { return .title }
            case UInt8(ascii: "u"): if equals(name, "updated") { return .updated }
            default: break
            }
        case .rss1:
            switch name[0] {
            case UInt8(ascii: "c"): if equals(name, "channel") { return .channel }
            case UInt8(ascii: "d"): if equals(name, "description") { return .description }
            case UInt8(ascii: "i"): if equals(name, "item") { return .item }
            case UInt8(ascii: "l"): if equals(name, "link") { return .link }
            case UInt8(ascii: "t"): if equals(name, "title") { return .title }
            default: break
            }
        case .dublinCore:
            if equals(name, "date") { return .dcDate }
            if equals(name, "subject") { return .dcSubject }
            if equals(name, "title") { return .dcTitle }
        case .content:
            if equals(name, "encoded") { return .contentEncoded }
        case .rdf, .other:
            break
        }
        return .other
    }

    /// For messages: the element as a feed author would name it.
    var displayName: String {
        switch self {
        case .title: "title"
        case .dcTitle: "dc:title"
        case .link: "link"
        case .guid: "guid"
        case .atomID: "id"
        case .pubDate: "pubDate"
        case .dcDate: "dc:date"
        case .published: "published"
        case .updated: "updated"
        case .description: "description"
        case .atomSummary: "summary"
        case .atomContent: "content"
        case .contentEncoded: "content:encoded"
        case .category, .atomCategory: "category"
        case .dcSubject: "dc:subject"
        case .fxArticle: "fx:article"
        case .fxRevision: "fx:revision"
        case .fxSeverity: "fx:severity"
        case .fxKind: "fx:kind"
        case .fxProduct: "fx:product"
        default: "element"
        }
    }
}

/// A date element as parsed, and as written when it could not be parsed: only then does
/// an item's id fall back to it.
struct DateField {
    var raw: String
    var date: Date?
}

/// What one RSS item / Atom entry said so far.
struct ItemDraft {
    var line = 0
    var fxArticle: String?
    /// RSS `guid`, Atom `id`, RSS 1.0 `rdf:about`.
    var guid: String?
    var guidIsPermaLink = false
    var link: String?
    var title: String?
    var dcTitle: String?
    var pubDate: DateField?
    var dcDate: DateField?
    var published: DateField?
    var updated: DateField?
    var revision = 1
    var fxSeverity: Int?
    var categorySeverity: Int?
    var fxKind: Kind?
    var categoryKind: Kind?
    var products: [ProductReference] = []
    var categories: [String] = []
    var summary: String?
    var pendingSummary: PendingSummary?
    /// 1: description/summary, 2: content — lower wins.
    var summaryRank = Int.max
    /// The `domain` of the RSS category being read.
    var categoryDomain: String?
}

/// Maximum length of an item's summary, in characters.
let maxSummaryCharacters = 2000

extension FeedParser {
    // MARK: - Start and end of elements

    func startElement(
        localname: UnsafePointer<UInt8>, prefix: UnsafePointer<UInt8>?, uri: UnsafePointer<UInt8>?,
        attributes: Attributes
    ) {
        guard !failed else { return }
        depth += 1
        if depth > limits.maxDepth {
            fail(line: currentLine, "nesting deeper than \(limits.maxDepth) elements")
            return
        }
        if collecting {
            // Markup inside a collected field (Atom xhtml, HTML left unescaped): its text
            // belongs to the field; block elements separate words.
            let block = PlainText.isBlock(UnsafeBufferPointer(start: localname, count: Int(xmlStrlen(localname))))
            if block { appendSpace() }
            stack.append(block ? FeedParser.blockMarker : 0)
            return
        }
        if depth == 1 {
            startRoot(localname: localname, prefix: prefix, uri: uri)
            return
        }
        if result.format == .cvrf {
            cvrfStart(localname: localname, attributes: attributes)
            return
        }
        var namespace = Namespace.classify(uri)
        if namespace == .none, atomWithoutNamespace { namespace = .atom }
        let element = FeedElement.classify(localname, namespace)
        let parent = stack.last ?? 0
        stack.append(element.rawValue)
        if itemDepth > 0 {
            if depth == itemDepth + 1, element != .other { startItemField(element, attributes) }
            return
        }
        switch element {
        case .item where result.format == .rss2 || result.format == .rss1, .entry where result.format == .atom:
            itemDepth = depth
            item = ItemDraft()
            item.line = currentLine ?? 0
            if result.format == .rss1 {
                item.guid = attributes.trimmed("about", namespace: "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            }
        case .title where result.title == nil
            && (parent == FeedElement.channel.rawValue || (parent == FeedElement.root.rawValue && result.format == .atom)):
            collectingFeedTitle = true
            beginText(code: element.rawValue, markup: FeedParser.markup(attributes) ?? .text)
        default:
            break
        }
    }

    func endElement() {
        guard !failed, depth > 0, !stack.isEmpty else { return }
        let code = stack.removeLast()
        if collecting {
            if depth == fieldDepth {
                finishField()
            } else if code == FeedParser.blockMarker {
                // the end of a block element inside the field
                appendSpace()
            }
        }
        if result.format == .cvrf {
            cvrfEnd(code)
        } else if itemDepth > 0, depth == itemDepth {
            finishItem()
            itemDepth = 0
        }
        depth -= 1
    }

    /// Stack code of a block element inside a collected field.
    static let blockMarker: UInt8 = 255
    func appendSpace() {
        var space: UInt8 = 0x20
        appendText(&space, 1)
    }

    private func startRoot(localname: UnsafePointer<UInt8>, prefix: UnsafePointer<UInt8>?, uri: UnsafePointer<UInt8>?) {
        let namespace = Namespace.classify(uri)
        if namespace == .none, equals(localname, "rss") {
            result.format = .rss2
        } else if namespace == .rdf, equals(localname, "RDF") {
            result.format = .rss1
        } else if namespace == .atom, equals(localname, "feed") {
            result.format = .atom
        } else if namespace == .none, equals(localname, "feed") {
            // Atom written without its namespace: read its elements as Atom's.
            result.format = .atom
            atomWithoutNamespace = true
        } else if equals(localname, "cvrfdoc") {
            result.format = .cvrf
            cvrf = CVRFDraft()
            cvrf.line = currentLine ?? 0
            stack.append(CVRFElement.root.rawValue)
            return
        } else {
            var name = String(cString: localname)
            if let prefix { name = String(cString: prefix) + ":" + name }
            if detail != nil {
                // Detail mode reads on to the end, for well-formedness.
                if result.error == nil {
                    result.error = FeedParseError(line: currentLine, message: "not a feed: the root element is <\(name)>")
                }
                ignoringContent = true
                stack.append(0)
                return
            }
            fail(line: currentLine, "not a feed: the root element is <\(name)>")
            return
        }
        stack.append(FeedElement.root.rawValue)
    }

    /// The `type` of an Atom text construct; nil for content that is not text (base64 media).
    static func markup(_ attributes: Attributes) -> Markup? {
        guard let type = attributes.trimmed("type")?.lowercased() else { return .text }
        switch type {
        case "", "text", "text/plain": return .text
        case "html", "text/html": return .html
        case "xhtml", "application/xhtml+xml": return .xhtml
        default: return type.hasPrefix("text/") || type.hasSuffix("+xml") || type.hasSuffix("/xml") ? .text : nil
        }
    }

    // MARK: - Item fields

    private func startItemField(_ element: FeedElement, _ attributes: Attributes) {
        let code = element.rawValue
        switch element {
        case .title:
            if item.title == nil { beginText(code: code, markup: FeedParser.markup(attributes) ?? .text) }
        case .link:
            if item.link == nil { beginText(code: code) }
        case .guid:
            if item.guid == nil {
                let permaLink = attributes.bytes("isPermaLink")
                item.guidIsPermaLink = permaLink.map { !PlainText.equalsLower($0, "false") } ?? true
                beginText(code: code)
            }
        case .atomID:
            if item.guid == nil { beginText(code: code) }
        case .dcTitle, .pubDate, .dcDate, .published, .updated, .dcSubject, .fxArticle, .fxRevision, .fxSeverity,
            .fxKind:
            beginText(code: code)
        case .description:
            if item.summaryRank > 1 { beginText(code: code, markup: .html) }
        case .contentEncoded:
            if item.summaryRank > 2 { beginText(code: code, markup: .html) }
        case .atomSummary:
            if item.summaryRank > 1, let markup = FeedParser.markup(attributes) { beginText(code: code, markup: markup) }
        case .atomContent:
            if item.summaryRank > 2, attributes.value("src") == nil, let markup = FeedParser.markup(attributes) {
                beginText(code: code, markup: markup)
            }
        case .category:
            item.categoryDomain = attributes.trimmed("domain")
            beginText(code: code)
        case .atomCategory:
            guard let term = attributes.bytes("term") else { return }
            addCategory(PlainText.collapsed(Attributes.decode(term)), domain: attributes.trimmed("scheme"), line: currentLine)
        case .atomLink:
            guard item.link == nil, let href = attributes.trimmed("href") else { return }
            let rel = attributes.trimmed("rel")
            if rel == nil || rel == "alternate" { item.link = href }
        case .fxProduct:
            let id = attributes.bytes("id").map { PlainText.collapsed(Attributes.decode($0)) } ?? ""
            guard !id.isEmpty else {
                warn(line: currentLine, "fx:product without an id, ignored")
                return
            }
            item.products.append(
                ProductReference(
                    name: id, affected: attributes.trimmed("affected"), fixed: attributes.trimmed("fixed"),
                    origin: .identifier))
        default:
            break
        }
    }

    func finishField() {
        endText(fieldName: fieldDisplayName)
        if collectingFeedTitle {
            collectingFeedTitle = false
            result.title = fieldMarkup == .html ? PlainText.fromHTML(text) : PlainText.collapsed(text)
            return
        }
        if result.format == .cvrf {
            cvrfField(CVRFElement(rawValue: fieldCode) ?? .other)
            return
        }
        itemField(FeedElement(rawValue: fieldCode) ?? .other, text)
    }

    private var fieldDisplayName: String {
        if result.format == .cvrf { return (CVRFElement(rawValue: fieldCode) ?? .other).displayName }
        return (FeedElement(rawValue: fieldCode) ?? .other).displayName
    }

    private func itemField(_ element: FeedElement, _ bytes: UnsafeBufferPointer<UInt8>) {
        let line = fieldLine
        switch element {
        case .title:
            item.title = fieldMarkup == .html ? PlainText.fromHTML(bytes) : PlainText.collapsed(bytes)
        case .dcTitle:
            if item.dcTitle == nil { item.dcTitle = PlainText.collapsed(bytes) }
        case .link:
            let link = PlainText.trimmed(bytes)
            if !link.isEmpty { item.link = link }
        case .guid, .atomID:
            let id = PlainText.trimmed(bytes)
            if !id.isEmpty { item.guid = id }
        case .pubDate:
            if item.pubDate == nil { item.pubDate = dateField(bytes, line: line) }
        case .dcDate:
            if item.dcDate == nil { item.dcDate = dateField(bytes, line: line) }
        case .published:
            if item.published == nil { item.published = dateField(bytes, line: line) }
        case .updated:
            if item.updated == nil { item.updated = dateField(bytes, line: line) }
        case .description, .atomSummary, .atomContent, .contentEncoded:
            let rank = element == .description || element == .atomSummary ? 1 : 2
            guard rank < item.summaryRank else { return }
            item.summaryRank = rank
            if defersSummaries {
                item.pendingSummary = PendingSummary(bytes: Array(bytes), isHTML: fieldMarkup == .html)
            } else {
                item.summary = PlainText.summary(bytes, isHTML: fieldMarkup == .html)
            }
        case .category:
            addCategory(PlainText.collapsed(bytes), domain: item.categoryDomain, line: line)
            item.categoryDomain = nil
        case .dcSubject:
            let subject = PlainText.collapsed(bytes)
            if !subject.isEmpty { item.categories.append(subject) }
        case .fxArticle:
            let article = PlainText.trimmed(bytes)
            if !article.isEmpty { item.fxArticle = article }
        case .fxRevision:
            let value = PlainText.trimmed(bytes)
            if let revision = Int(value), revision >= 1 {
                item.revision = revision
            } else {
                warn(line: line, "fx:revision '\(value)' is not a positive integer, using 1")
            }
        case .fxSeverity:
            if let severity = FeedParser.severity(bytes) {
                item.fxSeverity = severity
                return
            }
            let value = PlainText.trimmed(bytes)
            if let severity = Severity.parse(value) {
                item.fxSeverity = severity
            } else {
                warn(line: line, "fx:severity '\(value)' is not 1..4")
            }
        case .fxKind:
            if let kind = FeedParser.kind(bytes) {
                item.fxKind = kind
                return
            }
            let value = PlainText.trimmed(bytes)
            if let kind = Kind(parsing: value) {
                item.fxKind = kind
            } else {
                warn(line: line, "fx:kind '\(value)' is not one of \(Kind.allNames)")
            }
        default:
            break
        }
    }

    /// Fast paths for the usual `1`…`4` and `critical-fix` (ASCII white space around them);
    /// anything else goes through `Severity.parse` / `Kind(parsing:)`.
    static func severity(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var start = 0
        var end = bytes.count
        while start < end, PlainText.isSpace(bytes[start]) { start += 1 }
        while end > start, PlainText.isSpace(bytes[end - 1]) { end -= 1 }
        guard end - start == 1, bytes[start] >= UInt8(ascii: "1"), bytes[start] <= UInt8(ascii: "4") else { return nil }
        return Int(bytes[start] - UInt8(ascii: "0"))
    }

    static func kind(_ bytes: UnsafeBufferPointer<UInt8>) -> Kind? {
        var start = 0
        var end = bytes.count
        while start < end, PlainText.isSpace(bytes[start]) { start += 1 }
        while end > start, PlainText.isSpace(bytes[end - 1]) { end -= 1 }
        let word = UnsafeBufferPointer(rebasing: bytes[start..<end])
        for (kind, name) in kindNames where name.count == word.count {
            if zip(name, word).allSatisfy({ $0 == PlainText.lower($1) }) { return kind }
        }
        return nil
    }

    private static let kindNames: [(Kind, [UInt8])] = Kind.allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// A category (RSS text with `domain`, Atom `term` with `scheme`): always listed; the
    /// `severity`, `kind` and `product` domains also set those fields (SPEC 2.2).
    private func addCategory(_ text: String, domain: String?, line: Int?) {
        guard !text.isEmpty else { return }
        item.categories.append(text)
        guard let domain = domain?.lowercased() else { return }
        switch domain {
        case "severity":
            if let severity = Severity.parse(text) {
                if item.categorySeverity == nil { item.categorySeverity = severity }
            } else {
                warn(line: line, "category severity '\(text)' is not 1..4")
            }
        case "kind":
            if let kind = Kind(parsing: text) {
                if item.categoryKind == nil { item.categoryKind = kind }
            } else {
                warn(line: line, "category kind '\(text)' is not one of \(Kind.allNames)")
            }
        case "product":
            item.products.append(ProductReference(name: text, origin: .category))
        default:
            break
        }
    }

    func dateField(_ bytes: UnsafeBufferPointer<UInt8>, line: Int?) -> DateField? {
        guard bytes.contains(where: { !PlainText.isSpace($0) }) else { return nil }
        if let date = FeedDate.parse(bytes: bytes) { return DateField(raw: "", date: date) }
        let raw = PlainText.trimmed(bytes)
        warn(line: line, "unparseable date '\(raw)'")
        return DateField(raw: raw, date: nil)
    }

    private func finishItem() {
        let title = item.title ?? item.dcTitle ?? ""
        // The first date that parses, in this order; else the first as written.
        let published = item.published?.date ?? item.pubDate?.date ?? item.dcDate?.date ?? item.updated?.date
        let firstDate = item.published ?? item.pubDate ?? item.dcDate ?? item.updated
        let publishedRaw = published == nil ? firstDate?.raw : nil
        var link = item.link
        if link == nil, item.guidIsPermaLink, let guid = item.guid, guid.hasPrefix("http://") || guid.hasPrefix("https://") {
            link = guid
        }
        let id =
            item.fxArticle ?? item.guid ?? link
            ?? Digest.sha256Hex(title + (published.map(Timestamp.rfc3339) ?? publishedRaw ?? ""))
        var feedItem = FeedItem(
            line: item.line, id: id, revision: item.revision, title: title, link: link, published: published,
            updated: item.updated?.date, severity: item.fxSeverity ?? item.categorySeverity,
            kind: item.fxKind ?? item.categoryKind, products: item.products, categories: item.categories,
            summary: item.summary ?? "")
        feedItem.pendingSummary = item.pendingSummary
        item = ItemDraft()
        result.itemCount += 1
        if let detail {
            detail.onEntry(feedItem, detail.entry)
        } else {
            onItem(feedItem)
        }
    }
}
