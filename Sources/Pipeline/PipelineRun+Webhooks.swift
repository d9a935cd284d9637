import Configuration
import Foundation
import StateStore

extension PipelineRun {
    /// Sends every webhook delivery that is due (new and retries), after email.
    func deliverWebhooks(store: any StateStore, now: Date) throws(StateStoreError) -> DispatchReport {
        let customers = Dictionary(setup.registrations.customers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let dispatcher = WebhookDispatcher(store: store, settings: setup.configuration.webhooks, customers: customers, now: now)
        let report = try dispatcher.dispatch { done in self.console.progress("sending webhooks: \(done)") }
        console.endProgress()
        return report
    }
}
