import Articles
internal import CLibXML2
import Foundation

/// Namespaces that matter, matched by URI (never by prefix).
package enum Namespace: UInt8 {
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

    package static func classify(_ uri: UnsafePointer<UInt8>?) -> Namespace {
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

/// What one RSS item / Atom entry said so far (`ItemBuilder`'s state).
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
    /// 1: description/summary, 2: content — lower wins.
    var summaryRank = Int.max
    /// The `domain` of the RSS category being read.
    var categoryDomain: String?
}

/// The parser's side of the item being read: its fields, kept for `ItemBuilder`, and
/// what decides which of the fields still to come are collected.
struct ItemState {
    var pending: PendingItem
    var hasTitle = false
    var hasLink = false
    var hasGuid = false
    /// 1: description/summary, 2: content — lower wins.
    var summaryRank = Int.max

    init(line: Int, capacity: Int = 0) {
        pending = PendingItem(line: line, capacity: capacity)
    }
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
            // Room for as much as the item before needed (items of a feed are alike).
            item = ItemState(line: currentLine ?? 0, capacity: lastItemBytes + lastItemBytes / 4)
            if result.format == .rss1,
                let about = attributes.bytes("about", namespace: "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            {
                item.pending.append(.about, about, line: item.pending.line)
                item.hasGuid = Attributes.trimmed(about) != nil
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
            if observer != nil {
                // An observed parser reads on to the end, for well-formedness.
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
    package static func markup(_ attributes: Attributes) -> Markup? {
        guard let type = attributes.trimmed("type")?.lowercased() else { return .text }
        switch type {
        case "", "text", "text/plain": return .text
        case "html", "text/html": return .html
        case "xhtml", "application/xhtml+xml": return .xhtml
        default: return type.hasPrefix("text/") || type.hasSuffix("+xml") || type.hasSuffix("/xml") ? .text : nil
        }
    }

    // MARK: - Item fields

    /// Decides whether to collect an item's field, as `ItemBuilder` would use it (the first
    /// title, link and id that say something; the best summary), and keeps the attributes
    /// that matter, before the field they qualify.
    private func startItemField(_ element: FeedElement, _ attributes: Attributes) {
        let code = element.rawValue
        let line = currentLine ?? 0
        switch element {
        case .title:
            if !item.hasTitle { beginText(code: code, markup: FeedParser.markup(attributes) ?? .text) }
        case .link:
            if !item.hasLink { beginText(code: code) }
        case .guid:
            if !item.hasGuid {
                let permaLink = attributes.bytes("isPermaLink")
                item.pending.append(.permaLink(present: permaLink != nil), permaLink ?? UnsafeBufferPointer(start: nil, count: 0), line: line)
                beginText(code: code)
            }
        case .atomID:
            if !item.hasGuid { beginText(code: code) }
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
            if let domain = attributes.bytes("domain") { item.pending.append(.categoryDomain, domain, line: line) }
            beginText(code: code)
        case .atomCategory:
            guard let term = attributes.bytes("term") else { return }
            if let scheme = attributes.bytes("scheme") { item.pending.append(.categoryScheme, scheme, line: line) }
            item.pending.append(.categoryTerm, term, line: line)
        case .atomLink:
            guard !item.hasLink, let href = attributes.bytes("href"), Attributes.trimmed(href) != nil else { return }
            let rel = attributes.bytes("rel")
            if let rel { item.pending.append(.linkRel, rel, line: line) }
            item.pending.append(.linkHref, href, line: line)
            let relText = rel.flatMap(Attributes.trimmed)
            if relText == nil || relText == "alternate" { item.hasLink = true }
        case .fxProduct:
            if let affected = attributes.bytes("affected") { item.pending.append(.productAffected, affected, line: line) }
            if let fixed = attributes.bytes("fixed") { item.pending.append(.productFixed, fixed, line: line) }
            item.pending.append(.productID, attributes.bytes("id") ?? UnsafeBufferPointer(start: nil, count: 0), line: line)
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

    /// Keeps a collected field's text for `ItemBuilder`, and notes what it settles.
    private func itemField(_ element: FeedElement, _ bytes: UnsafeBufferPointer<UInt8>) {
        item.pending.append(.element(element), bytes, markup: fieldMarkup, line: fieldLine)
        switch element {
        case .title:
            item.hasTitle = true
        case .link:
            if !PlainText.isBlank(bytes) { item.hasLink = true }
        case .guid, .atomID:
            if !PlainText.isBlank(bytes) { item.hasGuid = true }
        case .description, .atomSummary:
            item.summaryRank = min(item.summaryRank, 1)
        case .atomContent, .contentEncoded:
            item.summaryRank = min(item.summaryRank, 2)
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

    /// A date element's value for CVRF (items use `ItemBuilder`'s); warns when it does not parse.
    func dateField(_ bytes: UnsafeBufferPointer<UInt8>, line: Int?) -> DateField? {
        var warnings: [FeedWarning] = []
        let field = DateField(bytes, line: line, &warnings)
        for warning in warnings { warn(line: warning.line, warning.message) }
        return field
    }

    private func finishItem() {
        result.itemCount += 1
        let pending = item.pending
        lastItemBytes = pending.bytes.count
        item = ItemState(line: 0)
        if let onPendingItem {
            onPendingItem(pending)
            return
        }
        var warnings: [FeedWarning] = []
        let feedItem = pending.item(warnings: &warnings)
        for warning in warnings { warn(line: warning.line, warning.message) }
        if let observer {
            observer.item(feedItem)
        } else {
            onItem(feedItem)
        }
    }
}
