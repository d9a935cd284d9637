public import Articles
public import Foundation
public import Matching

/// The state in PostgreSQL (SPEC 9), for several `critfix run` processes on several
/// machines at once:
/// - a feed is read and recorded by one run at a time: `lockFeeds` takes a session
///   advisory lock per feed, held until the run's outbox commits (or the run ends);
/// - the database makes notifications unique per (customer, article, revision): a
///   notification another run recorded first is left out, with its deliveries;
/// - due deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease
///   (`claimed_by`, `claimed_until`) that a keeper renews while the run lives; a run
///   that dies leaves its claims to expire and be taken over, most urgent first;
/// - an outcome is recorded only by the run whose claim it is.
///
/// Three connections, one per thread that uses the store at once: the run's (`db`, also
/// the outbox's), the claims' (`claims`), and the lease keeper's.
public final class PostgresStateStore: StateStore {
    let db: PostgresConnection
    private let url: String
    /// This run, as `claimed_by` names it.
    let runID: String
    private var claimConnection: PostgresConnection?
    private var leaseKeeper: LeaseKeeper?
    /// How long a claim lasts unless renewed, in seconds; the keeper renews it at a third.
    let leaseSeconds: Double

    public init(url: String, leaseSeconds: Double = 60) throws(StateStoreError) {
        self.url = url
        self.leaseSeconds = leaseSeconds
        db = try PostgresConnection(url: url)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        runID = "\(hostName) pid \(getpid()) \(CivilTime.rfc3339(Date())) \(UInt32.random(in: 0...UInt32.max))"
        try PostgresMigrations.apply(to: db)
    }

    deinit {
        close()
    }

    /// The server, as messages may name it: without the password.
    public var server: String { db.server }

    /// A `postgres://` URL as messages may show it: without its password or query.
    public static func displayName(_ url: String) -> String { PostgresURL.redacted(url) }

    /// Lets go of the claims this run made and did not record (they are due again for
    /// any run at once, not after their lease), then disconnects.
    public func close() {
        leaseKeeper?.stop()
        leaseKeeper = nil
        if let claimConnection {
            _ = try? claimConnection.query(
                """
                UPDATE deliveries SET claimed_until = NULL WHERE id IN (
                    SELECT id FROM deliveries WHERE claimed_by = $1 AND claimed_until IS NOT NULL ORDER BY id FOR UPDATE)
                """, [runID])
        }
        claimConnection?.close()
        claimConnection = nil
        db.close()
    }

    public var isShared: Bool { true }

    /// Several runs may share the state: there is no lock on all of it (SPEC 9), only on
    /// each feed (`lockFeeds`) and each claimed delivery.
    public func lock() throws(StateStoreError) {}

    public func lockFeeds(_ names: [String]) throws(StateStoreError) -> Set<String> {
        var held: Set<String> = []
        for name in names {
            let row = try db.query("SELECT pg_try_advisory_lock($1)", [String(Self.feedLockKey(name))])
            if row.bool(0, 0) { held.insert(name) }
        }
        return held
    }

    /// Takes each feed's lock, waiting at most until `timeout` all told, and lets it go
    /// at once: the run that held it has committed (or died, which lets it go too).
    public func awaitFeeds(_ names: [String], timeout: Double) throws(StateStoreError) {
        let deadline = Date().addingTimeInterval(timeout)
        defer { _ = try? db.execute("SET lock_timeout = 0") }
        for name in names {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return }
            try db.execute("SET lock_timeout = \(max(1, Int(left * 1000)))")
            do {
                try db.query("SELECT pg_advisory_lock($1)", [String(Self.feedLockKey(name))])
                try db.query("SELECT pg_advisory_unlock($1)", [String(Self.feedLockKey(name))])
            } catch where !error.isUnavailable {
                return  // the wait ran out (lock_timeout): the rest is for a later run
            }
        }
    }

    /// Lets go of the feeds' locks (the outbox has committed what the run read).
    func unlockFeeds() throws(StateStoreError) {
        try db.execute("SELECT pg_advisory_unlock_all()")
    }

    /// A feed's lock: the name's 64-bit FNV-1a hash, so that every critfix agrees.
    static func feedLockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("critfix feed " + name).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    // MARK: Feeds

    private static let feedColumns = """
        SELECT name, url, last_fetch, http_status, etag, last_modified, failures_in_a_row, last_error,
               (SELECT COUNT(DISTINCT key) FROM articles WHERE feed = feeds.name)
        FROM feeds
        """

    public func feedState(_ name: String) throws(StateStoreError) -> FeedState? {
        let rows = try db.query(Self.feedColumns + " WHERE name = $1", [name])
        guard rows.count > 0 else { return nil }
        var state = feedState(rows, 0)
        state.documents = try documents(feed: name)
        return state
    }

    private func feedState(_ rows: PostgresRows, _ row: Int) -> FeedState {
        FeedState(
            name: rows.text(row, 0) ?? "", url: rows.text(row, 1) ?? "",
            lastFetch: rows.optionalDouble(row, 2).map { Date(timeIntervalSince1970: $0) },
            httpStatus: rows.optionalInt(row, 3), etag: rows.text(row, 4), lastModified: rows.text(row, 5),
            failuresInARow: Int(rows.int(row, 6)), lastError: rows.text(row, 7), articles: Int(rows.int(row, 8)))
    }

    private func documents(feed: String) throws(StateStoreError) -> [String: DocumentState] {
        let rows = try db.query(
            """
            SELECT id, url, updated, etag, last_modified, last_fetch, failures_in_a_row, last_error
            FROM feed_documents WHERE feed = $1
            """, [feed])
        var documents: [String: DocumentState] = [:]
        for row in 0..<rows.count {
            let id = rows.text(row, 0) ?? ""
            documents[id] = DocumentState(
                id: id, url: rows.text(row, 1) ?? "", updated: rows.text(row, 2) ?? "", etag: rows.text(row, 3),
                lastModified: rows.text(row, 4),
                lastFetch: rows.optionalDouble(row, 5).map { Date(timeIntervalSince1970: $0) },
                failuresInARow: Int(rows.int(row, 6)), lastError: rows.text(row, 7))
        }
        return documents
    }

    /// Writes the fetches of a run inside the outbox's transaction (see `OutboxWriter.record(_:)`).
    static func writeFetches(_ fetches: [(name: String, fetch: FetchRecord)], to db: PostgresConnection) throws(StateStoreError) {
        for (name, fetch) in fetches {
            let at = PostgresText.double(fetch.at.timeIntervalSince1970)
            let status = fetch.httpStatus.map(String.init)
            if let error = fetch.error {
                try db.query(
                    """
                    INSERT INTO feeds AS f (name, url, last_fetch, http_status, failures_in_a_row, last_error)
                    VALUES ($1, $2, $3, $4, 1, $5)
                    ON CONFLICT(name) DO UPDATE SET url = $2, last_fetch = $3, http_status = $4,
                        failures_in_a_row = f.failures_in_a_row + 1, last_error = $5,
                        etag = CASE WHEN f.url = $2 THEN f.etag END,
                        last_modified = CASE WHEN f.url = $2 THEN f.last_modified END
                    """, [name, fetch.url, at, status, error])
                continue
            }
            try db.query(
                """
                INSERT INTO feeds AS f (name, url, last_fetch, http_status, etag, last_modified, failures_in_a_row,
                    last_error, last_success)
                VALUES ($1, $2, $3, $4::integer, $5, $6, 0, NULL, $3)
                ON CONFLICT(name) DO UPDATE SET url = $2, last_fetch = $3, http_status = $4::integer,
                    etag = CASE WHEN $4::integer = 304 THEN COALESCE($5, f.etag) ELSE $5 END,
                    last_modified = CASE WHEN $4::integer = 304 THEN COALESCE($6, f.last_modified) ELSE $6 END,
                    failures_in_a_row = 0, last_error = NULL, last_success = $3
                """, [name, fetch.url, at, status, fetch.etag, fetch.lastModified])
            for document in fetch.documents { try recordDocument(document, feed: name, at: at, db: db) }
            if let listed = fetch.listedDocuments {
                try db.query(
                    "DELETE FROM feed_documents WHERE feed = $1 AND NOT (id = ANY($2::text[]))",
                    [name, PostgresText.array(listed)])
            }
        }
    }

    /// As in SQLite: a success replaces the document's `updated` and validators, a failure
    /// counts one more in a row and keeps them.
    private static func recordDocument(_ document: DocumentState, feed: String, at: String, db: PostgresConnection)
        throws(StateStoreError)
    {
        if document.lastError == nil {
            try db.query(
                """
                INSERT INTO feed_documents(feed, id, url, updated, etag, last_modified, last_fetch, failures_in_a_row, last_error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL)
                ON CONFLICT(feed, id) DO UPDATE SET url = $3, updated = $4, etag = $5,
                    last_modified = $6, last_fetch = $7, failures_in_a_row = 0, last_error = NULL
                """,
                [feed, document.id, document.url, document.updated, document.etag, document.lastModified, at])
        } else {
            try db.query(
                """
                INSERT INTO feed_documents AS d (feed, id, url, updated, last_fetch, failures_in_a_row, last_error)
                VALUES ($1, $2, $3, '', $4, 1, $5)
                ON CONFLICT(feed, id) DO UPDATE SET url = $3, last_fetch = $4,
                    failures_in_a_row = d.failures_in_a_row + 1, last_error = $5
                """, [feed, document.id, document.url, at, document.lastError])
        }
    }

    // MARK: Articles and notifications

    public func seenArticles(_ keys: [String]) throws(StateStoreError) -> [String: SeenArticle] {
        var result: [String: SeenArticle] = [:]
        // One round trip per thousand keys, not per key.
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let page = keys[start..<min(start + 1000, keys.count)]
            let rows = try db.query(
                """
                SELECT DISTINCT ON (key) key, revision, data FROM articles
                WHERE key = ANY($1::text[]) ORDER BY key, revision DESC
                """, [PostgresText.array(page)])
            for row in 0..<rows.count {
                let record = try RecordJSON.storedArticle(rows.text(row, 2) ?? "")
                result[rows.text(row, 0) ?? ""] = SeenArticle(revision: Int(rows.int(row, 1)), article: record.article)
            }
        }
        return result
    }

    public func notifiedBefore(articleKey: String) throws(StateStoreError) -> [String: NotifiedBefore] {
        let rows = try db.query(
            "SELECT customer, revision, severity FROM notifications WHERE article_key = $1 ORDER BY revision", [articleKey])
        var result: [String: NotifiedBefore] = [:]
        for row in 0..<rows.count {
            result[rows.text(row, 0) ?? ""] = NotifiedBefore(
                severity: Int(rows.int(row, 2)), revision: Int(rows.int(row, 1)))
        }
        return result
    }

    public func beginOutbox(caughtUp: Bool) throws(StateStoreError) -> any OutboxWriter {
        try PostgresOutboxWriter(store: self, caughtUp: caughtUp)
    }

    /// The next block of notification ids (`PostgresMigrations`, "claims"): the sequence's
    /// value is the block's last id. Asked on the claims' connection, which is idle while
    /// an outbox is open, so that numbering never waits for the outbox's inserts.
    func notificationIDBlock() throws(StateStoreError) -> ClosedRange<Int64> {
        let last = try claims().query("SELECT nextval('notification_ids')").int(0, 0)
        return (last - Self.notificationBlock + 1)...last
    }

    static let notificationBlock: Int64 = 4096

    /// As in `SQLiteStateStore`: the articles this process recorded, read back without decoding.
    var recordedArticles: [ArticleVersion: Article] = [:]

    // MARK: Deliveries

    public func dueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery] {
        let rows = try db.query(
            Self.deliveryColumns
                + """
                 FROM deliveries WHERE channel = $1 AND status IN ('pending', 'retrying') AND next_attempt <= $2
                ORDER BY severity, plan_rank, sort_published, customer_sort, seq LIMIT $3
                """,
            [channel.rawValue, PostgresText.double(now.timeIntervalSince1970), String(limit)])
        return try deliveries(rows, channel: channel, in: db)
    }

    /// Where this run's claims of each channel have got to in dispatch order. A claim reads
    /// on from there rather than from the start: the index still holds the entries of what
    /// this run claimed and sent (dead rows until a vacuum), and scanning past them at every
    /// claim made W2's sending 2.5 times slower.
    private var claimedUpTo: [Channel: DispatchKey] = [:]

    public func claimDueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery] {
        // The leases run from the database's clock at the claim; this is no later than that.
        let asked = ContinuousClock.now
        let connection = try claims()
        var rows = try claim(channel: channel, now: now, limit: limit, after: claimedUpTo[channel], on: connection)
        if let last = rows.map(\.key).max() { claimedUpTo[channel] = max(last, claimedUpTo[channel] ?? last) }
        if rows.count < limit, claimedUpTo[channel] != nil {
            // The end of the order: once more from the start, for what came due behind this
            // run's place since (another run's lease that expired, a delivery it let go).
            rows += try claim(channel: channel, now: now, limit: limit - rows.count, after: nil, on: connection)
        }
        if !rows.isEmpty, leaseKeeper == nil {
            leaseKeeper = try LeaseKeeper(url: url, runID: runID, leaseSeconds: leaseSeconds)
        }
        leaseKeeper?.hold(rows.map(\.delivery.id), since: asked)
        return rows.sorted { $0.key < $1.key }.map(\.delivery)
    }

    /// Claims up to `limit` due deliveries after `after` (from the start when nil).
    private func claim(
        channel: Channel, now: Date, limit: Int, after: DispatchKey?, on connection: PostgresConnection
    ) throws(StateStoreError) -> [(delivery: DueDelivery, key: DispatchKey)] {
        var parameters: [String?] = [
            channel.rawValue, PostgresText.double(now.timeIntervalSince1970), String(limit), runID,
            PostgresText.double(leaseSeconds),
        ]
        var position = ""
        if let after {
            position = "AND (severity, plan_rank, sort_published, customer_sort, seq) > ($6, $7, $8, $9, $10)"
            parameters += [
                String(after.severity), String(after.planRank), PostgresText.double(after.published), after.customerSort,
                String(after.seq),
            ]
        }
        // A claim is committed at once: the row locks go, the lease stays. Claims this run
        // made before are never handed out again, whatever their lease (as in SQLite).
        let rows = try connection.query(
            """
            WITH due AS (
                SELECT id FROM deliveries
                WHERE channel = $1 AND status IN ('pending', 'retrying') AND next_attempt <= $2
                  AND claimed_by IS DISTINCT FROM $4
                  AND (claimed_until IS NULL OR claimed_until < extract(epoch FROM clock_timestamp()))
                  \(position)
                ORDER BY severity, plan_rank, sort_published, customer_sort, seq
                LIMIT $3 FOR UPDATE SKIP LOCKED)
            UPDATE deliveries d SET claimed_by = $4, claimed_until = extract(epoch FROM clock_timestamp()) + $5
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.address, d.customer, d.attempts, d.message_id, d.is_digest, d.created,
                      d.severity, d.plan_rank, d.sort_published, d.customer_sort, d.seq
            """, parameters)
        let keys = Dictionary(
            (0..<rows.count).map { row in (rows.text(row, 0) ?? "", DispatchKey(rows, row)) },
            uniquingKeysWith: { first, _ in first })
        return try deliveries(rows, channel: channel, in: connection).map { ($0, keys[$0.id]!) }
    }

    private static let deliveryColumns = """
        SELECT id, address, customer, attempts, message_id, is_digest, created,
               severity, plan_rank, sort_published, customer_sort, seq
        """

    /// SPEC 5's dispatch order, as the claim's columns give it.
    private struct DispatchKey: Comparable {
        var severity: Int64, planRank: Int64, published: Double, customerSort: String, seq: Int64

        init(_ rows: PostgresRows, _ row: Int) {
            severity = rows.int(row, 7)
            planRank = rows.int(row, 8)
            published = rows.double(row, 9)
            customerSort = rows.text(row, 10) ?? ""
            seq = rows.int(row, 11)
        }

        static func < (a: Self, b: Self) -> Bool {
            if a.severity != b.severity { return a.severity < b.severity }
            if a.planRank != b.planRank { return a.planRank < b.planRank }
            if a.published != b.published { return a.published < b.published }
            // PostgreSQL's "C"-collated text orders as UTF-8 bytes do.
            if a.customerSort != b.customerSort { return Array(a.customerSort.utf8).lexicographicallyPrecedes(b.customerSort.utf8) }
            return a.seq < b.seq
        }
    }

    /// The deliveries of `rows` (`deliveryColumns`) with their notifications and articles.
    private func deliveries(_ rows: PostgresRows, channel: Channel, in db: PostgresConnection) throws(StateStoreError)
        -> [DueDelivery]
    {
        guard rows.count > 0 else { return [] }
        var deliveries: [DueDelivery] = []
        var index: [String: Int] = [:]
        for row in 0..<rows.count {
            let id = rows.text(row, 0) ?? ""
            index[id] = deliveries.count
            deliveries.append(
                DueDelivery(
                    id: id, channel: channel, address: rows.text(row, 1) ?? "", customer: rows.text(row, 2) ?? "",
                    attempts: Int(rows.int(row, 3)), messageID: rows.text(row, 4), isDigest: rows.int(row, 5) != 0,
                    created: Date(timeIntervalSince1970: rows.double(row, 6)), notifications: []))
        }
        let items = try db.query(
            """
            SELECT i.delivery_id, n.customer, n.article_key, n.revision, n.matched
            FROM delivery_items i JOIN notifications n ON n.id = i.notification_id
            WHERE i.delivery_id = ANY($1::text[]) ORDER BY i.delivery_id, i.position
            """, [PostgresText.array(deliveries.map(\.id))])
        var missing: Set<ArticleVersion> = []
        for row in 0..<items.count {
            let version = ArticleVersion(key: items.text(row, 2) ?? "", revision: Int(items.int(row, 3)))
            if recordedArticles[version] == nil { missing.insert(version) }
        }
        let articles = try storedArticles(missing, in: db)
        for row in 0..<items.count {
            let version = ArticleVersion(key: items.text(row, 2) ?? "", revision: Int(items.int(row, 3)))
            guard let at = index[items.text(row, 0) ?? ""], let article = recordedArticles[version] ?? articles[version]
            else { continue }
            let matched = try RecordJSON.storedMatched(items.text(row, 4) ?? "[]")
            deliveries[at].notifications.append(
                StoredNotification(customer: items.text(row, 1) ?? "", article: article, matched: matched))
        }
        for at in deliveries.indices where channel == .email && !deliveries[at].isDigest {
            let delivery = deliveries[at]
            guard let first = delivery.notifications.first, first.article.revision > 1 else { continue }
            let thread = try db.query(
                """
                SELECT d.message_id FROM notifications n
                JOIN delivery_items i ON i.notification_id = n.id
                JOIN deliveries d ON d.id = i.delivery_id
                WHERE n.article_key = $1 AND n.customer = $2 AND d.address = $3 AND d.channel = 'email' AND d.is_digest = 0
                ORDER BY n.revision LIMIT 1
                """, [first.article.key, delivery.customer, delivery.address])
            deliveries[at].originalMessageID = thread.count > 0 ? thread.text(0, 0) : nil
        }
        return deliveries
    }

    /// These revisions as recorded; without `parsingRanges` every range reads every
    /// version (enough for rendering, and faster).
    private func storedArticles(
        _ versions: Set<ArticleVersion>, in db: PostgresConnection, parsingRanges: Bool = false
    ) throws(StateStoreError) -> [ArticleVersion: Article] {
        guard !versions.isEmpty else { return [:] }
        let list = Array(versions)
        let rows = try db.query(
            """
            SELECT a.key, a.revision, a.data FROM articles a
            JOIN unnest($1::text[], $2::integer[]) AS v(key, revision) ON a.key = v.key AND a.revision = v.revision
            """, [PostgresText.array(list.map(\.key)), PostgresText.array(list.map { String($0.revision) })])
        var articles: [ArticleVersion: Article] = [:]
        for row in 0..<rows.count {
            let version = ArticleVersion(key: rows.text(row, 0) ?? "", revision: Int(rows.int(row, 1)))
            articles[version] = try RecordJSON.storedArticle(rows.text(row, 2) ?? "").article(parsingRanges: parsingRanges)
        }
        return articles
    }

    /// The claims' connection, opened by the first claim.
    func claims() throws(StateStoreError) -> PostgresConnection {
        if let claimConnection { return claimConnection }
        let connection = try PostgresConnection(url: url)
        claimConnection = connection
        return connection
    }

    /// `leaseKeeper` is set once, by the first claim that returns deliveries, which happens
    /// before any of them is handed to a sender.
    public func heldClaims(_ ids: [String]) throws(StateStoreError) -> Set<String> {
        guard let leaseKeeper else { return [] }
        return try leaseKeeper.holding(ids)
    }

    public func record(_ outcomes: [DeliveryOutcome]) throws(StateStoreError) {
        guard !outcomes.isEmpty else { return }
        defer { leaseKeeper?.release(outcomes.map(\.id)) }
        var ids: [String] = [], results: [String] = [], times: [String] = [], errors: [String?] = [], next: [String?] = []
        for outcome in outcomes {
            ids.append(outcome.id)
            times.append(PostgresText.double(outcome.at.timeIntervalSince1970))
            switch outcome.result {
            case .delivered:
                results.append("delivered")
                errors.append(nil)
                next.append(nil)
            case .retry(let at, let error):
                results.append("retrying")
                errors.append(error)
                next.append(PostgresText.double(at.timeIntervalSince1970))
            case .dead(let error):
                results.append("dead")
                errors.append(error)
                next.append(nil)
            case .postponed(let error):
                results.append("postponed")
                errors.append(error)
                next.append(nil)
            }
        }
        // One statement for the batch, its rows locked in one order (by id), so that two
        // runs recording at once never wait on each other in a circle. Only a delivery this
        // run claimed — or that nobody claimed — takes an outcome: a lease that expired and
        // was taken over is the other run's now (the lock rechecks `claimed_by` on the row
        // as it is once locked). The lease is let go; `claimed_by` stays, so this run does
        // not claim the delivery again. The outcomes ride along with the locked rows: an
        // `IN (…FOR UPDATE)` beside them was joined row by row, 1.7 times the statement's time.
        try db.query(
            """
            WITH o AS (
                SELECT d.id, o.result, o.at, o.error, o.next FROM deliveries d
                JOIN unnest($1::text[], $2::text[], $3::double precision[], $4::text[], $5::double precision[])
                    AS o(id, result, at, error, next) ON d.id = o.id
                WHERE d.claimed_by IS NULL OR d.claimed_by = $6
                ORDER BY d.id FOR UPDATE OF d)
            UPDATE deliveries d SET
                status = CASE WHEN o.result = 'postponed' THEN d.status ELSE o.result END,
                attempts = d.attempts + CASE WHEN o.result = 'postponed' THEN 0 ELSE 1 END,
                next_attempt = CASE WHEN o.result = 'retrying' THEN o.next ELSE d.next_attempt END,
                last_error = o.error, updated = o.at, claimed_until = NULL
            FROM o WHERE d.id = o.id
            """,
            [
                PostgresText.array(ids), PostgresText.array(results), PostgresText.array(times),
                PostgresText.array(errors), PostgresText.array(next), runID,
            ])
    }

    // MARK: Status

    public func status(limit: Int) throws(StateStoreError) -> StatusReport {
        let feedRows = try db.query(Self.feedColumns + " ORDER BY name COLLATE \"C\"")
        var feeds = (0..<feedRows.count).map { feedState(feedRows, $0) }
        for index in feeds.indices { feeds[index].documents = try documents(feed: feeds[index].name) }
        var counts: [String: Int] = [:], byChannel: [Channel: [String: Int]] = [:]
        let countRows = try db.query("SELECT channel, status, COUNT(*) FROM deliveries GROUP BY channel, status")
        for row in 0..<countRows.count {
            let status = countRows.text(row, 1) ?? "", count = Int(countRows.int(row, 2))
            counts[status, default: 0] += count
            if let channel = Channel(rawValue: countRows.text(row, 0) ?? "") { byChannel[channel, default: [:]][status] = count }
        }
        return StatusReport(
            feeds: feeds, pending: counts["pending"] ?? 0, retrying: counts["retrying"] ?? 0,
            dead: counts["dead"] ?? 0, delivered: counts["delivered"] ?? 0, byChannel: byChannel,
            retryingDeliveries: try entries(status: "retrying", limit: limit),
            deadDeliveries: try entries(status: "dead", limit: limit))
    }

    // MARK: History

    public func history(_ query: HistoryQuery) throws(StateStoreError) -> [NotificationRecord] {
        var conditions = ["n.caught_up = 0"], values: [String?] = []
        func parameter(_ value: String) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if let since = query.since { conditions.append("n.created >= " + parameter(PostgresText.double(since.timeIntervalSince1970))) }
        if let until = query.until { conditions.append("n.created < " + parameter(PostgresText.double(until.timeIntervalSince1970))) }
        if let customer = query.customer { conditions.append("n.customer = " + parameter(customer)) }
        let rows = try db.query(
            SQLiteStateStore.historyColumns + " WHERE " + conditions.joined(separator: " AND ") + " ORDER BY n.id",
            values)
        var assembler = HistoryAssembler()
        for row in 0..<rows.count {
            assembler.add(
                NotificationRecord(
                    id: rows.int(row, 0), customer: rows.text(row, 1) ?? "",
                    article: ArticleVersion(key: rows.text(row, 2) ?? "", revision: Int(rows.int(row, 3))),
                    severity: Int(rows.int(row, 4)), kind: Kind(rawValue: rows.text(row, 5) ?? "") ?? .article,
                    plan: Plan(rawValue: rows.text(row, 6) ?? "") ?? .xtreme,
                    published: rows.optionalDouble(row, 7).map(Date.init(timeIntervalSince1970:)),
                    recorded: Date(timeIntervalSince1970: rows.double(row, 8))),
                delivery: rows.isNull(row, 9)
                    ? nil
                    : DeliveryRecord(
                        id: rows.text(row, 9) ?? "", channel: Channel(rawValue: rows.text(row, 10) ?? "") ?? .email,
                        address: rows.text(row, 11) ?? "",
                        status: DeliveryRecord.Status(rawValue: rows.text(row, 12) ?? "") ?? .pending,
                        attempts: Int(rows.int(row, 13)), updated: Date(timeIntervalSince1970: rows.double(row, 14)),
                        nextAttempt: rows.optionalDouble(row, 15).map(Date.init(timeIntervalSince1970:)),
                        lastError: rows.text(row, 16)))
        }
        return assembler.records
    }

    public func articles(_ versions: Set<ArticleVersion>) throws(StateStoreError) -> [ArticleVersion: Article] {
        try storedArticles(versions, in: db, parsingRanges: true)
    }

    public func totals(latencyBounds: [Double]) throws(StateStoreError) -> StateTotals {
        var totals = StateTotals(latencyBounds: latencyBounds)
        let counts = try db.query(
            "SELECT (SELECT COUNT(DISTINCT key) FROM articles), (SELECT COUNT(*) FROM notifications WHERE caught_up = 0)")
        totals.articles = Int(counts.int(0, 0))
        totals.notifications = Int(counts.int(0, 1))
        // As in SQLite: one pass over the deliveries.
        let rows = try db.query(
            """
            SELECT channel, status, severity, \(totals.latency.bucketSQL), COUNT(*), SUM(latency) FROM (
                SELECT channel, status, severity,
                       GREATEST(0, updated - CASE WHEN sort_published >= $1 THEN created ELSE sort_published END) AS latency
                FROM deliveries) AS every_delivery
            GROUP BY 1, 2, 3, 4
            """, [PostgresText.double(DispatchOrder.undated)])
        for row in 0..<rows.count {
            let status = rows.text(row, 1) ?? "", count = Int(rows.int(row, 4))
            if let channel = Channel(rawValue: rows.text(row, 0) ?? "") { totals.deliveries[channel, default: [:]][status, default: 0] += count }
            if status == "delivered" {
                totals.latency.add(
                    severity: Int(rows.int(row, 2)), bucket: Int(rows.int(row, 3)), count: count, sum: rows.double(row, 5))
            }
        }
        return totals
    }

    public func latestArticles() throws(StateStoreError) -> [Article] {
        let rows = try db.query(
            "SELECT DISTINCT ON (key) data FROM articles ORDER BY key, revision DESC")
        return try (0..<rows.count).map { row throws(StateStoreError) in try RecordJSON.storedArticle(rows.text(row, 0) ?? "").article }
    }

    private func entries(status: String, limit: Int) throws(StateStoreError) -> [StatusReport.Entry] {
        let rows = try db.query(
            """
            SELECT d.customer, d.is_digest, d.channel, d.address, d.attempts, d.next_attempt, d.last_error,
                   (SELECT string_agg(n.article_key, E'\\n' ORDER BY i.position) FROM delivery_items i
                    JOIN notifications n ON n.id = i.notification_id WHERE i.delivery_id = d.id)
            FROM deliveries d WHERE d.status IN ('retrying', 'dead') AND d.status = $1
            ORDER BY d.updated DESC, d.id COLLATE "C" LIMIT $2
            """, [status, String(limit)])
        return (0..<rows.count).map { row in
            StatusReport.Entry(
                customer: rows.text(row, 0) ?? "",
                articles: (rows.text(row, 7) ?? "").split(separator: "\n").map(String.init),
                isDigest: rows.int(row, 1) != 0, channel: Channel(rawValue: rows.text(row, 2) ?? "") ?? .email,
                address: rows.text(row, 3) ?? "", attempts: Int(rows.int(row, 4)),
                nextAttempt: status == "retrying" ? rows.optionalDouble(row, 5).map { Date(timeIntervalSince1970: $0) } : nil,
                lastError: rows.text(row, 6))
        }
    }

    // MARK: Runs

    public func recordRun(started: Date, finished: Date, exitCode: Int32, summary: String) throws(StateStoreError) {
        try db.query(
            "INSERT INTO runs(started, finished, exit_code, summary) VALUES ($1, $2, $3, $4)",
            [
                PostgresText.double(started.timeIntervalSince1970), PostgresText.double(finished.timeIntervalSince1970),
                String(exitCode), summary,
            ])
    }

    public func recentRuns(limit: Int) throws(StateStoreError) -> [RunRecord] {
        let rows = try db.query("SELECT started, finished, exit_code, summary FROM runs ORDER BY id DESC LIMIT $1", [String(limit)])
        return (0..<rows.count).map { row in
            RunRecord(
                started: Date(timeIntervalSince1970: rows.double(row, 0)),
                finished: Date(timeIntervalSince1970: rows.double(row, 1)), exitCode: Int32(rows.int(row, 2)),
                summary: rows.text(row, 3) ?? "")
        }
    }

    public func checkedDigest(of input: String) throws(StateStoreError) -> String? {
        let rows = try db.query("SELECT digest FROM checked_inputs WHERE what = $1", [input])
        return rows.count > 0 ? rows.text(0, 0) : nil
    }

    public func recordCheckedDigest(_ digest: String, of input: String) throws(StateStoreError) {
        try db.query(
            """
            INSERT INTO checked_inputs(what, digest, checked) VALUES ($1, $2, $3)
            ON CONFLICT(what) DO UPDATE SET digest = $2, checked = $3
            """, [input, digest, PostgresText.double(Date().timeIntervalSince1970)])
    }
}

/// Renews this run's leases on a thread and connection of its own, every third of a
/// lease, until the run ends: a claim outlives a slow batch, and a run that dies lets
/// its claims go within one lease. It renews the deliveries this run claimed (`hold`)
/// that are still claimed by it and not yet recorded, and knows since when each lease
/// is sure (`holding`).
final class LeaseKeeper: @unchecked Sendable {
    // `db` is used only on `queue` (the timer's handler, `holding`, then `stop`); `held`
    // only under `lock`.
    private let db: PostgresConnection
    private let queue = DispatchQueue(label: "critfix.lease")
    private let timer: any DispatchSourceTimer
    private let lock = NSLock()
    private let runID: String
    private let leaseSeconds: Double
    /// Each held delivery, with a time no later than the start of its lease's last renewal.
    private var held: [String: ContinuousClock.Instant] = [:]

    init(url: String, runID: String, leaseSeconds: Double) throws(StateStoreError) {
        db = try PostgresConnection(url: url)
        self.runID = runID
        self.leaseSeconds = leaseSeconds
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + leaseSeconds / 3, repeating: leaseSeconds / 3)
        timer.setEventHandler { [self] in
            let ids = lock.withLock { Array(held.keys) }
            // A failure here is the run's to see, on its own connection.
            _ = try? renew(ids)
        }
        timer.resume()
    }

    /// Renews the leases of `ids` that this run still holds, on `queue`; forgets the others
    /// (recorded meanwhile, or another run's now). Returns those renewed.
    private func renew(_ ids: [String]) throws(StateStoreError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let started = ContinuousClock.now
        let rows = try db.query(
            """
            WITH mine AS (
                SELECT id FROM deliveries
                WHERE id = ANY($3::text[]) AND claimed_by = $1 AND claimed_until IS NOT NULL
                ORDER BY id FOR UPDATE SKIP LOCKED)
            UPDATE deliveries d SET claimed_until = extract(epoch FROM clock_timestamp()) + $2
            FROM mine WHERE d.id = mine.id
            RETURNING d.id
            """, [runID, PostgresText.double(leaseSeconds), PostgresText.array(ids)])
        let still = Set((0..<rows.count).compactMap { rows.text($0, 0) })
        lock.withLock {
            for id in ids where held[id] != nil {
                if still.contains(id) { held[id] = started } else { held[id] = nil }
            }
        }
        return still
    }

    /// Deliveries this run has just claimed, with a time no later than the claim.
    func hold(_ ids: [String], since claimed: ContinuousClock.Instant) {
        lock.withLock { for id in ids { held[id] = claimed } }
    }

    /// Deliveries whose outcome is recorded: their claim is over.
    func release(_ ids: [String]) {
        lock.withLock { for id in ids { held[id] = nil } }
    }

    /// Of `ids`, those this run holds with at least half a lease left. Those renewed less
    /// than half a lease ago are known without a query (the timer renews every third of
    /// one); the others are renewed now, if they are still this run's.
    func holding(_ ids: [String]) throws(StateStoreError) -> Set<String> {
        let now = ContinuousClock.now
        let sure = Duration.seconds(leaseSeconds / 2)
        var fresh: Set<String> = []
        var stale: [String] = []
        lock.withLock {
            for id in ids {
                guard let since = held[id] else { continue }
                if now - since < sure { fresh.insert(id) } else { stale.append(id) }
            }
        }
        guard !stale.isEmpty else { return fresh }
        let renewed: Result<Set<String>, StateStoreError> = queue.sync {
            Result { () throws(StateStoreError) -> Set<String> in try renew(stale) }
        }
        return fresh.union(try renewed.get())
    }

    func stop() {
        timer.cancel()
        queue.sync { db.close() }
    }
}
