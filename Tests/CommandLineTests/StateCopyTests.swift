import Foundation
import Testing
import TestSupport

/// `critfix state copy`: SQLite → PostgreSQL → SQLite, then a run on each copy.
@Suite struct StateCopyTests {
    @Test func aRoundTripKeepsEverythingAndNoCopySendsAgain() throws {
        // Sent, then a revision whose email waits: the SMTP server is down.
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations)
        #expect(try scenario.run().status == 0)
        let sent = try scenario.messages()
        #expect(sent.count == 6)
        let mboxConfig = try String(contentsOfFile: scenario.config, encoding: .utf8)
        try scenario.writeFeed("kb", RunTests.firstFeed(a2Severity: 1, a2Revision: 2))
        try CLI.write(
            mboxConfig.replacingOccurrences(of: "transport: mbox:out.mbox", with: "transport: smtp://127.0.0.1:1"),
            to: scenario.config)
        #expect(try scenario.run().status == 1)

        let postgres = try PostgresCluster.shared.get().createDatabase()
        let back = scenario.directory + "/back/state.sqlite"
        let toPostgres = try CLI.critfix(["state", "copy", "--config", scenario.config, "--to", postgres])
        #expect(toPostgres.status == 0, "\(toPostgres.stderr)")
        #expect(toPostgres.stdout.hasPrefix("copied \(scenario.state) to postgres://critfix@127.0.0.1:"))
        #expect(toPostgres.stdout.contains("4 articles, "), "\(toPostgres.stdout)")

        // Each copy is an installation of its own: the same files, its own state and mbox.
        func installation(_ name: String, state: String) throws -> String {
            let directory = scenario.directory + "/" + name
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in ["registrations.yaml", "feeds/kb.xml"] {
                try CLI.write(try String(contentsOfFile: scenario.directory + "/" + file, encoding: .utf8), to: directory + "/" + file)
            }
            try CLI.write(
                mboxConfig.replacingOccurrences(of: "state: state/state.sqlite", with: "state: \(state)"),
                to: directory + "/critfix.yaml")
            return directory + "/critfix.yaml"
        }
        let onPostgres = try installation("on-postgres", state: postgres)
        let backOnSQLite = try installation("back-on-sqlite", state: back)
        let fromPostgres = try CLI.critfix(["state", "copy", "--config", backOnSQLite, "--from", postgres])
        #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
        // A copy goes only into an empty state.
        let again = try CLI.critfix(["state", "copy", "--config", scenario.config, "--to", postgres])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds a state"))

        // `status` is the same on every copy, down to the waiting deliveries' errors.
        let configs = [scenario.config, onPostgres, backOnSQLite]
        let statuses = try configs.map { try CLI.critfix(["status", "--config", $0, "--format", "json"]).stdout }
        #expect(statuses[0].contains("\"retrying\": 1") || statuses[0].contains("\"retrying\":1"), "\(statuses[0])")
        #expect(statuses[1] == statuses[0])
        #expect(statuses[2] == statuses[0])

        // A run on each copy sends the waiting revision and nothing that was sent before.
        try CLI.write(mboxConfig, to: scenario.config)
        var sentAfterCopy: [[String]] = []
        for config in configs {
            let run = try CLI.critfix(["run", "--config", config])
            #expect(run.status == 0, "\(run.stderr)")
            let mbox = (config as NSString).deletingLastPathComponent + "/out.mbox"
            let all = try CLI.mbox(mbox)
            let new = config == scenario.config ? Array(all.dropFirst(sent.count)) : all
            sentAfterCopy.append(new.map { "\($0["customer"] as? String ?? "") \(($0["articles"] as? [String] ?? []).joined(separator: "+"))" })
            let oldIDs = Set(sent.compactMap { $0["message_id"] as? String })
            #expect(new.allSatisfy { !oldIDs.contains($0["message_id"] as? String ?? "") })
        }
        // The pending one goes out; the one the failure touched waits for its retry delay.
        #expect(sentAfterCopy[0] == ["P1 kb/A2"])
        #expect(sentAfterCopy[1] == sentAfterCopy[0])
        #expect(sentAfterCopy[2] == sentAfterCopy[0])
        // The runs fetched at different moments; what the deliveries say is the same.
        let after = try configs.map { config in
            let text = try CLI.critfix(["status", "--config", config, "--format", "json"]).stdout
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
            return try JSONSerialization.data(
                withJSONObject: ["deliveries": json["deliveries"] ?? 0, "retrying": json["retrying"] ?? 0, "dead": json["dead"] ?? 0],
                options: .sortedKeys)
        }
        #expect(String(decoding: after[0], as: UTF8.self).contains("\"delivered\":7"))
        #expect(after[1] == after[0])
        #expect(after[2] == after[0])
    }
}
