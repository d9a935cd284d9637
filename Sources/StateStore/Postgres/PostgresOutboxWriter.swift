import Articles
import Foundation
import Matching

/// The outbox transaction of one run in PostgreSQL: `BEGIN` when opened, rows sent in
/// batches as the planner produces them, `COMMIT` at the end, then the feeds' locks let
/// go. Dropped uncommitted (an error, a dry run), it rolls back.
///
/// A batch goes by `COPY` into temporary tables, then into the real ones in three
/// statements — a few round trips per four thousand rows rather than one per row — on a
/// queue of the writer's own, while the planner matches the next articles. Another run
/// may have recorded a notification first (the same article in two feeds): the database
/// keeps that one, and this run's deliveries leave it out.
final class PostgresOutboxWriter: OutboxWriter {
    private let store: PostgresStateStore
    private let db: PostgresConnection
    private var added: [ArticleVersion: Article] = [:]
    private let caughtUp: Bool
    private let now = WallClock.now().timeIntervalSince1970
    private var open = true
    /// Notification ids this run may give: a block of the sequence at a time.
    private var ids: ClosedRange<Int64>.Iterator?
    private let inserts: Inserts
    private var pending: [OutboxRow] = []
    private static let rowsPerHandOver = 4096

    init(store: PostgresStateStore, caughtUp: Bool) throws(StateStoreError) {
        self.store = store
        db = store.db
        self.caughtUp = caughtUp
        inserts = Inserts(db: db)
        try db.execute(
            """
            CREATE TEMPORARY TABLE IF NOT EXISTS stage_articles(
                key text, revision integer, feed text, data text, first_seen double precision);
            CREATE TEMPORARY TABLE IF NOT EXISTS stage_notifications(
                id bigint, customer text, article_key text, revision integer, severity integer, kind text,
                plan text, published double precision, matched text, created double precision, caught_up integer);
            CREATE TEMPORARY TABLE IF NOT EXISTS stage_deliveries(
                ord integer, id text, channel text, address text, customer text, is_digest integer, message_id text,
                created double precision, severity integer, plan_rank integer, sort_published double precision,
                customer_sort text);
            CREATE TEMPORARY TABLE IF NOT EXISTS stage_items(delivery_id text, position integer, notification_id bigint);
            CREATE TEMPORARY TABLE IF NOT EXISTS lost_notifications(id bigint PRIMARY KEY);
            BEGIN;
            TRUNCATE lost_notifications;
            """)
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
        try append(
            .article(key: article.key, revision: article.revision, feed: article.feed, data: RecordJSON.encode(ArticleRecord(article))))
        if store.recordedArticles.count + added.count < SQLiteStateStore.recordedArticlesLimit {
            added[ArticleVersion(key: article.key, revision: article.revision)] = article
        }
    }

    func add(_ notification: PlannedNotification) throws(StateStoreError) -> Int64 {
        var id = ids?.next()
        if id == nil {
            var block = try store.notificationIDBlock().makeIterator()
            id = block.next()
            ids = block
        }
        try append(.notification(NotificationRow(id: id!, notification)))
        return id!
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
        } catch {
            inserts.drain()
            try? db.execute("ROLLBACK")
            throw error
        }
        // What the run read is recorded: another run may take its feeds now.
        try store.unlockFeeds()
        // The tables' statistics are those of before a large outbox until autovacuum gets
        // to them, and the plans of the sending that follows at once (threads of revisions,
        // claims) would be made for tables a thousand times smaller. Only their owner may
        // analyse them; without it the plans catch up when autovacuum does.
        if rowsWritten > 10_000 { try? db.execute("ANALYZE notifications, deliveries, delivery_items, articles") }
        store.recordedArticles.merge(added) { _, new in new }
        added = [:]
    }

    private var rowsWritten = 0

    private func append(_ row: OutboxRow) throws(StateStoreError) {
        rowsWritten += 1
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

    /// The queue that sends the batches.
    final class Inserts: @unchecked Sendable {
        // `db` is used only by jobs on `queue` while the outbox is open.
        private let db: PostgresConnection
        /// Batches handed over and not yet written: memory stays bounded.
        private let queue = OutboxQueue(slots: 2)

        init(db: PostgresConnection) {
            self.db = db
        }

        /// Queues `rows`; throws the failure of an earlier batch (the transaction is lost).
        func insert(_ rows: [OutboxRow], now: Double, caughtUp: Bool) throws(StateStoreError) {
            try queue.submit { [self] () throws(StateStoreError) in try send(rows, now: now, caughtUp: caughtUp) }
        }

        func drain() {
            queue.drain()
        }

        func finish() throws(StateStoreError) {
            try queue.finish()
        }

        private func send(_ rows: [OutboxRow], now: Double, caughtUp: Bool) throws(StateStoreError) {
            var articles = PostgresCopy(), notifications = PostgresCopy(), deliveries = PostgresCopy(), items = PostgresCopy()
            let created = PostgresText.double(now)
            for row in rows {
                switch row {
                case .article(let key, let revision, let feed, let data):
                    articles.row([.text(key), .text(String(revision)), .text(feed), .bytes(data), .text(created)])
                case .notification(let n):
                    notifications.row([
                        .text(String(n.id)), .text(n.customer), .text(n.articleKey), .text(String(n.revision)),
                        .text(String(n.severity)), .text(n.kind.rawValue), .text(n.plan.rawValue),
                        n.published.map { .text(PostgresText.double($0)) } ?? .null, .bytes(n.matched), .text(created),
                        .text(caughtUp ? "1" : "0"),
                    ])
                case .delivery(let delivery):
                    deliveries.row([
                        .text(String(deliveries.rows)), .text(delivery.id), .text(delivery.channel.rawValue),
                        .text(delivery.address), .text(delivery.customer), .text(delivery.isDigest ? "1" : "0"),
                        delivery.messageID.map { .text($0) } ?? .null, .text(created), .text(String(delivery.severity)),
                        .text(String(DispatchOrder.planRank(delivery.plan))),
                        .text(PostgresText.double(delivery.published ?? DispatchOrder.undated)),
                        // As in SQLite: the customer, then the article key, make the order total.
                        .text(delivery.customer + "\u{1}" + delivery.articleKey),
                    ])
                    for (position, notification) in delivery.notifications.enumerated() {
                        items.row([.text(delivery.id), .text(String(position)), .text(String(notification))])
                    }
                case .fetches(let fetches):
                    try PostgresStateStore.writeFetches(fetches, to: db)
                }
            }
            var statements: [String] = []
            if articles.rows > 0 {
                try db.copy("COPY stage_articles FROM STDIN", articles.bytes)
                statements.append("INSERT INTO articles SELECT * FROM stage_articles ON CONFLICT DO NOTHING")
            }
            if notifications.rows > 0 {
                try db.copy("COPY stage_notifications FROM STDIN", notifications.bytes)
                // A notification another run recorded first is lost to this one: noted, so
                // that its deliveries leave it out.
                statements.append(
                    """
                    WITH inserted AS (
                        INSERT INTO notifications(id, customer, article_key, revision, severity, kind, plan, published,
                            matched, created, caught_up)
                        SELECT * FROM stage_notifications ON CONFLICT DO NOTHING RETURNING id)
                    INSERT INTO lost_notifications
                    SELECT s.id FROM stage_notifications s WHERE s.id NOT IN (SELECT id FROM inserted)
                    """)
            }
            if deliveries.rows > 0 {
                try db.copy("COPY stage_deliveries FROM STDIN", deliveries.bytes)
                try db.copy("COPY stage_items FROM STDIN", items.bytes)
                // Every join here is between this batch's staged rows, whose size the planner
                // reads from the tables' pages (never analysed): joining the growing tables
                // themselves, whose statistics are those of before the transaction, cost
                // 85–120 ms a batch; analysing the staged rows each batch cost 3.4 s of W2.
                statements.append("DELETE FROM stage_items WHERE notification_id IN (SELECT id FROM lost_notifications)")
                // A delivery left with no notification is left out; one already in the outbox
                // is the same delivery planned again: its items stand.
                statements.append(
                    """
                    WITH new AS (
                        INSERT INTO deliveries(id, channel, address, customer, is_digest, message_id, status, attempts,
                            next_attempt, created, updated, severity, plan_rank, sort_published, customer_sort)
                        SELECT s.id, s.channel, s.address, s.customer, s.is_digest, s.message_id, 'pending', 0,
                            s.created, s.created, s.created, s.severity, s.plan_rank, s.sort_published, s.customer_sort
                        FROM stage_deliveries s WHERE s.id IN (SELECT delivery_id FROM stage_items)
                        ORDER BY s.ord
                        ON CONFLICT (id) DO NOTHING RETURNING id)
                    INSERT INTO delivery_items(delivery_id, position, notification_id)
                    SELECT i.delivery_id, i.position, i.notification_id FROM stage_items i JOIN new ON new.id = i.delivery_id
                    """)
            }
            guard !statements.isEmpty else { return }
            statements.append("TRUNCATE stage_articles, stage_notifications, stage_deliveries, stage_items")
            for statement in statements { try db.execute(statement) }
        }
    }
}

/// Rows in `COPY … FROM STDIN`'s text format: tab between fields, newline after each
/// row, `\N` for NULL, and backslash escapes for what would be read as those.
struct PostgresCopy {
    enum Field {
        case null
        case text(String)
        case bytes([UInt8])
    }

    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0

    mutating func row(_ fields: [Field]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(0x09) }
            switch field {
            case .null: bytes += [0x5C, 0x4E]
            case .text(let text): append(text.utf8)
            case .bytes(let data): append(data)
            }
        }
        bytes.append(0x0A)
        rows += 1
    }

    private mutating func append(_ text: some Collection<UInt8>) {
        for byte in text {
            switch byte {
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            default: bytes.append(byte)
            }
        }
    }
}
