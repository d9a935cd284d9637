public import Articles
public import Foundation
public import Matching

/// What critfix remembers between runs: feeds' fetch metadata, articles seen with
/// their revision, notifications, and deliveries as an outbox. Persistence only — the
/// order of a run is the pipeline's — and small, because there are two backends (SQLite
/// and PostgreSQL).
///
/// A run uses it in this order: reads (`feedState`, `seenArticles`, `notifiedBefore`),
/// then one outbox (`beginOutbox` … `commit`), then claims and outcomes. While an outbox
/// is open nothing else is called: the outbox may be writing on a thread of its own. Calls
/// come one at a time, except that a claim may run on one thread while outcomes are
/// recorded on another (a dispatch reads its next batch while it records the last one).
public protocol StateStore: AnyObject {
    /// Whether several runs may work on this store at once (PostgreSQL): then each claims
    /// smaller batches, so that the work splits evenly among them.
    var isShared: Bool { get }
    /// Takes the run lock; throws at once (`isLockHeld`) when another process has it. A
    /// store that several runs share (PostgreSQL) has none: they divide the feeds
    /// (`lockFeeds`) and claim deliveries one by one.
    func lock() throws(StateStoreError)
    /// The feeds of `names` this run may read and record: those no other run is working
    /// on, held until this run's outbox commits or the store closes. The others are
    /// skipped for this run (SPEC 9). A store one run holds whole gives them all.
    func lockFeeds(_ names: [String]) throws(StateStoreError) -> Set<String>
    /// Waits until the runs that held these feeds (`lockFeeds` gave them to another run)
    /// have recorded them, or `timeout` seconds: their new deliveries are then due, and
    /// this run can take its share of them.
    func awaitFeeds(_ names: [String], timeout: Double) throws(StateStoreError)
    /// Ends the store's use, lock included (deinit does it too): nothing may be called afterwards.
    func close()

    func feedState(_ name: String) throws(StateStoreError) -> FeedState?
    /// The latest recorded revision of each of these article keys that was seen.
    func seenArticles(_ keys: [String]) throws(StateStoreError) -> [String: SeenArticle]
    /// The last notification of `articleKey` to each customer that had one.
    func notifiedBefore(articleKey: String) throws(StateStoreError) -> [String: NotifiedBefore]

    /// Opens the outbox transaction of a run: fetches, articles seen, notifications and
    /// their deliveries are written through the writer as they are planned, so memory holds
    /// a batch rather than the run, and become visible together at `commit()` — or, when
    /// the writer is dropped uncommitted, not at all.
    func beginOutbox(caughtUp: Bool) throws(StateStoreError) -> any OutboxWriter

    /// Up to `limit` deliveries of `channel` due at `now`, in SPEC 5's dispatch order, to look at.
    func dueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery]
    /// The next `limit` deliveries of `channel` due at `now`, in dispatch order, that this
    /// store has not handed out before: the caller attempts them and records their
    /// outcomes. A claim may be made before the outcomes of the last one are recorded.
    func claimDueDeliveries(channel: Channel, now: Date, limit: Int) throws(StateStoreError) -> [DueDelivery]
    /// Records attempts' outcomes in one transaction.
    func record(_ outcomes: [DeliveryOutcome]) throws(StateStoreError)
    /// Of `ids`, deliveries this run claimed, those it still holds with at least half a
    /// lease left: the caller sends only these, just before it sends them. In a shared
    /// store a claim whose lease ran out (a run starved of CPU for a lease) may be another
    /// run's by now, and sending it too would send it twice. May be called from any thread,
    /// beside a claim and a recording.
    func heldClaims(_ ids: [String]) throws(StateStoreError) -> Set<String>

    func status(limit: Int) throws(StateStoreError) -> StatusReport
    /// The notifications `query` selects, with their deliveries, ordered by id (the order
    /// they were recorded in): for `report` and `--metrics`.
    func history(_ query: HistoryQuery) throws(StateStoreError) -> [NotificationRecord]
    /// These revisions of articles, as recorded (those not recorded are left out).
    func articles(_ versions: Set<ArticleVersion>) throws(StateStoreError) -> [ArticleVersion: Article]
    /// The latest recorded revision of every article, with its ranges: for `review`.
    func latestArticles() throws(StateStoreError) -> [Article]
    /// The state's totals for `--metrics`: articles, notifications, deliveries by channel
    /// and status, delivered messages by latency and severity.
    func totals(latencyBounds: [Double]) throws(StateStoreError) -> StateTotals
    /// Records one finished run (`run` or `catch-up`) with its exit code and summary.
    func recordRun(started: Date, finished: Date, exitCode: Int32, summary: String) throws(StateStoreError)
    /// The most recent runs, newest first.
    func recentRuns(limit: Int) throws(StateStoreError) -> [RunRecord]

    /// The digest of an input (`"registrations"`: the configuration and registrations
    /// files) as it was when it last passed validation, so an unchanged input need not
    /// be validated again by a run that has no work for it.
    func checkedDigest(of input: String) throws(StateStoreError) -> String?
    func recordCheckedDigest(_ digest: String, of input: String) throws(StateStoreError)
}

/// A failure of the state store, with the database's own message.
public struct StateStoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Another run holds the state lock (exit 75).
    public var isLockHeld = false
    /// The state cannot be reached (a PostgreSQL server down or refusing us): the run
    /// stops with exit 1, and what it recorded stays recorded.
    public var isUnavailable = false
    /// SQLite's result code (`SQLITE_FULL` 13, `SQLITE_BUSY` 5, …), when SQLite failed.
    public var code: Int32?

    public init(_ message: String, code: Int32? = nil) {
        self.message = message
        self.code = code
    }

    static func lockHeld(by holder: String) -> StateStoreError {
        var error = StateStoreError("another critfix run holds the state lock (\(holder)); try again when it has finished")
        error.isLockHeld = true
        return error
    }

    public var description: String { message }
}

public struct RunRecord: Sendable, Hashable {
    public var started: Date
    public var finished: Date
    public var exitCode: Int32
    public var summary: String
}

public enum Channel: String, Sendable, Hashable, Codable {
    case email, webhook
}

/// One run's outbox transaction (see `StateStore.beginOutbox`).
public protocol OutboxWriter: AnyObject {
    /// Records the fetches of the run. A success replaces the feed's validators (ETag,
    /// Last-Modified) — a 304 keeps those it does not send again — and resets its failure
    /// count; a failure counts one more in a row and keeps the validators unless the URL
    /// changed.
    func record(_ fetches: [(name: String, fetch: FetchRecord)]) throws(StateStoreError)
    /// Records a new article or a new revision as seen.
    func add(_ article: Article) throws(StateStoreError)
    /// Records a notification; returns the id its deliveries refer to.
    func add(_ notification: PlannedNotification) throws(StateStoreError) -> Int64
    /// Records a pending delivery; one whose id is already recorded is left as it is.
    func add(_ delivery: OutboxDelivery) throws(StateStoreError)
    func commit() throws(StateStoreError)
}

/// A delivery as the outbox records it: its notifications by id, in dispatch order, and
/// the keys that place it in SPEC 5's dispatch order among the others.
public struct OutboxDelivery: Sendable {
    public var id: String
    public var channel: Channel
    public var address: String
    public var customer: String
    public var isDigest: Bool
    public var messageID: String?
    public var notifications: [Int64]
    /// The most severe of its notifications.
    public var severity: Int
    public var plan: Plan
    /// The earliest published time of its notifications (nil: all undated).
    public var published: Double?
    /// The key of its first notification's article: the last tie-break of the order.
    public var articleKey: String

    public init(
        id: String, channel: Channel, address: String, customer: String, isDigest: Bool, messageID: String?,
        notifications: [Int64], severity: Int, plan: Plan, published: Double?, articleKey: String
    ) {
        self.id = id
        self.channel = channel
        self.address = address
        self.customer = customer
        self.isDigest = isDigest
        self.messageID = messageID
        self.notifications = notifications
        self.severity = severity
        self.plan = plan
        self.published = published
        self.articleKey = articleKey
    }
}

extension StateStore {
    /// Records one fetch in an outbox of its own.
    public func recordFetch(_ name: String, _ fetch: FetchRecord) throws(StateStoreError) {
        let outbox = try beginOutbox(caughtUp: false)
        try outbox.record([(name, fetch)])
        try outbox.commit()
    }
}

public struct FeedState: Sendable, Hashable {
    public var name: String
    public var url: String
    public var lastFetch: Date?
    public var httpStatus: Int?
    public var etag: String?
    public var lastModified: String?
    public var failuresInARow: Int
    public var lastError: String?
    /// Every article ever recorded for the feed.
    public var articles: Int
    /// A CSAF ROLIE feed's documents by entry id (SPEC 2.6): what was fetched, and failures.
    public var documents: [String: DocumentState] = [:]

    /// The documents whose last fetch failed, by id.
    public var failedDocuments: [DocumentState] {
        documents.values.filter { $0.failuresInARow > 0 }.sorted { $0.id < $1.id }
    }

    public init(
        name: String, url: String, lastFetch: Date? = nil, httpStatus: Int? = nil, etag: String? = nil,
        lastModified: String? = nil, failuresInARow: Int = 0, lastError: String? = nil, articles: Int = 0
    ) {
        self.name = name
        self.url = url
        self.lastFetch = lastFetch
        self.httpStatus = httpStatus
        self.etag = etag
        self.lastModified = lastModified
        self.failuresInARow = failuresInARow
        self.lastError = lastError
        self.articles = articles
    }
}

/// One document of a CSAF ROLIE feed (SPEC 2.6): the entry's `updated` and the document's
/// validators as of its last successful fetch, and its failures since.
public struct DocumentState: Sendable, Hashable {
    /// The ROLIE entry's id.
    public var id: String
    /// The document's URL, resolved against the feed's.
    public var url: String
    /// The entry's `updated` when the document was last fetched successfully ("" when never).
    public var updated: String
    public var etag: String?
    public var lastModified: String?
    public var lastFetch: Date?
    public var failuresInARow: Int
    public var lastError: String?

    public init(
        id: String, url: String, updated: String, etag: String? = nil, lastModified: String? = nil, lastFetch: Date? = nil,
        failuresInARow: Int = 0, lastError: String? = nil
    ) {
        self.id = id
        self.url = url
        self.updated = updated
        self.etag = etag
        self.lastModified = lastModified
        self.lastFetch = lastFetch
        self.failuresInARow = failuresInARow
        self.lastError = lastError
    }
}

/// The outcome of one fetch of a feed.
public struct FetchRecord: Sendable {
    public var url: String
    public var at: Date
    public var httpStatus: Int?
    public var etag: String?
    public var lastModified: String?
    /// Nil when the fetch (and parse) succeeded.
    public var error: String?
    /// A ROLIE feed's documents fetched in this run: a success (`lastError` nil) records
    /// its `updated` and validators, a failure counts one more in a row.
    public var documents: [DocumentState] = []
    /// A ROLIE feed's entries as listed now: a document no longer listed is forgotten.
    public var listedDocuments: [String]?

    public init(url: String, at: Date, httpStatus: Int? = nil, etag: String? = nil, lastModified: String? = nil, error: String? = nil) {
        self.url = url
        self.at = at
        self.httpStatus = httpStatus
        self.etag = etag
        self.lastModified = lastModified
        self.error = error
    }
}

public struct SeenArticle: Sendable {
    public var revision: Int
    public var article: Article
}

/// A notification to record: the customer, the article at its revision, what matched.
public struct PlannedNotification: Sendable {
    public var customer: String
    public var plan: Plan
    public var article: Article
    public var matched: [MatchedProduct]

    public init(customer: String, plan: Plan, article: Article, matched: [MatchedProduct]) {
        self.customer = customer
        self.plan = plan
        self.article = article
        self.matched = matched
    }
}

public struct StoredNotification: Sendable {
    public var customer: String
    /// The article as recorded, for rendering: its products' ranges are kept as written
    /// (`affected`); `range` is not to be relied on (read back from the state it is not
    /// parsed and reads every version).
    public var article: Article
    public var matched: [MatchedProduct]
}

public struct DueDelivery: Sendable {
    public var id: String
    public var channel: Channel
    public var address: String
    public var customer: String
    public var attempts: Int
    public var messageID: String?
    public var isDigest: Bool
    public var created: Date
    public var notifications: [StoredNotification]
    /// For an email of a revision: the Message-ID of the first email of the article to
    /// this address (its thread), when there was one.
    public var originalMessageID: String?
}

public struct DeliveryOutcome: Sendable {
    public enum Result: Sendable {
        case delivered
        /// Attempt again at this time.
        case retry(at: Date, error: String)
        case dead(error: String)
        /// Not attempted after all (the operator's failure): still due, with this reason.
        case postponed(error: String)
    }

    public var id: String
    public var at: Date
    public var result: Result

    public init(id: String, at: Date, result: Result) {
        self.id = id
        self.at = at
        self.result = result
    }
}

public struct StatusReport: Sendable {
    public struct Entry: Sendable {
        public var customer: String
        public var articles: [String]
        public var isDigest: Bool
        public var channel: Channel
        public var address: String
        public var attempts: Int
        public var nextAttempt: Date?
        public var lastError: String?
    }

    public var feeds: [FeedState]
    public var pending: Int
    public var retrying: Int
    public var dead: Int
    public var delivered: Int
    /// The deliveries of each channel (`email`, `webhook`) by status (`pending`, …).
    public var byChannel: [Channel: [String: Int]] = [:]
    public var retryingDeliveries: [Entry]
    public var deadDeliveries: [Entry]
}
