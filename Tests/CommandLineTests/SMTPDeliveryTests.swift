import Foundation
import Testing

/// `email.transport: smtp://` and `smtps://` end to end: the built binary against a
/// real SMTP server (aiosmtpd) on 127.0.0.1.
@Suite(.serialized) struct SMTPDeliveryTests {
    static let registrations = """
        customers:
          - id: PL1
            name: "ACME Sp. z o.o."
            plan: elite
            language: pl
            min_severity: 2
            products:
              - product: erp-ln
                version: "10.7.1"
              - product: erp-m3
            contacts:
              - email: it-ops@acme.example
                name: "Zespół IT"
              - email: cto@acme.example
          - id: EN1
            plan: premium
            min_severity: 2
            products:
              - product: erp-ln
                version: "10.6"
            contacts:
              - email: admin@en1.example
              - email: bad@en1.example
        """

    /// The deliveries of `feed`, in dispatch order.
    static let expectedRecipients = [
        "it-ops@acme.example", "cto@acme.example", "admin@en1.example", "bad@en1.example",
        "it-ops@acme.example", "cto@acme.example",
    ]

    static var feed: String {
        rssFeed([
            fixItem("A1", severity: 1, kind: "critical-fix", product: "erp-ln", affected: ">=10.5, <10.7.2", fixed: "10.7.2",
                    title: "Poprawka krytyczna księgowania", day: 20),
            fixItem("A2", severity: 2, kind: "patch", product: "erp-m3", affected: nil, fixed: nil,
                    title: "Payroll export patch", day: 10),
        ])
    }

    static func scenario(
        _ transport: String, _ emailKeys: [String] = [], retryDelays: String = "[0s]", backend: Backend
    ) throws -> Scenario {
        let scenario = try Scenario(feeds: ["kb": feed], registrations: registrations, backend: backend)
        try scenario.useTransport(transport, emailKeys + ["retry_delays: \(retryDelays)"])
        return scenario
    }

    @Test(arguments: Backend.allCases) func deliversEveryMessageOverOneConnection(_ backend: Backend) throws {
        let server = try SMTPTestServer()
        defer { server.stop() }
        let scenario = try Self.scenario(server.url, ["envelope_from: bounces@support.example.com"], backend: backend)
        let first = try scenario.run()
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stderr.isEmpty && first.stdout.isEmpty)

        let messages = try server.messages()
        #expect(messages.map { $0["rcpt_tos"] as? [String] ?? [] } == Self.expectedRecipients.map { [$0] })
        #expect(server.connections() == 1, "one connection reused for every message")
        #expect(Set(messages.map { $0["mail_from"] as? String ?? "" }) == ["bounces@support.example.com"])
        #expect(Set(messages.compactMap { $0["message_id"] as? String }).count == messages.count)
        for message in messages {
            #expect((message["defects"] as? [Any])?.isEmpty == true, "\(message["defects"] ?? "")")
            #expect(message["crlf"] as? Bool == true, "every line ends in CR LF on the wire")
            #expect(message["content_type"] as? String == "multipart/alternative")
            #expect(message["auto_submitted"] as? String == "auto-generated")
            #expect((message["to"] as? String ?? "").contains(message["rcpt_tos"].flatMap { ($0 as? [String])?.first } ?? "?"))
        }

        // The first message: Polish, critical, both parts with the same facts.
        let polish = messages[0]
        #expect(polish["subject"] as? String == "[Krytyczna] Poprawka krytyczna księgowania — ERP LN")
        let rawSubject = polish["raw_subject"] as? String ?? ""
        #expect(rawSubject.lowercased().hasPrefix("=?utf-8?"), "non-ASCII subject as RFC 2047 encoded words: \(rawSubject)")
        #expect(polish["importance"] as? String == "high")
        #expect(polish["severity"] as? String == "1")
        #expect(polish["customer"] as? String == "PL1")
        #expect(polish["articles"] as? [String] == ["kb/A1"])
        #expect((polish["from"] as? String ?? "").contains("noreply@support.example.com"))
        let parts = polish["parts"] as? [[String: Any]] ?? []
        #expect(parts.map { $0["type"] as? String ?? "" } == ["text/plain", "text/html"])
        for part in parts {
            let text = part["text"] as? String ?? ""
            for fact in ["Poprawka krytyczna księgowania", "Krytyczna", "ERP LN", ">=10.5, <10.7.2", "10.7.2", "10.7.1",
                         "https://support.example.com/kb/A1", "Zalecane działania"]
            {
                let shown = part["type"] as? String == "text/html"
                    ? fact.replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "<", with: "&lt;") : fact
                #expect(text.contains(shown), "\(part["type"] ?? "") lacks \(fact)")
            }
        }
        let english = messages[2]
        #expect(english["subject"] as? String == "[Critical] Poprawka krytyczna księgowania — ERP LN")
        #expect(messages[4]["importance"] == nil || messages[4]["importance"] is NSNull)

        #expect(try scenario.deliveryCounts() == ["pending": 0, "retrying": 0, "dead": 0, "delivered": 6])
        // Nothing twice, and no connection when nothing is due.
        let second = try scenario.run()
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(try server.messages().count == 6)
        #expect(server.connections() == 1)
    }

    @Test(arguments: Backend.allCases) func startTLSWithAuthenticationAndAnInternalCA(_ backend: Backend) throws {
        let scenario = try Self.scenario("smtp://127.0.0.1:1", backend: backend)
        let certificate = try TestCertificate(in: scenario.directory)
        let server = try SMTPTestServer(["--starttls", certificate.certificate, certificate.key, "--auth", "critfix:s3cret-Pa55"])
        defer { server.stop() }
        try scenario.useTransportURL(server.url, ["ca_file: server-cert.pem", "username_env: SMTP_USER", "password_env: SMTP_PASSWORD"])
        let environment = ["SMTP_USER": "critfix", "SMTP_PASSWORD": "wrong-Pa55"]

        // A wrong password: nothing is lost, the reason names the variables, never the secret.
        let refused = try scenario.run(environment: environment)
        #expect(refused.status == 1)
        #expect(stderrLines(refused).count == 1, "one line per cause: \(refused.stderr)")
        #expect(refused.stderr.contains("authentication failed") && refused.stderr.contains("$SMTP_PASSWORD"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("wrong-Pa55") && !refused.stderr.contains("s3cret"))
        let status = try scenario.status(environment: environment)
        #expect(!status.stdout.contains("wrong-Pa55"))
        #expect(try scenario.deliveryCounts(environment: environment) == ["pending": 5, "retrying": 1, "dead": 0, "delivered": 0])
        #expect(try server.messages().isEmpty)

        let good = ["SMTP_USER": "critfix", "SMTP_PASSWORD": "s3cret-Pa55"]
        let delivered = try scenario.run(environment: good)
        #expect(delivered.status == 0, "stderr: \(delivered.stderr)")
        let messages = try server.messages()
        #expect(messages.count == 6)
        #expect(messages.allSatisfy { $0["tls"] as? Bool == true && $0["auth"] as? Bool == true })
        #expect(try scenario.deliveryCounts(environment: good)["delivered"] == 6)
    }

    @Test(arguments: Backend.allCases) func aCertificateNotTrustedIsATLSFailureThatNamesCAFile(_ backend: Backend) throws {
        let scenario = try Self.scenario("smtp://127.0.0.1:1", backend: backend)
        let certificate = try TestCertificate(in: scenario.directory)
        let server = try SMTPTestServer(["--starttls", certificate.certificate, certificate.key])
        defer { server.stop() }
        try scenario.useTransportURL(server.url)
        let result = try scenario.run()
        #expect(result.status == 1)
        #expect(stderrLines(result).count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("email.ca_file"), "\(result.stderr)")
        #expect(try server.messages().isEmpty)
        #expect(try scenario.deliveryCounts() == ["pending": 5, "retrying": 1, "dead": 0, "delivered": 0])
    }

    @Test(arguments: Backend.allCases) func smtpsSpeaksTLSFromTheStart(_ backend: Backend) throws {
        let scenario = try Self.scenario("smtp://127.0.0.1:1", backend: backend)
        let certificate = try TestCertificate(in: scenario.directory)
        let server = try SMTPTestServer(["--smtps", certificate.certificate, certificate.key])
        defer { server.stop() }
        try scenario.useTransportURL("smtps://127.0.0.1:\(server.port)", ["ca_file: server-cert.pem"])
        let result = try scenario.run()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let messages = try server.messages()
        #expect(messages.count == 6 && messages.allSatisfy { $0["tls"] as? Bool == true })
        #expect(server.connections() == 1)
    }

    @Test(arguments: Backend.allCases) func serverDownLosesNothingAndTheNextRunDeliversEachOnce(_ backend: Backend) throws {
        // A port that was just closed: connections are refused.
        let probe = try SMTPTestServer()
        let port = probe.port
        let directory = probe.directory
        probe.stop()
        let scenario = try Self.scenario("smtp://127.0.0.1:\(port)", backend: backend)
        let down = try scenario.run()
        #expect(down.status == 1)
        let lines = stderrLines(down)
        #expect(lines.count == 1, "one line for the cause, not one per message: \(down.stderr)")
        #expect(lines.first?.contains("SMTP server 127.0.0.1:\(port)") == true, "\(down.stderr)")
        #expect(lines.first?.contains("5 more due deliveries were not attempted") == true, "\(down.stderr)")
        // The one delivery touched counts an attempt; the others were not tried.
        let status = try scenario.statusJSON()
        #expect(status["deliveries"] as? [String: Int] == ["pending": 5, "retrying": 1, "dead": 0, "delivered": 0])
        let retrying = status["retrying"] as? [[String: Any]] ?? []
        #expect(retrying.count == 1 && retrying.first?["attempts"] as? Int == 1)
        let lastError = retrying.first?["last_error"] as? String
        #expect(lastError?.contains("127.0.0.1:\(port)") == true, "\(lastError ?? "")")

        let server = try SMTPTestServer(port: port, directory: directory)
        defer { server.stop() }
        let back = try scenario.run()
        #expect(back.status == 0, "stderr: \(back.stderr)")
        let messages = try server.messages()
        #expect(messages.count == 6)
        #expect(messages.map { ($0["rcpt_tos"] as? [String])?.first ?? "" }.sorted() == Self.expectedRecipients.sorted())
        #expect(Set(messages.compactMap { $0["message_id"] as? String }).count == 6)
        #expect(try scenario.deliveryCounts() == ["pending": 0, "retrying": 0, "dead": 0, "delivered": 6])
        #expect(try scenario.run().status == 0)
        #expect(try server.messages().count == 6)
    }

    @Test(arguments: Backend.allCases) func aServerAnswering451LosesNothing(_ backend: Backend) throws {
        let failing = try SMTPTestServer(["--fail-all", "451 4.3.0 Mail system busy, try again later"])
        let scenario = try Self.scenario(failing.url, backend: backend)
        let busy = try scenario.run()
        failing.stop()
        #expect(busy.status == 1)
        #expect(stderrLines(busy).count == 1, "\(busy.stderr)")
        #expect(busy.stderr.contains("451 4.3.0 Mail system busy, try again later"), "\(busy.stderr)")
        #expect(try failing.messages().isEmpty)
        #expect(try scenario.deliveryCounts() == ["pending": 5, "retrying": 1, "dead": 0, "delivered": 0])
        let retrying = try scenario.statusJSON()["retrying"] as? [[String: Any]] ?? []
        #expect(retrying.first?["last_error"] as? String == "SMTP server 127.0.0.1:\(failing.port): 451 4.3.0 Mail system busy, try again later")

        let server = try SMTPTestServer(port: failing.port, directory: failing.directory)
        defer { server.stop() }
        let back = try scenario.run()
        #expect(back.status == 0, "stderr: \(back.stderr)")
        let messages = try server.messages()
        #expect(messages.map { ($0["rcpt_tos"] as? [String])?.first ?? "" }.sorted() == Self.expectedRecipients.sorted())
        #expect(Set(messages.compactMap { $0["message_id"] as? String }).count == 6)
    }

    /// SPEC 6.2: a 5xx to `MAIL FROM` refuses the envelope sender, the same for every
    /// message — the operator's problem, not the messages'. Email stops for the run, every
    /// due delivery stays due with the reply as its last error and no attempt counted, the
    /// run exits 1 saying so, and once the sender is accepted everything goes out.
    @Test(arguments: Backend.allCases) func aRefusedEnvelopeSenderStopsEmailAndCountsNoAttempt(_ backend: Backend) throws {
        let reply = "550 5.7.1 Sender address rejected: not owned by user"
        let refusing = try SMTPTestServer(["--fail-all", reply])
        let scenario = try Self.scenario(refusing.url, backend: backend)
        let refused = try scenario.run()
        refusing.stop()
        #expect(refused.status == 1)
        #expect(
            stderrLines(refused) == [
                "critfix: delivery failed: email stopped: SMTP server 127.0.0.1:\(refusing.port) refused the envelope sender (email.envelope_from, else email.from): \(reply); 6 due deliveries wait for the next run"
            ], "\(refused.stderr)")
        #expect(try refusing.messages().isEmpty)
        #expect(try scenario.deliveryCounts() == ["pending": 6, "retrying": 0, "dead": 0, "delivered": 0])
        let stored = try scenario.store.query("SELECT attempts, last_error FROM deliveries")
        #expect(stored.count == 6)
        #expect(stored.allSatisfy { $0 == "0|SMTP server 127.0.0.1:\(refusing.port) refused the envelope sender (email.envelope_from, else email.from): \(reply)" }, "\(stored)")

        let server = try SMTPTestServer(port: refusing.port, directory: refusing.directory)
        defer { server.stop() }
        let back = try scenario.run()
        #expect(back.status == 0, "stderr: \(back.stderr)")
        #expect(try server.messages().map { ($0["rcpt_tos"] as? [String])?.first ?? "" }.sorted() == Self.expectedRecipients.sorted())
        #expect(try scenario.deliveryCounts() == ["pending": 0, "retrying": 0, "dead": 0, "delivered": 6])
    }

    @Test(arguments: Backend.allCases) func aRefusedRecipientIsDeadWithTheServersReplyAndOnlyThatOne(_ backend: Backend) throws {
        let server = try SMTPTestServer(["--reject", "bad@en1.example"])
        defer { server.stop() }
        let scenario = try Self.scenario(server.url, backend: backend)
        let result = try scenario.run()
        #expect(result.status == 1)
        let reply = "550 5.1.1 <bad@en1.example>: no such user"
        #expect(stderrLines(result) == ["critfix: delivery failed: email to bad@en1.example for EN1 is dead: \(reply)"])
        let messages = try server.messages()
        #expect(messages.map { ($0["rcpt_tos"] as? [String])?.first ?? "" } == Self.expectedRecipients.filter { $0 != "bad@en1.example" })

        let status = try scenario.statusJSON()
        #expect(status["deliveries"] as? [String: Int] == ["pending": 0, "retrying": 0, "dead": 1, "delivered": 5])
        let dead = try #require((status["dead"] as? [[String: Any]])?.first)
        #expect(dead["address"] as? String == "bad@en1.example")
        #expect(dead["channel"] as? String == "email")
        #expect(dead["customer"] as? String == "EN1")
        #expect(dead["article"] as? String == "kb/A1")
        #expect(dead["attempts"] as? Int == 1)
        #expect(dead["last_error"] as? String == reply)
        let text = try scenario.status()
        #expect(text.stdout.contains("dead:\n  EN1 email bad@en1.example kb/A1, 1 attempts: \(reply)"), "\(text.stdout)")

        // Dead stays dead: the next run sends nothing and succeeds.
        let again = try scenario.run()
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try server.messages().count == 5)
    }

    @Test(arguments: Backend.allCases) func givesUpAfterMaxAttempts(_ backend: Backend) throws {
        let probe = try SMTPTestServer()
        let port = probe.port
        probe.stop()
        let scenario = try Self.scenario("smtp://127.0.0.1:\(port)", ["max_attempts: 2"], backend: backend)
        for _ in 0..<2 { #expect(try scenario.run().status == 1) }
        // Each run touches the first due delivery only (the same one: it comes first in
        // dispatch order); its second failure is its last.
        let status = try scenario.statusJSON()
        #expect(status["deliveries"] as? [String: Int] == ["pending": 5, "retrying": 0, "dead": 1, "delivered": 0])
        let dead = try #require((status["dead"] as? [[String: Any]])?.first)
        #expect(dead["attempts"] as? Int == 2)
        #expect((dead["last_error"] as? String ?? "").contains("gave up after 2 attempts"))
    }
}

extension Scenario {
    /// Points the SMTP transport set by `useTransport` at another URL, with more `email:` keys.
    func useTransportURL(_ url: String, _ emailKeys: [String] = []) throws {
        var text = try String(contentsOfFile: config, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        text = lines.map { $0.hasPrefix("  transport: ") ? (["  transport: \(url)"] + emailKeys.map { "  " + $0 }).joined(separator: "\n") : $0 }
            .joined(separator: "\n")
        try CLI.write(text, to: config)
    }
}

/// An RSS item with the fix extension and a fixed version.
func fixItem(
    _ id: String, severity: Int, kind: String, product: String, affected: String?, fixed: String?, title: String, day: Int
) -> String {
    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    let range = affected.map { " affected=\"\(escape($0))\"" } ?? ""
    let fixedAttribute = fixed.map { " fixed=\"\(escape($0))\"" } ?? ""
    return """
          <item>
           <title>\(escape(title))</title>
           <link>https://support.example.com/kb/\(id)</link>
           <guid isPermaLink="false">guid-\(id)</guid>
           <pubDate>\(String(format: "%02d", day)) Nov 2026 09:30:00 +0000</pubDate>
           <fx:article>\(id)</fx:article>
           <fx:severity>\(severity)</fx:severity>
           <fx:kind>\(kind)</fx:kind>
           <fx:product id="\(product)"\(range)\(fixedAttribute)/>
           <description>Details of \(id).</description>
          </item>
        """
}
