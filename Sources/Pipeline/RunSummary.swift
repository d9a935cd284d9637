import Articles
import Foundation
import StateStore

extension PipelineRun {
    /// The run's summary (`--summary`, and recorded with the run): what was read,
    /// recorded and sent, and the time each stage took.
    func summaryText(_ read: FeedsRead, _ plan: RunPlan, _ sent: Sent?, _ run: RunClock) -> String {
        let elapsed = run.elapsed
        var lines: [String] = []
        let verb = options.catchUp ? "catch-up" : options.dryRun ? "run --dry-run" : "run"
        lines.append("critfix \(verb) at \(CivilTime.rfc3339(run.started)), \(String(format: "%.1f", elapsed)) s")
        let loaded = read.feeds
        let unchanged = loaded.filter(\.notModified).count
        let unchangedText = unchanged > 0 ? " (\(unchanged) unchanged since the last fetch)" : ""
        let skippedText = read.skippedFeeds.isEmpty ? "" : ", \(read.skippedFeeds.count) left to another run"
        lines.append(
            "feeds: \(loaded.count - read.failedFeeds.count) read\(unchangedText), \(read.failedFeeds.count) failed\(skippedText)")
        let listed = loaded.reduce(0) { $0 + $1.listedDocuments }
        if listed > 0 {
            let fetched = loaded.reduce(0) { $0 + $1.documents.count }
            let left = loaded.reduce(0) { $0 + $1.documentsLeft }
            lines.append(
                "ROLIE documents: \(listed) listed, \(fetched) fetched (new, changed or failed before), \(read.failedDocuments.count) failed"
                    + (left > 0 ? ", \(left) left for the next runs (fetch.max_documents)" : ""))
        }
        lines.append("articles: \(plan.newArticles) new, \(plan.revisedArticles) revised, \(plan.unmatchedArticles) unmatched")
        let recorded = options.catchUp ? "recorded as already notified" : options.dryRun ? "would be recorded" : "recorded"
        lines.append("notifications: \(plan.notifications) \(recorded)")
        if let email = sent?.email {
            lines.append("email: \(email.delivered) delivered, \(email.retrying) to retry, \(email.dead) dead")
        } else if options.dryRun {
            lines.append("deliveries: \(plan.deliveries) would be made")
        }
        if let webhooks = sent?.webhooks {
            lines.append("webhooks: \(webhooks.delivered) delivered, \(webhooks.retrying) to retry, \(webhooks.dead) dead")
        }
        lines.append(
            "time: " + run.phases.description
                + String(format: " (matcher %.2f s for %d matching pairs)", plan.matcherSeconds, plan.matchedPairs))
        if !read.failedFeeds.isEmpty {
            lines.append("failed feeds:")
            lines += read.failedFeeds.map { "  \($0)" }
        }
        if !read.failedDocuments.isEmpty {
            lines.append("failed documents:")
            lines += read.failedDocuments.map { "  \($0)" }
        }
        let problems = sent?.failureLines ?? []
        if !problems.isEmpty {
            lines.append("delivery problems:")
            lines += problems.map { "  \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A dry run's last lines: deliveries of earlier runs that are due again.
    func printDueRetries(store: any StateStore, now: Date) {
        var text = ""
        for channel in [Channel.email, .webhook] {
            for delivery in (try? store.dueDeliveries(channel: channel, now: now, limit: 1000)) ?? [] {
                let keys = delivery.notifications.map { "\($0.article.key)#\($0.article.revision)" }
                text += "would retry \(channel.rawValue) to \(delivery.address) for \(delivery.customer): "
                text += keys.joined(separator: ", ") + "\n"
            }
        }
        console.out(text)
    }
}

/// Wall time per stage of a run, for the summary.
struct PhaseTimer {
    private var last = Date()
    private var phases: [(String, Double)] = []

    mutating func end(_ phase: String) {
        let now = Date()
        phases.append((phase, now.timeIntervalSince(last)))
        last = now
    }

    var description: String {
        phases.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ")
    }
}
