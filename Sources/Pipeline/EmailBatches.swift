import Articles
import Configuration
import Delivery
import Foundation
import Matching
import StateStore

extension EmailDispatcher {
    /// One batch of due deliveries and the requests made from them.
    final class Batch: Sendable {
        let due: [DueDelivery]
        let requests: [EmailRequest?]

        init(due: [DueDelivery], requests: [EmailRequest?]) {
            self.due = due
            self.requests = requests
        }
    }

    /// A run of consecutive deliveries of a batch, rendered and sent together.
    struct Chunk: Sendable {
        let batch: Batch
        let start: Int
        let end: Int
    }

    /// Claims due email a batch at a time and cuts it in chunks. The next batch is claimed
    /// on the store's queue as soon as one is taken, while its chunks are sent.
    struct BatchReader {
        let dispatcher: EmailDispatcher
        let storeQueue: StoreQueue
        private var chunks: [Chunk] = []
        private var next: Handoff<Result<Batch, StateStoreError>>?

        init(dispatcher: EmailDispatcher, storeQueue: StoreQueue) {
            self.dispatcher = dispatcher
            self.storeQueue = storeQueue
            next = claim()
        }

        /// The next chunk in dispatch order; nil when every due delivery has been taken.
        mutating func nextChunk() throws(StateStoreError) -> Chunk? {
            if chunks.isEmpty {
                guard let pending = next else { return nil }
                next = nil
                let batch = try pending.wait().get()
                // A batch shorter than asked for was the last one.
                if batch.due.count == dispatcher.batchSize { next = claim() }
                chunks = dispatcher.chunks(of: batch).reversed()
            }
            return chunks.popLast()
        }

        private func claim() -> Handoff<Result<Batch, StateStoreError>> {
            let dispatcher = self.dispatcher
            return storeQueue.claim { store throws(StateStoreError) in
                try dispatcher.claimBatch(store: store)
            }
        }
    }

    /// The next batch of due email, with a request made for each delivery.
    func claimBatch(store: any StateStore) throws(StateStoreError) -> Batch {
        let due = try store.claimDueDeliveries(channel: .email, now: now, limit: batchSize)
        return Batch(due: due, requests: due.map { delivery in customers[delivery.customer].map { makeRequest(delivery, customer: $0) } })
    }

    /// `batch` cut in chunks, in order.
    func chunks(of batch: Batch) -> [Chunk] {
        stride(from: 0, to: batch.due.count, by: chunkSize).map {
            Chunk(batch: batch, start: $0, end: min($0 + chunkSize, batch.due.count))
        }
    }

    /// The email of one delivery; a revision's joins the thread of the article's first email.
    func makeRequest(_ delivery: DueDelivery, customer: Customer) -> EmailRequest {
        let contact = customer.contacts.first { $0.email == delivery.address } ?? Contact(email: delivery.address)
        let notifications = delivery.notifications.map {
            Matching.Notification(customer: customer, article: $0.article, matched: $0.matched)
        }
        let inReplyTo = delivery.originalMessageID == delivery.messageID ? nil : delivery.originalMessageID
        return EmailRequest(
            messageID: delivery.messageID ?? "<\(delivery.id)@critfix.invalid>", inReplyTo: inReplyTo,
            date: delivery.created, from: settings.from, contact: contact, customer: customer,
            notifications: notifications, isDigest: delivery.isDigest)
    }
}
