import Articles
import Configuration
import Foundation
public import Matching
public import StateStore

/// What a run found in its feeds and planned: counts for the summary (the plan itself
/// went into the outbox as it was made).
public struct RunPlan: Sendable {
    public var newArticles = 0
    public var revisedArticles = 0
    public var unmatchedArticles = 0
    public var notifications = 0
    public var deliveries = 0
    /// Warnings about the articles this run records (each is printed once, when the article is new or revised).
    public var warnings: [String] = []
    /// Seconds spent in the matcher itself (rules 1–4), for the summary and benchmarks.
    public var matcherSeconds: Double = 0
    /// (customer, article) pairs the matcher selected, before the revision rule.
    public var matchedPairs = 0
}

/// Decides, for the articles of the feeds read, which notifications and deliveries to
/// record — rules 1–4 through the matcher, rule 5 through the state store — and writes
/// them to the outbox as it goes: memory holds one article's matches, not the run's.
/// The outbox orders deliveries for dispatch (SPEC 5) when they are read back.
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

    /// A notification of a digest customer, kept until the run's digests are planned.
    private struct DigestItem {
        var notification: Int64
        var severity: Int
        var published: Double?
        var key: String
    }

    /// What the state says of a run's articles, read before its outbox opens: for each
    /// feed, the articles seen before (by key), and for each revised article, the
    /// customers notified of an earlier revision.
    public struct History {
        var seen: [[String: SeenArticle]]
        var notifiedBefore: [String: [String: NotifiedBefore]]
    }

    /// Reads the `History` of `feeds`' articles.
    public func history(of feeds: [LoadedFeed]) throws(StateStoreError) -> History {
        var history = History(seen: [], notifiedBefore: [:])
        for loaded in feeds {
            guard loaded.failure == nil else {
                history.seen.append([:])
                continue
            }
            let seen = try store.seenArticles(loaded.articles.map(\.key))
            history.seen.append(seen)
            for article in loaded.articles {
                if let previous = seen[article.key], article.revision > previous.revision {
                    history.notifiedBefore[article.key] = try store.notifiedBefore(articleKey: article.key)
                }
            }
        }
        return history
    }

    /// Plans `feeds` into `outbox` (a store's, or a dry run's that prints instead).
    /// `caughtUp`: notifications recorded as already sent, no deliveries.
    public func plan(_ feeds: [LoadedFeed], history: History, caughtUp: Bool, into outbox: any OutboxWriter)
        throws(StateStoreError) -> RunPlan
    {
        var plan = RunPlan()
        var matches = Matches()
        var digests: [Int: [DigestItem]] = [:]
        var digestOrder: [Int] = []
        let seen = history.seen
        let notifiedBefore = history.notifiedBefore
        // The new and revised articles of every feed, planned in dispatch order as far as
        // an article decides it (severity, then publication time; ties in feed order): the
        // deliveries sent together were then written together, and marking them sent
        // rewrites a few pages of the outbox rather than most of it.
        var recorded: [(severity: Int, published: Double, feed: Int, article: Int)] = []
        for (index, loaded) in feeds.enumerated() where loaded.failure == nil {
            for (position, article) in loaded.articles.enumerated() {
                if let previous = seen[index][article.key], article.revision <= previous.revision { continue }
                let published = article.published?.timeIntervalSince1970 ?? .infinity
                recorded.append((article.severity, published, index, position))
            }
        }
        recorded.sort { ($0.severity, $0.published, $0.feed, $0.article) < ($1.severity, $1.published, $1.feed, $1.article) }
        // The articles themselves go in first, in key order: their table is ordered by key,
        // and its rows are large, so appending them in order is cheaper than inserting them
        // all over it.
        var linesOfRecorded = [Set<Int>](repeating: [], count: feeds.count)
        let byKey = recorded.map { (key: feeds[$0.feed].articles[$0.article].key, feed: $0.feed, article: $0.article) }
            .sorted { $0.key < $1.key }
        for (key, feed, index) in byKey {
            let article = feeds[feed].articles[index]
            if seen[feed][key] == nil { plan.newArticles += 1 } else { plan.revisedArticles += 1 }
            if article.isUnmatched { plan.unmatchedArticles += 1 }
            try outbox.add(article)
            linesOfRecorded[feed].insert(article.line)
        }
        for (_, _, feed, index) in recorded {
            let article = feeds[feed].articles[index]
            let previous = seen[feed][article.key]
            let clock = ContinuousClock.now
            matcher.matches(article, into: &matches)
            plan.matcherSeconds += (ContinuousClock.now - clock).seconds
            plan.matchedPairs += matches.count
            guard !matches.isEmpty else { continue }
            let before = notifiedBefore[article.key] ?? [:]
            for match in matches.indices {
                let position = matches.customer(match)
                let customer = matcher.customers[position]
                let verdict = RevisionPolicy.verdict(
                    customer: customer, revision: article.revision, severity: article.severity,
                    before: before[customer.id], previousProducts: previous?.article.products)
                guard verdict == .notify else { continue }
                let id = try outbox.add(
                    PlannedNotification(
                        customer: customer.id, plan: customer.plan, article: article, matched: matches.matched(match)))
                plan.notifications += 1
                if caughtUp { continue }
                if customer.digest {
                    if digests[position] == nil { digestOrder.append(position) }
                    digests[position, default: []].append(
                        DigestItem(
                            notification: id, severity: article.severity,
                            published: article.published?.timeIntervalSince1970, key: article.key))
                }
                plan.deliveries += try planDeliveries(of: id, article, to: customer, into: outbox)
            }
        }
        for (index, loaded) in feeds.enumerated() where loaded.failure == nil {
            let lines = linesOfRecorded[index]
            // By line: an item's warnings about its fields come when the item ends.
            let warnings = loaded.warnings.enumerated().sorted {
                ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset)
            }
            for (_, warning) in warnings where warning.line.map(lines.contains) ?? !lines.isEmpty {
                plan.warnings.append("\(loaded.feed.name): \(warning)")
            }
        }
        for position in digestOrder {
            guard let items = digests[position] else { continue }
            plan.deliveries += try planDigests(items, to: matcher.customers[position], into: outbox)
        }
        return plan
    }

    /// One email per contact (unless the customer takes digests) and one POST per webhook.
    private func planDeliveries(of notification: Int64, _ article: Article, to customer: Customer, into outbox: any OutboxWriter)
        throws(StateStoreError) -> Int
    {
        var count = 0
        let published = article.published?.timeIntervalSince1970
        func delivery(_ channel: Channel, _ address: String) -> OutboxDelivery {
            let id = Planner.deliveryID(customer.id, article.key, article.revision, channel, address)
            return OutboxDelivery(
                id: id, channel: channel, address: address, customer: customer.id, isDigest: false,
                messageID: channel == .email ? messageID(id) : nil, notifications: [notification],
                severity: article.severity, plan: customer.plan, published: published, articleKey: article.key)
        }
        if !customer.digest {
            for contact in customer.contacts {
                try outbox.add(delivery(.email, contact.email))
                count += 1
            }
        }
        for webhook in customer.webhooks {
            try outbox.add(delivery(.webhook, webhook.url))
            count += 1
        }
        return count
    }

    /// One digest per contact listing the customer's notifications of the run in dispatch order.
    private func planDigests(_ items: [DigestItem], to customer: Customer, into outbox: any OutboxWriter)
        throws(StateStoreError) -> Int
    {
        let sorted = items.sorted { a, b in
            DispatchOrder.precedes(
                severity: a.severity, plan: customer.plan, published: a.published, customer: customer.id, key: a.key,
                b.severity, customer.plan, b.published, customer.id, b.key)
        }
        for contact in customer.contacts {
            let id = "dg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try outbox.add(
                OutboxDelivery(
                    id: id, channel: .email, address: contact.email, customer: customer.id, isDigest: true,
                    messageID: messageID(id), notifications: sorted.map(\.notification),
                    severity: sorted[0].severity, plan: customer.plan,
                    published: sorted.compactMap(\.published).min(), articleKey: sorted[0].key))
        }
        return customer.contacts.count
    }

    /// A delivery's stable id: the same (customer, article, revision, channel, address)
    /// always has the same id, so a repeat carries the same Message-ID / webhook-id.
    public static func deliveryID(_ customer: String, _ key: String, _ revision: Int, _ channel: Channel, _ address: String)
        -> String
    {
        // The fields joined by U+0001, hashed as bytes (one per delivery planned).
        var fields: [UInt8] = []
        fields.reserveCapacity(customer.utf8.count + key.utf8.count + address.utf8.count + 32)
        for (position, var field) in [customer, key, String(revision), channel.rawValue, address].enumerated() {
            if position > 0 { fields.append(0x01) }
            field.withUTF8 { fields.append(contentsOf: $0) }
        }
        return "msg_" + Digest.sha256Hex(bytes: fields).prefix(32)
    }

    func messageID(_ id: String) -> String { "<\(id)@\(messageDomain)>" }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
