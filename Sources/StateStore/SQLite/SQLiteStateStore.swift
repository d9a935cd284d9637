public import Articles
public import Foundation
public import Matching

/// The default state store: one SQLite file in WAL mode, migrations applied on open,
/// and a lock file beside it so that two runs never work at once.
///
/// Claims read on a connection of their own (`claims`): in WAL mode a reader never
/// blocks the writer, so the next batch of due email is read while the outcomes of the
/// last one are recorded. Those two may therefore run on two threads at once — the claim
/// touches only `claims`, `claimed` and the read-only `recordedArticles` — and nothing else.
public final class SQLiteStateStore: StateStore {
    public let path: String
    let db: SQLiteConnection
    /// Opened by the first claim; a store in memory has only `db`.
    private var claimConnection: SQLiteConnection?
    private var lockDescriptor: Int32 = -1
    private var checkpointer: Checkpointer?

    /// Opens (creating the file and its directory when missing) and migrates.
    public init(path: String) throws(StateStoreError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StateStoreError("cannot create the state directory \(directory): \(error.localizedDescription)")
            }
        }
        db = try SQLiteConnection(path: path)
        // A large page cache and memory-mapped reads: a first run of a big installation
        // touches hundreds of MB of outbox, and pread per page dominated it. 16 KiB pages
        // (for a new file; an existing one keeps its own) write an outbox with a quarter of
        // the system calls of SQLite's default 4 KiB.
        try db.execute(
            """
            PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
            PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY;
            """)
        try SQLiteMigrations.apply(to: db)
        if path != ":memory:" {
            let checkpointer = Checkpointer(path: path)
            self.checkpointer = checkpointer
            db.checkpoint(with: checkpointer)
        }
    }

    deinit {
        close()
    }

    public func close() {
        claimConnection?.close()
        claimConnection = nil
        db.checkpoint(with: nil)
        checkpointer?.close()
        checkpointer = nil
        db.close()
        if lockDescriptor >= 0 { Glibc.close(lockDescriptor) }
        lockDescriptor = -1
    }

    // MARK: Lock

    public func lock() throws(StateStoreError) {
        guard lockDescriptor < 0 else { return }
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StateStoreError("cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            Glibc.close(descriptor)
            throw StateStoreError.lockHeld(by: holder.flatMap { $0.isEmpty ? nil : $0 } ?? "holder unknown")
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let holder = "pid \(getpid()) on \(hostName) since \(CivilTime.rfc3339(Date()))\n"
        ftruncate(descriptor, 0)
        _ = holder.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        lockDescriptor = descriptor
    }

    /// One run at a time: `lock`.
    public var isShared: Bool { false }

    /// The file lock (`lock`) holds every feed.
    public func lockFeeds(_ names: [String]) throws(StateStoreError) -> Set<String> {
        Set(names)
    }

    /// No other run holds a feed.
    public func awaitFeeds(_ names: [String], timeout: Double) throws(StateStoreError) {}

    // MARK: Feeds

    public func feedState(_ name: String) throws(StateStoreError) -> FeedState? {
        let statement = try db.statement(
            """
            SELECT name, url, last_fetch, http_status, etag, last_modified, failures_in_a_row, last_error,
                   (SELECT COUNT(DISTINCT key) FROM articles WHERE feed = feeds.name)
            FROM feeds WHERE name = ?
            """
        ).bind(.text(name))
        guard try statement.step() else { return nil }
        var state = feedState(from: statement)
        state.documents = try documents(feed: name)
        return state
    }

    /// A ROLIE feed's documents by id (none for other feeds).
    private func documents(feed: String) throws(StateStoreError) -> [String: DocumentState] {
        let rows = try db.statement(
            """
            SELECT id, url, updated, etag, last_modified, last_fetch, failures_in_a_row, last_error
            FROM feed_documents WHERE feed = ?
            """
        ).bind(.text(feed))
        var documents: [String: DocumentState] = [:]
        while try rows.step() {
            let id = rows.text(0) ?? ""
            documents[id] = DocumentState(
                id: id, url: rows.text(1) ?? "", updated: rows.text(2) ?? "", etag: rows.text(3),
                lastModified: rows.text(4), lastFetch: rows.optionalDouble(5).map { Date(timeIntervalSince1970: $0) },
                failuresInARow: Int(rows.int(6)), lastError: rows.text(7))
        }
        return documents
    }

    private func feedState(from row: Statement) -> FeedState {
        FeedState(
            name: row.text(0) ?? "", url: row.text(1) ?? "",
            lastFetch: row.optionalDouble(2).map { Date(timeIntervalSince1970: $0) }, httpStatus: row.optionalInt(3),
            etag: row.text(4), lastModified: row.text(5), failuresInARow: Int(row.int(6)), lastError: row.text(7),
            articles: Int(row.int(8)))
    }

    /// Writes the fetches of a run (`OutboxWriter.record(_:)`) inside the outbox's transaction.
    static func writeFetches(_ fetches: [(name: String, fetch: FetchRecord)], to db: SQLiteConnection) throws(StateStoreError) {
        do {
            for (name, fetch) in fetches where fetch.error == nil {
                try db.statement(
                    """
                    INSERT INTO feeds(name, url, last_fetch, http_status, etag, last_modified, failures_in_a_row, last_error, last_success)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL, ?3)
                    ON CONFLICT(name) DO UPDATE SET url = ?2, last_fetch = ?3, http_status = ?4,
                        etag = CASE WHEN ?4 = 304 THEN COALESCE(?5, etag) ELSE ?5 END,
                        last_modified = CASE WHEN ?4 = 304 THEN COALESCE(?6, last_modified) ELSE ?6 END,
                        failures_in_a_row = 0, last_error = NULL, last_success = ?3
                    """
                ).bind(
                    .text(name), .text(fetch.url), .double(fetch.at.timeIntervalSince1970), .optional(fetch.httpStatus),
                    .optional(fetch.etag), .optional(fetch.lastModified)
                ).run()
            }
            for (name, fetch) in fetches where fetch.error == nil {
                for document in fetch.documents { try recordDocument(document, feed: name, at: fetch.at, db: db) }
                if let listed = fetch.listedDocuments { try forgetDocuments(notIn: Set(listed), feed: name, db: db) }
            }
            for (name, fetch) in fetches where fetch.error != nil {
                try db.statement(
                    """
                    INSERT INTO feeds(name, url, last_fetch, http_status, failures_in_a_row, last_error)
                    VALUES (?1, ?2, ?3, ?4, 1, ?5)
                    ON CONFLICT(name) DO UPDATE SET url = ?2, last_fetch = ?3, http_status = ?4,
                        failures_in_a_row = failures_in_a_row + 1, last_error = ?5,
                        etag = CASE WHEN url = ?2 THEN etag END,
                        last_modified = CASE WHEN url = ?2 THEN last_modified END
                    """
                ).bind(
                    .text(name), .text(fetch.url), .double(fetch.at.timeIntervalSince1970), .optional(fetch.httpStatus),
                    .optional(fetch.error)
                ).run()
            }
        }
    }

    /// Documents the feed no longer lists: their failures would be reported, and their
    /// feed read in full, for ever.
    private static func forgetDocuments(notIn listed: Set<String>, feed: String, db: SQLiteConnection) throws(StateStoreError) {
        let stored = try db.statement("SELECT id FROM feed_documents WHERE feed = ?").bind(.text(feed))
        var gone: [String] = []
        while try stored.step() {
            if let id = stored.text(0), !listed.contains(id) { gone.append(id) }
        }
        for id in gone {
            try db.statement("DELETE FROM feed_documents WHERE feed = ? AND id = ?").bind(.text(feed), .text(id)).run()
        }
    }

    /// A success replaces the document's `updated` and validators (the loader passes those
    /// of the last fetch again for a 304); a failure counts one more in a row and keeps them.
    private static func recordDocument(_ document: DocumentState, feed: String, at: Date, db: SQLiteConnection) throws(StateStoreError) {
        if document.lastError == nil {
            try db.statement(
                """
                INSERT INTO feed_documents(feed, id, url, updated, etag, last_modified, last_fetch, failures_in_a_row, last_error)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, NULL)
                ON CONFLICT(feed, id) DO UPDATE SET url = ?3, updated = ?4, etag = ?5,
                    last_modified = ?6, last_fetch = ?7, failures_in_a_row = 0, last_error = NULL
                """
            ).bind(
                .text(feed), .text(document.id), .text(document.url), .text(document.updated), .optional(document.etag),
                .optional(document.lastModified), .double(at.timeIntervalSince1970)
            ).run()
        } else {
            try db.statement(
                """
                INSERT INTO feed_documents(feed, id, url, updated, last_fetch, failures_in_a_row, last_error)
                VALUES (?1, ?2, ?3, '', ?4, 1, ?5)
                ON CONFLICT(feed, id) DO UPDATE SET url = ?3, last_fetch = ?4,
                    failures_in_a_row = failures_in_a_row + 1, last_error = ?5
                """
            ).bind(
                .text(feed), .text(document.id), .text(document.url), .double(at.timeIntervalSince1970),
                .optional(document.lastError)
            ).run()
        }
    }

    // MARK: Articles and notifications

    public func seenArticles(_ keys: [String]) throws(StateStoreError) -> [String: SeenArticle] {
        var result: [String: SeenArticle] = [:]
        let statement = try db.statement(
            "SELECT revision, data FROM articles WHERE key = ? ORDER BY revision DESC LIMIT 1")
        for key in keys {
            let row = statement.bind(.text(key))
            if try row.step(), let data = row.text(1) {
                let record = try RecordJSON.storedArticle(data)
                result[key] = SeenArticle(revision: Int(row.int(0)), article: record.article)
            }
            statement.reset()
        }
        return result
    }

    public func notifiedBefore(articleKey: String) throws(StateStoreError) -> [String: NotifiedBefore] {
        let statement = try db.statement(
            """
            SELECT customer, revision, severity FROM notifications
            WHERE article_key = ? ORDER BY revision
            """
        ).bind(.text(articleKey))
        var result: [String: NotifiedBefore] = [:]
        while try statement.step() {
            result[statement.text(0) ?? ""] = NotifiedBefore(severity: Int(statement.int(2)), revision: Int(statement.int(1)))
        }
        return result
    }

    /// Message-ID of the first email of `articleKey` to `address` for `customer`: a
    /// revision's email joins its thread.
    private func firstMessageID(customer: String, articleKey: String, address: String, in db: SQLiteConnection)
        throws(StateStoreError) -> String?
    {
        let statement = try db.statement(
            """
            SELECT d.message_id FROM notifications n
            JOIN delivery_items i ON i.notification_id = n.id
            JOIN deliveries d ON d.id = i.delivery_id
            WHERE n.article_key = ? AND n.customer = ? AND d.address = ? AND d.channel = 'email' AND d.is_digest = 0
            ORDER BY n.revision LIMIT 1
            """
        ).bind(.text(articleKey), .text(customer), .text(address))
        return try statement.step() ? statement.text(0) : nil
    }

    public func beginOutbox(caughtUp: Bool) throws(StateStoreError) -> any OutboxWriter {
        try SQLiteOutboxWriter(store: self, caughtUp: caughtUp)
    }

    /// The articles this process recorded (`KEY#REVISION`), so that sending them in the
    /// same run does not decode what was just encoded. They are the values the run holds
    /// anyway; the cache stops growing at `recordedArticlesLimit`.
    var recordedArticles: [ArticleVersion: Article] = [:]
    static let recordedArticlesLimit = 100_000

    /// An article as stored; nil when there is no such row (a notification never outlives
    /// its article, so it is skipped, as a join would).
    private func storedArticle(_ version: ArticleVersion, in db: SQLiteConnection) throws(StateStoreError) -> Article? {
        let row = try db.statement("SELECT data FROM articles WHERE key = ? AND revision = ?")
            .bind(.text(version.key), .int(Int64(version.revision)))
        defer { row.reset() }
        guard try row.step() else { return nil }
        return try RecordJSON.storedArticle(row.text(0) ?? "").article(parsingRanges: false)
    }

    // MARK: Deliveries

    public func dueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery] {
        try dueDeliveries(channel: channel, now: now, limit: limit, after: nil, in: db).map(\.delivery)
    }

    /// Where each channel's claims have got to in dispatch order: one process holds the
    /// lock, so a claim is no more than this store's own place in the order, and a delivery
    /// claimed stays out of later claims whether or not its outcome is recorded yet.
    private var claimed: [Channel: DispatchPosition] = [:]

    public func claimDueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery] {
        let rows = try dueDeliveries(channel: channel, now: now, limit: limit, after: claimed[channel], in: claims())
        if let last = rows.last { claimed[channel] = last.position }
        return rows.map(\.delivery)
    }

    /// A due delivery's place in SPEC 5's dispatch order: severity, plan, publication time,
    /// customer (and article key), then the row, which makes the order total.
    private struct DispatchPosition {
        var severity: Int
        var planRank: Int
        var published: Double
        var customerSort: String
        var row: Int64
    }

    /// Due deliveries in dispatch order; with `after`, only those that come after that position.
    /// The connection claims read on.
    private func claims() throws(StateStoreError) -> SQLiteConnection {
        if let claimConnection { return claimConnection }
        guard path != ":memory:" else { return db }
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA query_only=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;")
        claimConnection = connection
        return connection
    }

    private func dueDeliveries(
        channel: Channel, now: Date, limit: Int, after: DispatchPosition?, in db: SQLiteConnection
    ) throws(StateStoreError)
        -> [(delivery: DueDelivery, position: DispatchPosition)]
    {
        let columns = """
            SELECT id, address, customer, attempts, message_id, is_digest, created,
                   severity, plan_rank, sort_published, customer_sort, rowid
            FROM deliveries WHERE channel = ? AND status IN ('pending', 'retrying') AND next_attempt <= ?
            """
        let order = "ORDER BY severity, plan_rank, sort_published, customer_sort, rowid LIMIT ?"
        let statement: Statement
        if let after {
            statement = try db.statement(
                columns + " AND (severity, plan_rank, sort_published, customer_sort, rowid) > (?, ?, ?, ?, ?) " + order
            ).bind(
                .text(channel.rawValue), .double(now.timeIntervalSince1970), .int(Int64(after.severity)),
                .int(Int64(after.planRank)), .double(after.published), .text(after.customerSort), .int(after.row),
                .int(Int64(limit)))
        } else {
            statement = try db.statement(columns + " " + order)
                .bind(.text(channel.rawValue), .double(now.timeIntervalSince1970), .int(Int64(limit)))
        }
        var rows: [(delivery: DueDelivery, position: DispatchPosition)] = []
        while try statement.step() {
            let position = DispatchPosition(
                severity: Int(statement.int(7)), planRank: Int(statement.int(8)), published: statement.double(9),
                customerSort: statement.text(10) ?? "", row: statement.int(11))
            let delivery = DueDelivery(
                id: statement.text(0) ?? "", channel: channel, address: statement.text(1) ?? "",
                customer: statement.text(2) ?? "", attempts: Int(statement.int(3)), messageID: statement.text(4),
                isDigest: statement.int(5) != 0, created: Date(timeIntervalSince1970: statement.double(6)),
                notifications: [])
            rows.append((delivery, position))
        }
        let items = try db.statement(
            """
            SELECT n.customer, n.article_key, n.revision, n.matched
            FROM delivery_items i JOIN notifications n ON n.id = i.notification_id
            WHERE i.delivery_id = ? ORDER BY i.position
            """)
        var articles: [ArticleVersion: Article] = [:]
        for index in rows.indices {
            items.bind(.text(rows[index].delivery.id))
            while try items.step() {
                let version = ArticleVersion(key: items.text(1) ?? "", revision: Int(items.int(2)))
                // Usually recorded by this run, and then not read again nor decoded.
                var found = recordedArticles[version] ?? articles[version]
                if found == nil {
                    found = try storedArticle(version, in: db)
                    articles[version] = found
                }
                guard let article = found else { continue }
                let matched = try RecordJSON.storedMatched(items.text(3) ?? "[]")
                rows[index].delivery.notifications.append(
                    StoredNotification(customer: items.text(0) ?? "", article: article, matched: matched))
            }
            items.reset()
            let delivery = rows[index].delivery
            if channel == .email, !delivery.isDigest, let first = delivery.notifications.first, first.article.revision > 1 {
                rows[index].delivery.originalMessageID = try firstMessageID(
                    customer: delivery.customer, articleKey: first.article.key, address: delivery.address, in: db)
            }
        }
        return rows
    }

    /// One run at a time (the run lock): its claims are all its own until recorded.
    public func heldClaims(_ ids: [String]) -> Set<String> { Set(ids) }

    public func record(_ outcomes: [DeliveryOutcome]) throws(StateStoreError) {
        guard !outcomes.isEmpty else { return }
        // Outcomes are committed without waiting for the disk (synchronous=NORMAL): in WAL
        // mode such a commit survives the process being killed at any moment, which is what
        // SPEC 6.4 guards against, and costs no fsync per message. Only a power loss can undo
        // the latest marks — and then a message is sent twice, never lost. The outbox itself
        // (`beginOutbox`) is always committed with a full sync.
        try db.execute("PRAGMA synchronous=NORMAL")
        defer { try? db.execute("PRAGMA synchronous=FULL") }
        try db.transaction { () throws(StateStoreError) in
            let delivered = try db.statement(
                "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL, updated = ? WHERE id = ?")
            let retry = try db.statement(
                "UPDATE deliveries SET status = 'retrying', attempts = attempts + 1, next_attempt = ?, last_error = ?, updated = ? WHERE id = ?")
            let dead = try db.statement(
                "UPDATE deliveries SET status = 'dead', attempts = attempts + 1, last_error = ?, updated = ? WHERE id = ?")
            let postponed = try db.statement("UPDATE deliveries SET last_error = ?, updated = ? WHERE id = ?")
            for outcome in outcomes {
                let at = outcome.at.timeIntervalSince1970
                switch outcome.result {
                case .delivered:
                    try delivered.bind(.double(at), .text(outcome.id)).run()
                    delivered.reset()
                case .retry(let next, let error):
                    try retry.bind(.double(next.timeIntervalSince1970), .text(error), .double(at), .text(outcome.id)).run()
                    retry.reset()
                case .dead(let error):
                    try dead.bind(.text(error), .double(at), .text(outcome.id)).run()
                    dead.reset()
                case .postponed(let error):
                    try postponed.bind(.text(error), .double(at), .text(outcome.id)).run()
                    postponed.reset()
                }
            }
        }
    }

    // MARK: Status

    public func status(limit: Int) throws(StateStoreError) -> StatusReport {
        var feeds: [FeedState] = []
        let feedRows = try db.statement(
            """
            SELECT name, url, last_fetch, http_status, etag, last_modified, failures_in_a_row, last_error,
                   (SELECT COUNT(DISTINCT key) FROM articles WHERE feed = feeds.name)
            FROM feeds ORDER BY name
            """)
        while try feedRows.step() { feeds.append(feedState(from: feedRows)) }
        for index in feeds.indices { feeds[index].documents = try documents(feed: feeds[index].name) }
        var counts: [String: Int] = [:], byChannel: [Channel: [String: Int]] = [:]
        let countRows = try db.statement("SELECT channel, status, COUNT(*) FROM deliveries GROUP BY channel, status")
        while try countRows.step() {
            let status = countRows.text(1) ?? "", count = Int(countRows.int(2))
            counts[status, default: 0] += count
            if let channel = Channel(rawValue: countRows.text(0) ?? "") { byChannel[channel, default: [:]][status] = count }
        }
        return StatusReport(
            feeds: feeds, pending: counts["pending"] ?? 0, retrying: counts["retrying"] ?? 0,
            dead: counts["dead"] ?? 0, delivered: counts["delivered"] ?? 0, byChannel: byChannel,
            retryingDeliveries: try entries(status: "retrying", limit: limit),
            deadDeliveries: try entries(status: "dead", limit: limit))
    }

    // MARK: History

    public func history(_ query: HistoryQuery) throws(StateStoreError) -> [NotificationRecord] {
        var conditions = ["n.caught_up = 0"], values: [Statement.Value] = []
        if let since = query.since {
            conditions.append("n.created >= ?")
            values.append(.double(since.timeIntervalSince1970))
        }
        if let until = query.until {
            conditions.append("n.created < ?")
            values.append(.double(until.timeIntervalSince1970))
        }
        if let customer = query.customer {
            conditions.append("n.customer = ?")
            values.append(.text(customer))
        }
        let rows = try db.statement(
            SQLiteStateStore.historyColumns + " WHERE " + conditions.joined(separator: " AND ") + " ORDER BY n.id"
        ).bind(values)
        var assembler = HistoryAssembler()
        while try rows.step() {
            assembler.add(
                NotificationRecord(
                    id: rows.int(0), customer: rows.text(1) ?? "",
                    article: ArticleVersion(key: rows.text(2) ?? "", revision: Int(rows.int(3))),
                    severity: Int(rows.int(4)), kind: Kind(rawValue: rows.text(5) ?? "") ?? .article,
                    plan: Plan(rawValue: rows.text(6) ?? "") ?? .xtreme,
                    published: rows.optionalDouble(7).map(Date.init(timeIntervalSince1970:)),
                    recorded: Date(timeIntervalSince1970: rows.double(8))),
                delivery: rows.isNull(9)
                    ? nil
                    : DeliveryRecord(
                        id: rows.text(9) ?? "", channel: Channel(rawValue: rows.text(10) ?? "") ?? .email,
                        address: rows.text(11) ?? "", status: DeliveryRecord.Status(rawValue: rows.text(12) ?? "") ?? .pending,
                        attempts: Int(rows.int(13)), updated: Date(timeIntervalSince1970: rows.double(14)),
                        nextAttempt: rows.optionalDouble(15).map(Date.init(timeIntervalSince1970:)), lastError: rows.text(16)))
        }
        return assembler.records
    }

    /// The columns `history` reads, one row per (notification, delivery).
    static let historyColumns = """
        SELECT n.id, n.customer, n.article_key, n.revision, n.severity, n.kind, n.plan, n.published, n.created,
               d.id, d.channel, d.address, d.status, d.attempts, d.updated,
               CASE WHEN d.status = 'retrying' THEN d.next_attempt END, d.last_error
        FROM notifications n
        LEFT JOIN delivery_items i ON i.notification_id = n.id
        LEFT JOIN deliveries d ON d.id = i.delivery_id
        """

    public func articles(_ versions: Set<ArticleVersion>) throws(StateStoreError) -> [ArticleVersion: Article] {
        var articles: [ArticleVersion: Article] = [:]
        let statement = try db.statement("SELECT data FROM articles WHERE key = ? AND revision = ?")
        for version in versions {
            let row = statement.bind(.text(version.key), .int(Int64(version.revision)))
            if try row.step(), let data = row.text(0) { articles[version] = try RecordJSON.storedArticle(data).article }
            statement.reset()
        }
        return articles
    }

    public func totals(latencyBounds: [Double]) throws(StateStoreError) -> StateTotals {
        var totals = StateTotals(latencyBounds: latencyBounds)
        let counts = try db.statement(
            """
            SELECT (SELECT COUNT(DISTINCT key) FROM articles), (SELECT COUNT(*) FROM notifications WHERE caught_up = 0)
            """)
        if try counts.step() {
            totals.articles = Int(counts.int(0))
            totals.notifications = Int(counts.int(1))
        }
        // One pass over the deliveries: counts by channel and status, and the delivered
        // ones' latencies by severity and bucket (undelivered rows fall in bucket 0, unused).
        let rows = try db.statement(
            """
            SELECT channel, status, severity, \(totals.latency.bucketSQL), COUNT(*), SUM(latency) FROM (
                SELECT channel, status, severity,
                       MAX(0, updated - CASE WHEN sort_published >= ? THEN created ELSE sort_published END) AS latency
                FROM deliveries)
            GROUP BY 1, 2, 3, 4
            """
        ).bind(.double(DispatchOrder.undated))
        while try rows.step() {
            let status = rows.text(1) ?? "", count = Int(rows.int(4))
            if let channel = Channel(rawValue: rows.text(0) ?? "") { totals.deliveries[channel, default: [:]][status, default: 0] += count }
            if status == "delivered" {
                totals.latency.add(severity: Int(rows.int(2)), bucket: Int(rows.int(3)), count: count, sum: rows.double(5))
            }
        }
        return totals
    }

    public func latestArticles() throws(StateStoreError) -> [Article] {
        // SQLite's documented bare-column rule: with MAX(), `data` comes from the row that has it.
        let rows = try db.statement("SELECT MAX(revision), data FROM articles GROUP BY key ORDER BY key")
        var articles: [Article] = []
        while try rows.step() {
            if let data = rows.text(1) { articles.append(try RecordJSON.storedArticle(data).article) }
        }
        return articles
    }

    private func entries(status: String, limit: Int) throws(StateStoreError) -> [StatusReport.Entry] {
        precondition(status == "retrying" || status == "dead", "only failed deliveries are indexed by status")
        // The index's own condition is repeated, so that SQLite uses the partial index.
        let rows = try db.statement(
            """
            SELECT d.customer, d.is_digest, d.channel, d.address, d.attempts, d.next_attempt, d.last_error,
                   (SELECT group_concat(n.article_key, char(10)) FROM delivery_items i
                    JOIN notifications n ON n.id = i.notification_id WHERE i.delivery_id = d.id)
            FROM deliveries d WHERE d.status IN ('retrying', 'dead') AND d.status = ? ORDER BY d.updated DESC, d.id LIMIT ?
            """
        ).bind(.text(status), .int(Int64(limit)))
        var result: [StatusReport.Entry] = []
        while try rows.step() {
            result.append(
                StatusReport.Entry(
                    customer: rows.text(0) ?? "",
                    articles: (rows.text(7) ?? "").split(separator: "\n").map(String.init), isDigest: rows.int(1) != 0,
                    channel: Channel(rawValue: rows.text(2) ?? "") ?? .email, address: rows.text(3) ?? "",
                    attempts: Int(rows.int(4)),
                    nextAttempt: status == "retrying" ? rows.optionalDouble(5).map { Date(timeIntervalSince1970: $0) } : nil,
                    lastError: rows.text(6)))
        }
        return result
    }

    // MARK: Runs

    public func recordRun(started: Date, finished: Date, exitCode: Int32, summary: String) throws(StateStoreError) {
        // History, not state: committed without waiting for the disk, like outcomes (the
        // checkpoint when the store closes syncs it with the rest).
        try db.execute("PRAGMA synchronous=NORMAL")
        defer { try? db.execute("PRAGMA synchronous=FULL") }
        try db.statement("INSERT INTO runs(started, finished, exit_code, summary) VALUES (?, ?, ?, ?)")
            .bind(.double(started.timeIntervalSince1970), .double(finished.timeIntervalSince1970), .int(Int64(exitCode)), .text(summary))
            .run()
    }

    public func checkedDigest(of input: String) throws(StateStoreError) -> String? {
        let row = try db.statement("SELECT digest FROM checked_inputs WHERE what = ?").bind(.text(input))
        return try row.step() ? row.text(0) : nil
    }

    public func recordCheckedDigest(_ digest: String, of input: String) throws(StateStoreError) {
        try db.statement(
            """
            INSERT INTO checked_inputs(what, digest, checked) VALUES (?1, ?2, ?3)
            ON CONFLICT(what) DO UPDATE SET digest = ?2, checked = ?3
            """
        ).bind(.text(input), .text(digest), .double(Date().timeIntervalSince1970)).run()
    }

    public func recentRuns(limit: Int) throws(StateStoreError) -> [RunRecord] {
        let rows = try db.statement(
            "SELECT started, finished, exit_code, summary FROM runs ORDER BY id DESC LIMIT ?"
        ).bind(.int(Int64(limit)))
        var result: [RunRecord] = []
        while try rows.step() {
            result.append(
                RunRecord(
                    started: Date(timeIntervalSince1970: rows.double(0)), finished: Date(timeIntervalSince1970: rows.double(1)),
                    exitCode: Int32(rows.int(2)), summary: rows.text(3) ?? ""))
        }
        return result
    }
}
