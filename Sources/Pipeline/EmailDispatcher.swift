public import Articles
public import Configuration
public import Delivery
public import Foundation
public import StateStore

/// Sends every email delivery that is due, in dispatch order, in chunks: each chunk is
/// rendered, handed to the transport, flushed, and only then marked in the store.
///
/// Due email is claimed a batch at a time (`EmailBatches`), ahead, on the store's claim
/// queue (`StoreQueue`), and cut in chunks, rendered in the background while the one
/// before is sent (`EmailRendering`): rendering is most of the CPU.
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
    let renderQueue = DispatchQueue(label: "critfix.render")

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
        let written = transport.confirmsEachMessage ? nil : transport.messagesWrittenBefore()
        writtenBefore = written ?? []
        recordsBehind = written != nil
        chunkSize = recordsBehind ? 250 : 100
    }

    /// Deliveries rendered, sent, flushed and recorded together (`chunkSize`). SMTP and
    /// sendmail record each message as it is confirmed. Standard output records a chunk of
    /// 100 once it is written, before the next one, so a kill leaves at most 100 messages
    /// sent and unrecorded (SPEC 6.4). An mbox records a chunk of 250 behind the sending,
    /// once synced: a kill may leave 500 written and unrecorded, but the next run finds
    /// them at the end of the mbox (`messagesWrittenBefore`) and records them instead of
    /// sending them again — all but the last message, which a kill may have cut short.
    /// Syncing and committing every 100 messages instead cost W2 a quarter of its time.
    let chunkSize: Int
    /// True for an mbox: chunks are recorded behind the sending (see `chunkSize`).
    private let recordsBehind: Bool
    /// The Message-IDs an earlier, killed run wrote and did not record (mbox), read when
    /// the dispatcher is made.
    private let writtenBefore: Set<String>
    /// Chunks rendering while one is sent: two, so that the rendering threads do not wait
    /// while the sending thread waits for a flush to the disk.
    static let chunksRenderedAhead = 2

    /// Sends every due email.
    public func dispatch(progress: (Int) -> Void = { _ in }) throws(StateStoreError) -> DispatchReport {
        var report = DispatchReport()
        let envelopeFrom = settings.envelopeFrom ?? settings.from.address
        let storeQueue = StoreQueue(store: store)
        defer { storeQueue.drain() }
        // Chunks being rendered, oldest first: while one is sent, the next ones render, so
        // the cores stay busy while the sending thread waits for the disk. Each is let go
        // once sent.
        var rendering: [(chunk: Chunk, emails: Handoff<[RenderedEmail?]>)] = []
        var reader = BatchReader(dispatcher: self, storeQueue: storeQueue)
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

    /// Hands one rendered chunk (`due[start...]`, as many as `emails`) to the transport in
    /// order and records the outcomes: SMTP and sendmail confirm each message, so each is
    /// recorded before the next is sent and a crash repeats at most the message in flight;
    /// mbox and stdout are recorded after the flush that makes the chunk durable (see
    /// `chunkSize`). Returns true when a failure stopped the transport (the rest stays due).
    private func send(
        _ emails: [RenderedEmail?], of due: [DueDelivery], from start: Int, envelopeFrom: String,
        _ storeQueue: StoreQueue, _ report: inout DispatchReport
    ) throws(StateStoreError) -> Bool {
        let recordEach = transport.confirmsEachMessage
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(emails.count)
        var sent: [String] = []
        var stopped = false
        // A claim this run no longer holds is another run's to send (a shared store).
        let held = try store.heldClaims(due[start..<start + emails.count].map(\.id))
        for position in start..<start + emails.count {
            let delivery = due[position]
            let outcome: DeliveryOutcome
            if !held.contains(delivery.id) {
                continue
            } else if let id = delivery.messageID, writtenBefore.contains(id) {
                // Written by a run killed before it recorded it (an mbox): not again.
                report.delivered += 1
                outcome = DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .delivered)
            } else if let email = emails[position - start] {
                do {
                    try transport.send(email, envelopeFrom: envelopeFrom)
                    guard recordEach else {
                        sent.append(delivery.id)
                        continue
                    }
                    report.delivered += 1
                    outcome = DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .delivered)
                } catch where !error.countsAttempt {
                    // The operator's failure (SPEC 6.2: the envelope sender refused): email
                    // stops, and every due delivery of the batch stays due, with the reason.
                    let waiting = due[position...].map {
                        DeliveryOutcome(id: $0.id, at: WallClock.now(), result: .postponed(error: error.message))
                    }
                    report.notAttempted += waiting.count
                    let more = due.count == batchSize ? "at least \(waiting.count)" : "\(waiting.count)"
                    report.count("email stopped: \(error.message); \(more) due deliveries wait for the next run")
                    outcomes += waiting
                    if recordEach {
                        try storeQueue.record(outcomes, wait: true)
                        outcomes.removeAll()
                    }
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
            for id in sent { outcomes.append(DeliveryOutcome(id: id, at: WallClock.now(), result: .delivered)) }
            report.delivered += sent.count
        } catch {
            let byID = Dictionary(due.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for id in sent {
                guard let delivery = byID[id] else { continue }
                outcomes.append(failed(delivery, error, untouched: 0, batchFull: false, &report))
            }
        }
        try storeQueue.record(outcomes, wait: !recordsBehind)
        return stopped
    }

    private func dead(_ delivery: DueDelivery, _ reason: String, _ report: inout DispatchReport) -> DeliveryOutcome {
        report.dead += 1
        report.count(reason)
        return DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .dead(error: reason))
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
            return DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .dead(error: reason))
        }
        report.retrying += 1
        report.count(cause)
        let delays = settings.retryDelays.isEmpty ? [60.0] : settings.retryDelays
        let delay = delays[min(attempts - 1, delays.count - 1)]
        return DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .retry(at: WallClock.now().addingTimeInterval(delay), error: failure.message))
    }

    /// A permanent failure is one recipient's or one message's: the line names it.
    private func describe(_ delivery: DueDelivery, _ reason: String) -> String {
        "email to \(delivery.address) for \(delivery.customer) is dead: \(reason)"
    }
}
