import Articles
import Configuration
import Foundation
import StateStore

extension Commands {
    /// `critfix status`: feeds and deliveries (SPEC 7.2).
    public static func status(setup: LoadedSetup, json: Bool, console: Console) -> Int32 {
        let configuration = setup.configuration
        let report: StatusReport
        do throws(StateStoreError) {
            let store = try configuration.openState(emptyWhenMissing: true)
            report = try store.status(limit: 1000)
            store.close()
        } catch {
            console.error("critfix: \(error.message)")
            return error.isUnavailable ? ExitStatus.failures : ExitStatus.software
        }
        // Feeds in configuration order, including those never fetched.
        let recorded = Dictionary(report.feeds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let feeds = configuration.feeds.map {
            recorded[$0.name] ?? FeedState(name: $0.name, url: $0.url, failuresInARow: 0, articles: 0)
        }
        console.out(json ? statusJSON(report, feeds: feeds) : statusText(report, feeds: feeds))
        return ExitStatus.success
    }

    /// The server's ETag; a feed file's own validator (`file:…`) is not one.
    static func httpETag(_ feed: FeedState) -> String? {
        guard let etag = feed.etag, !etag.hasPrefix("file:") else { return nil }
        return etag
    }

    static func statusJSON(_ report: StatusReport, feeds: [FeedState]) -> String {
        let feedLines = feeds.map { feed in
            // A ROLIE feed's documents: how many, and those whose last fetch failed (SPEC 2.6).
            let documents =
                feed.documents.isEmpty
                ? ""
                : ", \"documents\": \(feed.documents.count), \"failed_documents\": ["
                    + feed.failedDocuments.map { document in
                        """
                        {"id": \(JSONText.string(document.id)), "url": \(JSONText.string(document.url)), \
                        "last_fetch": \(JSONText.date(document.lastFetch)), \
                        "failures_in_a_row": \(document.failuresInARow), "last_error": \(JSONText.string(document.lastError))}
                        """
                    }.joined(separator: ", ") + "]"
            return """
                {"name": \(JSONText.string(feed.name)), "url": \(JSONText.string(feed.url)), \
                "last_fetch": \(JSONText.date(feed.lastFetch)), "http_status": \(JSONText.int(feed.httpStatus)), \
                "etag": \(JSONText.string(httpETag(feed))), "failures_in_a_row": \(feed.failuresInARow), \
                "last_error": \(JSONText.string(feed.lastError)), "articles": \(feed.articles)\(documents)}
                """
        }
        func entry(_ entry: StatusReport.Entry, retrying: Bool) -> String {
            let articles = entry.isDigest
                ? "\"articles\": [\(entry.articles.map { JSONText.string($0) }.joined(separator: ", "))]"
                : "\"article\": \(JSONText.string(entry.articles.first))"
            let next = retrying ? ", \"next_attempt\": \(JSONText.date(entry.nextAttempt))" : ""
            return """
                {"customer": \(JSONText.string(entry.customer)), \(articles), \
                "channel": \(JSONText.string(entry.channel.rawValue)), "address": \(JSONText.string(entry.address)), \
                "attempts": \(entry.attempts)\(next), "last_error": \(JSONText.string(entry.lastError))}
                """
        }
        return """
            {"feeds": [\(feedLines.map { "\n  " + $0 }.joined(separator: ","))\(feeds.isEmpty ? "" : "\n ")],
             "deliveries": {"pending": \(report.pending), "retrying": \(report.retrying), "dead": \(report.dead), "delivered": \(report.delivered)},
             "retrying": [\(report.retryingDeliveries.map { "\n  " + entry($0, retrying: true) }.joined(separator: ","))],
             "dead": [\(report.deadDeliveries.map { "\n  " + entry($0, retrying: false) }.joined(separator: ","))]}

            """
    }

    static func statusText(_ report: StatusReport, feeds: [FeedState]) -> String {
        var lines = ["feeds:"]
        for feed in feeds {
            let fetched = feed.lastFetch.map { CivilTime.rfc3339($0) } ?? "never fetched"
            var line = "  \(feed.name): \(fetched)"
            if let status = feed.httpStatus { line += ", HTTP \(status)" }
            if let etag = httpETag(feed) { line += ", ETag \(etag)" }
            line += feed.articles == 1 ? ", 1 article" : ", \(feed.articles) articles"
            if feed.failuresInARow > 0 {
                let failures = feed.failuresInARow == 1 ? "1 failure" : "\(feed.failuresInARow) failures in a row"
                line += ", \(failures): \(feed.lastError ?? "")"
            }
            lines.append(line)
            if !feed.documents.isEmpty {
                let failed = feed.failedDocuments
                lines.append("    \(feed.documents.count) documents, \(failed.count) failed")
                for document in failed {
                    let failures = document.failuresInARow == 1 ? "1 failure" : "\(document.failuresInARow) failures in a row"
                    lines.append("    \(document.id) \(document.url): \(failures): \(document.lastError ?? "")")
                }
            }
        }
        lines.append(
            "deliveries: \(report.pending) pending, \(report.retrying) retrying, \(report.dead) dead, \(report.delivered) delivered")
        func describe(_ entry: StatusReport.Entry) -> String {
            let what = entry.isDigest ? "digest of \(entry.articles.count)" : entry.articles.first ?? ""
            var line = "  \(entry.customer) \(entry.channel.rawValue) \(entry.address) \(what), \(entry.attempts) attempts"
            if let next = entry.nextAttempt { line += ", next \(CivilTime.rfc3339(next))" }
            if let error = entry.lastError { line += ": \(error)" }
            return line
        }
        if !report.retryingDeliveries.isEmpty {
            lines.append("retrying:")
            lines += report.retryingDeliveries.map(describe)
        }
        if !report.deadDeliveries.isEmpty {
            lines.append("dead:")
            lines += report.deadDeliveries.map(describe)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
