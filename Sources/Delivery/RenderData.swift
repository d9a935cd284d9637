import Articles
import Configuration
import Foundation
import Matching

/// The values of one message, prepared once per `render` and read by the templates.
struct RenderData {
    struct Product {
        var name: String
        var id: String
        var affected: String
        /// In `products`, every fixed version; in `matched`, the one to upgrade to (SPEC 2.4).
        var fixed: String
        var fixedAll: String
        var version: String
        var noFixForRelease = false
    }

    struct Item {
        var title: String
        var subjectTitle: String
        var severity: Int
        var kind: Kind
        var articleKey: String
        var revision: Int
        var published: String
        var summary: String
        var link: String
        var productNames: String
        var products: [Product]
        var matched: [Product]
    }

    enum Frame {
        case message, digest
        case notification(Int)
        case product(Int, Int)
        case matched(Int, Int)
    }

    enum Value {
        case text(String)
        case number(Int)
        case flag(Bool)
        case list(Int)
    }

    let words: Words
    let customerID: String
    let customerName: String
    let plan: String
    let contactName: String
    let contactEmail: String
    let sender: String
    let registeredProducts: String
    let notifications: [Item]
    let mostSevere: Int
    let criticalCount: Int

    init(request: EmailRequest, customer: CustomerText, words: Words, polish: Bool, productNames: [String: String]) {
        self.words = words
        func name(_ id: String) -> String { productNames[id] ?? id }
        customerID = customer.id
        customerName = customer.name
        plan = customer.plan
        registeredProducts = customer.registeredProducts
        contactName = TextCleaning.line(request.contact.name ?? "", maxCharacters: 200)
        contactEmail = TextCleaning.token(request.contact.email)
        let fromName = TextCleaning.line(request.from.name ?? "", maxCharacters: 200)
        sender = fromName.isEmpty ? TextCleaning.token(request.from.address) : fromName

        var items: [Item] = []
        items.reserveCapacity(request.notifications.count)
        var mostSevere = Severity.lowest
        var critical = 0
        for notification in request.notifications {
            let article = notification.article
            mostSevere = min(mostSevere, article.severity)
            if article.severity <= 1 { critical += 1 }
            func affected(_ product: AffectedProduct) -> String {
                let text = TextCleaning.line(product.affected ?? "", maxCharacters: 200)
                return text.isEmpty || text == "*" ? words.allVersions : text
            }
            let products = article.products.map { product in
                let fixed = TextCleaning.line(product.fixed ?? "", maxCharacters: 200)
                return Product(
                    name: TextCleaning.line(name(product.id), maxCharacters: 200), id: TextCleaning.line(product.id, maxCharacters: 200),
                    affected: affected(product), fixed: fixed, fixedAll: fixed, version: "")
            }
            let matched = notification.matched.map { match in
                let product = article.products.first { $0.id == match.product }
                // The advice follows the installed version: one fixed version per release line.
                let advice = FixAdvice.advice(fixed: product?.fixed, installed: match.version.flatMap(Version.init))
                var noFix = false
                if case .noFixForRelease = advice { noFix = true }
                return Product(
                    name: TextCleaning.line(name(match.product), maxCharacters: 200), id: TextCleaning.line(match.product, maxCharacters: 200),
                    affected: product.map(affected) ?? words.allVersions,
                    fixed: TextCleaning.line(advice.version ?? "", maxCharacters: 100),
                    fixedAll: TextCleaning.line(product?.fixed ?? "", maxCharacters: 200),
                    version: TextCleaning.line(match.version ?? "", maxCharacters: 100), noFixForRelease: noFix)
            }
            var seen: [String] = []
            for product in matched.isEmpty ? products : matched where !seen.contains(product.name) {
                seen.append(product.name)
            }
            let names = seen.joined(separator: ", ")
            let title = TextCleaning.line(article.title, maxCharacters: EmailRenderer.maxTitle)
            items.append(
                Item(
                    title: title, subjectTitle: TextCleaning.truncate(title, maxCharacters: EmailRenderer.maxSubjectTitle),
                    severity: min(max(article.severity, 1), 4), kind: article.kind,
                    articleKey: TextCleaning.line(article.key, maxCharacters: 900), revision: article.revision,
                    published: (article.published ?? article.updated).map { CivilTime($0).text(polish: polish) } ?? "",
                    summary: TextCleaning.body(article.summary, maxCharacters: EmailRenderer.maxSummary),
                    link: TextCleaning.link(article.link) ?? "", productNames: names, products: products, matched: matched))
        }
        notifications = items
        self.mostSevere = min(max(mostSevere, 1), 4)
        criticalCount = critical
    }

    func value(_ field: Field, in frame: Frame, subject: Bool) -> Value? {
        switch frame {
        case .message:
            switch field {
            case .customerID: return .text(customerID)
            case .customerName: return .text(customerName)
            case .plan: return .text(plan)
            case .contactName: return .text(contactName)
            case .contactEmail: return .text(contactEmail)
            case .sender: return .text(sender)
            case .registeredProducts: return .text(registeredProducts)
            default: return nil
            }
        case .digest:
            switch field {
            case .count: return .number(notifications.count)
            case .countText: return .text(words.countText(notifications.count))
            case .criticalCount: return .number(criticalCount)
            case .criticalText: return .text(words.criticalText(criticalCount))
            case .notifications: return .list(notifications.count)
            case .severity: return .text(words.severity[mostSevere])
            case .severityLabel: return .text(words.severityLabel[mostSevere])
            case .severityNumber: return .number(mostSevere)
            case .critical: return .flag(mostSevere == 1)
            default: return nil
            }
        case .notification(let index):
            // Field by field: copying the whole item would retain every string in it.
            switch field {
            case .position: return .number(index + 1)
            case .title: return .text(subject ? notifications[index].subjectTitle : notifications[index].title)
            case .severity: return .text(words.severity[notifications[index].severity])
            case .severityLabel: return .text(words.severityLabel[notifications[index].severity])
            case .severityNumber: return .number(notifications[index].severity)
            case .critical: return .flag(notifications[index].severity == 1)
            case .kind:
                let kind = notifications[index].kind
                return .text(words.kind[kind] ?? kind.rawValue)
            case .kindLabel:
                let kind = notifications[index].kind
                return .text(words.kindLabel[kind] ?? kind.rawValue)
            case .articleKey: return .text(notifications[index].articleKey)
            case .revision: return .number(notifications[index].revision)
            case .isRevision: return .flag(notifications[index].revision > 1)
            case .published: return .text(notifications[index].published)
            case .summary: return .text(notifications[index].summary)
            case .link: return .text(notifications[index].link)
            case .productNames: return .text(notifications[index].productNames)
            case .products: return .list(notifications[index].products.count)
            case .matched: return .list(notifications[index].matched.count)
            default: return nil
            }
        case .product(let index, let position):
            return productValue(field, notifications[index].products[position])
        case .matched(let index, let position):
            if field == .version { return .text(notifications[index].matched[position].version) }
            if field == .noFixForRelease { return .flag(notifications[index].matched[position].noFixForRelease) }
            return productValue(field, notifications[index].matched[position])
        }
    }

    @inline(__always)
    private func productValue(_ field: Field, _ product: borrowing Product) -> Value? {
        switch field {
        case .product: return .text(product.name)
        case .productID: return .text(product.id)
        case .affected: return .text(product.affected)
        case .fixed: return .text(product.fixed)
        case .fixedAll: return .text(product.fixedAll)
        default: return nil
        }
    }

    /// Renders `template` for this message.
    func run(_ template: CompiledTemplate, digest: Bool, subject: Bool, into out: inout [UInt8]) {
        var stack: [Frame] = digest ? [.message, .digest] : [.message, .notification(0)]
        template.ops.withUnsafeBufferPointer { ops in
            template.text.withUnsafeBufferPointer { text in
                let program = Program(ops: ops, text: text, html: template.escapesHTML, subject: subject)
                run(program, 0..<ops.count, stack: &stack, into: &out)
            }
        }
    }

    /// A template while it runs.
    private struct Program {
        let ops: UnsafeBufferPointer<TemplateOp>
        let text: UnsafeBufferPointer<UInt8>
        let html: Bool
        let subject: Bool
    }

    private func lookup(_ field: Field, _ stack: [Frame], subject: Bool) -> (Value, Frame) {
        for frame in stack.reversed() {
            if let value = value(field, in: frame, subject: subject) { return (value, frame) }
        }
        return (.text(""), .message)  // not reached: the parser checked every name
    }

    private func run(_ program: Program, _ range: Range<Int>, stack: inout [Frame], into out: inout [UInt8]) {
        var index = range.lowerBound
        while index < range.upperBound {
            switch program.ops[index] {
            case .text(let bytes):
                out.append(contentsOf: UnsafeBufferPointer(rebasing: program.text[bytes]))
                index += 1
            case .value(let field):
                switch lookup(field, stack, subject: program.subject).0 {
                case .text(let text):
                    if program.html { HTML.appendEscaped(text, to: &out) } else { out.append(utf8: text) }
                case .number(let number): out.append(utf8: String(number))
                case .flag(let flag): out.append(utf8: flag ? "true" : "false")
                case .list: break
                }
                index += 1
            case .section(let field, let inverted, let end):
                section(program, field, inverted: inverted, body: (index + 1)..<end, stack: &stack, into: &out)
                index = end
            }
        }
    }

    /// A list runs its body once per item (with the item's frame pushed); anything else
    /// once when truthy (inverted: when not).
    private func section(
        _ program: Program, _ field: Field, inverted: Bool, body: Range<Int>, stack: inout [Frame], into out: inout [UInt8]
    ) {
        let (value, frame) = lookup(field, stack, subject: program.subject)
        let truthy: Bool
        switch value {
        case .text(let text): truthy = !text.isEmpty
        case .number(let number): truthy = number != 0
        case .flag(let flag): truthy = flag
        case .list(let count):
            guard !inverted else {
                if count == 0 { run(program, body, stack: &stack, into: &out) }
                return
            }
            for position in 0..<count {
                switch (field, frame) {
                case (.notifications, _): stack.append(.notification(position))
                case (.products, .notification(let index)): stack.append(.product(index, position))
                case (.matched, .notification(let index)): stack.append(.matched(index, position))
                default: continue
                }
                run(program, body, stack: &stack, into: &out)
                stack.removeLast()
            }
            return
        }
        if truthy != inverted { run(program, body, stack: &stack, into: &out) }
    }
}

/// A customer's part of every message to them (SPEC 6.1: id, name, plan, registered
/// products), cleaned once per run rather than once per message: with 40 registered
/// products, it was a third of preparing a message.
struct CustomerText: Sendable {
    /// What the text was made from: a customer with the same id but other values (a
    /// renderer reused with changed registrations) gets new text.
    let source: (name: String, plan: Plan, language: Language, products: [RegisteredProduct])
    let id: String
    let name: String
    let plan: String
    let registeredProducts: String

    init(_ customer: Customer, words: Words, productNames: [String: String]) {
        source = (customer.name, customer.plan, customer.language, customer.products)
        id = TextCleaning.line(customer.id, maxCharacters: 200)
        let cleanName = TextCleaning.line(customer.name, maxCharacters: 200)
        name = cleanName.isEmpty ? id : cleanName
        plan = words.plan[customer.plan] ?? customer.plan.rawValue
        // Built as bytes: String appends cost more than the rest of this list.
        var registered: [UInt8] = []
        for product in customer.products {
            if !registered.isEmpty { registered.append(utf8: ", ") }
            registered.append(utf8: productNames[product.product] ?? product.product)
            if let version = product.version {
                registered.append(0x20)
                registered.append(utf8: version.text)
            }
        }
        registeredProducts = TextCleaning.line(String(decoding: registered, as: UTF8.self), maxCharacters: 1000)
    }

    /// True when `customer` (of the id this text is kept under) would give this text.
    func isMade(from customer: Customer) -> Bool {
        customer.name == source.name && customer.plan == source.plan && customer.language == source.language
            && customer.products == source.products
    }
}

/// What a renderer keeps across messages of one run: each customer's text and the From
/// header, shared by the rendering threads.
final class RenderCache: Sendable {
    private let customers = Locked<[String: CustomerText]>([:])
    private let from = Locked<(mailbox: Mailbox, header: [UInt8])?>(nil)

    func customerText(_ customer: Customer, make: () -> CustomerText) -> CustomerText {
        if let text = customers.withLock({ $0[customer.id] }), text.isMade(from: customer) { return text }
        let text = make()
        customers.withLock { $0[customer.id] = text }
        return text
    }

    func fromHeader(_ mailbox: Mailbox, make: () -> [UInt8]) -> [UInt8] {
        if let cached = from.withLock({ $0 }), cached.mailbox == mailbox { return cached.header }
        let header = make()
        from.withLock { $0 = (mailbox, header) }
        return header
    }
}
