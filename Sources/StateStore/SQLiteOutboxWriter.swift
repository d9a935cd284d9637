import Articles
import Foundation
import Matching

/// The outbox transaction of one run in SQLite: `BEGIN IMMEDIATE` when opened, rows
/// inserted through prepared statements as the planner produces them, `COMMIT` with a
/// full sync at the end. Dropped uncommitted (an error, a dry run), it rolls back.
final class SQLiteOutboxWriter: OutboxWriter {
    private let store: SQLiteStateStore
    private let db: SQLiteConnection
    /// Articles added, handed to the store's cache once committed.
    private var added: [String: Article] = [:]
    private let caughtUp: Bool
    private let now = Date().timeIntervalSince1970
    private var open = true
    private let insertArticle: Statement
    private let insertNotification: Statement
    private let insertDelivery: Statement
    private let insertItem: Statement

    init(store: SQLiteStateStore, caughtUp: Bool) throws(StateStoreError) {
        self.store = store
        let db = store.db
        self.db = db
        self.caughtUp = caughtUp
        insertArticle = try db.statement(
            "INSERT OR IGNORE INTO articles(key, revision, feed, data, first_seen) VALUES (?, ?, ?, ?, ?)")
        insertNotification = try db.statement(
            """
            INSERT INTO notifications(customer, article_key, revision, severity, kind, plan, published, matched, created, caught_up)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertDelivery = try db.statement(
            """
            INSERT OR IGNORE INTO deliveries(id, channel, address, customer, is_digest, message_id, status, attempts,
                next_attempt, created, updated, severity, plan_rank, sort_published, customer_sort)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertItem = try db.statement("INSERT INTO delivery_items(delivery_id, position, notification_id) VALUES (?, ?, ?)")
        try db.execute("BEGIN IMMEDIATE")
    }

    deinit {
        if open { try? db.execute("ROLLBACK") }
    }

    func add(_ article: Article) throws(StateStoreError) {
        try insertArticle.bind(
            .text(article.key), .int(Int64(article.revision)), .text(article.feed),
            .utf8(RecordJSON.encode(ArticleRecord(article))), .double(now)
        ).run()
        if store.recordedArticles.count + added.count < SQLiteStateStore.recordedArticlesLimit, db.changes > 0 {
            added["\(article.key)#\(article.revision)"] = article
        }
    }

    func add(_ notification: PlannedNotification) throws(StateStoreError) -> Int64 {
        let article = notification.article
        try insertNotification.bind(
            .text(notification.customer), .text(article.key), .int(Int64(article.revision)),
            .int(Int64(article.severity)), .text(article.kind.rawValue), .text(notification.plan.rawValue),
            .optional(article.published?.timeIntervalSince1970), .utf8(RecordJSON.encode(notification.matched)),
            .double(now), .int(caughtUp ? 1 : 0)
        ).run()
        return db.lastInsertRowID
    }

    func add(_ delivery: OutboxDelivery) throws(StateStoreError) {
        // The customer, then the article key: SPEC 5's order ends with the customer id, and
        // the key makes it total, so that equal times never fall back on insertion order.
        let sortKey = delivery.customer + "\u{1}" + delivery.articleKey
        try insertDelivery.bind(
            .text(delivery.id), .text(delivery.channel.rawValue), .text(delivery.address), .text(delivery.customer),
            .int(delivery.isDigest ? 1 : 0), .optional(delivery.messageID), .double(now), .double(now), .double(now),
            .int(Int64(delivery.severity)), .int(Int64(SQLiteStateStore.planRank(delivery.plan))),
            .double(delivery.published ?? SQLiteStateStore.undated), .text(sortKey)
        ).run()
        // An id already in the outbox is the same delivery planned again: its items stand.
        guard db.changes > 0 else { return }
        for (position, notification) in delivery.notifications.enumerated() {
            try insertItem.bind(.text(delivery.id), .int(Int64(position)), .int(notification)).run()
        }
    }

    func commit() throws(StateStoreError) {
        guard open else { return }
        open = false
        do {
            try db.execute("COMMIT")
            store.recordedArticles.merge(added) { _, new in new }
            added = [:]
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
