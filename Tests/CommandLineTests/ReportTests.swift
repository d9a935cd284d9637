import Foundation
import Testing

/// `critfix report` (SPEC 7.4) on a state made by a scripted scenario: two runs at known
/// times (`CRITFIX_TEST_NOW`, read by debug builds only), articles published at known
/// times, and webhooks that fail in known ways — so every latency, verdict and total is
/// known to the minute and written out here.
@Suite("report: latencies and targets from a scripted scenario")
struct ReportTests {
    /// Four customers on ERP LN, one per way a notification can end:
    /// ACME (elite) by email, and a webhook that answers 503 (retrying);
    /// BETA (premium) by email; GAMMA (xtreme) by email, and a webhook that answers 410
    /// (dead); DELTA (premium) by a webhook that answers 503 only (never delivered).
    static func registrations(_ receiver: WebhookReceiver) -> String {
        """
        customers:
          - id: ACME-001
            name: "ACME | Manufacturing"
            plan: elite
            min_severity: 4
            products: [{ product: erp-ln, version: "10.7.1" }]
            contacts: [{ email: ops@acme.example }]
            webhooks: [{ url: "\(receiver.url("unavailable/acme"))" }]
          - id: BETA-002
            name: "Beta, Ltd"
            plan: premium
            min_severity: 4
            products: [{ product: erp-ln }]
            contacts: [{ email: it@beta.example }]
          - id: DELTA-004
            name: Delta
            plan: premium
            min_severity: 4
            products: [{ product: erp-ln }]
            webhooks: [{ url: "\(receiver.url("unavailable/delta"))" }]
          - id: GAMMA-003
            name: Gamma
            plan: xtreme
            min_severity: 4
            products: [{ product: erp-ln, version: "10.7.1" }]
            contacts: [{ email: admin@gamma.example }]
            webhooks: [{ url: "\(receiver.url("gone/gamma"))" }]
          - id: IDLE-005
            name: Idle
            plan: elite
            products: [{ product: erp-m3 }]
            contacts: [{ email: idle@idle.example }]
        """
    }

    static let settings = """
        webhooks:
          allow_private_addresses: true
          in_run_wait: 0s
          retry_delays: [1h]
          max_attempts: 5
        targets:
          xtreme:  { 1: 240, 2: 1440 }
          premium: { 1: 60,  2: 480 }
          elite:   { 1: 15,  2: 240 }
        """

    /// KB1 (severity 1) published 2026-11-10 09:30, KB2 (severity 2) 2026-11-09 09:30, both
    /// recorded and sent at 2026-11-10 09:40; then KB3 (severity 2) published 2026-11-12
    /// 09:30 and KB4 (severity 3: no target in any plan) 2026-11-11 09:30, recorded and
    /// sent at 2026-11-12 11:30.
    static func makeState(backend: Backend) throws -> (Scenario, WebhookReceiver) {
        let directory = try CLI.scratch()
        let receiver = try WebhookReceiver(registrations: directory + "/none.yaml")
        let first = [
            rssItem("KB1", severity: 1, kind: "critical-fix", products: [("erp-ln", nil)], day: 10, title: "Ledger | posting fix"),
            rssItem("KB2", severity: 2, kind: "patch", products: [("erp-ln", nil)], day: 9, title: "Payroll, \"quoted\" patch"),
        ]
        let scenario = try Scenario(
            feeds: ["kb": rssFeed(first)], registrations: registrations(receiver), extraConfig: settings, backend: backend)
        let run1 = try CLI.critfix(
            ["run", "--config", scenario.config], environment: ["CRITFIX_TEST_NOW": "2026-11-10T09:40:00Z"])
        #expect(run1.status == 1, "webhooks failed: \(run1.stderr)")
        try scenario.writeFeed(
            "kb",
            rssFeed(
                first + [
                    rssItem("KB3", severity: 2, kind: "regulatory", products: [("erp-ln", nil)], day: 12),
                    rssItem("KB4", severity: 3, kind: "service-pack", products: [("erp-ln", nil)], day: 11),
                ]))
        let run2 = try CLI.critfix(
            ["run", "--config", scenario.config], environment: ["CRITFIX_TEST_NOW": "2026-11-12T11:30:00Z"])
        #expect(run2.status == 1, "webhooks failed: \(run2.stderr)")
        return (scenario, receiver)
    }

    /// (customer, article) → (latency in minutes or "", target or "", result), as the
    /// scenario makes them.
    static let expected: [String: (latency: String, target: String, result: String)] = [
        "ACME-001 kb/KB1": ("10.0", "15", "met"),
        "ACME-001 kb/KB2": ("1450.0", "240", "missed"),
        "ACME-001 kb/KB3": ("120.0", "240", "met"),
        "ACME-001 kb/KB4": ("1560.0", "", "no target"),
        "BETA-002 kb/KB1": ("10.0", "60", "met"),
        "BETA-002 kb/KB2": ("1450.0", "480", "missed"),
        "BETA-002 kb/KB3": ("120.0", "480", "met"),
        "BETA-002 kb/KB4": ("1560.0", "", "no target"),
        // Never delivered: KB1 and KB2 are past their targets at the period's end, KB3 is not yet.
        "DELTA-004 kb/KB1": ("", "60", "missed"),
        "DELTA-004 kb/KB2": ("", "480", "missed"),
        "DELTA-004 kb/KB3": ("", "480", "pending"),
        "DELTA-004 kb/KB4": ("", "", "no target"),
        "GAMMA-003 kb/KB1": ("10.0", "240", "met"),
        // 1450 minutes against xtreme's 1440 for severity 2: missed by ten minutes.
        "GAMMA-003 kb/KB2": ("1450.0", "1440", "missed"),
        "GAMMA-003 kb/KB3": ("120.0", "1440", "met"),
        "GAMMA-003 kb/KB4": ("1560.0", "", "no target"),
    ]

    static let period = ["--since", "2026-11-01", "--until", "2026-11-12T12:00:00Z"]

    @Test("every notification's latency, target and verdict, the same in csv, json and md", arguments: Backend.allCases)
    func scriptedScenario(backend: Backend) throws {
        let (scenario, receiver) = try Self.makeState(backend: backend)
        _ = receiver
        func report(_ format: String, _ options: [String] = Self.period) throws -> String {
            let result = try CLI.critfix(
                ["report", "--config", scenario.config, "--format", format] + options,
                environment: ["CRITFIX_TEST_NOW": "2026-11-12T12:00:00Z"])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }

        // CSV, read by Python's csv module: one row per notification.
        let csv = try CLI.python(
            """
            import csv, json, sys
            rows = list(csv.DictReader(sys.stdin))
            print(json.dumps(rows))
            """, input: Data(try report("csv").utf8))
        let rows = try JSONSerialization.jsonObject(with: Data(csv.stdout.utf8)) as? [[String: String]] ?? []
        var fromCSV: [String: (latency: String, target: String, result: String)] = [:]
        for row in rows {
            fromCSV["\(row["customer"]!) \(row["article"]!)"] = (row["latency_minutes"]!, row["target_minutes"]!, row["result"]!)
        }
        #expect(fromCSV.keys.sorted() == Self.expected.keys.sorted())
        for (key, want) in Self.expected {
            let got = fromCSV[key]
            #expect(got?.latency == want.latency && got?.target == want.target && got?.result == want.result, "\(key): \(String(describing: got))")
        }
        #expect(rows.first { $0["customer"] == "ACME-001" && $0["article"] == "kb/KB2" }?["title"] == "Payroll, \"quoted\" patch")
        #expect(rows.first { $0["customer"] == "ACME-001" }?["customer_name"] == "ACME | Manufacturing")

        // JSON, read by Python's json module: the same figures, and the totals.
        let json = try CLI.python(
            """
            import json, sys
            report = json.load(sys.stdin)
            lines = {}
            for customer in report["customers"]:
                for n in customer["notifications"]:
                    latency = "" if n["latency_minutes"] is None else "%.1f" % n["latency_minutes"]
                    target = "" if n["target_minutes"] is None else str(n["target_minutes"])
                    lines[n["customer"] + " " + n["article"]] = [latency, target, n["result"]]
            print(json.dumps({"lines": lines, "totals": report["totals"],
                              "customers": [c["id"] for c in report["customers"]],
                              "undelivered": {c["id"]: c["undelivered"] for c in report["customers"]},
                              "by_severity": report["by_severity"]}))
            """, input: Data(try report("json").utf8))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        let lines = parsed["lines"] as? [String: [String]] ?? [:]
        for (key, want) in Self.expected {
            #expect(lines[key] == [want.latency, want.target, want.result], "\(key)")
        }
        let totals = parsed["totals"] as? [String: Any] ?? [:]
        #expect(totals["notifications"] as? Int == 16)
        #expect(totals["delivered"] as? Int == 12)
        #expect(totals["met"] as? Int == 6)
        #expect(totals["missed"] as? Int == 5)
        #expect(totals["pending"] as? Int == 1)
        #expect(totals["no_target"] as? Int == 4)
        #expect(totals["targets_met_percent"] as? Double == 54.5, "6 met of 11 with a verdict")
        // Every active customer, the idle one too; in id order.
        #expect(parsed["customers"] as? [String] == ["ACME-001", "BETA-002", "DELTA-004", "GAMMA-003", "IDLE-005"])
        let undelivered = parsed["undelivered"] as? [String: [[String: Any]]] ?? [:]
        let acme = undelivered["ACME-001"] ?? []
        #expect(acme.count == 4 && acme.allSatisfy { $0["status"] as? String == "retrying" && ($0["last_error"] as? String ?? "").hasPrefix("HTTP 503") })
        // KB1 and KB2 were tried again in the second run; KB3 and KB4 once.
        #expect(acme.map { $0["attempts"] as? Int ?? 0 }.sorted() == [1, 1, 2, 2])
        let gamma = undelivered["GAMMA-003"] ?? []
        #expect(gamma.count == 4 && gamma.allSatisfy { $0["status"] as? String == "dead" && ($0["last_error"] as? String ?? "").contains("410") })
        #expect((undelivered["BETA-002"] ?? []).isEmpty)

        // Markdown: the same rows and totals, as an operator reads them.
        let markdown = try report("md")
        #expect(markdown.contains("| all | 16 | 12 | 6 | 5 | 1 | 4 | 54.5% |"))
        #expect(markdown.contains("| kb/KB2 | Payroll, \"quoted\" patch | patch | 2 | 2026-11-09T09:30:00Z | 2026-11-10T09:40:00Z | — | 1450.0 | 240 | missed |"))
        #expect(markdown.contains("| kb/KB1 | Ledger \\| posting fix | critical-fix | 1 |"), "a | in a title is escaped")
        #expect(markdown.contains("## ACME-001 — ACME \\| Manufacturing (elite)"))
        #expect(markdown.contains("## IDLE-005 — Idle (elite)\n\n0 notifications"))
        // The slowest first: three at 1560 minutes, then three at 1450.
        let slowest = markdown.components(separatedBy: "## Slowest notifications")[1].components(separatedBy: "\n## ")[0]
        #expect(slowest.contains("| ACME-001 | kb/KB4 | 3 | 1560.0 | — | no target |"))
        #expect(slowest.components(separatedBy: "1450.0").count - 1 == 3)

        // One customer, and a period that leaves the second run out.
        let acmeOnly = try report("csv", ["--customer", "ACME-001", "--since", "2026-11-01", "--until", "2026-11-11"])
        #expect(acmeOnly.split(separator: "\r\n").count == 3, "header, KB1, KB2: \(acmeOnly)")
    }

    @Test("the same state gives the same bytes, apart from the generated line")
    func deterministic() throws {
        let (scenario, receiver) = try Self.makeState(backend: .sqlite)
        _ = receiver
        for format in ["md", "csv", "json", "html"] {
            var outputs: [String] = []
            for now in ["2026-11-12T12:00:00Z", "2026-11-20T08:00:00Z"] {
                let result = try CLI.critfix(
                    ["report", "--config", scenario.config, "--format", format] + Self.period,
                    environment: ["CRITFIX_TEST_NOW": now])
                #expect(result.status == 0)
                outputs.append(
                    result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                        .filter { !$0.contains("enerated") }.joined(separator: "\n"))
            }
            #expect(outputs[0] == outputs[1], "\(format)")
            #expect(!outputs[0].isEmpty)
        }
    }

    /// The HTML page in a real browser: headless Chromium, every request refused and
    /// recorded by a proxy of the test's own (Tests/Servers/html_in_browser.py).
    @Test("the HTML report in headless Chromium: no request beyond the file, not blank, every customer and the totals")
    func htmlInABrowser() throws {
        let (scenario, receiver) = try Self.makeState(backend: .sqlite)
        _ = receiver
        let page = scenario.directory + "/report.html"
        let written = try CLI.critfix(
            ["report", "--config", scenario.config, "--format", "html", "--output", page] + Self.period,
            environment: ["CRITFIX_TEST_NOW": "2026-11-12T12:00:00Z"])
        #expect(written.status == 0 && written.stdout.isEmpty, "\(written.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        // Self-contained and mail-safe, as the file says it is.
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src=") && !html.contains("url(") && !html.contains("@import") && !html.contains("<link"))
        #expect(html.contains("<svg") && html.contains("<style>"))
        #expect(html.split(separator: "\n").allSatisfy { $0.utf8.count <= 998 })

        let shot = scenario.directory + "/report.png"
        let browser = try CLI.run(
            "/usr/bin/env", ["python3", CLI.packageRoot + "/Tests/Servers/html_in_browser.py", page, shot])
        #expect(browser.status == 0, "\(browser.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(browser.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(result["requests"] as? [String] == [], "the page asked for more than its file")
        #expect((result["colours"] as? Int ?? 0) > 20, "a blank screenshot: \(result["colours"] ?? "none")")
        #expect(result["width"] as? Int == 1280)
        let text = result["text"] as? String ?? ""
        for customer in ["ACME-001", "BETA-002", "DELTA-004", "GAMMA-003", "IDLE-005"] {
            #expect(text.contains(customer), "\(customer) is not on the page")
        }
        #expect(text.contains("16 notifications") && text.contains("54.5%"), "the totals")
        #expect(text.contains("all 16 12 6 5 1 4 54.5%"), "the totals' row")
        #expect(text.contains("HTTP 503") && text.contains("dead"), "what is still retrying or dead, with the reason")
    }

    /// SPEC 7.4: an article dated after its first delivery (a clock skew at the vendor)
    /// counts latency 0.
    @Test("an article published after its delivery counts latency 0")
    func clockSkew() throws {
        let scenario = try MetricsTests.oneCustomer(day: 20, extraConfig: Self.settings)
        let run = try CLI.critfix(["run", "--config", scenario.config], environment: ["CRITFIX_TEST_NOW": "2026-11-10T09:40:00Z"])
        #expect(run.status == 0, "\(run.stderr)")
        let csv = try CLI.critfix(
            ["report", "--config", scenario.config, "--format", "csv", "--since", "2026-11-01", "--until", "2026-12-01"])
        let row = csv.stdout.split(separator: "\r\n").last.map(String.init) ?? ""
        #expect(row.hasSuffix(",2026-11-20T09:30:00Z,2026-11-10T09:40:00Z,2026-11-10T09:40:00Z,,0.0,15,met"), "\(row)")
    }

    @Test("bad options: an unknown customer, a date that is not one, a period backwards")
    func badOptions() throws {
        let (scenario, receiver) = try Self.makeState(backend: .sqlite)
        _ = receiver
        let unknown = try CLI.critfix(["report", "--config", scenario.config, "--customer", "NOBODY"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no customer NOBODY"))
        let badDate = try CLI.critfix(["report", "--config", scenario.config, "--since", "last tuesday"])
        #expect(badDate.status == 2 && badDate.stderr.contains("is not a date"))
        let backwards = try CLI.critfix(
            ["report", "--config", scenario.config, "--since", "2026-11-12", "--until", "2026-11-01"])
        #expect(backwards.status == 2 && backwards.stderr.contains("must be before"))
        let format = try CLI.critfix(["report", "--config", scenario.config, "--format", "pdf"])
        #expect(format.status == 2 && format.stderr.contains("Please provide one of 'md', 'csv', 'json' or 'html'"))
    }
}
