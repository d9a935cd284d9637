import Foundation
import Testing

/// A critfix installation with one feed file and customers with webhooks.
private struct WebhookScenario {
    let directory: String
    var config: String { directory + "/critfix.yaml" }
    var registrations: String { directory + "/registrations.yaml" }
    let store: TestState

    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    init(webhookSettings: String, backend: Backend) throws {
        directory = try CLI.scratch()
        store = try TestState(backend, directory: directory)
        try CLI.write(
            rssFeed([
                rssItem(
                    "KB1", severity: 1, kind: "critical-fix", products: [("erp-ln", ">=10.5, <10.7.2")], day: 24,
                    title: "Poprawka \"księgowania\" &amp; więcej", fixed: "10.7.2, 10.10.1")
            ]), to: directory + "/feeds/kb.xml")
        try CLI.write(
            """
            state: \(store.yaml)
            registrations: registrations.yaml
            feeds:
              - name: kb
                url: feeds/kb.xml
            products:
              - id: erp-ln
                name: ERP LN
            email:
              from: "Xtreme Support <noreply@support.example.com>"
              transport: mbox:out.mbox
            webhooks:
            \(webhookSettings)
            """, to: config)
    }

    /// One customer, ACME-001 (elite, ERP LN 10.6), with these webhook URLs, each signed
    /// with `secret` unless listed in `unsigned`.
    func register(_ urls: [String], unsigned: Set<String> = []) throws {
        var hooks = ""
        for url in urls {
            hooks += "      - url: \(url)\n"
            if !unsigned.contains(url) { hooks += "        secret: \(WebhookScenario.secret)\n" }
        }
        try CLI.write(
            """
            customers:
              - id: ACME-001
                name: ACME
                plan: elite
                products:
                  - { product: erp-ln, version: "10.6" }
                webhooks:
            \(hooks)
            """, to: registrations)
    }

    func run(_ extra: [String] = []) throws -> CLI.Result {
        try CLI.critfix(["run", "--config", config] + extra)
    }

    func status() throws -> [String: Any] {
        let result = try CLI.critfix(["status", "--config", config, "--format", "json"])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    /// The status entry (retrying or dead) of the delivery to `url`.
    func entry(_ list: String, _ url: String) throws -> [String: Any]? {
        (try status()[list] as? [[String: Any]])?.first { $0["address"] as? String == url }
    }
}

@Suite(.serialized) struct WebhookTests {
    /// A stock Python `http.server` (HTTP/1.0, a listen queue of 5) as the receiver of 14
    /// webhooks: new connections are opened a few per host at a time, so none waits for
    /// TCP's 1 s SYN retransmission. A generous bound keeps the stall from coming back.
    @Test(arguments: Backend.allCases) func aSmallServerGetsItsWebhooksWithoutAStall(_ backend: Backend) throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import http.server, threading, os
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Timer(120, lambda: os._exit(0)).start()
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """,
        ]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let port = try #require(Int(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let scenario = try WebhookScenario(webhookSettings: "  allow_private_addresses: true", backend: backend)
        try scenario.register((1...14).map { "http://127.0.0.1:\(port)/hooks/\($0)" })
        let run = try scenario.run(["--summary"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("webhooks: 14 delivered, 0 to retry, 0 dead"), "\(run.stdout)")
        let seconds = try #require(
            run.stdout.firstMatch(of: /webhooks ([0-9.]+) s/).flatMap { Double($0.output.1) })
        #expect(seconds < 0.5, "the webhooks took \(seconds) s")
    }

    /// Each endpoint answers its own way; the receiver checks every signature itself.
    @Test(arguments: Backend.allCases) func endpointsAnswerAndCritfixRecordsWhatHappened(_ backend: Backend) throws {
        let scenario = try WebhookScenario(
            webhookSettings: """
                  timeout: 1s
                  retry_delays: [1s, 1h]
                  in_run_wait: 5s
                  allow_private_addresses: true
                """, backend: backend)
        let receiver = try WebhookReceiver(registrations: scenario.registrations)
        let ok = receiver.url("ok/acme"), flaky = receiver.url("flaky/acme"), busy = receiver.url("busy/2/acme")
        let gone = receiver.url("gone/acme"), slow = receiver.url("slow/acme"), redirect = receiver.url("redirect/acme")
        let unsigned = receiver.url("ok/unsigned")
        try scenario.register([ok, flaky, busy, gone, slow, redirect, unsigned], unsigned: [unsigned])

        let started = Date()
        let run = try scenario.run(["--summary"])
        #expect(run.status == 1, "\(run.stderr)")
        // Delivered: ok, unsigned, flaky (500 then 200 in this run), busy (429, Retry-After 2 s, then 200).
        #expect(run.stdout.contains("webhooks: 4 delivered, 2 to retry, 1 dead"), "\(run.stdout)")
        // One stderr line per cause; nothing for failures retried successfully; never the secret.
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 3, "\(run.stderr)")
        #expect(lines.contains { $0.contains("HTTP 410 Gone") })
        #expect(lines.contains { $0.contains("no answer within 1 s (webhooks.timeout)") })
        #expect(lines.contains { $0.contains("HTTP 302") && $0.contains("redirects are not followed") })
        #expect(!run.stderr.contains("HTTP 500") && !run.stderr.contains("HTTP 429"))
        #expect(!run.stderr.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") && !run.stdout.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))

        let requests = try receiver.requests()
        func to(_ url: String) -> [WebhookReceiver.Request] {
            requests.filter { receiver.url(String($0.path.dropFirst())) == url }
        }
        #expect(to(ok).map(\.status) == [200], "and the redirect (to /ok/acme) was not followed")
        #expect(to(unsigned).map(\.status) == [200])
        #expect(to(flaky).map(\.status) == [500, 200])
        #expect(to(busy).map(\.status) == [429, 200])
        #expect(to(gone).map(\.status) == [410])
        #expect(to(slow).count == 2, "retried once within the run (1 s ≤ in_run_wait)")
        #expect(to(redirect).map(\.status) == [302, 302], "a 3xx is retried like a 5xx, never followed")
        // Retry-After (2 s) was longer than the first retry delay (1 s), so it was honoured.
        let busyTimes = to(busy).compactMap { $0.timestamp.flatMap(Int.init) }
        #expect(busyTimes.count == 2 && busyTimes[1] - busyTimes[0] >= 2, "\(busyTimes)")

        // Every request: signed (valid, by the receiver's own check) or, without a secret, unsigned.
        for request in requests {
            #expect(request.valid == (request.path == "/ok/unsigned" ? nil : true), "\(request.path)")
            #expect(request.contentType == "application/json")
            #expect(request.userAgent?.hasPrefix("critfix/") == true)
            #expect(request.webhookID.hasPrefix("msg_"))
            let timestamp = Double(request.timestamp ?? "") ?? 0
            #expect(abs(timestamp - started.timeIntervalSince1970) < 60)
        }
        // A retry carries the same webhook-id and the same body.
        for url in [flaky, busy, slow, redirect] {
            #expect(Set(to(url).map(\.webhookID)).count == 1, "\(url)")
            #expect(Set(to(url).map(\.body)).count == 1, "\(url)")
        }
        #expect(Set(requests.map(\.webhookID)).count == 7, "one delivery id per webhook")

        // The body: the Standard Webhooks envelope of SPEC 6.3.
        let body = try #require(to(ok).first).json
        #expect(body["type"] as? String == "fix.notification")
        #expect((body["timestamp"] as? String)?.hasSuffix("Z") == true)
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["delivery"] as? String == to(ok).first?.webhookID)
        #expect(data["customer"] as? [String: String] == ["id": "ACME-001", "plan": "elite"])
        let article = try #require(data["article"] as? [String: Any])
        #expect(article["key"] as? String == "kb/KB1")
        #expect(article["revision"] as? Int == 1)
        #expect(article["title"] as? String == "Poprawka \"księgowania\" & więcej")
        #expect(article["link"] as? String == "https://support.example.com/kb/KB1")
        #expect(article["kind"] as? String == "critical-fix")
        #expect(article["severity"] as? Int == 1)
        #expect(article["published"] as? String == "2026-11-24T09:30:00Z")
        let products = article["products"] as? [[String: Any]]
        #expect(products?.first?["id"] as? String == "erp-ln")
        #expect(products?.first?["affected"] as? String == ">=10.5, <10.7.2")
        #expect(article["summary"] as? String == "Details of KB1.")
        let matched = data["matched"] as? [[String: Any]]
        #expect(matched?.first?["product"] as? String == "erp-ln")
        #expect(matched?.first?["version"] as? String == "10.6")
        // The advice for this customer's version (SPEC 2.4): 10.6 is fixed in 10.7.2.
        #expect(matched?.first?["fix"] as? String == "10.7.2")
        #expect(matched?.first?["advice"] as? String == "upgrade erp-ln from version 10.6 to version 10.7.2 or later")
        #expect(Array(body.keys).sorted() == ["data", "timestamp", "type"])

        // What critfix recorded.
        let status = try scenario.status()
        #expect(status["deliveries"] as? [String: Int] == ["pending": 0, "retrying": 2, "dead": 1, "delivered": 4])
        let slowEntry = try #require(try scenario.entry("retrying", slow))
        #expect(slowEntry["channel"] as? String == "webhook")
        #expect(slowEntry["attempts"] as? Int == 2)
        #expect((slowEntry["last_error"] as? String)?.contains("no answer within 1 s") == true)
        #expect(slowEntry["next_attempt"] is String, "retried in a later run, after the next delay (1 h)")
        let goneEntry = try #require(try scenario.entry("dead", gone))
        #expect(goneEntry["attempts"] as? Int == 1)
        #expect(goneEntry["last_error"] as? String == "HTTP 410 Gone")
        #expect(goneEntry["article"] as? String == "kb/KB1")

        // The next run has nothing due (the retries wait an hour): it sends nothing and succeeds.
        let again = try scenario.run()
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try receiver.requests().count == requests.count)
    }

    /// A Retry-After longer than in_run_wait defers to a later run; max_attempts ends in dead.
    @Test(arguments: Backend.allCases) func retryAfterBeyondTheInRunWaitAndGivingUp(_ backend: Backend) throws {
        let scenario = try WebhookScenario(
            webhookSettings: """
                  timeout: 2s
                  max_attempts: 2
                  retry_delays: [500ms]
                  in_run_wait: 3s
                  allow_private_addresses: true
                """, backend: backend)
        let receiver = try WebhookReceiver(registrations: scenario.registrations)
        let busy = receiver.url("busy/120/acme"), unavailable = receiver.url("unavailable/acme")
        try scenario.register([busy, unavailable])
        let before = Date()
        let run = try scenario.run()
        #expect(run.status == 1)
        #expect(Date().timeIntervalSince(before) < 30, "a 2-minute Retry-After is not waited for in the run")
        let requests = try receiver.requests()
        #expect(requests.filter { $0.path == "/busy/120/acme" }.map(\.status) == [429])
        #expect(requests.filter { $0.path == "/unavailable/acme" }.map(\.status) == [503, 503])
        let busyEntry = try #require(try scenario.entry("retrying", busy))
        #expect(busyEntry["attempts"] as? Int == 1)
        #expect(busyEntry["last_error"] as? String == "HTTP 429 Too Many Requests")
        let next = ISO8601DateFormatter().date(from: busyEntry["next_attempt"] as? String ?? "")
        let wait = next.map { $0.timeIntervalSince(before) } ?? 0
        #expect(wait > 100 && wait < 200, "next_attempt follows Retry-After: \(wait) s")
        let dead = try #require(try scenario.entry("dead", unavailable))
        #expect(dead["attempts"] as? Int == 2)
        #expect(dead["last_error"] as? String == "HTTP 503 Service Unavailable (gave up after 2 attempts)")
        #expect(run.stderr.split(separator: "\n").count == 2, "\(run.stderr)")
    }

    /// By default loopback, private and link-local targets are refused before connecting.
    @Test(arguments: Backend.allCases) func privateTargetsAreRefusedByDefault(_ backend: Backend) throws {
        let scenario = try WebhookScenario(webhookSettings: "  timeout: 2s", backend: backend)
        let receiver = try WebhookReceiver(registrations: scenario.registrations)
        let targets = [
            receiver.url("ok/loopback"), "http://localhost:\(receiver.port)/ok", "http://[::1]:\(receiver.port)/ok",
            "http://[::ffff:127.0.0.1]:\(receiver.port)/ok", "http://10.20.30.40/hook", "http://172.16.0.1/hook",
            "http://192.168.1.1/hook", "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/hook",
            "http://0.0.0.0:\(receiver.port)/ok", "http://[fd00::1]/hook", "http://[fe80::1]/hook",
        ]
        try scenario.register(targets)
        let run = try scenario.run()
        #expect(run.status == 1)
        #expect(run.stderr.contains("refused: 127.0.0.1 is a loopback address"), "\(run.stderr)")
        #expect(run.stderr.contains("webhooks.allow_private_addresses"))
        #expect(try receiver.requests().isEmpty, "nothing reached the receiver")
        let status = try scenario.status()
        #expect((status["deliveries"] as? [String: Int])?["dead"] == targets.count)
        let dead = status["dead"] as? [[String: Any]] ?? []
        for target in targets {
            let entry = dead.first { $0["address"] as? String == target }
            #expect((entry?["last_error"] as? String)?.hasPrefix("refused: ") == true, "\(target): \(entry ?? [:])")
        }
        let reasons = dead.compactMap { $0["last_error"] as? String }
        #expect(reasons.contains { $0.contains("169.254.169.254 is a link-local address") })
        #expect(reasons.contains { $0.contains("10.20.30.40 is a private address") })
        #expect(reasons.contains { $0.contains("fd00::1 is a private") })
    }

    /// Killed with SIGKILL at random moments of a run with thousands of webhook
    /// deliveries, then run to completion: every delivery is received, and a repeat
    /// carries the same webhook-id and a valid signature.
    @Test(arguments: Backend.allCases) func killedRunsLoseNoWebhook(_ backend: Backend) throws {
        let generator = CLI.packageRoot + "/Scripts/make-corpus"
        let directory = try CLI.scratch() + "/corpus"
        let receiver = try WebhookReceiver(registrations: directory + "/registrations.yaml")
        let generated = try CLI.run(
            "/usr/bin/env",
            [
                "python3", generator, "--feeds", "6", "--items", "60", "--customers", "130", "--seed", "3",
                "--webhook-fraction", "1", "--webhook-base", receiver.url("hooks"), "--transport", "stdout",
                "--out", directory,
            ])
        try #require(generated.status == 0, "\(generated.stderr)")
        let config = directory + "/critfix.yaml"
        let state = try TestState(backend, directory: directory)
        try state.use(in: config)

        var generatorRandom = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<5 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["run", "--config", config]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let before = try receiver.requests().count
            try process.run()
            // Kill among the webhooks: once the receiver sees this run's first POST, at a random moment.
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline, try receiver.requests().count == before {
                Thread.sleep(forTimeInterval: 0.02)
            }
            // Soon enough that the run is still sending (all of them take well under a second).
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.3, using: &generatorRandom))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        #expect(kills > 0, "no run was interrupted; the workload is too small")
        // On PostgreSQL the last killed run's claims are taken over once their lease ends.
        if backend == .postgres { Thread.sleep(forTimeInterval: 1.2) }
        let final = try CLI.critfix(["run", "--config", config])
        #expect(final.status == 0, "\(final.stderr)")

        let status = try CLI.critfix(["status", "--config", config, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let deliveries = json?["deliveries"] as? [String: Int]
        #expect(deliveries?["pending"] == 0)
        #expect(deliveries?["retrying"] == 0)
        #expect(deliveries?["dead"] == 0)

        let requests = try receiver.requests()
        let ids = Set(requests.map(\.webhookID))
        try #require(ids.count > 1500, "the workload must hold thousands of webhooks: \(ids.count)")
        // Every webhook delivery the state store holds was received: the store's delivered
        // count covers email and webhooks, so compare against the delivery ids themselves.
        let expected = Set(try state.query("SELECT id FROM deliveries WHERE channel = 'webhook'"))
        #expect(expected.count == ids.count, "every webhook delivery was received, none is missing")
        #expect(expected.subtracting(ids).isEmpty)
        let repeats = requests.count - ids.count
        print("webhook crash test: \(kills) kills, \(ids.count) deliveries, \(repeats) repeats")
        // SPEC 6.4: outcomes are recorded as they come, so a kill repeats at most the
        // deliveries then in flight (webhooks.concurrency, 16), each with its first id.
        #expect(repeats <= kills * 16, "\(repeats) repeats after \(kills) kills")
        // Every request (repeats included) is validly signed; a repeat has the same body.
        #expect(requests.allSatisfy { $0.valid == true && $0.status == 200 })
        var bodies: [String: String] = [:]
        for request in requests {
            if let known = bodies[request.webhookID] { #expect(known == request.body, "a repeat with another body") }
            bodies[request.webhookID] = request.body
            #expect(request.json["data"].flatMap { ($0 as? [String: Any])?["delivery"] as? String } == request.webhookID)
        }
    }
}
