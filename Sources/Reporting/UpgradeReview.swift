public import Articles

/// Upgrade planning (SPEC 7.5): before a customer moves a product from its installed
/// version to another, every recorded article about the product sorted into the known
/// problems of the target version, what the move fixes, and what it newly exposes. The
/// versions compare and the ranges match by SPEC 2.4's rules, as the matcher's do.
public struct UpgradeReview: Sendable {
    public struct Entry: Sendable {
        public var article: String
        public var title: String
        public var severity: Int
        public var link: String?
        /// What resolves it for a customer on the target version.
        public var advice: FixAdvice
    }

    public var customer: Customer
    public var product: CatalogProduct
    /// The registered version; nil when the customer registered the product without one.
    public var installed: Version?
    public var target: Version
    /// Articles affecting the target version, with the fix for each.
    public var knownProblems: [Entry] = []
    /// Articles affecting the installed version but not the target.
    public var fixedByMove: [Entry] = []
    /// Articles affecting the target version but not the installed one.
    public var newlyExposed: [Entry] = []

    /// The target is older than the installed version.
    public var isDowngrade: Bool { installed.map { target < $0 } ?? false }

    public init(customer: Customer, product: CatalogProduct, installed: Version?, target: Version, articles: [Article]) {
        self.customer = customer
        self.product = product
        self.installed = installed
        self.target = target
        for article in articles {
            let ranges = article.products.filter { $0.isResolved && $0.id == product.id }
            guard !ranges.isEmpty else { continue }
            let atTarget = ranges.filter { $0.range.contains(target) }
            let atInstalled = installed.map { version in ranges.contains { $0.range.contains(version) } }
            if let first = atTarget.first {
                let entry = Entry(
                    article: article.key, title: article.title, severity: article.severity, link: article.link,
                    advice: first.advice(installed: target))
                knownProblems.append(entry)
                if atInstalled == false { newlyExposed.append(entry) }
            } else if atInstalled == true, let first = ranges.first(where: { range in installed.map(range.range.contains) ?? false }) {
                fixedByMove.append(
                    Entry(
                        article: article.key, title: article.title, severity: article.severity, link: article.link,
                        advice: first.advice(installed: installed)))
            }
        }
        for list in [\UpgradeReview.knownProblems, \.fixedByMove, \.newlyExposed] {
            self[keyPath: list].sort { a, b in
                a.severity != b.severity ? a.severity < b.severity : a.article.utf8.lexicographicallyPrecedes(b.article.utf8)
            }
        }
    }

    // MARK: Output

    public func text() -> String {
        var out = "Review of \(product.name.isEmpty ? product.id : product.name) for \(customer.id)"
        if !customer.name.isEmpty { out += " (\(customer.name))" }
        out += ": from \(installed?.text ?? "an unregistered version") to \(target.text)\n"
        if isDowngrade, let installed {
            out += "This is a downgrade: \(target.text) is older than the installed \(installed.text).\n"
        } else if installed == target {
            out += "The customer already runs \(target.text).\n"
        } else if installed == nil {
            out += "The customer registered \(product.id) without a version: only the known problems of \(target.text) are listed.\n"
        }
        out += section("Known problems of \(target.text)", knownProblems, fix: true)
        if installed != nil {
            out += section("What the move fixes", fixedByMove, fix: false)
            out += section("What the move newly exposes", newlyExposed, fix: true)
        }
        return out
    }

    private func section(_ title: String, _ entries: [Entry], fix: Bool) -> String {
        var out = "\n\(title) (\(entries.count)):\n"
        if entries.isEmpty { return out + "  none\n" }
        for entry in entries {
            out += "  [\(entry.severity)] \(entry.article) — \(entry.title)\n"
            if fix { out += "      fix: \(Self.fixText(entry.advice, target: target))\n" }
            if let link = entry.link { out += "      \(link)\n" }
        }
        return out
    }

    /// The fix for a customer on the target version, in a few words.
    static func fixText(_ advice: FixAdvice, target: Version) -> String {
        switch advice {
        case .upgrade(let version): "upgrade to \(version)"
        case .noFixForRelease(let fixed): "no fix announced yet for \(target.text) (fixed in \(fixed.joined(separator: ", ")))"
        case .oneOf(let fixed): "one of \(fixed.joined(separator: ", "))"
        case .noneAnnounced: "no fix announced yet"
        }
    }

    public func json() -> String {
        func list(_ entries: [Entry], fix: Bool) -> String {
            "[" + entries.map { entry in
                var text = "\n  {\"article\": \(ReportFigures.json(entry.article)), \"title\": \(ReportFigures.json(entry.title)), "
                text += "\"severity\": \(entry.severity), \"link\": \(ReportFigures.json(entry.link))"
                if fix {
                    text += ", \"fixed_in\": \(ReportFigures.json(entry.advice.version)), "
                    text += "\"fix\": \(ReportFigures.json(Self.fixText(entry.advice, target: target)))"
                }
                return text + "}"
            }.joined(separator: ",") + "]"
        }
        var out = "{\"customer\": \(ReportFigures.json(customer.id)), \"product\": \(ReportFigures.json(product.id)), "
        out += "\"installed\": \(ReportFigures.json(installed?.text)), \"target\": \(ReportFigures.json(target.text)), "
        out += "\"downgrade\": \(isDowngrade),\n \"known_problems\": \(list(knownProblems, fix: true)),\n"
        out += " \"fixed_by_move\": \(installed == nil ? "null" : list(fixedByMove, fix: false)),\n"
        out += " \"newly_exposed\": \(installed == nil ? "null" : list(newlyExposed, fix: true))}\n"
        return out
    }
}
