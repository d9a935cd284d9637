import Articles
import StateStore

/// The outbox of `run --dry-run`: instead of recording, it prints each delivery as the
/// planner makes it — article by article (most severe first, but not across customers'
/// plans as dispatch is), so that a dry run of a burst for a hundred thousand customers
/// streams rather than holds the run. It keeps one label per article, found by key, and
/// four bytes per notification (for digests, listed last).
final class DryRunOutbox: OutboxWriter {
    private let console: Console
    private var labels: [String] = []
    /// `KEY#REVISION` → its label: articles are added before their notifications, not
    /// necessarily just before.
    private var labelOfArticle: [String: Int32] = [:]
    private var articleOfNotification: [Int32] = []
    private var text = ""

    init(console: Console) {
        self.console = console
    }

    /// A dry run changes no state: the fetches are not recorded.
    func record(_ fetches: [(name: String, fetch: FetchRecord)]) {}

    func add(_ article: Article) {
        let name = "\(article.key)#\(article.revision)"
        labelOfArticle[name] = Int32(labels.count)
        labels.append("\(name) severity \(article.severity)")
    }

    func add(_ notification: PlannedNotification) -> Int64 {
        let article = notification.article
        guard let label = labelOfArticle["\(article.key)#\(article.revision)"] else {
            preconditionFailure("a notification of an article not added: \(article.key)")
        }
        articleOfNotification.append(label)
        return Int64(articleOfNotification.count - 1)
    }

    func add(_ delivery: OutboxDelivery) {
        text += "would send \(delivery.isDigest ? "digest " : "")\(delivery.channel.rawValue) to \(delivery.address) for "
        text += delivery.customer + ": "
        for (position, notification) in delivery.notifications.enumerated() {
            if position > 0 { text += ", " }
            text += labels[Int(articleOfNotification[Int(notification)])]
        }
        text += "\n"
        if text.utf8.count >= 1 << 16 { flush() }
    }

    func commit() { flush() }

    func flush() {
        guard !text.isEmpty else { return }
        console.out(text)
        text = ""
    }
}
