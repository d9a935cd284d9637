import Foundation
import Testing

@Suite struct CrashTests {
    /// Killed with SIGKILL at several moments of a run with thousands of deliveries,
    /// then run to completion: every message arrives, a repeat has the same Message-ID, and
    /// a kill repeats at most 100 messages (SPEC 6.4). An mbox is read back by the next run,
    /// which records what a killed run wrote instead of writing it again: a kill then repeats
    /// at most the one message it may have cut short. Standard output (kept in a file here)
    /// cannot be read back: a kill leaves at most 100 written and unrecorded.
    @Test(arguments: ["mbox", "stdout"], Backend.allCases) func killedRunsLoseNothing(transport: String, backend: Backend) throws {
        let generator = CLI.packageRoot + "/Scripts/make-corpus"
        let reference = try CLI.scratch() + "/reference"
        let crashed = try CLI.scratch() + "/crashed"
        let transportSetting = transport == "mbox" ? "mbox:out.mbox" : "stdout"
        for directory in [reference, crashed] {
            let generated = try CLI.run(
                "/usr/bin/env",
                [
                    "python3", generator, "--feeds", "6", "--items", "60", "--customers", "200", "--seed", "3",
                    "--transport", transportSetting, "--out", directory,
                ])
            try #require(generated.status == 0, "\(generated.stderr)")
        }
        let state = try TestState(backend, directory: crashed)
        try state.use(in: crashed + "/critfix.yaml")
        let clean = try CLI.critfix(["run", "--config", reference + "/critfix.yaml"])
        #expect(clean.status == 0, "\(clean.stderr)")
        if transport == "stdout" { try clean.stdoutBytes.write(to: URL(fileURLWithPath: reference + "/out.mbox")) }
        let expected = try CLI.mbox(reference + "/out.mbox")
        try #require(expected.count > 500, "the workload must be large enough to be interrupted")

        // Two kills at fixed moments (while reading or planning, most likely), then kills
        // among the messages: once the mailbox grows, at a random moment.
        var kills = 0
        var random = SystemRandomNumberGenerator()
        let mailbox = crashed + "/out.mbox"
        _ = FileManager.default.createFile(atPath: mailbox, contents: nil)
        func size() -> Int { (try? FileManager.default.attributesOfItem(atPath: mailbox)[.size] as? Int) ?? 0 }
        for round in 0..<6 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["run", "--config", crashed + "/critfix.yaml"]
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: mailbox))
            output.seekToEndOfFile()
            process.standardOutput = transport == "stdout" ? output : FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let before = size()
            try process.run()
            if round < 2 {
                Thread.sleep(forTimeInterval: round == 0 ? 0.05 : 0.15)
            } else {
                let deadline = Date().addingTimeInterval(30)
                while process.isRunning, Date() < deadline, size() == before { Thread.sleep(forTimeInterval: 0.002) }
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.03, using: &random))
            }
            let killed = process.isRunning
            if killed {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            try output.close()
            guard killed, transport == "stdout" else { continue }
            // What the next run will send again: messages written whose delivery the state
            // does not have as delivered.
            let written = Set(try CLI.mbox(mailbox).compactMap { $0["message_id"] as? String }).count
            let status = try CLI.critfix(["status", "--config", crashed + "/critfix.yaml", "--format", "json"])
            let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            let delivered = (json?["deliveries"] as? [String: Int])?["delivered"] ?? 0
            #expect(written - delivered <= 100, "kill \(kills) left \(written - delivered) messages written and unrecorded")
        }
        #expect(kills > 0, "no run was interrupted; the workload is too small")
        // On PostgreSQL the last killed run's claims are taken over once their lease ends.
        if backend == .postgres { Thread.sleep(forTimeInterval: 1.2) }
        let final = try CLI.critfix(["run", "--config", crashed + "/critfix.yaml"])
        #expect(final.status == 0, "\(final.stderr)")
        if transport == "stdout" {
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: mailbox))
            output.seekToEndOfFile()
            output.write(final.stdoutBytes)
            try output.close()
        }

        // A kill may cut the message being written short, even within its headers; the
        // next run writes it again whole. Such a fragment (no Message-ID) is one per kill at most.
        let all = try CLI.mbox(mailbox)
        let received = all.filter { ($0["message_id"] as? String) != "None" }
        #expect(all.count - received.count <= kills, "\(all.count - received.count) fragments after \(kills) kills")
        func key(_ message: [String: Any]) -> String {
            "\(message["customer"] as? String ?? "") \(message["to"] as? String ?? "") \((message["articles"] as? [String] ?? []).joined(separator: "+"))"
        }
        // Every expected message arrived.
        let receivedKeys = Set(received.map(key))
        for message in expected { #expect(receivedKeys.contains(key(message)), "missing \(key(message))") }
        // A repeat is the same delivery: same content key, same Message-ID.
        var idByKey: [String: String] = [:]
        for message in received {
            let id = message["message_id"] as? String ?? ""
            if let known = idByKey[key(message)] { #expect(known == id, "a repeat with another Message-ID: \(key(message))") }
            idByKey[key(message)] = id
        }
        #expect(Set(received.compactMap { $0["message_id"] as? String }).count == expected.count)
        let repeats = all.count - expected.count
        #expect(repeats <= (transport == "mbox" ? 1 : 100) * kills, "\(repeats) messages repeated after \(kills) kills")
        let status = try CLI.critfix(["status", "--config", crashed + "/critfix.yaml", "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let deliveries = json?["deliveries"] as? [String: Int]
        #expect(deliveries?["pending"] == 0)
        #expect(deliveries?["delivered"] == expected.count)
    }
}

@Suite struct ParseCommandTests {
    @Test func jsonAsSpecified() throws {
        let result = try CLI.critfix(["parse", CLI.packageRoot + "/Feeds/erp-ln-kb.xml", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let feed = json["feed"] as? [String: Any]
        #expect(feed?["format"] as? String == "rss2")
        #expect(feed?["title"] as? String == "ERP LN — critical fixes")
        let articles = try #require(json["articles"] as? [[String: Any]])
        #expect(articles.count == 3)
        let first = articles[0]
        #expect(first["key"] as? String == "erp-ln-kb/KB2245871")
        #expect(first["id"] as? String == "KB2245871")
        #expect(first["revision"] as? Int == 2)
        #expect(first["severity"] as? Int == 1)
        #expect(first["kind"] as? String == "critical-fix")
        #expect(first["published"] as? String == "2026-11-24T09:30:00Z")
        #expect(first["title"] as? String == "KB 2245871: Poprawka krytyczna księgowania")
        let products = first["products"] as? [[String: Any]]
        #expect(products?.first?["id"] as? String == "erp-ln")
        #expect(products?.first?["affected"] as? String == ">=10.5, <10.7.2")
        #expect(products?.first?["fixed"] as? String == "10.7.2")
        #expect(products?.last?["id"] as? String == "erp-m3")
        #expect((first["summary"] as? String)?.contains("<") == false)
        #expect(json["warnings"] is [Any])
    }

    @Test func withTheConfigurationProductsResolveThroughTheCatalog() throws {
        let result = try CLI.critfix([
            "parse", CLI.packageRoot + "/Feeds/payroll-notes.xml", "--format", "json", "--config",
            CLI.packageRoot + "/Feeds/critfix.yaml",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let articles = try #require(json["articles"] as? [[String: Any]])
        #expect(articles[0]["key"] as? String == "payroll-notes/payroll-2027-zus")
        #expect(articles[0]["title"] as? String == "Zmiana stawek składek ZUS od 1 stycznia 2027")
        let products = articles[0]["products"] as? [[String: Any]]
        #expect(products?.first?["id"] as? String == "payroll-pl")
        #expect(products?.first?["affected"] as? String == "=2026.1")
        // The second item has no severity/kind categories: the feed's defaults apply.
        #expect(articles[1]["severity"] as? Int == 3)
        #expect(articles[1]["kind"] as? String == "article")
    }

    @Test func aBrokenDocumentPrintsWhatWasRecoveredAndExits1() throws {
        let directory = try CLI.scratch()
        let text = RunTests.firstFeed()
        let cut = text.range(of: "<fx:article>A3</fx:article>")!.lowerBound
        try CLI.write(String(text[..<cut]), to: directory + "/cut.xml")
        let result = try CLI.critfix(["parse", directory + "/cut.xml"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((json["articles"] as? [[String: Any]])?.count == 2)
        #expect((json["warnings"] as? [String])?.isEmpty == false)
    }

    @Test func aLargeFileIsReadWholeAndInOrder() throws {
        // Above 8 MiB a file is read on a thread of its own, through a ring of four 256 KiB
        // buffers: every item comes out once, in order, with its text whole.
        let directory = try CLI.scratch()
        let filler = String(repeating: "zażółć gęślą jaźń &amp; ", count: 70)
        let count = 5000
        let items = (0..<count).map { n in
            rssItem("L\(n)", severity: 3, kind: "patch", products: [("erp-ln", nil)], day: n % 28 + 1)
                .replacingOccurrences(of: "<description>Details of L\(n).</description>",
                    with: "<description>start-\(n) \(filler)end-\(n)</description>")
        }
        let text = rssFeed(items)
        #expect(text.utf8.count > 9 << 20)
        try CLI.write(text, to: directory + "/large.xml")
        let result = try CLI.critfix(["parse", directory + "/large.xml", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let articles = try #require(json["articles"] as? [[String: Any]])
        #expect(articles.count == count)
        for (n, article) in articles.enumerated() {
            guard article["id"] as? String == "L\(n)" else {
                Issue.record("item \(n) is \(article["id"] ?? "?")")
                break
            }
            let summary = article["summary"] as? String ?? ""
            guard summary.hasPrefix("start-\(n) zażółć gęślą jaźń & "), summary.hasSuffix(" end-\(n)") else {
                Issue.record("item \(n): \(summary.prefix(60))…\(summary.suffix(20))")
                break
            }
        }
    }

    @Test func warningsStopAtAThousandPerDocument() throws {
        // The items' warnings are made on `parse`'s second thread: the limit still holds.
        let directory = try CLI.scratch()
        let items = (0..<1100).map { rssItem("W\($0)", severity: 9, kind: "patch", products: [("erp-ln", nil)], day: 1) }
        try CLI.write(rssFeed(items), to: directory + "/noisy.xml")
        let result = try CLI.critfix(["parse", directory + "/noisy.xml", "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((json["articles"] as? [[String: Any]])?.count == 1100)
        let warnings = json["warnings"] as? [String] ?? []
        // Two per item: the value the parser refuses, and the default the normaliser uses.
        #expect(warnings.count == 1001)
        #expect(warnings.contains { $0.contains("fx:severity '9' is not 1..4") })
        #expect(warnings.last == "1200 more warnings not shown")
    }
}
