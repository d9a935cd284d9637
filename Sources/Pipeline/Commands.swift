import Articles
import Configuration
import FeedParsing
import Foundation
import Matching
import StateStore

/// The commands besides `run`, as functions from arguments to an exit code, so the
/// CLI stays a thin layer over them.
public enum Commands {
    // MARK: check

    public static func check(configPath: String, environment: [String: String], console: Console) -> Int32 {
        switch Setup.load(configPath: configPath, environment: environment, console: console) {
        case .failure(let failure): return failure.exitCode
        case .success: return ExitStatus.success
        }
    }

    // MARK: parse

    /// How `parse`, `status` and `review` print: for people, or as JSON for scripts.
    public enum OutputFormat: String, Sendable, CaseIterable { case json, text }

    /// Parses one feed and prints its articles as the matcher sees them (SPEC 7.1).
    public static func parse(
        source: String, format: OutputFormat, configPath: String?, environment: [String: String], console: Console
    ) -> Int32 {
        var configuration: CritfixConfiguration?
        if let configPath {
            do {
                configuration = try ConfigurationLoader.load(path: configPath, environment: environment)
            } catch {
                for diagnostic in error.diagnostics { console.error(diagnostic.description) }
                return ExitStatus.invalidConfiguration
            }
        }
        let feed = feedConfiguration(for: source, in: configuration)
        let normalizer = ArticleNormalizer(feed: feed.name, defaults: feed.defaults, catalog: configuration?.catalog)
        let output = BufferedOutput()
        if format == .json { output.write("{\"articles\": [") }
        // Two stages on two cores: this thread parses, another normalises and writes.
        let writer = ArticleWriter(normalizer: normalizer, output: output, format: format)
        let parser = FeedParser(onPendingItem: { item in writer.add(item) })
        // Unconditional: `parse` shows what the feed holds now.
        let loader = FeedLoader(catalog: configuration?.catalog, fetch: configuration?.fetch ?? FetchSettings())
        let outcome = loader.read(feed, validators: nil, into: parser)
        var result = parser.finish()
        var (count, itemWarnings) = writer.finish()
        // A CSAF ROLIE feed: its documents are the articles (SPEC 2.6), every one fetched.
        var failedDocuments = 0
        if result.format == .rolie, result.error == nil, outcome.failure == nil {
            let due = DocumentLoader.due(result.rolieEntries, feedURL: feed.url, known: [:])
            let documents = DocumentLoader(loader: loader).load(
                due, feed: feed, known: [:], fromPrivateAddress: outcome.fromPrivateAddress)
            for document in documents {
                itemWarnings += document.warnings
                if let error = document.state.lastError {
                    failedDocuments += 1
                    itemWarnings.append(FeedWarning(line: nil, "document \(document.state.id) (\(document.state.url)): \(error)"))
                }
                for article in document.articles {
                    ArticleWriter.write(article, number: count, format: format, to: output)
                    count += 1
                }
            }
        }
        var warnings = itemWarnings
        if let failure = outcome.failure {
            result.error = FeedParseError(line: nil, message: failure)
        } else if let error = result.error, let contentType = outcome.contentType {
            result.error = FeedParseError(line: nil, message: FeedLoader.describe(error, contentType: contentType))
        }
        warnings = result.warnings + warnings
        warnings.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        // The items' warnings come from the writer thread: the parser's limit is applied
        // to them all together (the parser's own count of those it dropped stays).
        var listed = warnings
        if result.suppressedWarnings > 0 {
            listed.removeAll { $0.line == nil && $0.message.hasSuffix(" more warnings not shown") }
        }
        if listed.count > FeedParser.maxWarnings {
            let dropped = listed.count - FeedParser.maxWarnings + result.suppressedWarnings
            warnings = Array(listed.prefix(FeedParser.maxWarnings))
            warnings.append(FeedWarning(line: nil, "\(dropped) more warnings not shown"))
        }
        var messages = warnings.map(\.description)
        if let error = result.error { messages.append(error.description) }
        switch format {
        case .json:
            let title = JSONText.string(result.title)
            let formatName = JSONText.string(result.format?.rawValue)
            output.write(count == 0 ? "],\n" : "\n],\n")
            output.write(" \"feed\": {\"title\": \(title), \"format\": \(formatName)},\n")
            output.write(" \"warnings\": [\(messages.map { JSONText.string($0) }.joined(separator: ", "))]}\n")
        case .text:
            output.write("feed: \(result.title ?? "(no title)") (\(result.format?.rawValue ?? "unknown format")), \(count) articles\n")
            for message in messages { output.write("warning: \(message)\n") }
        }
        output.flush()
        if let error = result.error {
            console.error("critfix: \(source): \(error)")
            return ExitStatus.failures
        }
        if failedDocuments > 0 {
            console.error("critfix: \(source): \(failedDocuments) of its documents failed (see warnings)")
            return ExitStatus.failures
        }
        return ExitStatus.success
    }

    /// The configured feed whose URL is `source`, else an ad-hoc feed named after the file.
    static func feedConfiguration(for source: String, in configuration: CritfixConfiguration?) -> FeedConfiguration {
        let absolute = source.hasPrefix("/") || source.contains("://")
            ? source : FileManager.default.currentDirectoryPath + "/" + source
        if let configured = configuration?.feeds.first(where: { $0.url == source || $0.url == absolute }) {
            return configured
        }
        var name = ((source as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
        name = String(name.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "-" })
        return FeedConfiguration(name: name.isEmpty ? "feed" : name, url: source)
    }

    static func text(_ article: Article) -> String {
        var lines = ["\(article.key)  revision \(article.revision)  severity \(article.severity)  \(article.kind.rawValue)"]
        lines.append("  title:     \(article.title)")
        if let link = article.link { lines.append("  link:      \(link)") }
        if let published = article.published { lines.append("  published: \(CivilTime.rfc3339(published))") }
        if let updated = article.updated { lines.append("  updated:   \(CivilTime.rfc3339(updated))") }
        let products = article.products.map { product -> String in
            var text = product.id + " " + (product.affected.map { "affected \($0)" } ?? "every version")
            if let fixed = product.fixed { text += ", fixed \(fixed)" }
            let identifiers = product.cpes.map { "CPE \($0)" } + product.purls.map { "purl \($0)" }
            if !identifiers.isEmpty { text += " (\(identifiers.joined(separator: ", ")))" }
            if !product.isResolved { text += " (not in the catalog)" }
            return text
        }
        lines.append("  products:  \(products.isEmpty ? "none" : products.joined(separator: "; "))")
        if article.isUnmatched { lines.append("  unmatched: no product of this article is in the catalog; it matches nobody") }
        return lines.joined(separator: "\n") + "\n\n"
    }

    // MARK: explain

    public static func explain(customerID: String, articleKey: String, setup: LoadedSetup, console: Console) -> Int32 {
        let configuration = setup.configuration
        guard let customer = setup.registrations.customers.first(where: { $0.id == customerID }) else {
            console.error("critfix: no customer '\(customerID)' in \(configuration.registrations)")
            return ExitStatus.usage
        }
        var store: (any StateStore)?
        if !configuration.state.isMissing {
            do {
                store = try configuration.openState()
            } catch {
                // The feed can still say what the article is now.
                console.error("critfix: warning: \(error.message); reading the article from its feed")
            }
        }
        var article = (try? store?.seenArticles([articleKey]))?[articleKey]?.article
        var source = "as recorded in the state"
        if article == nil {
            // Not recorded yet: read the feed the key names.
            let feedName = String(articleKey.prefix { $0 != "/" })
            if let feed = configuration.feeds.first(where: { $0.name == feedName }) {
                let loaded = FeedLoader(catalog: configuration.catalog).load(feed)
                article = loaded.articles.first { $0.key == articleKey }
                source = "as read from feed \(feed.name) now"
            }
        }
        guard let article else {
            console.error("critfix: no article '\(articleKey)' in the state or in its feed")
            return ExitStatus.usage
        }
        let explanation = Explanation(customer: customer, article: article, catalog: configuration.catalog)
        var lines = ["customer \(customer.id) (\(customer.plan.rawValue)) and article \(article.key) revision \(article.revision), \(source):"]
        for rule in explanation.rules {
            lines.append("  rule \(rule.number): \(rule.holds ? "yes" : "no ") — \(rule.reason)")
        }
        var matches = explanation.matches
        if matches {
            let before = (try? store?.notifiedBefore(articleKey: article.key))?[customer.id]
            if let before {
                let verdict = RevisionPolicy.verdict(
                    customer: customer, revision: article.revision, severity: article.severity, before: before,
                    previousProducts: nil)
                let reason: String
                switch verdict {
                case .notify: reason = "notified at revision \(before.revision); this revision is more severe or newly includes the customer"
                case .alreadyNotified: reason = "already notified at revision \(before.revision)"
                case .revisionNotRelevant: reason = "notified at revision \(before.revision); this revision neither raises the severity nor newly includes the customer"
                }
                lines.append("  rule 5: \(verdict == .notify ? "yes" : "no ") — \(reason)")
                matches = verdict == .notify
            } else {
                lines.append("  rule 5: yes — never notified of this article before")
            }
        }
        lines.append(matches ? "=> a notification" : "=> no notification")
        console.out(lines.joined(separator: "\n") + "\n")
        return ExitStatus.success
    }
}

/// Collects output and writes it to stdout in large blocks.
final class BufferedOutput {
    private var buffer = ByteBuffer(capacity: 1 << 17)


    func write(_ text: String) {
        buffer.append(contentsOf: text)
        if buffer.byteCount >= 1 << 16 { flush() }
    }

    func writeArticle(_ article: Article) {
        JSONText.appendArticle(article, to: &buffer)
        if buffer.byteCount >= 1 << 16 { flush() }
    }

    func flush() {
        let bytes = buffer.bytes
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { break }
            offset += written
        }
        buffer.removeAll()
    }
}
