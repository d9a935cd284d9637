import Articles
import Configuration
import Delivery
import Foundation
import Matching
import StateStore

public struct RunOptions: Sendable {
    public var dryRun = false
    public var summary = false
    public var noFetch = false
    /// `critfix catch-up`: record what the feeds hold as already notified, send nothing.
    public var catchUp = false
    /// Limit fetching to this feed (catch-up --feed).
    public var onlyFeed: String?

    public init(dryRun: Bool = false, summary: Bool = false, noFetch: Bool = false, catchUp: Bool = false, onlyFeed: String? = nil) {
        self.dryRun = dryRun
        self.summary = summary
        self.noFetch = noFetch
        self.catchUp = catchUp
        self.onlyFeed = onlyFeed
    }
}

/// One `critfix run` (or `catch-up`), as a line of stages, each handing the next a value:
///
///     open state ─▶ read feeds ─▶ record ─▶ send email ─▶ send webhooks ─▶ report
///      (store)     (FeedsRead)   (RunPlan,   (DispatchReport) (DispatchReport) (exit code)
///                                committed)
///
/// `record` matches and plans every new or revised article into the outbox and commits it
/// in one transaction before anything is sent. Returns the exit code of SPEC 7.3.
public final class PipelineRun {
    var setup: LoadedSetup
    let options: RunOptions
    let console: Console

    public init(setup: LoadedSetup, options: RunOptions, console: Console = Console()) {
        self.setup = setup
        self.options = options
        self.console = console
    }

    /// What the run did, for `--metrics`: filled in as its stages finish.
    private(set) var figures = RunFigures()

    public func execute() -> Int32 {
        let started = Date()
        defer { figures.duration = Date().timeIntervalSince(started) }
        figures.started = WallClock.now()
        do {
            return try run()
        } catch let stop as Stop {
            return stop.exitCode
        } catch let error as StateStoreError {
            console.error("critfix: \(error.message)")
            if error.isLockHeld { return ExitStatus.lockHeld }
            // A database that went away fails the run like a feed that did (SPEC 9): what
            // was committed stays, and the next run goes on from there.
            return error.isUnavailable ? ExitStatus.failures : ExitStatus.software
        } catch {
            console.error("critfix: \(error)")
            return ExitStatus.software
        }
    }

    /// How long a run waits for the feeds another run is recording (`awaitFeeds`).
    static let feedWait: Double = 120

    /// Thrown by a stage that ends the run early, with this exit code (its reason printed).
    struct Stop: Error {
        var exitCode: Int32
    }

    /// The line. Stages throw `Stop` or a `StateStoreError`.
    private func run() throws -> Int32 {
        var run = RunClock()
        let store = try openState()
        let read = try readFeeds(store: store, &run)
        figures.feedsFailed = read.failedFeeds.count
        let plan = try record(read, store: store, &run)
        figures.newArticles = plan.newArticles
        figures.notifications = plan.notifications
        if options.dryRun { return finishDryRun(read, plan, store: store, &run) }
        var sent = Sent()
        if !options.catchUp {
            // Feeds another run is recording will have deliveries due in a moment: wait for
            // them, so that this run shares the sending (SPEC 9) rather than end idle.
            try store.awaitFeeds(read.skippedFeeds, timeout: Self.feedWait)
            sent.email = try sendEmail(store: store)
            run.phases.end("deliver")
            sent.webhooks = try sendWebhooks(store: store)
            run.phases.end("webhooks")
        }
        return try report(read, plan, sent, store: store, &run)
    }

    // MARK: 1. Open the state

    /// The state, opened and locked, and the registrations when they must be validated
    /// before anything is fetched (SPEC 4: a broken file stops the run before it fetches):
    /// when their files changed since they last passed, or when there is no state yet —
    /// then before the state is created, so that a broken file leaves none behind.
    private func openState() throws -> any StateStore {
        let configuration = setup.configuration
        var validated: [UInt8]?
        if configuration.state.isMissing, !setup.registrationsLoaded { validated = try loadRegistrations() }
        // A dry run changes no state: without a state file it starts from an empty one in memory.
        let store = try configuration.openState(emptyWhenMissing: options.dryRun)
        if !options.dryRun { try store.lock() }
        if !setup.registrationsLoaded {
            let checked = try store.checkedDigest(of: "registrations")
            let names = checked.map(Setup.environmentNames(ofCheckedInputs:)) ?? []
            let now = Setup.checkedInputs(configuration, environmentNames: names, environment: setup.environment)
            if now == nil || now != checked { validated = try loadRegistrations() }
        }
        if let validated { recordChecked(validated, store: store) }
        return store
    }

    /// Reads and validates the deferred registrations — the one place a run does. Returns
    /// the files as they were before reading, whose digest proves them valid once recorded
    /// (`recordChecked`): a file changed meanwhile is validated again next run.
    private func loadRegistrations() throws(Stop) -> [UInt8]? {
        let files = Setup.inputFiles(setup.configuration)
        if let failure = Setup.loadRegistrations(&setup, console: console) { throw Stop(exitCode: failure.exitCode) }
        return files
    }

    /// Records what proves the registrations valid (not in a dry run, which changes no state).
    private func recordChecked(_ files: [UInt8], store: any StateStore) {
        guard !options.dryRun else { return }
        let inputs = Setup.checkedInputs(
            files: files, environmentNames: setup.registrations.environmentNames, environment: setup.environment)
        try? store.recordCheckedDigest(inputs, of: "registrations")
    }

    // MARK: 2. Read the feeds

    /// What the feeds gave: their articles, and which feeds and ROLIE documents failed.
    struct FeedsRead {
        var feeds: [LoadedFeed]
        /// `name: reason`, one per feed that failed.
        var failedFeeds: [String]
        /// `name: document ID (URL): reason`, one per ROLIE document that failed.
        var failedDocuments: [String]
        /// Feeds another run was reading (a shared state): left to it.
        var skippedFeeds: [String] = []

        var hasFailures: Bool { !failedFeeds.isEmpty || !failedDocuments.isEmpty }
    }

    /// Fetches and parses the feeds, several at once, each conditional on its last
    /// successful fetch. A feed that fails is reported once it has failed `alert_after`
    /// times in a row; a ROLIE feed's failed documents likewise, each its own failure.
    private func readFeeds(store: any StateStore, _ run: inout RunClock) throws -> FeedsRead {
        var feeds = setup.configuration.feeds
        if let only = options.onlyFeed {
            feeds = feeds.filter { $0.name == only }
            guard !feeds.isEmpty else {
                console.error("critfix: no feed named '\(only)' in \(setup.configuration.path)")
                throw Stop(exitCode: ExitStatus.usage)
            }
        }
        if options.noFetch { feeds = [] }
        // On a shared state another run may be reading some of the feeds: this one skips them.
        let mine = try store.lockFeeds(feeds.map(\.name))
        let skipped = feeds.map(\.name).filter { !mine.contains($0) }
        feeds = feeds.filter { mine.contains($0.name) }
        var states: [String: FeedState] = [:]
        for feed in feeds {
            if let state = try store.feedState(feed.name) { states[feed.name] = state }
        }
        let loader = FeedLoader(catalog: setup.configuration.catalog, fetch: setup.configuration.fetch)
        let loaded = loader.loadAll(feeds, validators: states) { done in
            self.console.progress("reading feeds: \(done)/\(feeds.count)")
        }
        console.endProgress()
        run.phases.end("read")

        var read = FeedsRead(feeds: loaded, failedFeeds: [], failedDocuments: [], skippedFeeds: skipped)
        for feed in loaded {
            if let failure = feed.failure {
                read.failedFeeds.append("\(feed.feed.name): \(failure)")
                let failuresInARow = (states[feed.feed.name]?.failuresInARow ?? 0) + 1
                if failuresInARow >= feed.feed.alertAfter {
                    let repeated = failuresInARow > 1 ? " (\(failuresInARow) failures in a row)" : ""
                    console.error("critfix: feed \(feed.feed.name) failed\(repeated): \(failure)")
                }
            }
            for (state, line) in feed.documentFailures {
                read.failedDocuments.append("\(feed.feed.name): \(line)")
                if state.failuresInARow >= feed.feed.alertAfter {
                    let repeated = state.failuresInARow > 1 ? " (\(state.failuresInARow) failures in a row)" : ""
                    console.error("critfix: feed \(feed.feed.name): \(line)\(repeated)")
                }
            }
        }
        return read
    }

    // MARK: 3. Plan and record

    /// Matches and plans the new and revised articles into the outbox — every article,
    /// notification and delivery, and the feeds' fetches, in one transaction committed
    /// before anything is sent. A dry run prints them instead. The registrations are read
    /// here if the first stage did not: only when there is work for them.
    private func record(_ read: FeedsRead, store: any StateStore, _ run: inout RunClock) throws -> RunPlan {
        if !setup.registrationsLoaded {
            let now = WallClock.now()
            let due = try !store.dueDeliveries(channel: .email, now: now, limit: 1).isEmpty
                || !store.dueDeliveries(channel: .webhook, now: now, limit: 1).isEmpty
            if due || read.feeds.contains(where: { !$0.articles.isEmpty }), let files = try loadRegistrations() {
                recordChecked(files, store: store)
            }
        }
        let configuration = setup.configuration
        let matcher = Matcher(registrations: setup.registrations, catalog: configuration.catalog)
        let planner = Planner(matcher: matcher, store: store, messageDomain: messageDomain(configuration.email.from.address))
        // Everything planning reads from the store is read before the outbox opens.
        let history = try planner.history(of: read.feeds)
        let plan: RunPlan
        if options.dryRun {
            let outbox = DryRunOutbox(console: console)
            plan = try planner.plan(read.feeds, history: history, caughtUp: options.catchUp, into: outbox)
            outbox.commit()
        } else {
            let outbox = try store.beginOutbox(caughtUp: options.catchUp)
            plan = try planner.plan(read.feeds, history: history, caughtUp: options.catchUp, into: outbox)
            run.phases.end("plan")
            // The fetches go in the same transaction: a crash before the commit leaves both
            // the articles unseen and the feeds to be fetched again in full.
            try outbox.record(read.feeds.map { ($0.feed.name, fetchRecord($0, at: run.started)) })
            try outbox.commit()
        }
        for warning in plan.warnings { console.error("critfix: warning: \(warning)") }
        run.phases.end(options.dryRun ? "plan" : "record")
        return plan
    }

    private func fetchRecord(_ feed: LoadedFeed, at started: Date) -> FetchRecord {
        var record = FetchRecord(
            url: feed.feed.url, at: started, httpStatus: feed.httpStatus, etag: feed.etag, lastModified: feed.lastModified,
            error: feed.failure)
        if feed.failure == nil {
            record.documents = feed.documents
            record.listedDocuments = feed.listedDocumentIDs
        }
        return record
    }

    private func messageDomain(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "critfix.invalid" }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? "critfix.invalid" : String(domain)
    }

    // MARK: 6. Report

    /// What the two sending stages did.
    struct Sent {
        var email: DispatchReport?
        var webhooks: DispatchReport?

        var failureLines: [String] { (email?.failureLines ?? []) + (webhooks?.failureLines ?? []) }
    }

    /// Prints the summary (`--summary`) and the delivery failures, records the run, and
    /// gives its exit code: every failure cause counts, including a transport that could
    /// not even start.
    private func report(_ read: FeedsRead, _ plan: RunPlan, _ sent: Sent, store: any StateStore, _ run: inout RunClock)
        throws(StateStoreError) -> Int32
    {
        let summary = summaryText(read, plan, sent, run)
        if options.summary { console.out(summary) }
        for line in sent.failureLines { console.error("critfix: delivery failed: \(line)") }
        let exitCode = read.hasFailures || !sent.failureLines.isEmpty ? ExitStatus.failures : ExitStatus.success
        try store.recordRun(
            started: run.started, finished: run.started.addingTimeInterval(run.elapsed), exitCode: exitCode, summary: summary)
        store.close()
        ProcessExit.leave(store, read)
        return exitCode
    }

    /// A dry run's end: the due retries of earlier runs, then the summary.
    private func finishDryRun(_ read: FeedsRead, _ plan: RunPlan, store: any StateStore, _ run: inout RunClock) -> Int32 {
        printDueRetries(store: store, now: run.started)
        if options.summary { console.out(summaryText(read, plan, nil, run)) }
        return read.hasFailures ? ExitStatus.failures : ExitStatus.success
    }
}

/// A run's own figures for `--metrics` (the state's totals are read afterwards).
struct RunFigures: Sendable {
    var started = Date(timeIntervalSince1970: 0)
    var duration: Double = 0
    var feedsFailed = 0
    var newArticles = 0
    var notifications = 0
}

/// When a run started, and the wall time of each stage, for the summary.
struct RunClock {
    /// The run's time as recorded (`WallClock`).
    let started = WallClock.now()
    private let startedInstant = Date()
    var phases = PhaseTimer()

    /// Seconds since the run started, on the real clock.
    var elapsed: Double { Date().timeIntervalSince(startedInstant) }
}
