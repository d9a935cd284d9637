public import Articles
import Foundation

/// An RSS item or Atom entry as the parser collected it: the text of its fields and the
/// attributes that matter, as written, one after another in one buffer. `item(warnings:)`
/// makes the ``FeedItem`` (plain text, dates, id, categories …) — on the parsing thread,
/// or, with ``FeedParser/init(limits:onPendingItem:)``, on the consumer's, so that a
/// second core does that work while the first parses.
public struct PendingItem: Sendable {
    /// Line of the item's start tag.
    public let line: Int
    var bytes: [UInt8] = []
    var fields: [Field] = []
    /// An item made whole by the parser (CVRF's, built from the whole document).
    var finished: FeedItem?

    /// `capacity`: bytes to reserve, so that an item's fields rarely make the buffer grow.
    init(line: Int, capacity: Int = 0) {
        self.line = line
        if capacity > 0 {
            bytes.reserveCapacity(capacity)
            fields.reserveCapacity(16)
        }
    }

    /// One field: its bytes are `bytes[start..<end]`.
    struct Field: Sendable {
        var kind: Kind
        var markup: Markup
        var line: Int32
        var start: Int32
        var end: Int32
    }

    /// A collected element's text (`FeedElement` codes) or an attribute's value. An
    /// attribute that qualifies a field comes before it.
    enum Kind: Sendable, Equatable {
        case element(FeedElement)
        /// `rdf:about` of an RSS 1.0 item.
        case about
        /// `isPermaLink` of the guid that follows (absent: zero bytes and `.text` markup).
        case permaLink(present: Bool)
        /// `domain` of the RSS category that follows.
        case categoryDomain
        /// `scheme`, then `term`, of an Atom category.
        case categoryScheme, categoryTerm
        /// `rel`, then `href`, of an Atom link.
        case linkRel, linkHref
        /// `affected` and `fixed`, then `id` (absent or blank: warned about), of an `fx:product`.
        case productAffected, productFixed, productID
    }

    mutating func append(_ kind: Kind, _ value: UnsafeBufferPointer<UInt8>, markup: Markup = .text, line: Int) {
        let start = bytes.count
        bytes.append(contentsOf: value)
        fields.append(Field(kind: kind, markup: markup, line: Int32(clamping: line), start: Int32(start), end: Int32(bytes.count)))
    }

    init(finished item: FeedItem) {
        line = item.line
        finished = item
    }

    /// The item, and the warnings about its fields (each with its line).
    public func item(warnings: inout [FeedWarning]) -> FeedItem {
        if let finished { return finished }
        var builder = ItemBuilder(line: line)
        bytes.withUnsafeBufferPointer { all in
            for field in fields {
                let value = UnsafeBufferPointer(rebasing: all[Int(field.start)..<Int(field.end)])
                builder.apply(field, value, &warnings)
            }
        }
        return builder.finish()
    }
}

/// Makes a ``FeedItem`` from the fields of a ``PendingItem``, in document order.
struct ItemBuilder {
    var item = ItemDraft()
    // Attributes waiting for the field they qualify.
    private var scheme: String?
    private var rel: String?
    private var affected: String?
    private var fixed: String?

    init(line: Int) {
        item.line = line
    }

    mutating func apply(_ field: PendingItem.Field, _ bytes: UnsafeBufferPointer<UInt8>, _ warnings: inout [FeedWarning]) {
        let line = Int(field.line)
        switch field.kind {
        case .element(let element):
            apply(element, bytes, markup: field.markup, line: line, &warnings)
        case .about:
            item.guid = Attributes.trimmed(bytes)
        case .permaLink(let present):
            item.guidIsPermaLink = present ? !PlainText.equalsLower(bytes, "false") : true
        case .categoryDomain:
            item.categoryDomain = Attributes.trimmed(bytes)
        case .categoryScheme:
            scheme = Attributes.trimmed(bytes)
        case .categoryTerm:
            addCategory(PlainText.collapsed(Attributes.decode(bytes)), domain: scheme, line: line, &warnings)
            scheme = nil
        case .linkRel:
            rel = Attributes.trimmed(bytes)
        case .linkHref:
            if item.link == nil, let href = Attributes.trimmed(bytes), rel == nil || rel == "alternate" { item.link = href }
            rel = nil
        case .productAffected:
            affected = Attributes.trimmed(bytes)
        case .productFixed:
            fixed = Attributes.trimmed(bytes)
        case .productID:
            let id = PlainText.collapsed(Attributes.decode(bytes))
            if id.isEmpty {
                warnings.append(FeedWarning(line: line, "fx:product without an id, ignored"))
            } else {
                item.products.append(ProductReference(name: id, affected: affected, fixed: fixed, origin: .identifier))
            }
            affected = nil
            fixed = nil
        }
    }

    private mutating func apply(
        _ element: FeedElement, _ bytes: UnsafeBufferPointer<UInt8>, markup: Markup, line: Int, _ warnings: inout [FeedWarning]
    ) {
        switch element {
        case .title:
            item.title = markup == .html ? PlainText.fromHTML(bytes) : PlainText.collapsed(bytes)
        case .dcTitle:
            if item.dcTitle == nil { item.dcTitle = PlainText.collapsed(bytes) }
        case .link:
            let link = PlainText.trimmed(bytes)
            if !link.isEmpty { item.link = link }
        case .guid, .atomID:
            let id = PlainText.trimmed(bytes)
            if !id.isEmpty { item.guid = id }
        case .pubDate:
            if item.pubDate == nil { item.pubDate = DateField(bytes, line: line, &warnings) }
        case .dcDate:
            if item.dcDate == nil { item.dcDate = DateField(bytes, line: line, &warnings) }
        case .published:
            if item.published == nil { item.published = DateField(bytes, line: line, &warnings) }
        case .updated:
            if item.updated == nil { item.updated = DateField(bytes, line: line, &warnings) }
        case .description, .atomSummary, .atomContent, .contentEncoded:
            let rank = element == .description || element == .atomSummary ? 1 : 2
            guard rank < item.summaryRank else { return }
            item.summaryRank = rank
            item.summary = PlainText.summary(bytes, isHTML: markup == .html)
        case .category:
            addCategory(PlainText.collapsed(bytes), domain: item.categoryDomain, line: line, &warnings)
            item.categoryDomain = nil
        case .dcSubject:
            let subject = PlainText.collapsed(bytes)
            if !subject.isEmpty { item.categories.append(subject) }
        case .fxArticle:
            let article = PlainText.trimmed(bytes)
            if !article.isEmpty { item.fxArticle = article }
        case .fxRevision:
            let revision = Self.value(bytes, parse: { Int($0).flatMap { $0 >= 1 ? $0 : nil } }, line: line, &warnings) {
                "fx:revision '\($0)' is not a positive integer, using 1"
            }
            if let revision { item.revision = revision }
        case .fxSeverity:
            let severity = Self.value(bytes, fast: FeedParser.severity, parse: Severity.parse, line: line, &warnings) {
                "fx:severity '\($0)' is not 1..4"
            }
            if let severity { item.fxSeverity = severity }
        case .fxKind:
            let kind = Self.value(bytes, fast: FeedParser.kind, parse: Kind.init(parsing:), line: line, &warnings) {
                "fx:kind '\($0)' is not one of \(Kind.allNames)"
            }
            if let kind { item.fxKind = kind }
        default:
            break
        }
    }

    /// An extension element's value: read from the bytes by `fast` (the usual forms), else
    /// from the trimmed text by `parse`; when neither reads it, warned about with `problem`.
    private static func value<T>(
        _ bytes: UnsafeBufferPointer<UInt8>, fast: (UnsafeBufferPointer<UInt8>) -> T? = { _ in nil },
        parse: (String) -> T?, line: Int, _ warnings: inout [FeedWarning], problem: (String) -> String
    ) -> T? {
        if let value = fast(bytes) { return value }
        let text = PlainText.trimmed(bytes)
        if let value = parse(text) { return value }
        warnings.append(FeedWarning(line: line, problem(text)))
        return nil
    }

    /// A category (RSS text with `domain`, Atom `term` with `scheme`): always listed; the
    /// `severity`, `kind` and `product` domains also set those fields (SPEC 2.2).
    private mutating func addCategory(_ text: String, domain: String?, line: Int, _ warnings: inout [FeedWarning]) {
        guard !text.isEmpty else { return }
        item.categories.append(text)
        guard let domain = domain?.lowercased() else { return }
        switch domain {
        case "severity":
            if let severity = Severity.parse(text) {
                if item.categorySeverity == nil { item.categorySeverity = severity }
            } else {
                warnings.append(FeedWarning(line: line, "category severity '\(text)' is not 1..4"))
            }
        case "kind":
            if let kind = Kind(parsing: text) {
                if item.categoryKind == nil { item.categoryKind = kind }
            } else {
                warnings.append(FeedWarning(line: line, "category kind '\(text)' is not one of \(Kind.allNames)"))
            }
        case "product":
            item.products.append(ProductReference(name: text, origin: .category))
        default:
            break
        }
    }

    func finish() -> FeedItem {
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
            ?? Digest.sha256Hex(title + (published.map(CivilTime.rfc3339) ?? publishedRaw ?? ""))
        return FeedItem(
            line: item.line, id: id, revision: item.revision, title: title, link: link, published: published,
            updated: item.updated?.date, severity: item.fxSeverity ?? item.categorySeverity,
            kind: item.fxKind ?? item.categoryKind, products: item.products, categories: item.categories,
            summary: item.summary ?? "")
    }
}

extension DateField {
    /// A date element's value; nil when blank. One that does not parse is kept as written
    /// (an id may fall back to it) and warned about.
    init?(_ bytes: UnsafeBufferPointer<UInt8>, line: Int?, _ warnings: inout [FeedWarning]) {
        guard !PlainText.isBlank(bytes) else { return nil }
        if let date = FeedDate.parse(bytes: bytes) {
            self.init(raw: "", date: date)
            return
        }
        let raw = PlainText.trimmed(bytes)
        warnings.append(FeedWarning(line: line, "unparseable date '\(raw)'"))
        self.init(raw: raw, date: nil)
    }
}

extension Attributes {
    /// A raw attribute value without surrounding white space, `&#38;` decoded; nil when blank.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var start = 0
        var end = bytes.count
        while start < end, PlainText.isSpace(bytes[start]) { start += 1 }
        while end > start, PlainText.isSpace(bytes[end - 1]) { end -= 1 }
        guard start < end else { return nil }
        return decode(UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }
}
