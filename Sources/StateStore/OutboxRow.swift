import Articles
import Foundation
import Matching

/// A row as the planner's thread made it: only what its columns take (a notification's
/// article is a key, not the article, which copying row by row cost 3% of W3's CPU).
enum OutboxRow: Sendable {
    case article(key: String, revision: Int, feed: String, data: [UInt8])
    case notification(NotificationRow)
    case delivery(OutboxDelivery)
    case fetches([(name: String, fetch: FetchRecord)])
}

struct NotificationRow: Sendable {
    var id: Int64
    var customer: String
    var plan: Plan
    var articleKey: String
    var revision: Int
    var severity: Int
    var kind: Kind
    var published: Double?
    var matched: [UInt8]
}

/// SPEC 5's dispatch order as both stores keep it in columns.
enum DispatchOrder {
    /// Sorts undated articles after every dated one.
    static let undated = 1e15

    static func planRank(_ plan: Plan) -> Int {
        switch plan {
        case .elite: 0
        case .premium: 1
        case .xtreme: 2
        }
    }
}

extension NotificationRow {
    /// The row of a planned notification, numbered `id`.
    init(id: Int64, _ notification: PlannedNotification) {
        let article = notification.article
        self.init(
            id: id, customer: notification.customer, plan: notification.plan, articleKey: article.key,
            revision: article.revision, severity: article.severity, kind: article.kind,
            published: article.published?.timeIntervalSince1970, matched: RecordJSON.encode(notification.matched))
    }
}

/// The queue an outbox writes its batches on, in order, while the planner matches the
/// next articles: at most `slots` batches wait (memory stays bounded), and the first
/// failure skips the rest and is thrown to the planner at its next hand-over or the commit.
final class OutboxQueue: @unchecked Sendable {
    // Jobs run one at a time on `queue`; `failure` is touched only under `lock`.
    private let queue = DispatchQueue(label: "critfix.outbox")
    private let lock = NSLock()
    private var failure: StateStoreError?
    private let slots: DispatchSemaphore

    init(slots: Int) {
        self.slots = DispatchSemaphore(value: slots)
    }

    /// Queues `job`; throws the failure of an earlier one (the transaction is lost).
    func submit(_ job: @escaping @Sendable () throws(StateStoreError) -> Void) throws(StateStoreError) {
        try checkFailure()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do throws(StateStoreError) {
                try job()
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    /// Waits for every job queued.
    func drain() {
        queue.sync {}
    }

    /// Waits for every job queued, and throws the first failure.
    func finish() throws(StateStoreError) {
        drain()
        try checkFailure()
    }

    private func checkFailure() throws(StateStoreError) {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
