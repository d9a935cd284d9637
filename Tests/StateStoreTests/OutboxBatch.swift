import Articles
import Matching

@testable import StateStore

// A whole outbox given at once, for tests that set up a state: the run itself writes its
// outbox through `OutboxWriter` as it plans.

/// A delivery to record, pending: one email to one contact or one POST to one webhook,
/// of one notification or (a digest) several.
struct PlannedDelivery: Sendable {
    /// Stable id: the webhook-id, and the base of the email's Message-ID.
    var id: String
    var channel: Channel
    var address: String
    var customer: String
    /// Indices into `OutboxBatch.notifications`, in dispatch order.
    var notifications: [Int]
    var isDigest: Bool
    var messageID: String?

    init(id: String, channel: Channel, address: String, customer: String, notifications: [Int], isDigest: Bool, messageID: String?) {
        self.id = id
        self.channel = channel
        self.address = address
        self.customer = customer
        self.notifications = notifications
        self.isDigest = isDigest
        self.messageID = messageID
    }
}

struct OutboxBatch: Sendable {
    /// New articles and new revisions, recorded as seen.
    var articles: [Article] = []
    var notifications: [PlannedNotification] = []
    var deliveries: [PlannedDelivery] = []
    /// Marks the notifications as recorded by `catch-up` (nothing is delivered).
    var caughtUp = false

    init() {}
}

extension StateStore {
    /// Records a whole batch in one outbox transaction.
    func record(_ batch: OutboxBatch) throws(StateStoreError) {
        let writer = try beginOutbox(caughtUp: batch.caughtUp)
        for article in batch.articles { try writer.add(article) }
        var ids: [Int64] = []
        ids.reserveCapacity(batch.notifications.count)
        for notification in batch.notifications { ids.append(try writer.add(notification)) }
        for delivery in batch.deliveries {
            let notifications = delivery.notifications.map { batch.notifications[$0] }
            try writer.add(
                OutboxDelivery(
                    id: delivery.id, channel: delivery.channel, address: delivery.address, customer: delivery.customer,
                    isDigest: delivery.isDigest, messageID: delivery.messageID,
                    notifications: delivery.notifications.map { ids[$0] },
                    severity: notifications.map(\.article.severity).min() ?? 4, plan: notifications[0].plan,
                    published: notifications.compactMap { $0.article.published?.timeIntervalSince1970 }.min(),
                    articleKey: notifications[0].article.key))
        }
        try writer.commit()
    }
}
