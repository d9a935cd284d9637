import Articles
import Configuration
public import Foundation
public import Reporting
import StateStore

extension Commands {
    /// What `critfix report` was asked for (SPEC 7.4).
    public struct ReportRequest: Sendable {
        public var customer: String?
        public var since: Date?
        public var until: Date?
        public var format: SupportReport.Format
        /// A file to write instead of standard output (replaced whole, atomically).
        public var output: String?

        public init(customer: String?, since: Date?, until: Date?, format: SupportReport.Format, output: String?) {
            self.customer = customer
            self.since = since
            self.until = until
            self.format = format
            self.output = output
        }

        /// The default period: the 30 days before `until` (before now when not given).
        public static let defaultDays = 30
    }

    /// `critfix report`: the support-review report over the state (SPEC 7.4).
    public static func report(_ request: ReportRequest, setup: LoadedSetup, console: Console) -> Int32 {
        let now = WallClock.now()
        let until = request.until ?? now
        let since = request.since ?? until.addingTimeInterval(-Double(ReportRequest.defaultDays) * 86_400)
        guard since < until else {
            console.error("critfix: --since (\(CivilTime.rfc3339(since))) must be before --until (\(CivilTime.rfc3339(until)))")
            return ExitStatus.usage
        }
        let customers = setup.registrations.customers
        if let customer = request.customer, !customers.contains(where: { $0.id == customer }) {
            console.error("critfix: no customer \(customer) in \(setup.configuration.registrations); see `critfix check`")
            return ExitStatus.usage
        }
        let report: SupportReport
        do throws(StateStoreError) {
            let store = try setup.configuration.openState(emptyWhenMissing: true)
            defer { store.close() }
            let history = try store.history(HistoryQuery(since: since, until: until, customer: request.customer))
            let articles = try store.articles(Set(history.map(\.article)))
            report = SupportReport(
                since: since, until: until, history: history, articles: articles, customers: customers,
                only: request.customer, targets: setup.configuration.targets)
        } catch {
            console.error("critfix: \(error.message)")
            return error.isUnavailable ? ExitStatus.failures : ExitStatus.software
        }
        let text = report.render(request.format, generated: now)
        guard let output = request.output else {
            console.out(text)
            return ExitStatus.success
        }
        do {
            try AtomicFile.write(Array(text.utf8), to: output)
        } catch {
            console.error("critfix: cannot write the report to \(output): \(error)")
            return ExitStatus.failures
        }
        return ExitStatus.success
    }
}
