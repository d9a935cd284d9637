import Articles
import Foundation
import Matching
import Testing
import TestSupport

@testable import StateStore

/// What only a state that several runs share does (SPEC 9), on PostgreSQL: each store
/// here is one run.
@Suite struct SharedStateTests {
    let base = StateStoreTests()

    /// A batch of `count` notifications of one article, one email delivery each.
    func batch(_ count: Int, article id: String = "A1", severity: Int = 1) -> OutboxBatch {
        var batch = OutboxBatch()
        batch.articles = [base.article(id, severity: severity)]
        batch.notifications = (0..<count).map {
            PlannedNotification(customer: "C\($0)", plan: $0 % 2 == 0 ? .elite : .xtreme, article: batch.articles[0], matched: [])
        }
        batch.deliveries = (0..<count).map { base.delivery(batch, $0, address: "c\($0)@x.example") }
        return batch
    }

    @Test func workersStartingAtOnceMigrateOnce() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let opened = Locked<[Result<Void, StateStoreError>]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            let result = Result { () throws(StateStoreError) in _ = try PostgresStateStore(url: url) }
            opened.withLock { $0.append(result) }
        }
        for result in opened.withLock({ $0 }) { try result.get() }
        let names = try PostgresCluster.shared.get().psql("SELECT name FROM schema_migrations ORDER BY id", database: url)
        #expect(
            names.split(separator: "\n") == ["initial schema", "checked inputs", "leaner indexes", "feed documents", "claims"])
    }

    @Test func aFeedIsReadByOneRunAtATime() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let first = try PostgresStateStore(url: url)
        let second = try PostgresStateStore(url: url)
        #expect(try first.lockFeeds(["a", "b"]) == ["a", "b"])
        #expect(try second.lockFeeds(["a", "b", "c"]) == ["c"])
        // The first run's outbox commits: what it read is recorded, and the feeds are free.
        let outbox = try first.beginOutbox(caughtUp: false)
        try outbox.record([("a", FetchRecord(url: "u", at: Date(), httpStatus: 200, etag: "\"1\""))])
        try outbox.commit()
        #expect(try second.lockFeeds(["a", "b"]) == ["a", "b"])
        #expect(try second.feedState("a")?.etag == "\"1\"")
        // A run that ends without committing lets its feeds go too.
        second.close()
        let third = try PostgresStateStore(url: url)
        #expect(try third.lockFeeds(["a", "b", "c"]) == ["a", "b", "c"])
    }

    @Test func twoRunsNeverBothRecordOneNotification() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let first = try PostgresStateStore(url: url)
        let second = try PostgresStateStore(url: url)
        // The same article reached both runs (it is in two feeds); they plan it at once.
        let one = try first.beginOutbox(caughtUp: false)
        let other = try second.beginOutbox(caughtUp: false)
        for (outbox, address) in [(one, "first@x.example"), (other, "second@x.example")] {
            try outbox.add(base.article("A1"))
            let id = try outbox.add(PlannedNotification(customer: "C", plan: .elite, article: base.article("A1"), matched: []))
            try outbox.add(
                OutboxDelivery(
                    id: "d-\(address)", channel: .email, address: address, customer: "C", isDigest: false,
                    messageID: "<\(address)>", notifications: [id], severity: 1, plan: .elite, published: 1000,
                    articleKey: "kb/A1"))
        }
        try one.commit()
        try other.commit()
        let due = try first.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.map(\.address) == ["first@x.example"])
        let count = try PostgresCluster.shared.get().psql("SELECT count(*) FROM notifications", database: url)
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test func claimsSplitTheDueDeliveriesMostUrgentFirst() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let setup = try PostgresStateStore(url: url)
        try setup.record(batch(6, article: "LOW", severity: 3))
        try setup.record(batch(6, article: "HIGH", severity: 1))
        let now = Date().addingTimeInterval(1)
        let order = try setup.dueDeliveries(channel: .email, now: now, limit: 100).map(\.id)
        let first = try PostgresStateStore(url: url)
        let second = try PostgresStateStore(url: url)
        let a = try first.claimDueDeliveries(channel: .email, now: now, limit: 4)
        let b = try second.claimDueDeliveries(channel: .email, now: now, limit: 4)
        let c = try first.claimDueDeliveries(channel: .email, now: now, limit: 10)
        // Each claim takes the most urgent of what is left, in dispatch order; none twice.
        #expect(a.map(\.id) == Array(order[0..<4]))
        #expect(b.map(\.id) == Array(order[4..<8]))
        #expect(c.map(\.id) == Array(order[8..<12]))
        #expect(try second.claimDueDeliveries(channel: .email, now: now, limit: 10).isEmpty)
        #expect(a.allSatisfy { $0.notifications.first?.article.severity == 1 })
    }

    @Test func anExpiredLeaseIsTakenOverAndOnlyItsHolderRecords() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let setup = try PostgresStateStore(url: url)
        try setup.record(batch(3))
        let now = Date().addingTimeInterval(1)
        // A run that claims and then hangs (or dies: its lease keeper stops with it).
        let stalled = try PostgresStateStore(url: url, leaseSeconds: 0.5)
        let claimed = try stalled.claimDueDeliveries(channel: .email, now: now, limit: 10)
        #expect(claimed.count == 3)
        #expect(try stalled.heldClaims(claimed.map(\.id)) == Set(claimed.map(\.id)), "its own, to send")
        let other = try PostgresStateStore(url: url)
        #expect(try other.claimDueDeliveries(channel: .email, now: now, limit: 10).isEmpty, "the lease holds")
        // The stalled run's keeper would renew it; stop it as a dying process would.
        try PostgresCluster.shared.get().psql(
            "UPDATE deliveries SET claimed_until = extract(epoch FROM clock_timestamp()) - 1", database: url)
        let takenOver = try other.claimDueDeliveries(channel: .email, now: now, limit: 10)
        #expect(takenOver.map(\.id) == claimed.map(\.id))
        // Before it sends, the stalled run asks: none is its own any more. (Half a lease on,
        // its last renewal no longer vouches for them, so it asks the database.)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try stalled.heldClaims(claimed.map(\.id)).isEmpty, "another run's now, not to be sent twice")
        #expect(try other.heldClaims(takenOver.map(\.id)) == Set(claimed.map(\.id)))
        // The run whose lease it was comes back: its outcome is not recorded, the new holder's is.
        try stalled.record([DeliveryOutcome(id: claimed[0].id, at: now, result: .dead(error: "stale"))])
        try other.record(takenOver.map { DeliveryOutcome(id: $0.id, at: now, result: .delivered) })
        let status = try other.status(limit: 10)
        #expect((status.delivered, status.dead, status.pending) == (3, 0, 0))
    }

    @Test func theKeeperRenewsALeaseWhileTheRunLives() throws {
        let url = try PostgresCluster.shared.get().createDatabase()
        let setup = try PostgresStateStore(url: url)
        try setup.record(batch(2))
        let now = Date().addingTimeInterval(1)
        let slow = try PostgresStateStore(url: url, leaseSeconds: 0.6)
        #expect(try slow.claimDueDeliveries(channel: .email, now: now, limit: 10).count == 2)
        // Three leases long: without renewal the claims would be free by now.
        Thread.sleep(forTimeInterval: 1.8)
        let other = try PostgresStateStore(url: url)
        #expect(try other.claimDueDeliveries(channel: .email, now: now, limit: 10).isEmpty)
        // A run that ends lets them go at once.
        slow.close()
        #expect(try other.claimDueDeliveries(channel: .email, now: now, limit: 10).count == 2)
    }

    @Test func aServerThatIsGoneIsAReasonNotACrash() throws {
        let cluster = try PostgresCluster()
        defer { cluster.remove() }
        let url = try cluster.createDatabase().replacingOccurrences(of: "critfix@", with: "critfix:s3cret@")
        let store = try PostgresStateStore(url: url)
        try cluster.stop(immediate: true)
        do {
            _ = try store.status(limit: 10)
            Issue.record("expected the status to fail")
        } catch {
            #expect(error.isUnavailable)
            #expect(error.message.contains("127.0.0.1:\(cluster.port)"))
            #expect(!error.message.contains("s3cret"))
        }
        do {
            _ = try PostgresStateStore(url: url)
            Issue.record("expected the connection to fail")
        } catch {
            #expect(error.isUnavailable)
            #expect(error.message.hasPrefix("cannot reach the PostgreSQL state postgres://critfix@127.0.0.1:\(cluster.port)/"))
            #expect(!error.message.contains("s3cret"))
        }
    }
}
