import Foundation
import Testing

@Suite struct ValidationAndFailureTests {
    @Test func sampleDataChecksClean() throws {
        let result = try CLI.critfix(["check", "--config", CLI.packageRoot + "/Feeds/critfix.yaml"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty)
    }

    @Test(arguments: Backend.allCases) func tenMistakesGiveTenLocatedErrorsAndNothingIsDone(_ backend: Backend) throws {
        let registrations = """
            customers:
              - id: C1
                plan: platinum
                status: active
                contacts:
                  - email: ok@c1.example
              - id: C1
                plan: elite
                contacts:
                  - email: x@
              - id: C3
                plan: premium
                language: de
                min_severity: 7
                kinds: [critical-fix, hotfix]
                products:
                  - product: erp-unknown
                  - product: erp-ln
                    version: ">=10.5"
                contacts:
                  - email: ok@c3.example
                webhooks:
                  - url: ftp://hooks.c3.example/x
              - id: C4
                plan: elite
            """
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: registrations, backend: backend)
        for command in [["check"], ["run"]] {
            let result = try CLI.critfix(command + ["--config", scenario.config])
            #expect(result.status == 65, "\(command): \(result.stderr)")
            let located = result.stderr.split(separator: "\n").filter { $0.contains("registrations.yaml:") && $0.contains(": customers[") }
            #expect(located.count == 10, "\(result.stderr)")
            for (line, path) in [
                (3, "customers[0].plan"), (7, "customers[1].id"), (10, "customers[1].contacts[0].email"),
                (13, "customers[2].language"), (14, "customers[2].min_severity"), (15, "customers[2].kinds[1]"),
                (17, "customers[2].products[0].product"), (19, "customers[2].products[1].version"),
                (23, "customers[2].webhooks[0].url"),
            ] {
                #expect(located.contains { $0.contains("registrations.yaml:\(line):") && $0.contains(": \(path): ") }, "\(line) \(path)")
            }
            #expect(located.contains { $0.contains("registrations.yaml:24:") && $0.contains("customers[3]") })
        }
        switch backend {
        case .sqlite: #expect(!FileManager.default.fileExists(atPath: scenario.state))
        case .postgres:
            // A database is always there: the run connected to it, and recorded nothing.
            #expect(try scenario.store.query("SELECT count(*) FROM articles UNION ALL SELECT count(*) FROM feeds") == ["0", "0"])
        }
        #expect(!FileManager.default.fileExists(atPath: scenario.mbox))
    }

    @Test(arguments: Backend.allCases) func anInvalidConfigurationExits78(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations, backend: backend)
        var config = try String(contentsOfFile: scenario.config, encoding: .utf8)
        config += "\nfeeeds: []\n"
        try CLI.write(config, to: scenario.config)
        let result = try scenario.run()
        #expect(result.status == 78)
        #expect(result.stderr.contains("critfix.yaml:"))
        #expect(result.stderr.contains("feeeds"))
        switch backend {
        case .sqlite: #expect(!FileManager.default.fileExists(atPath: scenario.state))
        case .postgres:
            // Stopped before it knew where the state is: the database is as it was made, without a table.
            #expect(try scenario.store.query(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')") == ["0"])
        }
    }

    @Test func usageErrorsExit2() throws {
        #expect(try CLI.critfix(["run", "--bogus"]).status == 2)
        #expect(try CLI.critfix(["frobnicate"]).status == 2)
        #expect(try CLI.critfix(["parse", "x.xml", "--format", "yaml"]).status == 2)
        let help = try CLI.critfix(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("catch-up"))
    }

    @Test(arguments: Backend.allCases) func hostileFeedsAreReportedAndTheOthersDelivered(_ backend: Backend) throws {
        let secret = try CLI.scratch() + "/secret.txt"
        try CLI.write("TOP-SECRET-MARKER-7f3a", to: secret)
        let xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://\(secret)">]>
            <rss version="2.0" xmlns:fx="urn:critfix:fix:1"><channel><title>x</title>
            <item><title>&xxe;</title><guid>g1</guid><fx:severity>1</fx:severity><fx:kind>patch</fx:kind>
            <fx:product id="erp-ln"/><description>&xxe;</description></item></channel></rss>
            """
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">
            <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
            <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
            <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
            <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
            <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
            <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
            <rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><guid>x</guid></item></channel></rss>
            """
        let deep = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>" + String(repeating: "<a>", count: 10_000)
            + String(repeating: "</a>", count: 10_000) + "</channel></rss>"
        let truncated = String(RunTests.firstFeed().prefix(600))
        let scenario = try Scenario(
            feeds: [
                "good": RunTests.firstFeed(), "xxe": xxe, "laughs": laughs, "deep": deep, "truncated": truncated,
                "undefined": "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>&nbsp;</title></channel></rss>",
            ], registrations: RunTests.registrations, backend: backend)
        try Data([0x3C, 0x72, 0x73, 0x73, 0x3E, 0xC3, 0x28, 0xFF, 0x3C, 0x2F, 0x72, 0x73, 0x73, 0x3E])
            .write(to: URL(fileURLWithPath: scenario.directory + "/feeds/invalid-utf8.xml"))
        var config = try String(contentsOfFile: scenario.config, encoding: .utf8)
        config = config.replacingOccurrences(
            of: "feeds:\n", with: "feeds:\n  - name: invalid-utf8\n    url: feeds/invalid-utf8.xml\n")
        try CLI.write(config, to: scenario.config)

        let started = Date()
        let result = try scenario.run()
        #expect(Date().timeIntervalSince(started) < 60, "hostile feeds must finish in bounded time")
        #expect(result.status == 1)
        for bad in ["xxe", "laughs", "deep", "truncated", "undefined", "invalid-utf8"] {
            #expect(result.stderr.contains("feed \(bad) failed"), "\(bad): \(result.stderr)")
        }
        #expect(!result.stderr.contains("feed good failed"))
        #expect(try scenario.messages().count == 6)
        let mbox = try String(contentsOfFile: scenario.mbox, encoding: .utf8)
        #expect(!mbox.contains("TOP-SECRET-MARKER"))
        #expect(!result.stderr.contains("TOP-SECRET-MARKER"))
        let status = try CLI.critfix(["status", "--config", scenario.config, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let feeds = json?["feeds"] as? [[String: Any]] ?? []
        #expect(feeds.first { $0["name"] as? String == "xxe" }?["failures_in_a_row"] as? Int == 1)
        #expect(feeds.first { $0["name"] as? String == "good" }?["articles"] as? Int == 3)
    }

    @Test(arguments: Backend.allCases) func aFeedFailingAgainIsReportedFromAlertAfter(_ backend: Backend) throws {
        let scenario = try Scenario(
            feeds: ["good": RunTests.firstFeed(), "broken": "<rss><channel>"], registrations: RunTests.registrations,
            feedOptions: ["broken": "    alert_after: 2\n"], backend: backend)
        let first = try scenario.run()
        #expect(first.status == 1)
        #expect(!first.stderr.contains("broken"))
        let second = try scenario.run()
        #expect(second.status == 1)
        #expect(second.stderr.contains("feed broken failed (2 failures in a row)"))
    }
}

/// The binary every command-line test runs is this code's: the tests build it (a plain
/// `swift test` builds only the test targets).
@Suite struct BinaryTests {
    @Test func theBinaryIsThisCode() {
        #expect(CLI.buildProblem == nil, "\(CLI.buildProblem ?? "")")
        #expect(FileManager.default.isExecutableFile(atPath: CLI.binary))
    }
}
