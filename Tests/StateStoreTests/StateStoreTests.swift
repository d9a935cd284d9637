import Articles
import Foundation
import Matching
import Testing

@testable import StateStore

/// What every state store does, run once on SQLite and once on PostgreSQL.
@Suite struct StateStoreTests {

    func article(_ id: String, revision: Int = 1, severity: Int = 1, published: Double = 1000) -> Article {
        Article(
            feed: "kb", id: id, revision: revision, title: "Tytuł \(id) ąę", link: "https://x.example/\(id)",
            published: Date(timeIntervalSince1970: published), updated: nil, severity: severity, kind: .criticalFix,
            products: [AffectedProduct(id: "erp-ln", affected: ">=10.5", range: try! VersionRange(parsing: ">=10.5"), fixed: "11", isResolved: true)],
            categories: ["c"], summary: "s")
    }

    func delivery(_ batch: OutboxBatch, _ index: Int, address: String) -> PlannedDelivery {
        let n = batch.notifications[index]
        return PlannedDelivery(
            id: "d-\(n.customer)-\(n.article.id)-\(address)", channel: .email, address: address, customer: n.customer,
            notifications: [index], isDigest: false, messageID: "<d-\(n.customer)-\(n.article.id)@x>")
    }

    @Test(arguments: Backend.allCases) func recordsArticlesNotificationsAndDeliveriesInOneOutbox(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var batch = OutboxBatch()
        batch.articles = [article("A1"), article("A2", severity: 2, published: 500)]
        batch.notifications = [
            PlannedNotification(customer: "X", plan: .xtreme, article: batch.articles[0], matched: [MatchedProduct(product: "erp-ln", version: "10.6")]),
            PlannedNotification(customer: "E", plan: .elite, article: batch.articles[0], matched: []),
            PlannedNotification(customer: "E", plan: .elite, article: batch.articles[1], matched: []),
        ]
        batch.deliveries = [
            delivery(batch, 0, address: "x@x.example"), delivery(batch, 1, address: "e@e.example"),
            delivery(batch, 2, address: "e@e.example"),
        ]
        try store.record(batch)

        let seen = try store.seenArticles(["kb/A1", "kb/A2", "kb/none"])
        #expect(seen.keys.sorted() == ["kb/A1", "kb/A2"])
        #expect(seen["kb/A1"]?.article.title == "Tytuł A1 ąę")
        #expect(seen["kb/A1"]?.article.products.first?.range.contains(Version("10.6")!) == true)
        #expect(try store.notifiedBefore(articleKey: "kb/A1") == ["X": NotifiedBefore(severity: 1, revision: 1), "E": NotifiedBefore(severity: 1, revision: 1)])

        // Dispatch order: severity 1 first (elite before xtreme), then severity 2.
        let due = try store.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.map(\.customer) == ["E", "X", "E"])
        #expect(due.map { $0.notifications[0].article.id } == ["A1", "A1", "A2"])
        #expect(due[1].notifications[0].matched == [MatchedProduct(product: "erp-ln", version: "10.6")])
        #expect(try store.dueDeliveries(channel: .webhook, now: Date().addingTimeInterval(1), limit: 10).isEmpty)
    }

    @Test(arguments: Backend.allCases) func equalTimesAreOrderedByArticleKeyNotByInsertion(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var batch = OutboxBatch()
        // Same severity, plan, published time and customer: the key decides, whatever the feed order.
        batch.articles = [article("B"), article("A"), article("C")]
        batch.notifications = batch.articles.map { PlannedNotification(customer: "E", plan: .elite, article: $0, matched: []) }
        batch.deliveries = (0..<3).map { delivery(batch, $0, address: "e@e.example") }
        try store.record(batch)
        let due = try store.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.map { $0.notifications[0].article.id } == ["A", "B", "C"])
    }

    @Test(arguments: Backend.allCases) func duePagesFollowOneAnotherByKeyWithoutWaitingForOutcomes(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var batch = OutboxBatch()
        // Equal severities, plans and times among them, so the row decides some places.
        batch.articles = (0..<7).map { article("A\($0)", severity: $0 % 3 + 1, published: Double(1000 + $0 % 2)) }
        let plans: [Plan] = [.elite, .xtreme, .premium]
        batch.notifications = batch.articles.indices.flatMap { index in
            plans.map { PlannedNotification(customer: "C-\($0.rawValue)", plan: $0, article: batch.articles[index], matched: []) }
        }
        batch.deliveries = batch.notifications.indices.map { delivery(batch, $0, address: "c\($0 % 3)@x.example") }
        try store.record(batch)
        let now = Date().addingTimeInterval(1)
        let all = try store.dueDeliveries(channel: .email, now: now, limit: 100)
        #expect(all.count == 21)
        // Claims of 4, each after the last one's end, none of them recorded meanwhile.
        var claimed: [String] = []
        while true {
            let page = try store.claimDueDeliveries(channel: .email, now: now, limit: 4)
            if page.isEmpty { break }
            #expect(page.count == 4 || claimed.count == 20)
            claimed += page.map(\.id)
        }
        #expect(claimed == all.map(\.id))
        // Looking does not claim: every one is still due, and a new store claims afresh.
        #expect(try store.dueDeliveries(channel: .email, now: now, limit: 100).map(\.id) == all.map(\.id))
        #expect(try store.claimDueDeliveries(channel: .webhook, now: now, limit: 100).isEmpty)
        try store.record([DeliveryOutcome(id: all[10].id, at: now, result: .delivered)])
        // A run that ends lets its claims go: the next one claims afresh.
        store.close()
        let again = try state.open()
        let rest = try again.claimDueDeliveries(channel: .email, now: now, limit: 100)
        #expect(rest.map(\.id) == all.map(\.id).filter { $0 != all[10].id })
    }

    @Test(arguments: Backend.allCases) func anOutboxNotCommittedLeavesNoTrace(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        do {
            let outbox = try store.beginOutbox(caughtUp: false)
            try outbox.add(article("A1"))
            let id = try outbox.add(PlannedNotification(customer: "E", plan: .elite, article: article("A1"), matched: []))
            try outbox.add(
                OutboxDelivery(
                    id: "d1", channel: .email, address: "e@e.example", customer: "E", isDigest: false, messageID: "<d1@x>",
                    notifications: [id], severity: 1, plan: .elite, published: 1000, articleKey: "kb/A1"))
            // Dropped here, as when planning fails half-way.
        }
        #expect(try store.seenArticles(["kb/A1"]).isEmpty)
        #expect(try store.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10).isEmpty)
        // The store is usable afterwards: the transaction was rolled back, not left open.
        var batch = OutboxBatch()
        batch.articles = [article("A2")]
        try store.record(batch)
        #expect(try store.seenArticles(["kb/A2"]).count == 1)
    }

    @Test(arguments: Backend.allCases) func outcomesMoveDeliveriesOutOfTheQueue(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var batch = OutboxBatch()
        batch.articles = [article("A1")]
        batch.notifications = ["C1", "C2", "C3"].map { PlannedNotification(customer: $0, plan: .premium, article: batch.articles[0], matched: []) }
        batch.deliveries = (0..<3).map { delivery(batch, $0, address: "c\($0)@x.example") }
        try store.record(batch)
        let now = Date().addingTimeInterval(1)
        let due = try store.dueDeliveries(channel: .email, now: now, limit: 10)
        try store.record([
            DeliveryOutcome(id: due[0].id, at: now, result: .delivered),
            DeliveryOutcome(id: due[1].id, at: now, result: .retry(at: now.addingTimeInterval(60), error: "451 try later")),
            DeliveryOutcome(id: due[2].id, at: now, result: .dead(error: "550 no such user")),
        ])
        #expect(try store.dueDeliveries(channel: .email, now: now, limit: 10).isEmpty)
        let later = try store.dueDeliveries(channel: .email, now: now.addingTimeInterval(61), limit: 10)
        #expect(later.map(\.id) == [due[1].id])
        #expect(later[0].attempts == 1)
        let status = try store.status(limit: 1000)
        #expect((status.pending, status.retrying, status.dead, status.delivered) == (0, 1, 1, 1))
        #expect(status.deadDeliveries.first?.lastError == "550 no such user")
        #expect(status.deadDeliveries.first?.articles == ["kb/A1"])
        #expect(status.retryingDeliveries.first?.nextAttempt != nil)
    }

    @Test(arguments: Backend.allCases) func aRecordedDeliveryIsNeverRecordedTwice(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var batch = OutboxBatch()
        batch.articles = [article("A1")]
        batch.notifications = [PlannedNotification(customer: "C", plan: .elite, article: batch.articles[0], matched: [])]
        batch.deliveries = [delivery(batch, 0, address: "c@x.example")]
        try store.record(batch)
        switch backend {
        case .sqlite:
            // One run at a time: the same notification again is a fault, and the whole batch rolls back.
            #expect(throws: StateStoreError.self) { try store.record(batch) }
        case .postgres:
            // Several runs: the one that recorded it first keeps it, and the other's is left out.
            try store.record(batch)
        }
        #expect(try store.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10).count == 1)
        #expect(try store.notifiedBefore(articleKey: "kb/A1").count == 1)
    }

    @Test(arguments: Backend.allCases) func fetchRecordsCountFailuresInARow(_ backend: Backend) throws {
        let store = try TestState(backend).open()
        let at = Date(timeIntervalSince1970: 1_795_512_600)
        try store.recordFetch("kb", FetchRecord(url: "u", at: at, httpStatus: 200, etag: "\"e1\""))
        try store.recordFetch("kb", FetchRecord(url: "u", at: at, httpStatus: 500, error: "HTTP 500"))
        try store.recordFetch("kb", FetchRecord(url: "u", at: at, error: "timeout"))
        var feed = try #require(try store.feedState("kb"))
        #expect(feed.failuresInARow == 2)
        #expect(feed.lastError == "timeout")
        #expect(feed.etag == "\"e1\"")
        try store.recordFetch("kb", FetchRecord(url: "u", at: at, httpStatus: 304))
        feed = try #require(try store.feedState("kb"))
        #expect(feed.failuresInARow == 0)
        #expect(feed.lastError == nil)
        #expect(feed.etag == "\"e1\"")
    }

    @Test(arguments: Backend.allCases) func threadingFindsTheFirstMessageOfAnArticleToAContact(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        var first = OutboxBatch()
        first.articles = [article("A1")]
        first.notifications = [PlannedNotification(customer: "C", plan: .elite, article: first.articles[0], matched: [])]
        first.deliveries = [delivery(first, 0, address: "c@x.example")]
        try store.record(first)
        var second = OutboxBatch()
        second.articles = [article("A1", revision: 2)]
        second.notifications = [PlannedNotification(customer: "C", plan: .elite, article: second.articles[0], matched: [])]
        second.deliveries = [PlannedDelivery(id: "r2", channel: .email, address: "c@x.example", customer: "C", notifications: [0], isDigest: false, messageID: "<r2@x>")]
        try store.record(second)
        // Revision 2's email answers the first one's; the first one has no thread to join.
        let due = try store.dueDeliveries(channel: .email, now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.first { $0.id == "r2" }?.originalMessageID == "<d-C-A1@x>")
        #expect(due.first { $0.id != "r2" }?.originalMessageID == nil)
        #expect(try store.seenArticles(["kb/A1"])["kb/A1"]?.revision == 2)
    }

    @Test(arguments: Backend.allCases) func runsAreRecordedNewestFirst(_ backend: Backend) throws {
        let state = try TestState(backend)
        let store = try state.open()
        let start = Date(timeIntervalSince1970: 1_795_512_600)
        try store.recordRun(started: start, finished: start.addingTimeInterval(2), exitCode: 0, summary: "first")
        try store.recordRun(started: start.addingTimeInterval(600), finished: start.addingTimeInterval(601), exitCode: 1, summary: "second")
        let runs = try store.recentRuns(limit: 10)
        #expect(runs.map(\.summary) == ["second", "first"])
        #expect(runs.map(\.exitCode) == [1, 0])
        #expect(runs[1].finished == start.addingTimeInterval(2))
    }
}

/// What only the SQLite store does: a file, its log, its lock.
@Suite struct SQLiteStateStoreTests {
    let directory = NSTemporaryDirectory() + "critfix-store-" + UUID().uuidString

    func article(_ id: String) -> Article { StateStoreTests().article(id) }

    @Test func createsTheDirectoryAndMigratesOnce() throws {
        let path = directory + "/nested/state.sqlite"
        _ = try SQLiteStateStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        // Opening again applies nothing twice.
        _ = try SQLiteStateStore(path: path)
    }

    /// The checkpointer folds the log into the database file on its own connection while
    /// the store is open (a fresh connection must read once before SQLite lets it).
    @Test func theCheckpointerFoldsTheLogWhileTheStoreIsOpen() throws {
        let path = directory + "/state.sqlite"
        let store = try SQLiteStateStore(path: path)
        var batch = OutboxBatch()
        batch.articles = (0..<200).map { article("A\($0)") }
        try store.record(batch)
        func size(_ file: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
        let before = size(path)
        #expect(size(path + "-wal") > 0)
        let checkpointer = Checkpointer(path: path)
        checkpointer.schedule()
        checkpointer.close()
        #expect(size(path) > before + 100_000, "the articles' pages are in the file now")
        #expect(try store.seenArticles(["kb/A7"]).count == 1)
    }

    @Test func aSecondRunIsRefusedWhileTheLockIsHeld() throws {
        let path = directory + "/state.sqlite"
        let first = try SQLiteStateStore(path: path)
        try first.lock()
        let second = try SQLiteStateStore(path: path)
        do {
            try second.lock()
            Issue.record("the second lock should have failed")
        } catch {
            #expect(error.isLockHeld)
            #expect(error.message.contains("pid \(getpid())"))
        }
    }
}

/// SQLite's refusals are errors with its result code, never a statement run with a
/// parameter silently left NULL.
@Suite struct SQLiteErrorTests {
    @Test func aRefusedBindingStopsTheStatement() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(a TEXT NOT NULL DEFAULT 'x', b TEXT)")
        // Three values for two parameters: the third binding is out of range.
        do {
            try db.statement("INSERT INTO t(a, b) VALUES (?, ?)").bind(.text("a"), .text("b"), .text("c")).run()
            Issue.record("expected the statement to be refused")
        } catch {
            #expect(error.code == 25)  // SQLITE_RANGE
            #expect(error.message == "state database: a value could not be bound (column index out of range)")
        }
        let count = try db.statement("SELECT COUNT(*) FROM t")
        #expect(try count.step() && count.int(0) == 0)
    }

    @Test func failuresCarrySQLitesCode() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(a TEXT PRIMARY KEY)")
        try db.statement("INSERT INTO t(a) VALUES (?)").bind(.text("x")).run()
        do {
            try db.statement("INSERT INTO t(a) VALUES (?)").bind(.text("x")).run()
            Issue.record("expected a constraint error")
        } catch {
            #expect(error.code == 19)  // SQLITE_CONSTRAINT
            #expect(error.message.contains("UNIQUE constraint failed: t.a"))
        }
        do {
            try db.execute("SELECT nothing FROM nowhere")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == 1)  // SQLITE_ERROR
        }
    }
}
