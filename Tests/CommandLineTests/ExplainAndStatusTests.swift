import Foundation
import Testing

@Suite struct ExplainAndStatusTests {
    @Test(arguments: Backend.allCases) func explainSaysRuleByRule(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations, backend: backend)
        // Before any run the article is read from its feed.
        let before = try CLI.critfix(["explain", "P1", "kb/A1", "--config", scenario.config])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("rule 3: no"))
        #expect(before.stdout.contains("erp-ln 10.10 is not in '>=10.5, <10.7.2'"))
        #expect(before.stdout.hasSuffix("=> no notification\n"))

        #expect(try scenario.run().status == 0)
        let notified = try CLI.critfix(["explain", "E1", "kb/A1", "--config", scenario.config])
        #expect(notified.stdout.contains("as recorded in the state"))
        #expect(notified.stdout.contains("rule 1: yes"))
        #expect(notified.stdout.contains("rule 5: no  — already notified at revision 1"))

        let suspended = try CLI.critfix(["explain", "S1", "kb/A1", "--config", scenario.config])
        #expect(suspended.stdout.contains("rule 1: no  — customer is suspended"))

        #expect(try CLI.critfix(["explain", "NOBODY", "kb/A1", "--config", scenario.config]).status == 2)
        #expect(try CLI.critfix(["explain", "E1", "kb/none", "--config", scenario.config]).status == 2)
    }

    @Test(arguments: Backend.allCases) func statusShowsFeedsAndDeliveries(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": RunTests.firstFeed()], registrations: RunTests.registrations, backend: backend)
        #expect(try scenario.run().status == 0)
        let text = try CLI.critfix(["status", "--config", scenario.config])
        #expect(text.status == 0)
        #expect(text.stdout.contains("kb: "))
        #expect(text.stdout.contains("3 articles"))
        #expect(text.stdout.contains("deliveries: 0 pending, 0 retrying, 0 dead, 6 delivered"))
        let json = try CLI.critfix(["status", "--config", scenario.config, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["deliveries"] as? [String: Int])?["delivered"] == 6)
        #expect((object["retrying"] as? [Any])?.isEmpty == true)
        #expect((object["dead"] as? [Any])?.isEmpty == true)
        let feed = (object["feeds"] as? [[String: Any]])?.first
        #expect(feed?["name"] as? String == "kb")
        #expect(feed?["failures_in_a_row"] as? Int == 0)
        #expect(feed?["last_error"] is NSNull)
        #expect((feed?["last_fetch"] as? String)?.hasSuffix("Z") == true)
    }
}
