import Articles
import Configuration
import Delivery
import Foundation
import Matching
import StateStore
import Testing

@testable import Pipeline

/// A run's stages one by one, on the sample data in `Feeds/`, each handed the value the
/// one before gave: read feeds → history → plan into the outbox → commit → email, claimed
/// in small batches into an mbox.
@Suite struct RunStageTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "critfix-stages-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func sampleSetup() throws -> LoadedSetup {
        switch Setup.load(configPath: Self.root + "/Feeds/critfix.yaml", environment: [:], console: Console()) {
        case .success(let setup): return setup
        case .failure(let failure): throw StateStoreError("the sample configuration does not load (exit \(failure.exitCode))")
        }
    }

    /// Message-IDs in the order the mailbox holds them.
    func messageIDs(inMailbox path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            line.hasPrefix("Message-ID: ") ? String(line.dropFirst("Message-ID: ".count)) : nil
        }
    }

    @Test func eachStageHandsTheNextWhatItNeeds() throws {
        let setup = try sampleSetup()
        let configuration = setup.configuration
        // Read feeds: every sample feed is read, none fails.
        let feeds = FeedLoader(catalog: configuration.catalog, fetch: configuration.fetch)
            .loadAll(configuration.feeds, validators: [:]) { _ in }
        #expect(feeds.count == configuration.feeds.count)
        #expect(feeds.allSatisfy { $0.failure == nil }, "\(feeds.compactMap(\.failure))")
        let articles = feeds.reduce(0) { $0 + $1.articles.count }
        #expect(articles > 10)

        // Record: history read first (nothing seen yet), then one outbox, committed.
        let store = try SQLiteStateStore(path: directory + "/state.sqlite")
        let planner = Planner(
            matcher: Matcher(registrations: setup.registrations, catalog: configuration.catalog), store: store,
            messageDomain: "stages.example")
        let history = try planner.history(of: feeds)
        #expect(history.seen.allSatisfy { $0.isEmpty })
        let outbox = try store.beginOutbox(caughtUp: false)
        let plan = try planner.plan(feeds, history: history, caughtUp: false, into: outbox)
        try outbox.commit()
        #expect(plan.newArticles == articles)
        #expect(plan.revisedArticles == 0)
        #expect(plan.notifications > 0)
        let later = Date().addingTimeInterval(1)
        let due = try store.dueDeliveries(channel: .email, now: later, limit: 10_000)
        #expect(due.count > 3)

        // Send email: claimed three at a time, every due message once, in dispatch order.
        let mailbox = directory + "/out.mbox"
        let transport = try MboxTransport(path: mailbox)
        let customers = Dictionary(setup.registrations.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let dispatcher = EmailDispatcher(
            store: store, renderer: try EmailRenderer(templatesDirectory: nil, catalog: configuration.catalog),
            transport: transport, settings: configuration.email, customers: customers, now: later, batchSize: 3)
        let report = try dispatcher.dispatch()
        try transport.close()
        #expect(report.delivered == due.count)
        #expect(report.failureLines.isEmpty)
        #expect(try messageIDs(inMailbox: mailbox) == due.map { $0.messageID ?? "" })
        #expect(try store.dueDeliveries(channel: .email, now: later, limit: 10).isEmpty)
        let status = try store.status(limit: 10)
        #expect(status.delivered == due.count)

        // The next run's record stage: the same articles are history now, and nothing is planned.
        let again = try planner.history(of: feeds)
        #expect(again.seen.reduce(0) { $0 + $1.count } == articles)
        let second = try store.beginOutbox(caughtUp: false)
        let replan = try planner.plan(feeds, history: again, caughtUp: false, into: second)
        try second.commit()
        #expect(replan.newArticles == 0)
        #expect(replan.notifications == 0)
    }

    @Test func aDeliveryWhoseCustomerLeftIsDeadAndTheOthersGo() throws {
        let setup = try sampleSetup()
        let configuration = setup.configuration
        let feeds = FeedLoader(catalog: configuration.catalog, fetch: configuration.fetch)
            .loadAll(configuration.feeds, validators: [:]) { _ in }
        let store = try SQLiteStateStore(path: directory + "/state.sqlite")
        let planner = Planner(
            matcher: Matcher(registrations: setup.registrations, catalog: configuration.catalog), store: store,
            messageDomain: "stages.example")
        let outbox = try store.beginOutbox(caughtUp: false)
        _ = try planner.plan(feeds, history: try planner.history(of: feeds), caughtUp: false, into: outbox)
        try outbox.commit()
        let later = Date().addingTimeInterval(1)
        let due = try store.dueDeliveries(channel: .email, now: later, limit: 10_000)
        let gone = try #require(due.first?.customer)
        // The registrations file lost one customer since the outbox was written.
        var customers = Dictionary(setup.registrations.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        customers[gone] = nil
        let transport = try MboxTransport(path: directory + "/out.mbox")
        let report = try EmailDispatcher(
            store: store, renderer: try EmailRenderer(templatesDirectory: nil, catalog: configuration.catalog),
            transport: transport, settings: configuration.email, customers: customers, now: later, batchSize: 4
        ).dispatch()
        try transport.close()
        let theirs = due.filter { $0.customer == gone }.count
        #expect(report.dead == theirs)
        #expect(report.delivered == due.count - theirs)
        #expect(report.failureLines == ["customer \(gone) is no longer in the registrations file" + (theirs > 1 ? " (\(theirs) deliveries)" : "")])
        #expect(try messageIDs(inMailbox: directory + "/out.mbox").count == due.count - theirs)
        let status = try store.status(limit: 50)
        #expect(status.dead == theirs)
        #expect(status.deadDeliveries.allSatisfy { $0.customer == gone })
    }
}
