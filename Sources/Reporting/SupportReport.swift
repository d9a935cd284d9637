public import Articles
public import Foundation
public import StateStore

/// The support-review report (SPEC 7.4): per customer and period, every notification
/// with how fast it was delivered against the plan's target, what is still undelivered,
/// and the totals. A value computed once from the state; the formats only print it, so
/// that `md`, `csv`, `json` and `html` always carry the same figures.
public struct SupportReport: Sendable {
    /// Whether a notification met its plan's target for its severity.
    public enum Verdict: String, Sendable {
        /// Delivered within the target.
        case met
        /// Delivered later than the target, or not delivered and already past it.
        case missed
        /// Not delivered yet, and the target not yet passed at the end of the period.
        case pending
        /// The plan sets no target for this severity (`targets` in critfix.yaml).
        case noTarget = "no target"
    }

    /// One notification.
    public struct Line: Sendable {
        public var customer: String
        public var article: String
        public var revision: Int
        public var title: String
        public var link: String?
        public var kind: Kind
        public var severity: Int
        public var plan: Plan
        public var published: Date?
        public var recorded: Date
        public var firstEmail: Date?
        public var firstWebhook: Date?
        /// First successful delivery minus published (recorded, when the article has no
        /// date), in seconds; 0 when the article claims a time after its delivery.
        public var latency: Double?
        /// Minutes, from `targets`.
        public var target: Int?
        public var verdict: Verdict

        public var firstDelivered: Date? { [firstEmail, firstWebhook].compactMap { $0 }.min() }
    }

    /// A delivery of the period's notifications that is still retrying, or dead.
    public struct Undelivered: Sendable {
        public var customer: String
        public var articles: [String]
        public var channel: Channel
        public var address: String
        public var status: DeliveryRecord.Status
        public var attempts: Int
        public var nextAttempt: Date?
        public var lastError: String
    }

    public struct Totals: Sendable, Equatable {
        public var notifications = 0
        public var delivered = 0
        public var met = 0
        public var missed = 0
        public var pending = 0
        public var noTarget = 0

        /// Met among the notifications with a verdict (met or missed), as a percentage
        /// with one decimal; nil when there are none.
        public var metPercent: Double? {
            met + missed == 0 ? nil : (Double(met) * 1000 / Double(met + missed)).rounded() / 10
        }

        /// "16 notifications, 12 delivered; targets: …", as each format prints it.
        var sentence: String {
            "\(notifications) notifications, \(delivered) delivered; targets: \(met) met, \(missed) missed, "
                + "\(pending) pending, \(noTarget) without a target; \(ReportFigures.percent(metPercent)) met"
        }

        mutating func add(_ line: Line) {
            notifications += 1
            if line.firstDelivered != nil { delivered += 1 }
            switch line.verdict {
            case .met: met += 1
            case .missed: missed += 1
            case .pending: pending += 1
            case .noTarget: noTarget += 1
            }
        }
    }

    public struct CustomerSection: Sendable {
        public var id: String
        public var name: String
        public var plan: Plan?
        /// False for a customer no longer in the registrations who has notifications in the period.
        public var registered: Bool
        public var lines: [Line] = []
        public var undelivered: [Undelivered] = []
        public var totals = Totals()

        /// "ACME-001 — ACME Manufacturing (elite)", its texts through `escape`.
        func heading(_ escape: (String) -> String) -> String {
            var text = escape(id)
            if !name.isEmpty { text += " — " + escape(name) }
            if let plan { text += " (\(plan.rawValue))" }
            if !registered { text += " (no longer registered)" }
            return text
        }
    }

    public var since: Date
    public var until: Date
    public var customers: [CustomerSection]
    public var total = Totals()
    public var bySeverity: [Int: Totals] = [:]
    public var byKind: [Kind: Totals] = [:]
    /// The slowest delivered notifications, slowest first (at most `slowestCount`).
    public var slowest: [Line] = []
    /// Notifications per day (UTC, by when they were recorded) and severity, for the chart.
    public var perDay: [(day: Date, bySeverity: [Int: Int])] = []

    public static let slowestCount = 10

    /// Builds the report from the notifications recorded in `[since, until)`, the articles
    /// they name, the registered customers (`customer` alone when given) and the targets.
    public init(
        since: Date, until: Date, history: [NotificationRecord], articles: [ArticleVersion: Article],
        customers registered: [Customer], only customer: String?, targets: [Plan: [Int: Int]]
    ) {
        self.since = since
        self.until = until
        var sections: [CustomerSection] = []
        var position: [String: Int] = [:]
        for known in registered where known.status == .active && (customer == nil || known.id == customer) {
            position[known.id] = sections.count
            sections.append(CustomerSection(id: known.id, name: known.name, plan: known.plan, registered: true))
        }
        let allRegistered = Dictionary(registered.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var days: [Date: [Int: Int]] = [:]
        var undeliveredAt: [String: Int] = [:]
        var slowest = SlowestLines(count: Self.slowestCount)
        for record in history {
            let line = Self.line(record, article: articles[record.article], targets: targets, until: until)
            let at: Int
            if let known = position[record.customer] {
                at = known
            } else {
                let known = allRegistered[record.customer]
                at = sections.count
                position[record.customer] = at
                sections.append(
                    CustomerSection(id: record.customer, name: known?.name ?? "", plan: known?.plan, registered: known != nil))
            }
            sections[at].lines.append(line)
            sections[at].totals.add(line)
            total.add(line)
            bySeverity[line.severity, default: Totals()].add(line)
            byKind[line.kind, default: Totals()].add(line)
            slowest.offer(line)
            let day = Date(timeIntervalSince1970: (record.recorded.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
            days[day, default: [:]][line.severity, default: 0] += 1
            // A digest is one delivery of several notifications: listed once, with each article.
            for delivery in record.deliveries where delivery.status == .retrying || delivery.status == .dead {
                if let entry = undeliveredAt[delivery.id] {
                    sections[at].undelivered[entry].articles.append(line.article)
                    continue
                }
                undeliveredAt[delivery.id] = sections[at].undelivered.count
                sections[at].undelivered.append(
                    Undelivered(
                        customer: record.customer, articles: [line.article], channel: delivery.channel,
                        address: delivery.address, status: delivery.status, attempts: delivery.attempts,
                        nextAttempt: delivery.nextAttempt, lastError: delivery.lastError ?? ""))
            }
        }
        for index in sections.indices {
            sections[index].lines.sort { a, b in
                a.recorded != b.recorded ? a.recorded < b.recorded
                    : a.article != b.article ? a.article.utf8.lexicographicallyPrecedes(b.article.utf8) : a.revision < b.revision
            }
        }
        customers = sections.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        self.slowest = slowest.lines
        perDay = days.keys.sorted().map { ($0, days[$0]!) }
    }

    /// The slowest delivered lines seen so far, slowest first: a short sorted list that a
    /// line enters only when it is slower than the last, rather than a sort of every line.
    struct SlowestLines {
        let count: Int
        private(set) var lines: [Line] = []

        init(count: Int) { self.count = count }

        mutating func offer(_ line: Line) {
            guard line.latency != nil else { return }
            if lines.count == count, let last = lines.last, !Self.slower(line, than: last) { return }
            let at = lines.firstIndex { Self.slower(line, than: $0) } ?? lines.count
            lines.insert(line, at: at)
            if lines.count > count { lines.removeLast() }
        }

        /// Slower first; equal latencies by customer, article and revision.
        static func slower(_ a: Line, than b: Line) -> Bool {
            if a.latency! != b.latency! { return a.latency! > b.latency! }
            if a.customer != b.customer { return a.customer.utf8.lexicographicallyPrecedes(b.customer.utf8) }
            if a.article != b.article { return a.article.utf8.lexicographicallyPrecedes(b.article.utf8) }
            return a.revision < b.revision
        }
    }

    /// One notification's line: its first delivery per channel, its latency and verdict.
    static func line(_ record: NotificationRecord, article: Article?, targets: [Plan: [Int: Int]], until: Date) -> Line {
        var firstEmail: Date?, firstWebhook: Date?
        for delivery in record.deliveries where delivery.status == .delivered {
            switch delivery.channel {
            case .email: firstEmail = min(firstEmail ?? delivery.updated, delivery.updated)
            case .webhook: firstWebhook = min(firstWebhook ?? delivery.updated, delivery.updated)
            }
        }
        let start = record.published ?? record.recorded
        let first = [firstEmail, firstWebhook].compactMap { $0 }.min()
        let latency = first.map { max(0, $0.timeIntervalSince(start)) }
        let target = targets[record.plan]?[record.severity]
        let verdict: Verdict
        if let target {
            if let latency {
                verdict = latency <= Double(target) * 60 ? .met : .missed
            } else {
                verdict = start.addingTimeInterval(Double(target) * 60) < until ? .missed : .pending
            }
        } else {
            verdict = .noTarget
        }
        return Line(
            customer: record.customer, article: record.article.key, revision: record.article.revision,
            title: article?.title ?? "", link: article?.link, kind: record.kind, severity: record.severity, plan: record.plan,
            published: record.published, recorded: record.recorded, firstEmail: firstEmail, firstWebhook: firstWebhook,
            latency: latency, target: target, verdict: verdict)
    }
}
