import Articles
import Configuration
import Foundation
public import Matching
public import StateStore

/// What a run found in its feeds and decided to notify, before anything is recorded.
public struct RunPlan: Sendable {
    public var batch = OutboxBatch()
    public var newArticles = 0
    public var revisedArticles = 0
    public var unmatchedArticles = 0
    /// Warnings about the articles this run records (each is printed once, when the article is new or revised).
    public var warnings: [String] = []
    /// Seconds spent in the matcher itself (rules 1–4), for the summary and benchmarks.
    public var matcherSeconds: Double = 0
    /// (customer, article) pairs the matcher selected, before the revision rule.
    public var matchedPairs = 0
}

/// Decides, for the articles of the feeds read, which notifications and deliveries to
/// record: rules 1–4 through the matcher, rule 5 through the state store.
public struct Planner {
    public let matcher: Matcher
    public let store: any StateStore
    /// Domain for Message-IDs (the From address's).
    public let messageDomain: String

    public init(matcher: Matcher, store: any StateStore, messageDomain: String) {
        self.matcher = matcher
        self.store = store
        self.messageDomain = messageDomain
    }

    public func plan(_ feeds: [LoadedFeed], caughtUp: Bool) throws(StateStoreError) -> RunPlan {
        var plan = RunPlan()
        plan.batch.caughtUp = caughtUp
        for loaded in feeds where loaded.failure == nil {
            let seen = try store.seenArticles(loaded.articles.map(\.key))
            var linesOfRecorded = Set<Int>()
            for article in loaded.articles {
                let previous = seen[article.key]
                if let previous, article.revision <= previous.revision { continue }
                if previous == nil { plan.newArticles += 1 } else { plan.revisedArticles += 1 }
                if article.isUnmatched { plan.unmatchedArticles += 1 }
                plan.batch.articles.append(article)
                linesOfRecorded.insert(article.line)
                let clock = ContinuousClock.now
                let matches = matcher.matches(article)
                plan.matcherSeconds += (ContinuousClock.now - clock).seconds
                plan.matchedPairs += matches.count
                guard !matches.isEmpty else { continue }
                let before = previous == nil ? [:] : try store.notifiedBefore(articleKey: article.key)
                for match in matches {
                    let customer = matcher.customers[match.customer]
                    let verdict = RevisionPolicy.verdict(
                        customer: customer, revision: article.revision, severity: article.severity,
                        before: before[customer.id], previousProducts: previous?.article.products)
                    guard verdict == .notify else { continue }
                    plan.batch.notifications.append(
                        PlannedNotification(customer: customer.id, plan: customer.plan, article: article, matched: match.matched))
                }
            }
            for warning in loaded.warnings where warning.line.map(linesOfRecorded.contains) ?? !linesOfRecorded.isEmpty {
                plan.warnings.append("\(loaded.feed.name): \(warning)")
            }
        }
        if !caughtUp { planDeliveries(&plan.batch) }
        return plan
    }

    /// One email per notification and contact (or one digest per contact), one POST per webhook.
    func planDeliveries(_ batch: inout OutboxBatch) {
        let customers = Dictionary(matcher.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Sort keys extracted once: sorting indices into the notifications themselves
        // would copy a large struct per comparison.
        struct SortKey {
            var severity: Int
            var plan: Plan
            var published: Double?
            var customer: String
            var key: String
        }
        let keys = batch.notifications.map {
            SortKey(
                severity: $0.article.severity, plan: $0.plan, published: $0.article.published?.timeIntervalSince1970,
                customer: $0.customer, key: $0.article.key)
        }
        let order = keys.indices.sorted { lhs, rhs in
            let a = keys[lhs]
            let b = keys[rhs]
            return DispatchOrder.precedes(
                severity: a.severity, plan: a.plan, published: a.published, customer: a.customer, key: a.key,
                b.severity, b.plan, b.published, b.customer, b.key)
        }
        var digests: [String: [Int]] = [:]
        var digestOrder: [String] = []
        for index in order {
            let notification = batch.notifications[index]
            guard let customer = customers[notification.customer] else { continue }
            if customer.digest {
                if digests[customer.id] == nil { digestOrder.append(customer.id) }
                digests[customer.id, default: []].append(index)
            } else {
                for contact in customer.contacts {
                    let id = Planner.deliveryID(
                        customer.id, notification.article.key, notification.article.revision, .email, contact.email)
                    batch.deliveries.append(
                        PlannedDelivery(
                            id: id, channel: .email, address: contact.email, customer: customer.id,
                            notifications: [index], isDigest: false, messageID: messageID(id)))
                }
            }
            for webhook in customer.webhooks {
                let id = Planner.deliveryID(
                    customer.id, notification.article.key, notification.article.revision, .webhook, webhook.url)
                batch.deliveries.append(
                    PlannedDelivery(
                        id: id, channel: .webhook, address: webhook.url, customer: customer.id, notifications: [index],
                        isDigest: false, messageID: nil))
            }
        }
        for customerID in digestOrder {
            guard let customer = customers[customerID], let indices = digests[customerID] else { continue }
            for contact in customer.contacts {
                let id = "dg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                batch.deliveries.append(
                    PlannedDelivery(
                        id: id, channel: .email, address: contact.email, customer: customer.id, notifications: indices,
                        isDigest: true, messageID: messageID(id)))
            }
        }
    }

    /// A delivery's stable id: the same (customer, article, revision, channel, address)
    /// always has the same id, so a repeat carries the same Message-ID / webhook-id.
    public static func deliveryID(_ customer: String, _ key: String, _ revision: Int, _ channel: Channel, _ address: String)
        -> String
    {
        "msg_" + Digest.sha256Hex([customer, key, String(revision), channel.rawValue, address].joined(separator: "\u{1}"))
            .prefix(32)
    }

    func messageID(_ id: String) -> String { "<\(id)@\(messageDomain)>" }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
