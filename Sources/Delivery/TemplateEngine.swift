// The small placeholder language of the email templates; the syntax and every
// placeholder are documented at the top of Templates.swift.

/// Where a placeholder's value comes from: the frames a template can see.
enum FrameKind: Sendable {
    /// The message: customer, contact, sender (every template).
    case message
    /// Digest totals (digest templates, outermost).
    case digest
    /// One notification (single-notification templates: always; digest: inside `{{#notifications}}`).
    case notification
    /// One product of the article, inside `{{#products}}`.
    case product
    /// One product through which the customer matched, inside `{{#matched}}`.
    case matched
}

/// Every placeholder name, and the frame that provides it.
enum Field: String, CaseIterable, Sendable {
    // message
    case customerID = "customer_id"
    case customerName = "customer_name"
    case plan
    case contactName = "contact_name"
    case contactEmail = "contact_email"
    case sender
    case registeredProducts = "registered_products"
    // digest
    case count
    case countText = "count_text"
    case criticalCount = "critical_count"
    case criticalText = "critical_text"
    case notifications
    // notification (and, for the three severity fields, digest: the most severe)
    case position
    case title
    case severity
    case severityLabel = "severity_label"
    case severityNumber = "severity_number"
    case critical
    case kind
    case kindLabel = "kind_label"
    case articleKey = "article_key"
    case revision
    case isRevision = "is_revision"
    case published
    case summary
    case link
    case productNames = "product_names"
    case products
    case matched
    // product and matched
    case product
    case productID = "product_id"
    case affected
    case fixed
    case fixedAll = "fixed_all"
    case version
    case noFixForRelease = "no_fix_for_release"

    /// The frames that answer this name (the innermost frame on the stack wins).
    var frames: [FrameKind] {
        switch self {
        case .customerID, .customerName, .plan, .contactName, .contactEmail, .sender, .registeredProducts:
            [.message]
        case .count, .countText, .criticalCount, .criticalText, .notifications: [.digest]
        case .severity, .severityLabel, .severityNumber, .critical: [.notification, .digest]
        case .position, .title, .kind, .kindLabel, .articleKey, .revision, .isRevision, .published, .summary,
            .link, .productNames, .products, .matched:
            [.notification]
        case .product, .productID, .affected, .fixed, .fixedAll: [.product, .matched]
        case .version, .noFixForRelease: [.matched]
        }
    }

    /// For a list, the frame each item pushes.
    var itemFrame: FrameKind? {
        switch self {
        case .notifications: .notification
        case .products: .product
        case .matched: .matched
        default: nil
        }
    }

    static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}

/// A parsed template: text, placeholders and sections.
indirect enum TemplateNode: Sendable {
    case text([UInt8])
    case value(Field)
    /// `{{#name}}…{{/name}}` (inverted: `{{^name}}…{{/name}}`).
    case section(Field, inverted: Bool, [TemplateNode])
}

/// One step of a compiled template. A section holds the index just past its body, so
/// rendering walks one flat array of plain values: no boxes, no reference counting.
enum TemplateOp: Sendable {
    /// These bytes of `CompiledTemplate.text`.
    case text(Range<Int>)
    case value(Field)
    /// `{{#name}}` or `{{^name}}`: the body is the ops after this one, up to `end`.
    case section(Field, inverted: Bool, end: Int)
}

struct CompiledTemplate: Sendable {
    let ops: [TemplateOp]
    /// Every literal piece of the template, one after the other.
    let text: [UInt8]
    /// HTML templates escape every value.
    let escapesHTML: Bool

    /// Parses `source`; `file` names it in errors. `roots` are the frames visible at the top.
    init(source: String, file: String, roots: [FrameKind], escapesHTML: Bool) throws(TemplateError) {
        self.escapesHTML = escapesHTML
        var parser = TemplateParser(bytes: Array(source.utf8), file: file)
        var ops: [TemplateOp] = []
        var text: [UInt8] = []
        Self.flatten(try parser.parse(roots: roots), into: &ops, text: &text)
        self.ops = ops
        self.text = text
    }

    private static func flatten(_ nodes: [TemplateNode], into ops: inout [TemplateOp], text: inout [UInt8]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                ops.append(.text(text.count..<(text.count + bytes.count)))
                text.append(contentsOf: bytes)
            case .value(let field):
                ops.append(.value(field))
            case .section(let field, let inverted, let children):
                let at = ops.count
                ops.append(.section(field, inverted: inverted, end: at))
                flatten(children, into: &ops, text: &text)
                ops[at] = .section(field, inverted: inverted, end: ops.count)
            }
        }
    }
}

private struct TemplateParser {
    enum Token {
        case text(start: Int, end: Int)
        case tag(sigil: UInt8?, name: String, line: Int)
    }

    let bytes: [UInt8]
    let file: String

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func fail(_ line: Int, _ message: String) -> TemplateError {
        TemplateError(file: file, line: line, message: message)
    }

    mutating func parse(roots: [FrameKind]) throws(TemplateError) -> [TemplateNode] {
        var tokens = try tokenize()
        removeStandaloneLines(&tokens)

        struct Open {
            var field: Field
            var inverted: Bool
            var line: Int
            var nodes: [TemplateNode] = []
            var pushed: FrameKind?
        }
        var frames = roots
        var stack: [Open] = []
        var top: [TemplateNode] = []
        func append(_ node: TemplateNode) {
            if stack.isEmpty { top.append(node) } else { stack[stack.count - 1].nodes.append(node) }
        }
        for token in tokens {
            switch token {
            case .text(let start, let end):
                if start < end { append(.text(Array(bytes[start..<end]))) }
            case .tag(let sigil, let name, let line):
                if sigil == UInt8(ascii: "!") { continue }
                guard let field = Field.byName[name] else {
                    throw fail(line, "unknown placeholder '\(name)'")
                }
                guard field.frames.contains(where: frames.contains) else {
                    throw fail(line, "placeholder '\(name)' cannot be used here")
                }
                switch sigil {
                case UInt8(ascii: "#"), UInt8(ascii: "^"):
                    var open = Open(field: field, inverted: sigil == UInt8(ascii: "^"), line: line)
                    if let item = field.itemFrame, !open.inverted {
                        frames.append(item)
                        open.pushed = item
                    }
                    stack.append(open)
                case UInt8(ascii: "/"):
                    guard let open = stack.popLast() else {
                        throw fail(line, "'{{/\(name)}}' closes no open section")
                    }
                    guard open.field == field else {
                        throw fail(line, "'{{/\(name)}}' closes '{{\(open.inverted ? "^" : "#")\(open.field.rawValue)}}' of line \(open.line)")
                    }
                    if open.pushed != nil { frames.removeLast() }
                    append(.section(open.field, inverted: open.inverted, open.nodes))
                default:
                    if field.itemFrame != nil {
                        throw fail(line, "'\(name)' is a list: use {{#\(name)}}…{{/\(name)}}")
                    }
                    append(.value(field))
                }
            }
        }
        if let open = stack.last {
            throw fail(open.line, "section '{{\(open.inverted ? "^" : "#")\(open.field.rawValue)}}' is not closed")
        }
        return top
    }

    func tokenize() throws(TemplateError) -> [Token] {
        var tokens: [Token] = []
        var line = 1
        var index = 0
        var textStart = 0
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
                index += 1
                continue
            }
            guard byte == open, index + 1 < bytes.count, bytes[index + 1] == open else {
                index += 1
                continue
            }
            tokens.append(.text(start: textStart, end: index))
            let tagLine = line
            var end = index + 2
            while end + 1 < bytes.count, !(bytes[end] == close && bytes[end + 1] == close) {
                if bytes[end] == newline { throw fail(tagLine, "'{{' without '}}' on the same line") }
                end += 1
            }
            guard end + 1 < bytes.count else { throw fail(tagLine, "'{{' without '}}'") }
            var content = bytes[(index + 2)..<end]
            while let first = content.first, first == 0x20 { content.removeFirst() }
            while let last = content.last, last == 0x20 { content.removeLast() }
            var sigil: UInt8?
            if let first = content.first, [UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: "!")].contains(first) {
                sigil = first
                content.removeFirst()
                while let first = content.first, first == 0x20 { content.removeFirst() }
            }
            let name = String(decoding: content, as: UTF8.self)
            if sigil != UInt8(ascii: "!") && name.isEmpty { throw fail(tagLine, "empty placeholder '{{}}'") }
            tokens.append(.tag(sigil: sigil, name: name, line: tagLine))
            index = end + 2
            textStart = index
        }
        tokens.append(.text(start: textStart, end: bytes.count))
        return tokens
    }

    /// A section tag or comment alone on its line takes the line with it (as in Mustache).
    func removeStandaloneLines(_ tokens: inout [Token]) {
        func isBlank(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        }
        var cuts: [(token: Int, start: Int?, end: Int?)] = []
        for (i, token) in tokens.enumerated() {
            guard case .tag(.some, _, _) = token else { continue }
            // Tokens alternate: text, tag, text, …, text.
            guard case .text(let ps, let pe) = tokens[i - 1], case .text(let ns, let ne) = tokens[i + 1] else { continue }
            let lastNewline = bytes[ps..<pe].lastIndex(of: 0x0A)
            guard lastNewline != nil || i - 1 == 0 else { continue }
            let lineStart = lastNewline.map { $0 + 1 } ?? ps
            guard isBlank(lineStart..<pe) else { continue }
            let firstNewline = bytes[ns..<ne].firstIndex(of: 0x0A)
            guard firstNewline != nil || i + 1 == tokens.count - 1 else { continue }
            let lineEnd = firstNewline.map { $0 + 1 } ?? ne
            guard isBlank(ns..<(firstNewline ?? ne)) else { continue }
            cuts.append((i - 1, nil, lineStart))
            cuts.append((i + 1, lineEnd, nil))
        }
        for cut in cuts {
            guard case .text(var start, var end) = tokens[cut.token] else { continue }
            if let newStart = cut.start { start = max(start, newStart) }
            if let newEnd = cut.end { end = min(end, newEnd) }
            tokens[cut.token] = .text(start: start, end: max(start, end))
        }
    }
}
