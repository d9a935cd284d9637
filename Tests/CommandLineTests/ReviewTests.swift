import Foundation
import Testing

/// `critfix review CUSTOMER PRODUCT --to VERSION` (SPEC 7.5) on recorded articles: the
/// sample feeds of Feeds/ and the real-world Cisco advisories. The expected lists were
/// worked out by hand from the documents' affected ranges.
@Suite("review: upgrade planning")
struct ReviewTests {
    /// The sample installation (Feeds/) in a scratch folder, its articles recorded by catch-up.
    static func sampleState(backend: Backend) throws -> (directory: String, config: String) {
        let directory = try CLI.scratch()
        let state = try TestState(backend, directory: directory)
        for file in try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot + "/Feeds") where !file.hasPrefix(".") {
            try FileManager.default.copyItem(atPath: CLI.packageRoot + "/Feeds/" + file, toPath: directory + "/" + file)
        }
        let config = directory + "/critfix.yaml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try CLI.write(
            text.replacingOccurrences(of: "state: .critfix/state.sqlite", with: "state: \(state.yaml)"), to: config)
        #expect(try String(contentsOfFile: config, encoding: .utf8).contains("state: \(state.yaml)"))
        let caughtUp = try CLI.critfix(["catch-up", "--config", config])
        #expect(caughtUp.status == 0, "\(caughtUp.stderr)")
        return (directory, config)
    }

    static func json(_ result: CLI.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    static func articles(_ list: Any?) -> [String] {
        (list as? [[String: Any]] ?? []).map { "\($0["severity"] ?? "") \($0["article"] ?? "")" }
    }

    /// NORDLYS-014 runs ERP LN 10.10 (registered through the alias LN). 10.7.2 is older: a
    /// downgrade. Of the sample articles about ERP LN: KB2245871 (>=10.5, <10.7.2) affects
    /// neither; KB2245990 (<10.7.2 || =10.10) and VSA-2026-0042 (=10.7.1 || =10.10) affect
    /// 10.10 only; kb-2246002 (>=10.5, <10.8, no fix) affects 10.7.2 only.
    @Test("ERP LN 10.10 to 10.7.2: a downgrade", arguments: Backend.allCases)
    func downgrade(backend: Backend) throws {
        let (_, config) = try Self.sampleState(backend: backend)
        let text = try CLI.critfix(["review", "NORDLYS-014", "LN", "--to", "10.7.2", "--config", config])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("This is a downgrade: 10.7.2 is older than the installed 10.10."))
        let review = try Self.json(try CLI.critfix(["review", "NORDLYS-014", "erp-ln", "--to", "10.7.2", "--config", config, "--format", "json"]))
        #expect(review["downgrade"] as? Bool == true)
        #expect(review["installed"] as? String == "10.10" && review["target"] as? String == "10.7.2")
        #expect(Self.articles(review["known_problems"]) == ["2 erp-ln-kb/kb-2246002"])
        #expect((review["known_problems"] as? [[String: Any]])?.first?["fix"] as? String == "no fix announced yet")
        #expect(Self.articles(review["fixed_by_move"]) == ["2 vendor-cvrf/VSA-2026-0042", "3 erp-ln-kb/KB2245990"])
        #expect(Self.articles(review["newly_exposed"]) == ["2 erp-ln-kb/kb-2246002"])
    }

    /// ACME-001 runs 10.7.1 and moves up to 10.7.2: KB2245871, KB2245990 and
    /// VSA-2026-0042 are fixed by it; kb-2246002 stays; an upgrade, not a downgrade. And
    /// to 10.10: KB2245990 and VSA-2026-0042 list 10.10 itself, whose own fix (10.10.1,
    /// the release line's entry of `fixed`) is the advice.
    @Test("ERP LN 10.7.1 to 10.7.2 and to 10.10: the fix of the right release line")
    func upgrade() throws {
        let (_, config) = try Self.sampleState(backend: .sqlite)
        let review = try Self.json(try CLI.critfix(["review", "ACME-001", "ERP LN", "--to", "10.7.2", "--config", config, "--format", "json"]))
        #expect(review["downgrade"] as? Bool == false)
        #expect(Self.articles(review["known_problems"]) == ["2 erp-ln-kb/kb-2246002"])
        #expect(Self.articles(review["fixed_by_move"]) == ["1 erp-ln-kb/KB2245871", "2 vendor-cvrf/VSA-2026-0042", "3 erp-ln-kb/KB2245990"])
        #expect(Self.articles(review["newly_exposed"]) == [])
        let toTen = try Self.json(try CLI.critfix(["review", "ACME-001", "erp-ln", "--to", "10.10", "--config", config, "--format", "json"]))
        let problems = toTen["known_problems"] as? [[String: Any]] ?? []
        #expect(Self.articles(problems) == ["2 vendor-cvrf/VSA-2026-0042", "3 erp-ln-kb/KB2245990"])
        #expect(problems.map { $0["fixed_in"] as? String } == [nil, "10.10.1"])
        #expect(problems.first?["fix"] as? String == "no fix announced yet for 10.10 (fixed in 10.7.2)")
        #expect(Self.articles(toTen["fixed_by_move"]) == ["1 erp-ln-kb/KB2245871", "2 erp-ln-kb/kb-2246002"])
        #expect(Self.articles(toTen["newly_exposed"]) == [])
    }

    /// Every Cisco CVRF document and every CSAF example recorded; a customer on IOS
    /// 15.7(3)M reviews 15.7(3)M2. Two advisories name IOS: cisco-sa-20200108-ios-csrf lists
    /// both releases among its affected ones (and no fixed release), and
    /// cisco-sa-XE-FSM-Yj8qJbJc gives no affected versions (every version): both stay.
    @Test("IOS 15.7(3)M to 15.7(3)M2 on Cisco's advisories")
    func ios() throws {
        let directory = try CLI.scratch()
        let paths = try AdvisoryTests.allFixtures(under: "cvrf/cisco") + AdvisoryTests.allFixtures(under: "csaf")
        try AdvisoryTests.writeConfiguration(feeds: paths, state: "state.sqlite", in: directory)
        try CLI.write(
            """
            customers:
              - id: C-IOS
                plan: elite
                products: [{ product: ios, version: "15.7(3)M" }]
                contacts: [{ email: ios@example.com }]
            """, to: directory + "/registrations.yaml")
        let config = directory + "/critfix.yaml"
        #expect(try CLI.critfix(["catch-up", "--config", config]).status == 0)
        let text = try CLI.critfix(["review", "C-IOS", "ios", "--to", "15.7(3)M2", "--config", config])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("Review of IOS for C-IOS: from 15.7(3)M to 15.7(3)M2\n"))
        #expect(!text.stdout.contains("downgrade"))
        let review = try Self.json(try CLI.critfix(["review", "C-IOS", "IOS", "--to", "15.7(3)M2", "--config", config, "--format", "json"]))
        #expect(
            Self.articles(review["known_problems"]) == [
                "2 cisco-sa-20200108-ios-csrf-cvrf/cisco-sa-20200108-ios-csrf",
                "3 cisco-sa-xe-fsm-yj8qjbjc-cvrf/cisco-sa-XE-FSM-Yj8qJbJc",
            ])
        #expect((review["known_problems"] as? [[String: Any]] ?? []).allSatisfy { $0["fix"] as? String == "no fix announced yet" })
        #expect(Self.articles(review["fixed_by_move"]) == [])
        #expect(Self.articles(review["newly_exposed"]) == [])
        // Back to 12.2(55)SE: a downgrade that keeps both and newly exposes two critical
        // ones, the Cluster Management Protocol (CVRF) and Smart Install (CSAF) advisories,
        // which list 12.2(55)SE and not 15.7(3)M.
        let back = try Self.json(try CLI.critfix(["review", "C-IOS", "ios", "--to", "12.2(55)SE", "--config", config, "--format", "json"]))
        #expect(back["downgrade"] as? Bool == true)
        #expect(
            Self.articles(back["newly_exposed"]) == [
                "1 cisco-sa-20170317-cmp-cvrf/cisco-sa-20170317-cmp", "1 csaf-cisco-sa-20180328-smi2/cisco-sa-20180328-smi2",
            ])
        #expect(Self.articles(back["known_problems"]).count == 4)
    }

    @Test("exit 2: an unknown customer or product, a product not registered, a version that is not one")
    func usageErrors() throws {
        let (_, config) = try Self.sampleState(backend: .sqlite)
        for (arguments, message) in [
            (["NOBODY", "erp-ln", "--to", "10.7.2"], "no customer NOBODY"),
            (["ACME-001", "no-such-product", "--to", "10.7.2"], "no product no-such-product"),
            (["NORDLYS-014", "erp-m3", "--to", "10.7.2"], "has not registered erp-m3"),
            (["ACME-001", "erp-ln", "--to", "ten point seven"], "is not a version"),
            (["ACME-001", "erp-ln", "--to", "10.7.2", "--format", "yaml"], "Please provide one of 'json' and 'text'"),
        ] {
            let result = try CLI.critfix(["review"] + arguments + ["--config", config])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }
}
