import Articles
import Foundation
import Matching

/// The outbox transaction of one run in SQLite: `BEGIN IMMEDIATE` when opened, rows
/// inserted through prepared statements as the planner produces them, `COMMIT` with a
/// full sync at the end. Dropped uncommitted (an error, a dry run), it rolls back.
///
/// The planner's thread encodes each row; a queue of the writer's own inserts them, in
/// order, while the planner matches the next articles. Notification ids are given here
/// (the transaction holds the write lock, so nobody else takes one), so no add waits for
/// SQLite. The connection is the writer's until it commits or is dropped: a run reads
/// what it needs before it opens the outbox (`StateStore`).
final class SQLiteOutboxWriter: OutboxWriter {
    private let store: SQLiteStateStore
    private let db: SQLiteConnection
    /// Articles added, handed to the store's cache once committed.
    private var added: [ArticleVersion: Article] = [:]
    private let caughtUp: Bool
    private let now = WallClock.now().timeIntervalSince1970
    private var open = true
    private var nextNotification: Int64
    private let inserts: Inserts
    /// Rows not yet handed to the queue.
    private var pending: [OutboxRow] = []
    private static let rowsPerHandOver = 512

    init(store: SQLiteStateStore, caughtUp: Bool) throws(StateStoreError) {
        self.store = store
        let db = store.db
        self.db = db
        self.caughtUp = caughtUp
        inserts = try Inserts(db: db)
        try db.execute("BEGIN IMMEDIATE")
        do {
            let last = try db.statement("SELECT COALESCE(MAX(id), 0) FROM notifications")
            nextNotification = try last.step() ? last.int(0) + 1 : 1
            last.reset()
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        pending.reserveCapacity(Self.rowsPerHandOver)
    }

    deinit {
        guard open else { return }
        inserts.drain()
        try? db.execute("ROLLBACK")
    }

    func record(_ fetches: [(name: String, fetch: FetchRecord)]) throws(StateStoreError) {
        guard !fetches.isEmpty else { return }
        try append(.fetches(fetches))
    }

    func add(_ article: Article) throws(StateStoreError) {
        try append(.article(key: article.key, revision: article.revision, feed: article.feed, data: RecordJSON.encode(ArticleRecord(article))))
        if store.recordedArticles.count + added.count < SQLiteStateStore.recordedArticlesLimit {
            added[ArticleVersion(key: article.key, revision: article.revision)] = article
        }
    }

    func add(_ notification: PlannedNotification) throws(StateStoreError) -> Int64 {
        let id = nextNotification
        nextNotification += 1
        try append(.notification(NotificationRow(id: id, notification)))
        return id
    }

    func add(_ delivery: OutboxDelivery) throws(StateStoreError) {
        try append(.delivery(delivery))
    }

    func commit() throws(StateStoreError) {
        guard open else { return }
        open = false
        do {
            try handOver()
            try inserts.finish()
            try db.execute("COMMIT")
            if store.recordedArticles.isEmpty {
                store.recordedArticles = added
            } else {
                store.recordedArticles.merge(added) { _, new in new }
            }
            added = [:]
        } catch {
            inserts.drain()
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    private func append(_ row: OutboxRow) throws(StateStoreError) {
        pending.append(row)
        if pending.count == Self.rowsPerHandOver { try handOver() }
    }

    private func handOver() throws(StateStoreError) {
        guard !pending.isEmpty else { return }
        let rows = pending
        pending = []
        pending.reserveCapacity(Self.rowsPerHandOver)
        try inserts.insert(rows, now: now, caughtUp: caughtUp)
    }

    /// The prepared inserts and the queue that runs them.
    final class Inserts: @unchecked Sendable {
        // The statements are used only by jobs on `queue`.
        private let db: SQLiteConnection
        /// Batches handed over and not yet written: memory stays bounded.
        private let queue = OutboxQueue(slots: 4)
        private let article: Statement
        private let notification: Statement
        private let delivery: Statement
        private let item: Statement

        init(db: SQLiteConnection) throws(StateStoreError) {
            self.db = db
            article = try db.statement(
                "INSERT OR IGNORE INTO articles(key, revision, feed, data, first_seen) VALUES (?, ?, ?, ?, ?)")
            notification = try db.statement(
                """
                INSERT INTO notifications(id, customer, article_key, revision, severity, kind, plan, published, matched,
                    created, caught_up)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            delivery = try db.statement(
                """
                INSERT OR IGNORE INTO deliveries(id, channel, address, customer, is_digest, message_id, status, attempts,
                    next_attempt, created, updated, severity, plan_rank, sort_published, customer_sort)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)
                """)
            item = try db.statement("INSERT INTO delivery_items(delivery_id, position, notification_id) VALUES (?, ?, ?)")
        }

        /// Queues `rows`; throws the failure of an earlier insert (the transaction is lost).
        /// Queues `rows`; throws the failure of an earlier batch (the transaction is lost).
        func insert(_ rows: [OutboxRow], now: Double, caughtUp: Bool) throws(StateStoreError) {
            try queue.submit { [self] () throws(StateStoreError) in
                for row in rows { try insert(row, now: now, caughtUp: caughtUp) }
            }
        }

        func drain() {
            queue.drain()
        }

        func finish() throws(StateStoreError) {
            try queue.finish()
        }

        private func insert(_ row: OutboxRow, now: Double, caughtUp: Bool) throws(StateStoreError) {
            switch row {
            case .article(let key, let revision, let feed, let data):
                try article.bind(.text(key), .int(Int64(revision)), .text(feed), .utf8(data), .double(now)).run()
            case .notification(let row):
                try notification.bind(
                    .int(row.id), .text(row.customer), .text(row.articleKey), .int(Int64(row.revision)),
                    .int(Int64(row.severity)), .text(row.kind.rawValue), .text(row.plan.rawValue), .optional(row.published),
                    .utf8(row.matched), .double(now), .int(caughtUp ? 1 : 0)
                ).run()
            case .fetches(let fetches):
                try SQLiteStateStore.writeFetches(fetches, to: db)
            case .delivery(let delivery):
                // The customer, then the article key: SPEC 5's order ends with the customer
                // id, and the key makes it total, so that equal times never fall back on
                // insertion order.
                let sortKey = delivery.customer + "\u{1}" + delivery.articleKey
                try self.delivery.bind(
                    .text(delivery.id), .text(delivery.channel.rawValue), .text(delivery.address),
                    .text(delivery.customer), .int(delivery.isDigest ? 1 : 0), .optional(delivery.messageID),
                    .double(now), .double(now), .double(now), .int(Int64(delivery.severity)),
                    .int(Int64(DispatchOrder.planRank(delivery.plan))),
                    .double(delivery.published ?? DispatchOrder.undated), .text(sortKey)
                ).run()
                // An id already in the outbox is the same delivery planned again: its items stand.
                guard db.changes > 0 else { return }
                for (position, notification) in delivery.notifications.enumerated() {
                    try item.bind(.text(delivery.id), .int(Int64(position)), .int(notification)).run()
                }
            }
        }
    }
}
