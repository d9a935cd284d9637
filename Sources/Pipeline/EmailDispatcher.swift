public import Articles
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
///
/// Sendable because its properties are constants and, during `dispatch`, the store is used
/// only by jobs on its `StoreQueue` and the transport only by the sending thread.
public final class EmailDispatcher: @unchecked Sendable {
    let store: any StateStore
    let renderer: EmailRenderer
    let transport: any MailTransport
    let settings: EmailSettings
    let customers: [String: Customer]
    let now: Date
    let batchSize: Int
    /// Rendering jobs run one after another (each on every core), so that the chunk to be
    /// sent next is always the first one done.
    private let renderQueue = DispatchQueue(label: "critfix.render")

    public init(
        store: any StateStore, renderer: EmailRenderer, transport: any MailTransport, settings: EmailSettings,
        customers: [String: Customer], now: Date, batchSize: Int = 1000
    ) {
        self.store = store
        self.renderer = renderer
        self.transport = transport
        self.settings = settings
        self.customers = customers
        self.now = now
        self.batchSize = batchSize
    }

    /// Sends every due email, after `prepared` (the first batch, already rendering) if given.
    public func dispatch(after prepared: Prepared? = nil, progress: (Int) -> Void = { _ in }) throws(StateStoreError)
        -> DispatchReport
    {
        var report = DispatchReport()
        let envelopeFrom = settings.envelopeFrom ?? settings.from.address
        // Due email is read a batch at a time and goes out in chunks, rendered in the
        // background while the one before is sent and flushed: rendering is most of the CPU.
        // Batches are read ahead (by key, so a read does not wait for outcomes) and outcomes
        // recorded behind, both on the store's own queue.
        let storeQueue = StoreQueue(store: store)
        defer { storeQueue.drain() }
        // Chunks being rendered, oldest first: while one is sent, the next ones render, so
        // the cores stay busy while the sending thread waits for the disk. Each is let go
        // once sent (the prepared ones too: taken, not kept).
        var rendering: [(chunk: Chunk, emails: Handoff<[RenderedEmail?]>)] = []
        var reader: BatchReader
        if let first = prepared?.take() {
            reader = BatchReader(dispatcher: self, storeQueue: storeQueue, after: first.batch)
            rendering = first.rendering
        } else {
            reader = BatchReader(dispatcher: self, storeQueue: storeQueue, after: nil)
        }
        func renderAhead() throws(StateStoreError) {
            while rendering.count < Self.chunksRenderedAhead, let next = try reader.nextChunk() {
                rendering.append((next, render(next)))
            }
        }
        try renderAhead()
        while !rendering.isEmpty {
            let (chunk, job) = rendering.removeFirst()
            let emails = job.wait()
            try renderAhead()
            let stopped = try send(
                emails, of: chunk.batch.due, from: chunk.start, envelopeFrom: envelopeFrom, storeQueue, &report)
            progress(report.delivered + report.retrying + report.dead)
            if stopped {
                for (_, job) in rendering { _ = job.wait() }
                break
            }
        }
        try storeQueue.finish()
        return report
    }

    /// The first batch of due email, read and rendering before `dispatch`, which takes it.
    public final class Prepared: @unchecked Sendable {
        // Made by `prepare` and taken by `dispatch`, on the same thread.
        private var first: (batch: Batch, rendering: [(chunk: Chunk, emails: Handoff<[RenderedEmail?]>)])?

        init(batch: Batch, rendering: [(chunk: Chunk, emails: Handoff<[RenderedEmail?]>)]) {
            first = (batch, rendering)
        }

        func take() -> (batch: Batch, rendering: [(chunk: Chunk, emails: Handoff<[RenderedEmail?]>)])? {
            defer { first = nil }
            return first
        }
    }

    /// Reads the first batch of due email on the calling thread and starts rendering all
    /// of it; `dispatch(after:)` sends it, then the rest. Sends nothing: a run calls it
    /// before it commits its outbox (reading inside its own transaction), so that the
    /// first messages render while the commit waits for the disk.
    public func prepare() throws(StateStoreError) -> Prepared {
        let batch = try readBatch(after: nil, store: store)
        return Prepared(batch: batch, rendering: chunks(of: batch).map { ($0, render($0)) })
    }

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

    /// Reads due email a batch at a time, each after the last one read, and cuts it in
    /// chunks. The next batch is read on the store's queue as soon as one is taken.
    struct BatchReader {
        let dispatcher: EmailDispatcher
        let storeQueue: StoreQueue
        private var chunks: [Chunk] = []
        private var next: Handoff<Result<Batch, StateStoreError>>?

        /// Reads from the first due delivery, or after `taken`, a batch already taken.
        init(dispatcher: EmailDispatcher, storeQueue: StoreQueue, after taken: Batch?) {
            self.dispatcher = dispatcher
            self.storeQueue = storeQueue
            if let taken {
                next = readAfter(taken)
            } else {
                next = read(after: nil)
            }
        }

        /// The next chunk in dispatch order; nil when every due delivery has been taken.
        mutating func nextChunk() throws(StateStoreError) -> Chunk? {
            if chunks.isEmpty {
                guard let pending = next else { return nil }
                next = nil
                let batch = try pending.wait().get()
                next = readAfter(batch)
                chunks = dispatcher.chunks(of: batch).reversed()
            }
            return chunks.popLast()
        }

        /// The read of the batch after `batch`; nil when `batch` was the last one.
        private func readAfter(_ batch: Batch) -> Handoff<Result<Batch, StateStoreError>>? {
            guard let last = batch.due.last, batch.due.count == dispatcher.batchSize else { return nil }
            return read(after: last.position)
        }

        private func read(after: DispatchPosition?) -> Handoff<Result<Batch, StateStoreError>> {
            let dispatcher = self.dispatcher
            return storeQueue.read { store throws(StateStoreError) in
                try dispatcher.readBatch(after: after, store: store)
            }
        }
    }

    /// Due email after `after`, a batch of it, with a request made for each delivery.
    func readBatch(after: DispatchPosition?, store: any StateStore) throws(StateStoreError) -> Batch {
        let due = try store.dueDeliveries(channel: .email, now: now, limit: batchSize, after: after)
        var requests: [EmailRequest?] = []
        requests.reserveCapacity(due.count)
        for delivery in due {
            requests.append(try customers[delivery.customer].map { customer throws(StateStoreError) in
                try makeRequest(delivery, customer: customer, store: store)
            })
        }
        return Batch(due: due, requests: requests)
    }

    /// `batch` cut in chunks, in order.
    func chunks(of batch: Batch) -> [Chunk] {
        stride(from: 0, to: batch.due.count, by: chunkSize).map {
            Chunk(batch: batch, start: $0, end: min($0 + chunkSize, batch.due.count))
        }
    }

    /// Hands one rendered chunk (`due[start...]`, as many as `emails`) to the transport in
    /// order and records the outcomes: SMTP and sendmail confirm each message, so each is
    /// recorded before the next is sent and a crash repeats at most the message in flight;
    /// mbox and stdout are recorded after the flush that makes the chunk durable, behind
    /// the sending (`StoreQueue`: a crash repeats at most that chunk and the one being written). Returns true when a
    /// failure stopped the transport (the rest stays due).
    private func send(
        _ emails: [RenderedEmail?], of due: [DueDelivery], from start: Int, envelopeFrom: String,
        _ storeQueue: StoreQueue, _ report: inout DispatchReport
    ) throws(StateStoreError) -> Bool {
        let recordEach = transport.confirmsEachMessage
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(emails.count)
        var sent: [String] = []
        var stopped = false
        for position in start..<start + emails.count {
            let delivery = due[position]
            let outcome: DeliveryOutcome
            if let email = emails[position - start] {
                do {
                    try transport.send(email, envelopeFrom: envelopeFrom)
                    guard recordEach else {
                        sent.append(delivery.id)
                        continue
                    }
                    report.delivered += 1
                    outcome = DeliveryOutcome(id: delivery.id, at: Date(), result: .delivered)
                } catch where !error.countsAttempt {
                    // The operator's failure (SPEC 6.2: the envelope sender refused): email
                    // stops, and every due delivery of the batch stays due, with the reason.
                    let waiting = due[position...].map {
                        DeliveryOutcome(id: $0.id, at: Date(), result: .postponed(error: error.message))
                    }
                    report.notAttempted += waiting.count
                    let more = due.count == batchSize ? "at least \(waiting.count)" : "\(waiting.count)"
                    report.count("email stopped: \(error.message); \(more) due deliveries wait for the next run")
                    outcomes += waiting
                    if recordEach { try storeQueue.record(outcomes, wait: true) }
                    if recordEach { outcomes.removeAll() }
                    stopped = true
                    break
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
            if recordEach { try storeQueue.record([outcome], wait: true) } else { outcomes.append(outcome) }
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
        try storeQueue.record(outcomes)
        return stopped
    }

    /// Deliveries rendered, sent, flushed and recorded together.
    let chunkSize = 250
    /// Chunks rendering while one is sent: two, so that the rendering threads do not wait
    /// while the sending thread waits for a flush to the disk.
    static let chunksRenderedAhead = 2

    /// Renders `requests` in the background, on every core (rendering is most of a
    /// delivery's CPU); the messages are still handed to the transport one by one, in order.
    func render(_ chunk: Chunk) -> Handoff<[RenderedEmail?]> {
        let job = Handoff<[RenderedEmail?]>()
        let renderer = self.renderer
        let requests = Array(chunk.batch.requests[chunk.start..<chunk.end])
        let mboxText = transport.wantsMboxText
        let render: @Sendable (EmailRequest) -> RenderedEmail = { request in
            var email = renderer.render(request)
            if mboxText { email.mboxText = MboxFormat.quoted(email.bytes) }
            return email
        }
        renderQueue.async {
            let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8, requests.count / 8)
            guard workers > 1 else {
                job.finish(requests.map { $0.map(render) })
                return
            }
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
                    if let request = requests[index] { slots[index] = render(request) }
                }
            }
            job.finish(Array(results))
        }
        return job
    }

    func makeRequest(_ delivery: DueDelivery, customer: Customer, store: any StateStore) throws(StateStoreError)
        -> EmailRequest
    {
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

/// A value made on another thread: `wait` returns it once `finish` has given it.
final class Handoff<Value>: @unchecked Sendable {
    // Written once by the producing thread before `done` is signalled, read only after.
    private var value: Value?
    private let done = DispatchSemaphore(value: 0)

    func finish(_ value: Value) {
        self.value = value
        done.signal()
    }

    /// Waits for the value; call once.
    func wait() -> Value {
        done.wait()
        return value!
    }
}
