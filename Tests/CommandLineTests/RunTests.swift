import Foundation
import Testing

/// `critfix run` end to end through the built binary: what is emitted, in which
/// order, and that nothing is emitted twice.
@Suite(.serialized) struct RunTests {
    static let registrations = """
        customers:
          - id: E1
            name: Elite One
            plan: elite
            min_severity: 2
            language: pl
            products:
              - product: erp-ln
                version: "10.7.1"
            contacts:
              - email: ops@e1.example
              - email: cto@e1.example
          - id: P1
            plan: premium
            min_severity: 4
            products:
              - product: LN
                version: 10.10
              - product: erp-m3
            contacts:
              - email: it@p1.example
          - id: X1
            plan: xtreme
            products:
              - product: erp-ln
            contacts:
              - email: admin@x1.example
          - id: S1
            plan: elite
            status: suspended
            min_severity: 4
            products:
              - product: erp-ln
            contacts:
              - email: it@s1.example
          - id: D1
            plan: elite
            min_severity: 4
            digest: true
            products:
              - product: erp-ln
              - product: erp-m3
            contacts:
              - email: digest@d1.example
        """

    static func firstFeed(a1Range: String = ">=10.5, <10.7.2", a1Revision: Int = 1, a2Severity: Int = 2, a2Revision: Int = 1) -> String {
        rssFeed([
            rssItem("A1", revision: a1Revision, severity: 1, kind: "critical-fix", products: [("erp-ln", a1Range)], day: 20),
            rssItem("A2", revision: a2Revision, severity: a2Severity, kind: "patch", products: [("erp-m3", nil)], day: 10),
            rssItem("A3", severity: 3, kind: "service-pack", products: [("erp-ln", nil)], day: 15),
        ])
    }

    func summary(_ messages: [[String: Any]]) -> [String] {
        messages.map { message in
            let articles = (message["articles"] as? [String] ?? []).joined(separator: "+")
            return "\(message["customer"] as? String ?? "?") \(message["to"] as? String ?? "?") \(articles)"
        }
    }

    @Test(arguments: Backend.allCases) func emitsExactlyWhatMatchesInDispatchOrderAndNothingTwice(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        let first = try scenario.run()
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stderr.isEmpty, "a successful run under cron prints nothing: \(first.stderr)")
        #expect(first.stdout.isEmpty)
        let messages = try scenario.messages()
        #expect(summary(messages) == [
            "D1 digest@d1.example kb/A1+kb/A2+kb/A3",
            "E1 ops@e1.example kb/A1",
            "E1 cto@e1.example kb/A1",
            "X1 admin@x1.example kb/A1",
            "P1 it@p1.example kb/A2",
            "P1 it@p1.example kb/A3",
        ])
        for message in messages {
            #expect((message["defects"] as? [String])?.isEmpty == true, "MIME defects: \(message)")
            #expect(message["types"] as? [String] == ["multipart/alternative", "text/plain", "text/html"])
        }
        let ids = messages.compactMap { $0["message_id"] as? String }
        #expect(Set(ids).count == messages.count)

        // A second run with nothing new emits nothing.
        let second = try scenario.run()
        #expect(second.status == 0)
        #expect(second.stderr.isEmpty)
        #expect(try scenario.messages().count == messages.count)

        // New revisions: A1's range now includes P1's 10.10 (newly included: P1 only);
        // A2 becomes more severe (P1 and D1 again, threaded under the first message).
        try scenario.writeFeed("kb", Self.firstFeed(a1Range: ">=10.5, <10.7.2 || =10.10", a1Revision: 2, a2Severity: 1, a2Revision: 2))
        let third = try scenario.run()
        #expect(third.status == 0, "stderr: \(third.stderr)")
        let all = try scenario.messages()
        let added = Array(all.dropFirst(messages.count))
        #expect(summary(added) == [
            "D1 digest@d1.example kb/A2",
            "P1 it@p1.example kb/A2",
            "P1 it@p1.example kb/A1",
        ])
        let firstA2 = messages.first { ($0["customer"] as? String) == "P1" && ($0["articles"] as? [String]) == ["kb/A2"] }
        let revisedA2 = added.first { ($0["customer"] as? String) == "P1" && ($0["articles"] as? [String]) == ["kb/A2"] }
        #expect(revisedA2?["in_reply_to"] as? String == firstA2?["message_id"] as? String)
        #expect(revisedA2?["in_reply_to"] as? String != nil)
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().count == all.count)
    }

    @Test(arguments: Backend.allCases) func aBurstOfSeveralBatchesGoesOutOnceInDispatchOrder(_ backend: Backend) throws {
        // Three batches of due email in nine chunks: each batch is read (by key) while the
        // one before is still being sent, and outcomes are recorded behind the sending.
        let count = 2100
        let day = { (n: Int) in (n * 7) % 28 + 1 }
        let items = (0..<count).map { n in
            rssItem("B\(n)", severity: n % 4 + 1, kind: "patch", products: [("erp-ln", nil)], day: day(n))
        }
        let registrations = """
            customers:
              - id: B1
                plan: elite
                min_severity: 4
                products:
                  - product: erp-ln
                contacts:
                  - email: ops@b1.example
            """
        let scenario = try Scenario(feeds: ["kb": rssFeed(items)], registrations: registrations, backend: backend)
        let first = try scenario.run()
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let messages = try scenario.messages()
        #expect(messages.count == count)
        let numbers = messages.compactMap { ($0["articles"] as? [String])?.first.flatMap { Int($0.dropFirst("kb/B".count)) } }
        #expect(Set(numbers).count == count, "every article once")
        // Most severe first; within a severity, the earliest published first.
        let order = numbers.map { (severity: $0 % 4 + 1, day: day($0)) }
        #expect(zip(order, order.dropFirst()).allSatisfy { $0.severity < $1.severity || ($0.severity == $1.severity && $0.day <= $1.day) })
        #expect(messages.map { $0["severity"] as? String } == order.map { String($0.severity) })

        let second = try scenario.run()
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(try scenario.messages().count == count)
        guard backend == .sqlite else { return }
        // Closed, the state is one whole file: the log folded in and removed.
        #expect(!FileManager.default.fileExists(atPath: scenario.state + "-wal"))
        let check = try CLI.python(
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
            [scenario.state])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    @Test(arguments: Backend.allCases) func dryRunPrintsAndChangesNothing(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        let result = try scenario.run(["--dry-run"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scenario.mbox))
        switch backend {
        case .sqlite: #expect(!FileManager.default.fileExists(atPath: scenario.state))
        case .postgres: #expect(try scenario.store.query("SELECT count(*) FROM articles UNION ALL SELECT count(*) FROM feeds") == ["0", "0"])
        }
        // One line per delivery — "would send [digest ]email to ADDRESS for CUSTOMER: KEY#REV severity N, …" —
        // listing exactly what the real run then sends (the order of a dry run is the planning order).
        let planned = result.stdout.split(separator: "\n").filter { $0.hasPrefix("would send") }.map { line in
            let words = line.split(separator: " ")
            let address = words[words.firstIndex(of: "to")! + 1]
            let customer = words[words.firstIndex(of: "for")! + 1].dropLast()
            let articles = line.split(separator: ": ", maxSplits: 1)[1].split(separator: ", ")
                .map { $0.split(separator: "#")[0] }.joined(separator: "+")
            return "\(customer) \(address) \(articles)"
        }
        #expect(planned.contains("D1 digest@d1.example kb/A1+kb/A2+kb/A3"))
        #expect(result.stdout.contains("would send digest email to digest@d1.example for D1: kb/A1#1 severity 1, "))
        #expect(try scenario.run().status == 0)
        #expect(planned.sorted() == summary(try scenario.messages()).sorted())
    }

    @Test(arguments: Backend.allCases) func summaryGoesToStdout(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        let result = try scenario.run(["--summary"])
        #expect(result.status == 0)
        // The run is recorded in the state with its summary.
        #expect(try scenario.store.query("SELECT count(*), max(exit_code) FROM runs") == ["1|0"])
        #expect(result.stdout.contains("articles: 3 new"))
        #expect(result.stdout.contains("email: 6 delivered"))
    }

    @Test(arguments: Backend.allCases) func stdoutTransportIsAnMboxStream(_ backend: Backend) throws {
        let scenario = try Scenario(
            feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        var config = try String(contentsOfFile: scenario.config, encoding: .utf8)
        config = config.replacingOccurrences(of: "transport: mbox:out.mbox", with: "transport: stdout")
        try CLI.write(config, to: scenario.config)
        let result = try scenario.run()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        try result.stdoutBytes.write(to: URL(fileURLWithPath: scenario.mbox))
        #expect(try scenario.messages().count == 6)
        #expect(result.stdout.hasPrefix("From "))
    }

    @Test(arguments: Backend.allCases) func catchUpRecordsWithoutSending(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        let caught = try CLI.critfix(["catch-up", "--config", scenario.config])
        #expect(caught.status == 0, "stderr: \(caught.stderr)")
        #expect(try scenario.messages().isEmpty)
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().isEmpty)
        // A later revision that is more severe is still notified.
        try scenario.writeFeed("kb", Self.firstFeed(a2Severity: 1, a2Revision: 2))
        #expect(try scenario.run().status == 0)
        #expect(summary(try scenario.messages()) == ["D1 digest@d1.example kb/A2", "P1 it@p1.example kb/A2"])
    }

    @Test func aHeldLockExits75NamingTheHolder() throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations)
        try FileManager.default.createDirectory(atPath: scenario.directory + "/state", withIntermediateDirectories: true)
        let lockFile = scenario.state + ".lock"
        try CLI.write("pid 4242 on cronhost since 2026-11-24T09:30:00Z\n", to: lockFile)
        // util-linux flock(1) takes the same flock(2) lock critfix takes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [lockFile, "sleep", "30"]
        try holder.run()
        defer { holder.terminate() }
        Thread.sleep(forTimeInterval: 0.3)
        let result = try scenario.run()
        #expect(result.status == 75)
        #expect(result.stderr.contains("pid 4242 on cronhost"))
        #expect(try scenario.messages().isEmpty)
    }

    @Test(arguments: Backend.allCases) func deliveriesWaitWhileTheTransportIsUnavailable(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        // Retried at once, so that the delivery the failure touched is due in the next run too.
        let mboxConfig = try String(contentsOfFile: scenario.config, encoding: .utf8)
            .replacingOccurrences(of: "transport: mbox:out.mbox", with: "transport: mbox:out.mbox\n  retry_delays: [0s]")
        // Port 1 on loopback: nothing listens, the connection is refused.
        try CLI.write(
            mboxConfig.replacingOccurrences(of: "transport: mbox:out.mbox", with: "transport: smtp://127.0.0.1:1"),
            to: scenario.config)
        let blocked = try scenario.run()
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("SMTP server 127.0.0.1:1"))
        #expect(blocked.stderr.split(separator: "\n").count == 1, "one line per cause: \(blocked.stderr)")
        let status = try CLI.critfix(["status", "--config", scenario.config, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect((json?["deliveries"] as? [String: Int])?["pending"] == 5)
        #expect((json?["deliveries"] as? [String: Int])?["retrying"] == 1)
        // With a working transport the next run sends every waiting delivery, once.
        try CLI.write(mboxConfig, to: scenario.config)
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().count == 6)
    }

    /// The first due email is read before the outbox is committed; a waiting delivery that
    /// cannot be read must not undo the run's planning, only stop its sending.
    @Test(arguments: Backend.allCases) func anUnreadableWaitingDeliveryDoesNotUndoTheNewArticles(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.firstFeed()], registrations: Self.registrations, backend: backend)
        let mboxConfig = try String(contentsOfFile: scenario.config, encoding: .utf8)
        try CLI.write(
            mboxConfig.replacingOccurrences(of: "transport: mbox:out.mbox", with: "transport: smtp://127.0.0.1:1"),
            to: scenario.config)
        #expect(try scenario.run().status == 1)
        // The waiting deliveries' articles damaged by hand; then a new article and a working transport.
        _ = try scenario.store.query("UPDATE articles SET data = '{broken'")
        try scenario.writeFeed(
            "kb",
            rssFeed([rssItem("A4", severity: 1, kind: "critical-fix", products: [("erp-ln", nil)], day: 21)]))
        try CLI.write(mboxConfig, to: scenario.config)
        let damaged = try scenario.run()
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("unreadable article record"), "\(damaged.stderr)")
        #expect(
            try scenario.store.query("SELECT count(*) FROM articles WHERE key = 'kb/A4'") == ["1"], "the new article stays recorded")
    }
}
