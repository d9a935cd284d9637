import Foundation
import Testing

/// A run with nothing new must be cheap (cron, every few minutes) and still notice a
/// changed feed file or a changed, broken registrations file.
@Suite struct UnchangedRunTests {
    @Test(arguments: Backend.allCases) func anUnchangedFeedFileIsNotReadAgain(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations, backend: backend)
        #expect(try scenario.run().status == 0)
        let sent = try scenario.messages().count
        #expect(sent > 0)

        let second = try scenario.run(["--summary"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("feeds: 1 read (1 unchanged since the last fetch), 0 failed"))
        // The file's own validator is not an HTTP ETag: status does not show it as one.
        let status = try CLI.critfix(["status", "--config", scenario.config, "--format", "json"])
        let feed = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["feeds"] as? [[String: Any]]
        ).first
        #expect(feed?["etag"] is NSNull)
        #expect(feed?["http_status"] is NSNull)

        // Rewritten with the same bytes: read again (the file's times changed), nothing new.
        let path = scenario.directory + "/feeds/kb.xml"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.write(to: URL(fileURLWithPath: path))
        let third = try scenario.run(["--summary"])
        #expect(third.status == 0)
        #expect(third.stdout.contains("feeds: 1 read, 0 failed"))
        #expect(third.stdout.contains("articles: 0 new, 0 revised"))
        #expect(try scenario.messages().count == sent)

        // A new revision in the file is noticed and sent.
        try scenario.writeFeed("kb", RunTests.firstFeed(a2Severity: 1, a2Revision: 2))
        let fourth = try scenario.run(["--summary"])
        #expect(fourth.status == 0)
        #expect(fourth.stdout.contains("1 revised"))
        #expect(try scenario.messages().count > sent)
    }

    @Test(arguments: Backend.allCases) func aBrokenRegistrationsFileIsCaughtEvenWhenNothingChanged(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations, backend: backend)
        #expect(try scenario.run().status == 0)
        let sent = try scenario.messages().count

        let broken = RunTests.registrations.replacingOccurrences(of: "plan: premium", with: "plan: platinum")
        try CLI.write(broken, to: scenario.directory + "/registrations.yaml")
        let failed = try scenario.run()
        #expect(failed.status == 65)
        #expect(failed.stderr.contains("registrations.yaml:"))
        #expect(failed.stderr.contains("platinum"))
        #expect(failed.stderr.contains("nothing was done"))

        try CLI.write(RunTests.registrations, to: scenario.directory + "/registrations.yaml")
        #expect(try scenario.run().status == 0)
        #expect(try scenario.messages().count == sent)
    }

    @Test(arguments: Backend.allCases) func anUnsetSecretVariableIsCaughtEvenWhenNothingChanged(_ backend: Backend) throws {
        let registrations = RunTests.registrations + """

              - id: W1
                plan: elite
                products:
                  - product: bi
                webhooks:
                  - url: https://hooks.w1.example/critfix
                    secret_env: W1_HOOK_SECRET
            """
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: registrations, backend: backend)
        let secret = ["W1_HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
        let first = try CLI.critfix(["run", "--config", scenario.config], environment: secret)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try CLI.critfix(["run", "--config", scenario.config], environment: secret).status == 0)

        // Same files, nothing new — but the variable the file names is gone.
        let unset = try CLI.critfix(["run", "--config", scenario.config])
        #expect(unset.status == 65)
        #expect(unset.stderr.contains("W1_HOOK_SECRET"))
    }
}
