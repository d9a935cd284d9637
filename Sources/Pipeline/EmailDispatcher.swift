public import Configuration
public import Delivery
public import Foundation
import Matching
public import StateStore

/// Counts of one dispatch, and its failures grouped by cause (one line per cause, not per message).
public struct DispatchReport: Sendable {
    public var delivered = 0
    public var retrying = 0
    public var dead = 0
    /// Due deliveries left untouched after a failure that stopped the transport.
    public var notAttempted = 0
    /// cause -> number of deliveries it touched.
    public var causes: [String: Int] = [:]
    public var causeOrder: [String] = []

    mutating func count(_ cause: String) {
        if causes[cause] == nil { causeOrder.append(cause) }
        causes[cause, default: 0] += 1
    }

    public var failureLines: [String] {
        causeOrder.map { cause in
            let count = causes[cause] ?? 0
            return count == 1 ? cause : "\(cause) (\(count) deliveries)"
        }
    }
}

/// Sends every email delivery that is due, in dispatch order, in batches: each batch
/// is rendered, handed to the transport, flushed, and only then marked in the store.
public final class EmailDispatcher {
    let store: any StateStore
    let renderer: EmailRenderer
    let transport: any MailTransport
    let settings: EmailSettings
    let customers: [String: Customer]
    let now: Date
    let batchSize: Int

    public init(
        store: any StateStore, renderer: EmailRenderer, transport: any MailTransport, settings: EmailSettings,
        customers: [String: Customer], now: Date, batchSize: Int = 500
    ) {
        self.store = store
        self.renderer = renderer
        self.transport = transport
        self.settings = settings
        self.customers = customers
        self.now = now
        self.batchSize = batchSize
    }

    public func dispatch(progress: (Int) -> Void = { _ in }) throws(StateStoreError) -> DispatchReport {
        var report = DispatchReport()
        let envelopeFrom = settings.envelopeFrom ?? settings.from.address
        // SMTP and sendmail confirm each message: record each at once, so a crash
        // repeats at most the message in flight. mbox and stdout are recorded per batch,
        // after the flush that makes the batch durable.
        let recordEach = transport.confirmsEachMessage
        batches: while true {
            let due = try store.dueDeliveries(channel: .email, now: now, limit: batchSize)
            if due.isEmpty { break }
            var outcomes: [DeliveryOutcome] = []
            outcomes.reserveCapacity(due.count)
            var sent: [String] = []
            var stopped = false
            var requests: [EmailRequest?] = []
            requests.reserveCapacity(due.count)
            for delivery in due {
                requests.append(try customers[delivery.customer].map { customer throws(StateStoreError) in
                    try makeRequest(delivery, customer: customer)
                })
            }
            let emails = render(requests)
            for (position, delivery) in due.enumerated() {
                let outcome: DeliveryOutcome
                if let email = emails[position] {
                    do {
                        try transport.send(email, envelopeFrom: envelopeFrom)
                        guard recordEach else {
                            sent.append(delivery.id)
                            continue
                        }
                        report.delivered += 1
                        outcome = DeliveryOutcome(id: delivery.id, at: Date(), result: .delivered)
                    } catch {
                        // The server is down or refuses us: this delivery was touched and
                        // counts an attempt; the others are not tried against it and stay due.
                        let untouched = error.stopsRun ? due.count - position - 1 : 0
                        outcome = failed(delivery, error, untouched: untouched, batchFull: due.count == batchSize, &report)
                        stopped = error.stopsRun
                    }
                } else {
                    outcome = dead(delivery, "customer \(delivery.customer) is no longer in the registrations file", &report)
                }
                if recordEach { try store.record([outcome]) } else { outcomes.append(outcome) }
                if stopped { break }
            }
            do {
                try transport.flush()
                for id in sent { outcomes.append(DeliveryOutcome(id: id, at: Date(), result: .delivered)) }
                report.delivered += sent.count
            } catch {
                let byID = Dictionary(due.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                for id in sent {
                    guard let delivery = byID[id] else { continue }
                    outcomes.append(failed(delivery, error, untouched: 0, batchFull: false, &report))
                }
            }
            try store.record(outcomes)
            progress(report.delivered + report.retrying + report.dead)
            if stopped { break batches }
        }
        return report
    }

    /// Renders a batch on every core: rendering is most of a delivery's CPU, and the
    /// messages are still handed to the transport one by one, in dispatch order.
    func render(_ requests: [EmailRequest?]) -> [RenderedEmail?] {
        let renderer = self.renderer
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8, requests.count / 8)
        guard workers > 1 else { return requests.map { $0.map(renderer.render) } }
        let results = UnsafeMutableBufferPointer<RenderedEmail?>.allocate(capacity: requests.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        // Each worker writes only its own slots (every workers-th one).
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: requests.count, by: workers) {
                if let request = requests[index] { slots[index] = renderer.render(request) }
            }
        }
        return Array(results)
    }

    func makeRequest(_ delivery: DueDelivery, customer: Customer) throws(StateStoreError) -> EmailRequest {
        let contact = customer.contacts.first { $0.email == delivery.address } ?? Contact(email: delivery.address)
        let notifications = delivery.notifications.map {
            Matching.Notification(customer: customer, article: $0.article, matched: $0.matched)
        }
        var inReplyTo: String?
        if !delivery.isDigest, let first = delivery.notifications.first, first.article.revision > 1 {
            let original = try store.firstMessageID(
                customer: customer.id, articleKey: first.article.key, address: delivery.address)
            if original != delivery.messageID { inReplyTo = original }
        }
        return EmailRequest(
            messageID: delivery.messageID ?? "<\(delivery.id)@critfix.invalid>", inReplyTo: inReplyTo,
            date: delivery.created, from: settings.from, contact: contact, customer: customer,
            notifications: notifications, isDigest: delivery.isDigest)
    }

    private func dead(_ delivery: DueDelivery, _ reason: String, _ report: inout DispatchReport) -> DeliveryOutcome {
        report.dead += 1
        report.count(reason)
        return DeliveryOutcome(id: delivery.id, at: Date(), result: .dead(error: reason))
    }

    private func failed(
        _ delivery: DueDelivery, _ failure: TransportFailure, untouched: Int, batchFull: Bool, _ report: inout DispatchReport
    ) -> DeliveryOutcome {
        let attempts = delivery.attempts + 1
        var cause = failure.message
        if untouched > 0 {
            report.notAttempted += untouched
            let more = batchFull
                ? "at least \(untouched) more due deliveries were not attempted and wait"
                : untouched == 1 ? "1 more due delivery was not attempted and waits"
                : "\(untouched) more due deliveries were not attempted and wait"
            cause += "; \(more) for the next run"
        }
        if failure.kind == .permanent || attempts >= settings.maxAttempts {
            let reason = failure.kind == .permanent ? failure.message : "\(failure.message) (gave up after \(attempts) attempts)"
            report.dead += 1
            report.count(failure.kind == .permanent ? describe(delivery, reason) : cause + " (gave up after \(attempts) attempts)")
            return DeliveryOutcome(id: delivery.id, at: Date(), result: .dead(error: reason))
        }
        report.retrying += 1
        report.count(cause)
        let delays = settings.retryDelays.isEmpty ? [60.0] : settings.retryDelays
        let delay = delays[min(attempts - 1, delays.count - 1)]
        return DeliveryOutcome(id: delivery.id, at: Date(), result: .retry(at: Date().addingTimeInterval(delay), error: failure.message))
    }

    /// A permanent failure is one recipient's or one message's: the line names it.
    private func describe(_ delivery: DueDelivery, _ reason: String) -> String {
        "email to \(delivery.address) for \(delivery.customer) is dead: \(reason)"
    }
}
