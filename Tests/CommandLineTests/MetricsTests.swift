import Foundation
import Testing

/// `critfix run --metrics PATH` (SPEC 7): the Prometheus text file, read back with
/// Prometheus's own Python parser (`prometheus_client.parser`, which Scripts/setup
/// installs from the registry).
@Suite("run --metrics: the Prometheus text file")
struct MetricsTests {
    /// The file parsed by `prometheus_client`: every sample as `name{labels}` → value.
    static func parse(_ path: String) throws -> [String: Double] {
        let result = try CLI.python(
            """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            samples = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    labels = ",".join('%s="%s"' % item for item in sorted(sample.labels.items()))
                    samples[sample.name + ("{" + labels + "}" if labels else "")] = sample.value
            print(json.dumps(samples))
            """, [path])
        #expect(result.status == 0, "prometheus_client could not parse \(path): \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double] ?? [:]
    }

    /// One article (KB1 of 2026-11-`day`), one customer by email (mbox): a run that succeeds.
    static func oneCustomer(day: Int = 10, extraConfig: String = "") throws -> Scenario {
        try Scenario(
            feeds: ["kb": rssFeed([rssItem("KB1", severity: 1, kind: "critical-fix", products: [("erp-ln", nil)], day: day)])],
            registrations: """
                customers:
                  - id: ACME-001
                    plan: elite
                    products: [{ product: erp-ln }]
                    contacts: [{ email: ops@acme.example }]
                """, extraConfig: extraConfig)
    }

    static let metricNames = [
        "critfix_last_run_timestamp_seconds", "critfix_run_duration_seconds", "critfix_feeds_failed",
        "critfix_articles_new_total", "critfix_notifications_total",
    ]

    @Test("after a run: every metric of SPEC 7, with the run's and the state's figures", arguments: Backend.allCases)
    func afterARun(backend: Backend) throws {
        let (scenario, receiver) = try ReportTests.makeState(backend: backend)
        _ = receiver
        let path = scenario.directory + "/critfix.prom"
        let run = try CLI.critfix(
            ["run", "--config", scenario.config, "--metrics", path], environment: ["CRITFIX_TEST_NOW": "2026-11-12T12:30:00Z"])
        #expect(run.status == 1, "the webhooks still fail: \(run.stderr)")
        let samples = try Self.parse(path)
        for name in Self.metricNames { #expect(samples[name] != nil, "\(name) missing") }
        #expect(samples["critfix_last_run_timestamp_seconds"] == 1_794_486_600, "2026-11-12T12:30:00Z")
        #expect(samples["critfix_feeds_failed"] == 0)
        #expect(samples["critfix_articles_new_total"] == 4, "KB1 to KB4")
        #expect(samples["critfix_notifications_total"] == 16)
        #expect(samples["critfix_last_run_exit_code"] == 1)
        #expect(samples["critfix_run_failures_total"] == 1)
        // The state's deliveries: 12 emails delivered; webhooks: 8 retrying (ACME, DELTA), 4 dead (GAMMA).
        #expect(samples[#"critfix_deliveries{channel="email",state="delivered"}"#] == 12)
        #expect(samples[#"critfix_deliveries{channel="email",state="pending"}"#] == 0)
        #expect(samples[#"critfix_deliveries{channel="webhook",state="retrying"}"#] == 8)
        #expect(samples[#"critfix_deliveries{channel="webhook",state="dead"}"#] == 4)
        // Latency, publication to first delivery: severity 1 is KB1 three times at 10
        // minutes; severity 2 is KB2 three times at 1450 minutes and KB3 three times at 120.
        #expect(samples[#"critfix_notification_latency_seconds_count{severity="1"}"#] == 3)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="300.0",severity="1"}"#] == 0)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="900.0",severity="1"}"#] == 3)
        #expect(samples[#"critfix_notification_latency_seconds_sum{severity="1"}"#] == 1800)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="3600.0",severity="2"}"#] == 0)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="14400.0",severity="2"}"#] == 3)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="86400.0",severity="2"}"#] == 3)
        #expect(samples[#"critfix_notification_latency_seconds_bucket{le="+Inf",severity="2"}"#] == 6)
        #expect(samples[#"critfix_notification_latency_seconds_count{severity="4"}"#] == 0)
    }

    @Test("a run that fails still writes the file, with the failure counted")
    func failedRuns() throws {
        let scenario = try Self.oneCustomer()
        let path = scenario.directory + "/critfix.prom"
        let first = try scenario.run(["--metrics", path])
        #expect(first.status == 0)
        var samples = try Self.parse(path)
        #expect(samples["critfix_runs_total"] == 1 && samples["critfix_run_failures_total"] == 0)
        #expect(samples["critfix_last_success_timestamp_seconds"] != nil)

        // A feed that cannot be read: exit 1, counted.
        try FileManager.default.removeItem(atPath: scenario.directory + "/feeds/kb.xml")
        let second = try scenario.run(["--metrics", path])
        #expect(second.status == 1)
        samples = try Self.parse(path)
        #expect(samples["critfix_feeds_failed"] == 1)
        #expect(samples["critfix_last_run_exit_code"] == 1)
        #expect(samples["critfix_runs_total"] == 2 && samples["critfix_run_failures_total"] == 1)
        #expect(samples["critfix_notifications_total"] == 1, "the state's totals are still there")

        // A state that cannot be opened at all: the file still tells, with the run counted.
        let config = try String(contentsOfFile: scenario.config, encoding: .utf8)
        try CLI.write("not a folder", to: scenario.directory + "/blocked")
        try CLI.write(
            config.replacingOccurrences(of: "state: \(scenario.store.yaml)", with: "state: blocked/state.sqlite"),
            to: scenario.config)
        let third = try scenario.run(["--metrics", path])
        #expect(third.status != 0)
        #expect(third.stderr.contains("the state's totals are left out"))
        samples = try Self.parse(path)
        #expect(samples["critfix_last_run_exit_code"] == Double(third.status))
        #expect(samples["critfix_runs_total"] == 3 && samples["critfix_run_failures_total"] == 2)
    }

    @Test("replaced atomically: a reader that reads all the while never sees half a file")
    func atomic() throws {
        let scenario = try Self.oneCustomer()
        let path = scenario.directory + "/critfix.prom"
        #expect(try scenario.run(["--metrics", path]).status == 0)
        // Held open, the first file keeps its inode: no later file can be given the same
        // number, and what it reads at the end shows whether it was ever written in place.
        let first = try String(contentsOfFile: path, encoding: .utf8)
        let held = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? held.close() }
        let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        // A reader in a loop, for as long as `stop` does not exist (at most 60 s): every
        // read must be a whole file, which parses and ends with the last histogram line.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reader.arguments = [
            "python3", "-c",
            """
            import os, sys, time
            from prometheus_client.parser import text_string_to_metric_families
            path, stop = sys.argv[1], sys.argv[2]
            reads, bad = 0, 0
            deadline = time.time() + 60
            while not os.path.exists(stop) and time.time() < deadline:
                text = open(path).read()
                reads += 1
                try:
                    names = [f.name for f in text_string_to_metric_families(text)]
                    if not text.endswith('critfix_notification_latency_seconds_count{severity="4"} 0\\n') or len(names) < 10:
                        bad += 1
                except Exception:
                    bad += 1
            print(reads, bad)
            """,
            path, scenario.directory + "/stop",
        ]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        for _ in 0..<8 { #expect(try scenario.run(["--metrics", path]).status == 0) }
        try CLI.write("", to: scenario.directory + "/stop")
        reader.waitUntilExit()
        let counts = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 2 && counts[0] > 8 && counts[1] == 0, "reads, half files: \(counts)")
        // Renamed over, not written in place: a new file each time, and no temporary one left.
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int != inode)
        #expect(String(decoding: try held.readToEnd() ?? Data(), as: UTF8.self) == first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scenario.directory).filter { $0.hasSuffix(".tmp") }.isEmpty)
        #expect(try Self.parse(path)["critfix_runs_total"] == 9)
    }
}
