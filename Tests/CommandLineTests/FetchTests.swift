import Foundation
import Testing

/// Feeds over HTTP(S) from a real server on 127.0.0.1 (SPEC 8), checked both by what
/// the server saw and by what critfix reported and recorded.
@Suite(.serialized) struct FetchTests {
    @Test(arguments: Backend.allCases) func secondRunIsConditionalAndParsesNothing(_ backend: Backend) throws {
        let server = try FeedServer()
        try server.publish("plain.xml", plainFeed(["KB1", "KB2"]))
        try server.publish("packed.xml", plainFeed(["KB3"], title: "Packed"))
        try server.publish("moved.xml", plainFeed(["KB4"], title: "Moved"))
        let scenario = try RemoteScenario(feeds: [
            ("plain", server.url("feeds/plain.xml"), ""),
            ("packed", server.url("gzip/packed.xml"), ""),
            ("moved", server.url("redirect/3/moved.xml"), ""),
        ], backend: backend)

        let first = try scenario.run(["--summary"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.isEmpty)
        #expect(try scenario.messages().count == 4)
        let firstRequests = try server.requests()
        #expect(firstRequests.allSatisfy { $0.ifNoneMatch == nil && $0.ifModifiedSince == nil })
        #expect(firstRequests.allSatisfy { $0.userAgent?.hasPrefix("critfix/") == true })
        #expect(firstRequests.allSatisfy { $0.acceptEncoding?.contains("gzip") == true })
        // Three hops of redirect, then the feed.
        #expect(firstRequests.filter { $0.path.hasPrefix("/redirect/") }.map(\.status) == [302, 302, 302])
        #expect(try scenario.feedStatus("packed")["etag"] as? String != nil)

        try server.clearLog()
        let second = try scenario.run(["--summary"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("3 unchanged since the last fetch"))
        #expect(second.stdout.contains("articles: 0 new, 0 revised"))
        #expect(try scenario.messages().count == 4)
        let feedRequests = try server.requests().filter { !$0.path.hasPrefix("/redirect/") }
        #expect(feedRequests.count == 3)
        #expect(feedRequests.allSatisfy { $0.ifNoneMatch != nil && $0.ifModifiedSince != nil && $0.status == 304 })
        let plain = try scenario.feedStatus("plain")
        #expect(plain["http_status"] as? Int == 304)
        #expect(plain["articles"] as? Int == 2)

        // A changed feed is fetched in full again; only its new article is sent.
        try server.publish("plain.xml", plainFeed(["KB1", "KB2", "KB5"]))
        try server.clearLog()
        let third = try scenario.run()
        #expect(third.status == 0, "\(third.stderr)")
        let subjects = try scenario.messages().map { $0["subject"] as? String ?? "" }
        #expect(subjects.count == 5)
        #expect(subjects.last?.contains("KB5") == true)
        #expect(try server.requests().first { $0.path == "/feeds/plain.xml" }?.status == 200)
        #expect(try scenario.feedStatus("plain")["http_status"] as? Int == 200)
    }

    @Test(arguments: Backend.allCases) func everyFailureIsNamedAndTheOtherFeedsGoOn(_ backend: Backend) throws {
        let server = try FeedServer()
        try server.publish("good.xml", plainFeed(["KB1"]))
        try server.publish("late.xml", plainFeed(["KB2"]))
        let scenario = try RemoteScenario(
            feeds: [
                ("good", server.url("feeds/good.xml"), ""),
                ("broken", server.url("status/500"), ""),
                ("gone", server.url("status/404"), ""),
                ("webpage", server.url("html"), ""),
                ("huge", server.url("big/3000000"), ""),
                ("slow", server.url("slow/5/late.xml"), "    timeout: 1s\n"),
                ("loop", server.url("redirect/9/good.xml"), ""),
                ("cut", server.url("truncated/good.xml"), ""),
                ("refused", "http://127.0.0.1:1/feed.xml", ""),
            ],
            extraConfig: "fetch:\n  max_size: 1MiB\n", backend: backend)
        let result = try scenario.run()
        #expect(result.status == 1)
        // The good feed is delivered whatever the others do.
        #expect(try scenario.messages().map { $0["subject"] as? String ?? "" }.contains { $0.contains("KB1") })
        let lines = result.stderr.split(separator: "\n").map(String.init)
        func line(_ feed: String) -> String { lines.first { $0.contains("feed \(feed) failed") } ?? "" }
        #expect(line("broken").contains("HTTP 500"))
        #expect(line("gone").contains("HTTP 404"))
        #expect(line("webpage").contains("not a feed: the server sent an HTML page"))
        #expect(line("huge").contains("larger than 1 MiB"))
        #expect(line("slow").contains("timed out after 1 s"))
        #expect(line("loop").contains("more than 5 redirects"))
        #expect(line("cut").contains("the connection broke before the feed was complete"))
        #expect(line("refused").contains("cannot connect"))
        #expect(lines.filter { $0.contains("failed") }.count == 8, "\(result.stderr)")

        // Recorded per feed: status, error, one failure in a row; nothing of theirs seen.
        let broken = try scenario.feedStatus("broken")
        #expect(broken["http_status"] as? Int == 500)
        #expect(broken["failures_in_a_row"] as? Int == 1)
        #expect((broken["last_error"] as? String)?.contains("HTTP 500") == true)
        #expect(broken["articles"] as? Int == 0)
        #expect(try scenario.feedStatus("huge")["articles"] as? Int == 0)
        #expect(try scenario.feedStatus("cut")["articles"] as? Int == 0)
        #expect(try scenario.feedStatus("good")["failures_in_a_row"] as? Int == 0)
        let text = try CLI.critfix(["status", "--config", scenario.config]).stdout
        #expect(text.contains("  broken: "))
        #expect(text.contains(", HTTP 500, 0 articles, 1 failure: HTTP 500 Internal Server Error"), "\(text)")
        #expect(text.contains(", HTTP 304") == false)

        // What the server saw: each request once, the redirect loop cut after 5 follows.
        let requests = try server.requests()
        #expect(requests.contains { $0.path == "/status/500" && $0.status == 500 })
        #expect(requests.contains { $0.path == "/status/404" && $0.status == 404 })
        #expect(requests.contains { $0.path == "/html" && $0.status == 200 })
        #expect(requests.filter { $0.path.hasPrefix("/redirect/") }.map(\.path) == (4...9).reversed().map { "/redirect/\($0)/good.xml" })
        #expect(requests.filter { $0.path == "/feeds/good.xml" }.count == 1)
    }

    @Test func aHostNameThatDoesNotResolveIsReportedAsDNS() throws {
        // Run in a network namespace of its own (`unshare -rn`: no interface is up), so the
        // resolver's query fails for real without a packet leaving the machine. SQLite only:
        // from there the tests' PostgreSQL server, on the host's loopback, cannot be reached.
        let scenario = try RemoteScenario(feeds: [
            ("good", "good.xml", ""), ("vendor", "http://feeds.vendor.invalid/kb.xml", ""),
        ])
        try CLI.write(plainFeed(["KB1"]), to: scenario.directory + "/good.xml")
        let result = try CLI.run("/usr/bin/unshare", ["-rn", CLI.binary, "run", "--config", scenario.config])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let line = result.stderr.split(separator: "\n").first { $0.contains("feed vendor failed") } ?? ""
        #expect(line.contains("cannot resolve the host name (DNS)"), "\(result.stderr)")
        #expect(line.contains("feeds.vendor.invalid"), "\(result.stderr)")
        // The other feed goes on, and the failure is recorded against the feed.
        #expect(try scenario.messages().map { $0["subject"] as? String ?? "" }.contains { $0.contains("KB1") })
        #expect(try scenario.feedStatus("vendor")["failures_in_a_row"] as? Int == 1)
        #expect(try scenario.feedStatus("good")["failures_in_a_row"] as? Int == 0)
    }

    @Test(arguments: Backend.allCases) func alertAfterQuietsAFlakyFeedUntilItKeepsFailing(_ backend: Backend) throws {
        let server = try FeedServer()
        try server.publish("good.xml", plainFeed(["KB1"]))
        let scenario = try RemoteScenario(feeds: [
            ("good", server.url("feeds/good.xml"), ""),
            ("flaky", server.url("status/503"), "    alert_after: 3\n"),
        ], backend: backend)
        for run in 1...4 {
            let result = try scenario.run()
            // The feed failed every time: the exit code says so, stderr only from the 3rd.
            #expect(result.status == 1)
            let alerted = result.stderr.contains("feed flaky failed")
            #expect(alerted == (run >= 3), "run \(run): \(result.stderr)")
            if run >= 3 { #expect(result.stderr.contains("(\(run) failures in a row)")) }
            #expect(try scenario.feedStatus("flaky")["failures_in_a_row"] as? Int == run)
        }
        // Back to health: the count resets.
        try server.publish("flaky.xml", plainFeed(["KB9"]))
        var config = try String(contentsOfFile: scenario.config, encoding: .utf8)
        config = config.replacingOccurrences(of: server.url("status/503"), with: server.url("feeds/flaky.xml"))
        try CLI.write(config, to: scenario.config)
        #expect(try scenario.run().status == 0)
        #expect(try scenario.feedStatus("flaky")["failures_in_a_row"] as? Int == 0)
    }

    @Test(arguments: Backend.allCases) func aFailedFetchChangesNothingThatWasSeen(_ backend: Backend) throws {
        let server = try FeedServer()
        try server.publish("kb.xml", plainFeed(["KB1", "KB2"]))
        let scenario = try RemoteScenario(feeds: [("kb", server.url("feeds/kb.xml"), "")], backend: backend)
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().count == 2)
        let etag = try scenario.feedStatus("kb")["etag"] as? String

        // New items, then the document breaks: what came before the break is not recorded.
        let broken = plainFeed(["KB1", "KB2", "KB3"]).replacingOccurrences(of: " </channel>", with: " <item><title>cut")
        try server.publish("kb.xml", broken)
        let failed = try scenario.run()
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("feed kb failed"))
        #expect(try scenario.messages().count == 2)
        let status = try scenario.feedStatus("kb")
        #expect(status["articles"] as? Int == 2)
        #expect(status["etag"] as? String == etag, "the validators of the broken document must not be kept")

        // Fixed: the new article is sent once, the old ones are not repeated.
        try server.publish("kb.xml", plainFeed(["KB1", "KB2", "KB3"]))
        #expect(try scenario.run().status == 0)
        let subjects = try scenario.messages().map { $0["subject"] as? String ?? "" }
        #expect(subjects.count == 3)
        #expect(subjects.filter { $0.contains("KB3") }.count == 1)
        // And an unchanged feed afterwards sends nothing.
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().count == 3)
    }

    @Test(arguments: Backend.allCases) func feedsAreFetchedSeveralAtOnceAndTheLimitHolds(_ backend: Backend) throws {
        let server = try FeedServer()
        var feeds: [(String, String, String)] = []
        for index in 0..<12 {
            try server.publish("f\(index).xml", plainFeed(["A\(index)"]))
            feeds.append(("f\(index)", server.url("slow/0.3/f\(index).xml"), ""))
        }
        let parallel = try RemoteScenario(feeds: feeds, backend: backend)
        #expect(try parallel.run().status == 0)
        let seen = try server.requests().map(\.inFlight).max() ?? 0
        #expect(seen > 1 && seen <= 8, "requests in flight at once: \(seen)")
        #expect(try parallel.messages().count == 12)

        try server.clearLog()
        let serial = try RemoteScenario(feeds: feeds, extraConfig: "fetch:\n  concurrency: 1\n", backend: backend)
        #expect(try serial.run().status == 0)
        #expect(try server.requests().map(\.inFlight).max() == 1)
        #expect(try serial.messages().count == 12)
    }

    @Test(arguments: Backend.allCases) func anInternalCAIsTrustedThroughCAFile(_ backend: Backend) throws {
        let (certificate, key) = try FeedServer.selfSignedCertificate()
        let server = try FeedServer(tls: (certificate, key))
        try server.publish("kb.xml", plainFeed(["KB1"]))
        let scenario = try RemoteScenario(feeds: [
            ("trusted", server.url("feeds/kb.xml"), "    ca_file: \(certificate)\n"),
            ("untrusted", server.url("feeds/kb.xml"), ""),
        ], backend: backend)
        let result = try scenario.run()
        #expect(result.status == 1)
        #expect(try scenario.feedStatus("trusted")["failures_in_a_row"] as? Int == 0)
        let line = result.stderr.split(separator: "\n").first { $0.contains("feed untrusted failed") } ?? ""
        #expect(line.contains("TLS failed"), "\(result.stderr)")
        #expect(line.contains("set the feed's ca_file"))
        #expect(try scenario.messages().count == 1)
    }

    @Test func parseReadsAURL() throws {
        let server = try FeedServer()
        try server.publish("kb.xml", plainFeed(["KB1", "KB2"]))
        let result = try CLI.critfix(["parse", server.url("deflate/kb.xml"), "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let articles = object?["articles"] as? [[String: Any]] ?? []
        #expect(articles.map { $0["id"] as? String } == ["KB1", "KB2"])

        let missing = try CLI.critfix(["parse", server.url("status/404")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("HTTP 404"))
    }
}
