public import Articles
public import Foundation

/// One notification as recorded, with its deliveries: what `report` and `--metrics`
/// read back (SPEC 7, 7.4). The article's title and link come from the article itself
/// (`StateStore.articles`), read once per article rather than once per notification.
public struct NotificationRecord: Sendable {
    public var id: Int64
    public var customer: String
    public var article: ArticleVersion
    public var severity: Int
    public var kind: Kind
    public var plan: Plan
    /// The article's published time, when it gave one.
    public var published: Date?
    /// When the run that planned the notification recorded it.
    public var recorded: Date
    /// Its deliveries (a digest's included), in the order of their ids.
    public var deliveries: [DeliveryRecord]

    public init(
        id: Int64, customer: String, article: ArticleVersion, severity: Int, kind: Kind, plan: Plan, published: Date?,
        recorded: Date, deliveries: [DeliveryRecord] = []
    ) {
        self.id = id
        self.customer = customer
        self.article = article
        self.severity = severity
        self.kind = kind
        self.plan = plan
        self.published = published
        self.recorded = recorded
        self.deliveries = deliveries
    }

    /// When the first of its deliveries succeeded, if one has.
    public var firstDelivered: Date? {
        deliveries.filter { $0.status == .delivered }.map(\.updated).min()
    }
}

/// A delivery as it stands: its status and its last attempt.
public struct DeliveryRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case pending, retrying, dead, delivered
    }

    public var id: String
    public var channel: Channel
    public var address: String
    public var status: Status
    public var attempts: Int
    /// The time of its last outcome (delivered: when it was delivered), or of its recording.
    public var updated: Date
    public var nextAttempt: Date?
    public var lastError: String?

    public init(
        id: String, channel: Channel, address: String, status: Status, attempts: Int, updated: Date, nextAttempt: Date?,
        lastError: String?
    ) {
        self.id = id
        self.channel = channel
        self.address = address
        self.status = status
        self.attempts = attempts
        self.updated = updated
        self.nextAttempt = nextAttempt
        self.lastError = lastError
    }
}

/// Which notifications `StateStore.history` reads: those recorded in `[since, until)`, of
/// one customer or of all, never those recorded by `catch-up` (nobody was notified).
public struct HistoryQuery: Sendable, Hashable {
    public var since: Date?
    public var until: Date?
    public var customer: String?

    public init(since: Date? = nil, until: Date? = nil, customer: String? = nil) {
        self.since = since
        self.until = until
        self.customer = customer
    }
}

/// Builds records from rows ordered by notification id: one notification's rows follow
/// one another, one per delivery (none when it has no delivery). Its deliveries are put
/// in the order of their ids here rather than by the query (a sort of every row).
struct HistoryAssembler {
    private var assembled: [NotificationRecord] = []

    mutating func add(_ notification: NotificationRecord, delivery: DeliveryRecord?) {
        if assembled.last?.id != notification.id {
            sortLast()
            assembled.append(notification)
        }
        if let delivery { assembled[assembled.count - 1].deliveries.append(delivery) }
    }

    var records: [NotificationRecord] {
        mutating get {
            sortLast()
            return assembled
        }
    }

    private mutating func sortLast() {
        guard let last = assembled.indices.last, assembled[last].deliveries.count > 1 else { return }
        assembled[last].deliveries.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }
}

/// The state's totals for `--metrics`, read in one pass over the deliveries.
public struct StateTotals: Sendable, Equatable {
    /// Article keys recorded, each once.
    public var articles = 0
    /// Notifications recorded, catch-up aside.
    public var notifications = 0
    /// Deliveries by channel, then by status (`pending`, `retrying`, `dead`, `delivered`).
    public var deliveries: [Channel: [String: Int]] = [:]
    public var latency: LatencyHistogram

    public init(latencyBounds: [Double]) { latency = LatencyHistogram(bounds: latencyBounds) }
}

/// The state's delivered messages by latency — from the publication of the (earliest)
/// article a delivery carries, or its recording when undated, to its delivery — per
/// severity, counted into buckets by upper bound: what `--metrics` exports. Read from the
/// deliveries alone, in one pass, so that it costs a cron run little on a large state.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, ascending; a last bucket, above them all, is implied.
    public var bounds: [Double]
    /// Per severity: the deliveries in each bucket (not cumulative; `bounds.count + 1` of them).
    public var counts: [Int: [Int]] = [:]
    /// Per severity: the sum of the latencies, in seconds.
    public var sums: [Int: Double] = [:]

    public init(bounds: [Double]) { self.bounds = bounds }

    /// The SQL of the bucket a latency falls in (`latency` names the column).
    var bucketSQL: String {
        "CASE " + bounds.enumerated().map { "WHEN latency <= \($1) THEN \($0)" }.joined(separator: " ")
            + " ELSE \(bounds.count) END"
    }

    mutating func add(severity: Int, bucket: Int, count: Int, sum: Double) {
        counts[severity, default: Array(repeating: 0, count: bounds.count + 1)][min(max(bucket, 0), bounds.count)] += count
        sums[severity, default: 0] += sum
    }
}
