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

/// One `critfix run` (or `catch-up`): fetch, parse, match, record the outbox in one
/// transaction, then deliver everything due. Returns the exit code of SPEC 7.3.
public final class PipelineRun {
    var setup: LoadedSetup
    let options: RunOptions
    let console: Console

    public init(setup: LoadedSetup, options: RunOptions, console: Console = Console()) {
        self.setup = setup
        self.options = options
        self.console = console
    }

    public func execute() -> Int32 {
        do {
            return try run()
        } catch {
            console.error("critfix: \(error.message)")
            return error.isLockHeld ? ExitStatus.lockHeld : ExitStatus.software
        }
    }

    private func run() throws(StateStoreError) -> Int32 {
        let started = Date()
        let configuration = setup.configuration
        // With no state yet there is nothing to compare with: validate before creating it.
        var validatedFiles: [UInt8]?
        if !setup.registrationsLoaded, case .sqlite(let path) = configuration.state,
            !FileManager.default.fileExists(atPath: path)
        {
            validatedFiles = Setup.inputFiles(configuration)
            if let failure = Setup.loadRegistrations(&setup, console: console) { return failure.exitCode }
        }
        let store = try openStore()
        if !options.dryRun { try store.lock() }
        if let validatedFiles { recordChecked(validatedFiles, store: store) }
        // Deferred registrations (`run`): validated now unless both files are exactly as they
        // were when they last passed; then read only if this run has work for them.
        if !setup.registrationsLoaded {
            let checked = try store.checkedDigest(of: "registrations")
            let names = checked.map(Setup.environmentNames(ofCheckedInputs:)) ?? []
            let now = Setup.checkedInputs(configuration, environmentNames: names, environment: setup.environment)
            if now == nil || now != checked, let failure = loadRegistrations(store: store) { return failure.exitCode }
        }

        var feeds = configuration.feeds
        if let only = options.onlyFeed {
            feeds = feeds.filter { $0.name == only }
            guard !feeds.isEmpty else {
                console.error("critfix: no feed named '\(only)' in \(configuration.path)")
                return ExitStatus.usage
            }
        }
        if options.noFetch { feeds = [] }

        var phases = PhaseTimer()
        // Fetch and parse, several feeds at once, each conditional on its last successful fetch.
        let loader = FeedLoader(catalog: configuration.catalog, fetch: configuration.fetch)
        var validators: [String: FeedState] = [:]
        for feed in feeds {
            if let state = try store.feedState(feed.name) { validators[feed.name] = state }
        }
        let loaded = loader.loadAll(feeds, validators: validators) { done in
            self.console.progress("reading feeds: \(done)/\(feeds.count)")
        }
        console.endProgress()
        phases.end("read")
        let failed = loaded.filter { $0.failure != nil }
        let failedFeeds = failed.map { "\($0.feed.name): \($0.failure!)" }
        if !options.dryRun {
            try store.recordFetches(failed.map {
                ($0.feed.name, FetchRecord(url: $0.feed.url, at: started, httpStatus: $0.httpStatus, error: $0.failure))
            })
        }
        for feed in failed {
            let failuresInARow = options.dryRun ? 1 : try store.feedState(feed.feed.name)?.failuresInARow ?? 1
            if failuresInARow >= feed.feed.alertAfter {
                let repeated = failuresInARow > 1 ? " (\(failuresInARow) failures in a row)" : ""
                console.error("critfix: feed \(feed.feed.name) failed\(repeated): \(feed.failure!)")
            }
        }
        // A ROLIE feed's failed documents (SPEC 2.6): each its own failure, retried next run,
        // reported from the feed's `alert_after` failure in a row on.
        var failedDocuments: [String] = []
        for feed in loaded {
            for (state, line) in feed.documentFailures {
                failedDocuments.append("\(feed.feed.name): \(line)")
                if state.failuresInARow >= feed.feed.alertAfter {
                    let repeated = state.failuresInARow > 1 ? " (\(state.failuresInARow) failures in a row)" : ""
                    console.error("critfix: feed \(feed.feed.name): \(line)\(repeated)")
                }
            }
        }

        if !setup.registrationsLoaded {
            let dueEmail = try !store.dueDeliveries(channel: .email, now: Date(), limit: 1).isEmpty
            let dueWebhooks = try !store.dueDeliveries(channel: .webhook, now: Date(), limit: 1).isEmpty
            if dueEmail || dueWebhooks || loaded.contains(where: { !$0.articles.isEmpty }) {
                if let failure = loadRegistrations(store: store) { return failure.exitCode }
            }
        }

        // Match and plan into the outbox: every article, notification and delivery in one
        // transaction, committed before any send. A dry run prints them instead.
        let matcher = Matcher(registrations: setup.registrations, catalog: configuration.catalog)
        let planner = Planner(matcher: matcher, store: store, messageDomain: messageDomain(configuration.email.from.address))
        if options.dryRun {
            let outbox = DryRunOutbox(console: console)
            let plan = try planner.plan(loaded, caughtUp: options.catchUp, into: outbox)
            outbox.commit()
            for warning in plan.warnings { console.error("critfix: warning: \(warning)") }
            phases.end("plan")
            printDueRetries(store: store, now: started)
            if options.summary {
                console.out(summaryText(plan: plan, loaded: loaded, failedFeeds: failedFeeds, dispatch: nil, started: started, phases: phases, failedDocuments: failedDocuments))
            }
            return failedFeeds.isEmpty && failedDocuments.isEmpty ? ExitStatus.success : ExitStatus.failures
        }
        let outbox = try store.beginOutbox(caughtUp: options.catchUp)
        let plan = try planner.plan(loaded, caughtUp: options.catchUp, into: outbox)
        for warning in plan.warnings { console.error("critfix: warning: \(warning)") }
        phases.end("plan")
        // The feeds' new validators go in the same transaction: a crash before the commit
        // leaves both the articles unseen and the feeds to be fetched again in full.
        try store.recordFetches(loaded.filter { $0.failure == nil }.map {
            var record = FetchRecord(
                url: $0.feed.url, at: started, httpStatus: $0.httpStatus, etag: $0.etag, lastModified: $0.lastModified)
            record.documents = $0.documents
            record.listedDocuments = $0.listedDocumentIDs
            return ($0.feed.name, record)
        })
        // Registrations not loaded means nothing was due when checked above: a delivery
        // falling due since waits for the next run, rather than meet an empty customer list.
        // The first email renders while the commit waits for the disk; nothing is sent
        // before the commit.
        let email = !options.catchUp && setup.registrationsLoaded ? try prepareEmail(store: store, now: Date()) : nil
        try outbox.commit()
        phases.end("record")

        var dispatch: DispatchReport?
        if !options.catchUp {
            dispatch = try email.map(sendEmail) ?? DispatchReport()
            phases.end("deliver")
        }
        // Webhooks (SPEC 6.3), after email: see WebhookDispatcher.
        var webhookDispatch: DispatchReport?
        if !options.catchUp {
            webhookDispatch = setup.registrationsLoaded ? try deliverWebhooks(store: store, now: Date()) : DispatchReport()
            phases.end("webhooks")
        }
        let summary = summaryText(
            plan: plan, loaded: loaded, failedFeeds: failedFeeds, dispatch: dispatch, started: started, phases: phases,
            webhooks: webhookDispatch, failedDocuments: failedDocuments)
        if options.summary { console.out(summary) }
        if let dispatch {
            for line in dispatch.failureLines { console.error("critfix: delivery failed: \(line)") }
        }
        for line in webhookDispatch?.failureLines ?? [] { console.error("critfix: delivery failed: \(line)") }
        // Every failure cause counts, including a transport that could not even start.
        let deliveryFailed = !(dispatch?.failureLines.isEmpty ?? true) || !(webhookDispatch?.failureLines.isEmpty ?? true)
        let exitCode =
            failedFeeds.isEmpty && failedDocuments.isEmpty && !deliveryFailed ? ExitStatus.success : ExitStatus.failures
        try store.recordRun(started: started, finished: Date(), exitCode: exitCode, summary: summary)
        store.close()
        ProcessExit.leave(store, loaded)
        return exitCode
    }

    /// Loads the deferred registrations; after a successful validation records what
    /// proves them valid (not in a dry run, which changes no state). The digest is taken
    /// before reading, so a file changed meanwhile is validated again next run.
    private func loadRegistrations(store: any StateStore) -> SetupFailure? {
        let files = Setup.inputFiles(setup.configuration)
        if let failure = Setup.loadRegistrations(&setup, console: console) { return failure }
        if let files { recordChecked(files, store: store) }
        return nil
    }

    private func recordChecked(_ files: [UInt8], store: any StateStore) {
        guard !options.dryRun else { return }
        let inputs = Setup.checkedInputs(
            files: files, environmentNames: setup.registrations.environmentNames, environment: setup.environment)
        try? store.recordCheckedDigest(inputs, of: "registrations")
    }

    private func openStore() throws(StateStoreError) -> any StateStore {
        switch setup.configuration.state {
        case .sqlite(let path):
            // A dry run changes no state: without a state file it starts from an empty one in memory.
            if options.dryRun, !FileManager.default.fileExists(atPath: path) {
                return try SQLiteStateStore(path: ":memory:")
            }
            return try SQLiteStateStore(path: path)
        case .postgres:
            throw StateStoreError("PostgreSQL state is not supported by this build; use an SQLite path for `state`")
        }
    }

    /// Email ready to go: a dispatcher, with its first batch rendering when it could be
    /// read before the commit; or what stopped it (a transport or templates unusable).
    private enum PreparedEmail {
        case ready(EmailDispatcher, EmailDispatcher.Prepared?)
        case stopped(DispatchReport)
    }

    private func prepareEmail(store: any StateStore, now: Date) throws(StateStoreError) -> PreparedEmail {
        let email = setup.configuration.email
        var report = DispatchReport()
        let transport: any MailTransport
        do throws(TransportFailure) {
            switch email.transport {
            case .stdout: transport = StdoutTransport()
            case .mbox(let path): transport = try MboxTransport(path: path)
            case .smtp(let url), .smtps(let url):
                transport = try SMTPTransport(url: url, credentials: setup.configuration.emailCredentials, caFile: email.caFile)
            case .sendmail(let path):
                transport = SendmailTransport(path: path, envelopeSender: email.envelopeFrom)
            }
        } catch {
            if try !store.dueDeliveries(channel: .email, now: now, limit: 1).isEmpty {
                report.count("email transport: \(error.message); deliveries wait for the next run")
            }
            return .stopped(report)
        }
        let renderer: EmailRenderer
        do {
            renderer = try EmailRenderer(templatesDirectory: email.templates, catalog: setup.configuration.catalog)
        } catch {
            report.count("email templates: \(error)")
            return .stopped(report)
        }
        let customers = Dictionary(setup.registrations.customers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let dispatcher = EmailDispatcher(
            store: store, renderer: renderer, transport: transport, settings: email, customers: customers, now: now)
        // A batch that cannot be read now is read again after the commit, and its error
        // reported by the dispatch then: it must not undo the run's planning.
        return .ready(dispatcher, try? dispatcher.prepare())
    }

    private func sendEmail(_ email: PreparedEmail) throws(StateStoreError) -> DispatchReport {
        switch email {
        case .stopped(let report):
            return report
        case .ready(let dispatcher, let prepared):
            var report = try dispatcher.dispatch(after: prepared) { done in self.console.progress("sending email: \(done)") }
            console.endProgress()
            do {
                try dispatcher.transport.close()
            } catch {
                report.count("email transport: \(error.message)")
            }
            return report
        }
    }

    private func messageDomain(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "critfix.invalid" }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? "critfix.invalid" : String(domain)
    }

    /// A dry run's last lines: deliveries of earlier runs that are due again.
    private func printDueRetries(store: any StateStore, now: Date) {
        var text = ""
        for channel in [Channel.email, .webhook] {
            for delivery in (try? store.dueDeliveries(channel: channel, now: now, limit: 1000)) ?? [] {
                let keys = delivery.notifications.map { "\($0.article.key)#\($0.article.revision)" }
                text += "would retry \(channel.rawValue) to \(delivery.address) for \(delivery.customer): "
                text += keys.joined(separator: ", ") + "\n"
            }
        }
        console.out(text)
    }

    private func summaryText(
        plan: RunPlan, loaded: [LoadedFeed], failedFeeds: [String], dispatch: DispatchReport?, started: Date, phases: PhaseTimer,
        webhooks: DispatchReport? = nil, failedDocuments: [String] = []
    ) -> String {
        let elapsed = Date().timeIntervalSince(started)
        var lines: [String] = []
        let verb = options.catchUp ? "catch-up" : options.dryRun ? "run --dry-run" : "run"
        lines.append("critfix \(verb) at \(Timestamp.rfc3339(started)), \(String(format: "%.1f", elapsed)) s")
        let unchanged = loaded.filter(\.notModified).count
        let unchangedText = unchanged > 0 ? " (\(unchanged) unchanged since the last fetch)" : ""
        lines.append("feeds: \(loaded.count - failedFeeds.count) read\(unchangedText), \(failedFeeds.count) failed")
        let listed = loaded.reduce(0) { $0 + $1.listedDocuments }
        if listed > 0 {
            let fetched = loaded.reduce(0) { $0 + $1.documents.count }
            let left = loaded.reduce(0) { $0 + $1.documentsLeft }
            lines.append(
                "ROLIE documents: \(listed) listed, \(fetched) fetched (new, changed or failed before), \(failedDocuments.count) failed"
                    + (left > 0 ? ", \(left) left for the next runs (fetch.max_documents)" : ""))
        }
        lines.append("articles: \(plan.newArticles) new, \(plan.revisedArticles) revised, \(plan.unmatchedArticles) unmatched")
        let recorded = options.catchUp ? "recorded as already notified" : options.dryRun ? "would be recorded" : "recorded"
        lines.append("notifications: \(plan.notifications) \(recorded)")
        if let dispatch {
            lines.append("email: \(dispatch.delivered) delivered, \(dispatch.retrying) to retry, \(dispatch.dead) dead")
        } else if options.dryRun {
            lines.append("deliveries: \(plan.deliveries) would be made")
        }
        if let webhooks {
            lines.append("webhooks: \(webhooks.delivered) delivered, \(webhooks.retrying) to retry, \(webhooks.dead) dead")
        }
        lines.append(
            "time: " + phases.description
                + String(format: " (matcher %.2f s for %d matching pairs)", plan.matcherSeconds, plan.matchedPairs))
        if !failedFeeds.isEmpty {
            lines.append("failed feeds:")
            lines += failedFeeds.map { "  \($0)" }
        }
        if !failedDocuments.isEmpty {
            lines.append("failed documents:")
            lines += failedDocuments.map { "  \($0)" }
        }
        let problems = (dispatch?.failureLines ?? []) + (webhooks?.failureLines ?? [])
        if !problems.isEmpty {
            lines.append("delivery problems:")
            lines += problems.map { "  \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Wall time per phase of a run, for the summary.
struct PhaseTimer {
    private var last = Date()
    private var phases: [(String, Double)] = []

    mutating func end(_ phase: String) {
        let now = Date()
        phases.append((phase, now.timeIntervalSince(last)))
        last = now
    }

    var description: String {
        phases.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ")
    }
}
