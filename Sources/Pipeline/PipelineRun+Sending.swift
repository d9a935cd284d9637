import Articles
import Configuration
import Delivery
import Foundation
import StateStore

extension PipelineRun {
    // MARK: 4. Send email

    /// Sends every email delivery that is due (new and retries), in dispatch order. A
    /// transport or templates that cannot be used are one failure cause; the deliveries
    /// stay due. Registrations not loaded means nothing was due when the record stage
    /// looked: a delivery falling due since waits for the next run, rather than meet an
    /// empty customer list.
    func sendEmail(store: any StateStore) throws(StateStoreError) -> DispatchReport {
        guard setup.registrationsLoaded else { return DispatchReport() }
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
            if try !store.dueDeliveries(channel: .email, now: WallClock.now(), limit: 1).isEmpty {
                report.count("email transport: \(error.message); deliveries wait for the next run")
            }
            return report
        }
        let renderer: EmailRenderer
        do {
            renderer = try EmailRenderer(templatesDirectory: email.templates, catalog: setup.configuration.catalog)
        } catch {
            report.count("email templates: \(error)")
            return report
        }
        let dispatcher = EmailDispatcher(
            store: store, renderer: renderer, transport: transport, settings: email, customers: customersByID(), now: WallClock.now())
        report = try dispatcher.dispatch { done in self.console.progress("sending email: \(done)") }
        console.endProgress()
        do {
            try transport.close()
        } catch {
            report.count("email transport: \(error.message)")
        }
        return report
    }

    // MARK: 5. Send webhooks

    /// Sends every webhook delivery that is due (new and retries), after email (see
    /// `WebhookDispatcher`).
    func sendWebhooks(store: any StateStore) throws(StateStoreError) -> DispatchReport {
        guard setup.registrationsLoaded else { return DispatchReport() }
        let settings = setup.configuration.webhooks
        // Alone, a run claims big pages (fewer queries); sharing the state with other runs,
        // a few rounds of its POSTs at a time, so that the last pages do not leave the
        // other runs idle while one works through them.
        let pageSize = store.isShared ? max(16, 4 * min(settings.concurrency, WebhookDispatcher.maxConcurrency)) : 512
        let dispatcher = WebhookDispatcher(
            store: store, settings: settings, customers: customersByID(), now: WallClock.now(), pageSize: pageSize)
        let report = try dispatcher.dispatch { done in self.console.progress("sending webhooks: \(done)") }
        console.endProgress()
        return report
    }

    private func customersByID() -> [String: Customer] {
        Dictionary(setup.registrations.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
