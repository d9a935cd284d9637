import Articles
import Configuration
import Curl
import Delivery
import Foundation
import Matching
import StateStore

/// Sends every webhook delivery that is due (SPEC 6.3, 6.4): up to
/// `webhooks.concurrency` POSTs in flight at once (at most six to one host), each signed
/// for its attempt, and every outcome marked in the store only after the answer (or its
/// absence) — those that came together in one transaction, before more are started. A retry due within `webhooks.in_run_wait` is made
/// in this run; a later one is left for a later run.
///
/// The report counts each delivery attempted in this run once, by how this run left
/// it, so a failure retried successfully within the run does not count as a failure.
final class WebhookDispatcher {
    let store: any StateStore
    let settings: WebhookSettings
    let customers: [String: Customer]
    /// Deliveries due at this moment are this run's work; later ones wait for a later run.
    let now: Date
    let userAgent: String
    let pageSize: Int
    /// Transfers in flight at most, whatever `webhooks.concurrency` says: each holds a
    /// connection (a file descriptor) and a libcurl handle.
    static let maxConcurrency = 256

    init(
        store: any StateStore, settings: WebhookSettings, customers: [String: Customer], now: Date,
        userAgent: String = Product.userAgent, pageSize: Int = 512
    ) {
        self.store = store
        self.settings = settings
        self.customers = customers
        self.now = now
        self.userAgent = userAgent
        self.pageSize = pageSize
    }

    /// How this run left one delivery.
    private enum Final {
        case delivered
        case retrying(cause: String)
        case dead(cause: String)
    }

    // The run's working state (one dispatch per dispatcher).
    private var queue: [DueDelivery] = []
    private var queueIndex = 0
    private var exhausted = false
    /// In-run retries: when each is due again, and the delivery as it will then be.
    private var waiting: [(at: Date, delivery: DueDelivery)] = []
    /// How many deliveries at the start of `queue` are in-run retries.
    private var retriesAhead = 0
    private var inFlight: [Int: DueDelivery] = [:]
    private var nextTag = 0
    private var outcomes: [DeliveryOutcome] = []
    private var finals: [String: Final] = [:]
    private var finalOrder: [String] = []
    private var attempted = 0

    func dispatch(progress: (Int) -> Void = { _ in }) throws(StateStoreError) -> DispatchReport {
        let poster: ConcurrentPoster
        do {
            poster = try ConcurrentPoster(
                ConcurrentPoster.Settings(
                    concurrency: min(settings.concurrency, WebhookDispatcher.maxConcurrency), timeout: settings.timeout, caFile: settings.caFile,
                    allowPrivateAddresses: settings.allowPrivateAddresses, userAgent: userAgent))
        } catch {
            var report = DispatchReport()
            if try !store.dueDeliveries(channel: .webhook, now: now, limit: 1).isEmpty {
                report.count("webhooks: \(error.message); deliveries wait for the next run")
            }
            return report
        }
        var reported = 0
        let slots = poster.settings.concurrency
        var firstUnrecorded: Date?
        while true {
            // New POSTs start only once every answer so far is recorded (SPEC 6.4): a kill
            // repeats at most the deliveries in flight, `webhooks.concurrency`.
            if outcomes.isEmpty {
                while poster.hasRoom, let (delivery, claimed) = try next() {
                    // A claim this run no longer holds is another run's to send (a shared
                    // store). An in-run retry is this run's: its first outcome is recorded.
                    if claimed, try !store.heldClaims([delivery.id]).contains(delivery.id) { continue }
                    start(delivery, poster)
                }
            }
            if poster.inFlight == 0 {
                try flush()
                // Nothing running and nothing left: wait for the earliest in-run retry, if any.
                guard let earliest = waiting.map(\.at).min() else { break }
                let pause = earliest.timeIntervalSinceNow
                if pause > 0 { Thread.sleep(forTimeInterval: pause) }
                releaseWaiting()
                continue
            }
            var milliseconds = outcomes.isEmpty ? 200 : 2
            if let earliest = waiting.map(\.at).min() {
                milliseconds = min(milliseconds, max(Int(earliest.timeIntervalSinceNow * 1000), 0))
            }
            for response in poster.wait(milliseconds: milliseconds) {
                guard let delivery = inFlight.removeValue(forKey: response.tag) else { continue }
                answered(delivery, response)
            }
            releaseWaiting()
            // Answers are recorded together once half the slots wait for them, or 5 ms after
            // the first: one commit (no sync, but a few 16 KiB pages) for several answers.
            if !outcomes.isEmpty {
                let first = firstUnrecorded ?? Date()
                firstUnrecorded = first
                if (slots - poster.inFlight) * 2 >= slots || Date().timeIntervalSince(first) >= 0.005 {
                    try flush()
                    firstUnrecorded = nil
                }
            }
            if attempted - reported >= 100 {
                reported = attempted
                progress(attempted)
            }
        }
        try flush()
        return report()
    }

    /// The next delivery to attempt, and whether it comes from a claim (not an in-run
    /// retry): in-run retries that are due, then this run's due deliveries, claimed a page
    /// at a time.
    private func next() throws(StateStoreError) -> (DueDelivery, claimed: Bool)? {
        if queueIndex < queue.count {
            defer { queueIndex += 1 }
            return (queue[queueIndex], queueIndex >= retriesAhead)
        }
        guard !exhausted else { return nil }
        queue = try store.claimDueDeliveries(channel: .webhook, now: now, limit: pageSize)
        queueIndex = 0
        retriesAhead = 0
        if queue.count < pageSize { exhausted = true }
        guard !queue.isEmpty else { return nil }
        queueIndex = 1
        return (queue[0], true)
    }

    /// Moves in-run retries that are due to the front of the queue.
    private func releaseWaiting() {
        guard !waiting.isEmpty else { return }
        let clock = Date()
        let due = waiting.filter { $0.at <= clock }
        guard !due.isEmpty else { return }
        waiting.removeAll { $0.at <= clock }
        retriesAhead = due.count + max(retriesAhead - queueIndex, 0)
        queue = due.map(\.delivery) + queue[queueIndex...]
        queueIndex = 0
    }

    private func start(_ delivery: DueDelivery, _ poster: ConcurrentPoster) {
        guard let customer = customers[delivery.customer] else {
            settle(delivery, .dead(cause: "customer \(delivery.customer) is no longer in the registrations file"))
            return
        }
        guard let endpoint = customer.webhooks.first(where: { $0.url == delivery.address }) else {
            settle(delivery, .dead(cause: "this webhook of customer \(customer.id) is no longer in the registrations file"))
            return
        }
        guard let notification = delivery.notifications.first else {
            settle(delivery, .dead(cause: "the delivery has no notification in the state store"))
            return
        }
        let body = WebhookPayload.body(delivery: delivery, customer: customer, notification: notification)
        let request = WebhookRequest(
            id: delivery.id, url: delivery.address, body: body, timestamp: Int(Date().timeIntervalSince1970),
            secret: endpoint.secret)
        nextTag += 1
        inFlight[nextTag] = delivery
        poster.start(PostRequest(tag: nextTag, url: request.url, headers: request.headers, body: request.body))
    }

    /// Turns one answer (or its absence) into the delivery's outcome.
    private func answered(_ delivery: DueDelivery, _ response: PostResponse) {
        if let status = response.status {
            let line = "HTTP \(status)" + (response.statusText.map { $0.isEmpty ? "" : " \($0)" } ?? "")
            switch status {
            case 200..<300:
                settle(delivery, .delivered)
            case 300..<400:
                failed(delivery, "\(line) (redirects are not followed)", retryAfter: response.retryAfter)
            case 408, 429, 500..<600:
                failed(delivery, line, retryAfter: response.retryAfter)
            default:
                settle(delivery, .dead(cause: line))
            }
            return
        }
        if let refused = response.refusedAddress {
            let hint = "set webhooks.allow_private_addresses: true to allow private targets"
            settle(delivery, .dead(cause: "refused: \(refused) (\(hint))"))
            return
        }
        failed(delivery, describe(response.error), retryAfter: nil)
    }

    private func describe(_ error: CurlError?) -> String {
        guard let error else { return "no HTTP response" }
        if error.isTimeout {
            let seconds = settings.timeout == settings.timeout.rounded() ? "\(Int(settings.timeout))" : "\(settings.timeout)"
            return "no answer within \(seconds) s (webhooks.timeout)"
        }
        if error.isCertificateProblem && settings.caFile == nil {
            return "TLS failed: \(error.message); for an internal CA set webhooks.ca_file"
        }
        return error.message
    }

    /// A failure that may be retried: after the next of `retry_delays`, or the server's
    /// `Retry-After` when longer; in this run when that is within `in_run_wait`.
    private func failed(_ delivery: DueDelivery, _ reason: String, retryAfter: String?) {
        let attempts = delivery.attempts + 1
        if attempts >= settings.maxAttempts {
            settle(delivery, .dead(cause: "\(reason) (gave up after \(attempts) attempts)"))
            return
        }
        let failure = Date()
        let delays = settings.retryDelays.isEmpty ? [5.0] : settings.retryDelays
        var delay = delays[min(attempts - 1, delays.count - 1)]
        if let asked = retryAfter.flatMap({ RetryAfter.seconds($0, now: failure) }), asked > delay {
            delay = min(asked, RetryAfter.longest)
        }
        let at = failure.addingTimeInterval(delay)
        attempted += 1
        // The in-run wait runs on the real clock (`at`); the outcome records `WallClock`'s time.
        let recorded = WallClock.now()
        outcomes.append(
            DeliveryOutcome(id: delivery.id, at: recorded, result: .retry(at: recorded.addingTimeInterval(delay), error: reason)))
        note(delivery.id, .retrying(cause: reason), delivery)
        if delay <= settings.inRunWait {
            var again = delivery
            again.attempts = attempts
            waiting.append((at, again))
        }
    }

    private func settle(_ delivery: DueDelivery, _ final: Final) {
        attempted += 1
        switch final {
        case .delivered:
            outcomes.append(DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .delivered))
        case .dead(let cause):
            outcomes.append(DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .dead(error: cause)))
        case .retrying(let cause):
            outcomes.append(
                DeliveryOutcome(id: delivery.id, at: WallClock.now(), result: .retry(at: WallClock.now(), error: cause)))
        }
        note(delivery.id, final, delivery)
    }

    /// Remembers how this run leaves the delivery; a cause line names the endpoint's origin only.
    private func note(_ id: String, _ final: Final, _ delivery: DueDelivery) {
        if finals[id] == nil { finalOrder.append(id) }
        let origin = WebhookSignature.origin(delivery.address)
        switch final {
        case .delivered: finals[id] = .delivered
        case .retrying(let cause): finals[id] = .retrying(cause: "webhook \(origin): \(cause)")
        case .dead(let cause): finals[id] = .dead(cause: "webhook \(origin): \(cause)")
        }
    }

    private func flush() throws(StateStoreError) {
        guard !outcomes.isEmpty else { return }
        try store.record(outcomes)
        outcomes.removeAll(keepingCapacity: true)
    }

    private func report() -> DispatchReport {
        var report = DispatchReport()
        for id in finalOrder {
            switch finals[id] {
            case .delivered: report.delivered += 1
            case .retrying(let cause):
                report.retrying += 1
                report.count(cause)
            case .dead(let cause):
                report.dead += 1
                report.count(cause)
            case nil: break
            }
        }
        return report
    }
}

/// `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date.
enum RetryAfter {
    /// A server asking for more than a day is taken to mean a day.
    static let longest: Double = 86_400

    static func seconds(_ value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return Double(seconds) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(date.timeIntervalSince(now), 0) }
        }
        return nil
    }
}
