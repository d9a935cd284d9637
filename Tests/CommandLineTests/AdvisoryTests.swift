import Foundation
import Testing

/// Advisories as vendors publish them, through the command line: CVRF and CSAF documents
/// of Tests/Fixtures/realworld as feeds, CSAF ROLIE feeds from a real HTTP server, hostile
/// JSON, and the fix advice every notice gives (SPEC 2.3–2.6, 3, 5).
@Suite(.serialized) struct AdvisoryTests {
    static let realworld = CLI.packageRoot + "/Tests/Fixtures/realworld"

    /// Documents by their fixture path, as `(feed name, path)`: file feeds.
    static func feeds(_ paths: [String]) -> [(String, String)] {
        paths.map { path in
            let file = (path as NSString).lastPathComponent
            let name = (file as NSString).deletingPathExtension.lowercased().replacingOccurrences(of: "_", with: "-")
            return ((path.hasPrefix("csaf/") ? "csaf-" : "") + name, realworld + "/" + path)
        }
    }

    static func allFixtures(under folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: realworld + "/" + folder)
            .filter { $0.hasSuffix(".xml") || $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    /// A critfix.yaml in `directory`: these fixtures as file feeds, the vendor catalog,
    /// email to an mbox.
    static func writeConfiguration(feeds paths: [String], state: String, in directory: String) throws {
        let feedList = feeds(paths).map { "  - name: \($0.0)\n    url: \($0.1)\n" }.joined()
        try CLI.write(
            """
            state: \(state)
            registrations: registrations.yaml
            feeds:
            \(feedList)\(vendorCatalog)
            email:
              from: "Support <noreply@support.example.com>"
              transport: mbox:out.mbox
            """, to: directory + "/critfix.yaml")
    }

    static let vendorCatalog = """
        products:
          - id: ios
            name: IOS
          - id: ios-xe
            name: Cisco IOS XE Software
            aliases: [IOS XE]
          - id: rhel-8
            name: Red Hat Enterprise Linux 8
            cpe: ["cpe:/o:redhat:enterprise_linux:8", "cpe:2.3:a:redhat:enterprise_linux:8:*:*:*:*:*:*:*"]
        """

    /// SPEC 5 over every Cisco and Red Hat CVRF document and every CSAF example: three
    /// customers — IOS 15.7(3)M, IOS XE 16.5.1, and RHEL 8 resolved by CPE — with severity
    /// thresholds get exactly these notices, in dispatch order. The list was worked out by
    /// hand from the documents' affected versions (Scripts/advisory-reference's reading).
    @Test(arguments: Backend.allCases) func vendorAdvisoriesReachExactlyTheAffectedCustomers(_ backend: Backend) throws {
        let directory = try CLI.scratch()
        let state = try TestState(backend, directory: directory)
        let paths = try Self.allFixtures(under: "cvrf/cisco") + Self.allFixtures(under: "cvrf/redhat")
            + Self.allFixtures(under: "csaf")
        try Self.writeConfiguration(feeds: paths, state: state.yaml, in: directory)
        try CLI.write(
            """
            customers:
              - id: C-IOS
                plan: premium
                min_severity: 2
                products: [{ product: ios, version: "15.7(3)M" }]
                contacts: [{ email: ios@example.com }]
              - id: C-XE
                plan: elite
                min_severity: 3
                products: [{ product: IOS XE, version: "16.5.1" }]
                contacts: [{ email: xe@example.com }]
              - id: C-RHEL
                plan: xtreme
                min_severity: 2
                products: [{ product: rhel-8 }]
                contacts: [{ email: rhel@example.com }]
            """, to: directory + "/registrations.yaml")
        let check = try CLI.critfix(["check", "--config", directory + "/critfix.yaml"])
        #expect(check.status == 0, "\(check.stderr)")
        let run = try CLI.critfix(["run", "--config", directory + "/critfix.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        let sent = try CLI.mbox(directory + "/out.mbox").map {
            // (Python's mailbox folds long headers when it writes them back: strip the fold.)
            let article = (($0["articles"] as? [String])?.first ?? "").trimmingCharacters(in: .whitespaces)
            return "\($0["customer"] as? String ?? "") \(article) \($0["severity"] as? String ?? "")"
        }
        #expect(
            sent == [
                "C-XE csaf-cisco-sa-20180328-smi2/cisco-sa-20180328-smi2 1",
                "C-XE cisco-sa-20190327-nbar-cvrf/cisco-sa-20190327-nbar 2",
                "C-XE cisco-sa-20190513-webui-cvrf/cisco-sa-20190513-webui 2",
                "C-XE cisco-sa-20190821-iosxe-ngwc-csrf-cvrf/cisco-sa-20190821-iosxe-ngwc-csrf 2",
                "C-XE cisco-sa-20190925-iosxe-fsdos-cvrf/cisco-sa-20190925-iosxe-fsdos 2",
                "C-IOS cisco-sa-20200108-ios-csrf-cvrf/cisco-sa-20200108-ios-csrf 2",
                "C-RHEL rhsa-2021-2353/RHSA-2021:2353 2",
                "C-RHEL rhsa-2021-3155/RHSA-2021:3155 2",
                "C-XE cisco-sa-iosxe-ctbypass-7qhafhkk-cvrf/cisco-sa-iosxe-ctbypass-7QHAfHkK 3",
                "C-XE cisco-sa-iox-usb-guestshell-wmevscdj-cvrf/cisco-sa-iox-usb-guestshell-WmevScDj 3",
                "C-XE cisco-sa-xe-fsm-yj8qjbjc-cvrf/cisco-sa-XE-FSM-Yj8qJbJc 3",
            ])

        // `explain` says which rule resolved RHEL 8, and that no fix version is announced.
        let explain = try CLI.critfix(
            ["explain", "C-RHEL", "rhsa-2021-2353/RHSA-2021:2353", "--config", directory + "/critfix.yaml"])
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("by CPE cpe:/a:redhat:enterprise_linux:8::appstream (catalog entry cpe:2.3:a:redhat:enterprise_linux:8:*:*:*:*:*:*:*)"))
        #expect(explain.stdout.contains("rule 3: yes — rhel-8 registered without a version: every version matches"))
        #expect(explain.stdout.contains("rule 5: no  — already notified at revision 1"))
        let named = try CLI.critfix(
            ["explain", "C-XE", "cisco-sa-20190513-webui-cvrf/cisco-sa-20190513-webui", "--config", directory + "/critfix.yaml"])
        #expect(named.stdout.contains("ios-xe 16.5.1 lies in"), "\(named.stdout)")
        #expect(named.stdout.contains("by name 'Cisco IOS XE Software'"))
    }

    /// SPEC 2.6 from a real HTTP server: the first run fetches every document, the second
    /// only the one whose `updated` changed (conditionally), a wrong `.sha256` fails only
    /// its document, and that document is fetched again next run.
    @Test(arguments: Backend.allCases) func rolieFetchesOnlyNewOrChangedDocuments(_ backend: Backend) throws {
        let server = try FeedServer()
        let documents = ["cisco-sa-20180328-smi2", "rhsa-2021_5186", "rhsa-2022_0011", "2022-evd-uc-04-001"]
        for name in documents {
            let text = try String(contentsOfFile: Self.realworld + "/csaf/\(name).json", encoding: .utf8)
            try server.publish(name + ".json", text)
            try server.publish(name + ".json.sha256", Self.sha256(text) + "  \(name).json\n")
        }
        // One wrong hash file.
        try server.publish("rhsa-2022_0011.json.sha256", String(repeating: "0", count: 64) + "  rhsa-2022_0011.json\n")
        func rolie(_ updated: [String: String]) -> String {
            let entries = documents.map { name in
                """
                {"id": "\(name)", "title": "\(name)", "updated": "\(updated[name] ?? "2024-01-01T00:00:00Z")",
                 "link": [{"rel": "self", "href": "\(name).json"}, {"rel": "hash", "href": "\(name).json.sha256"}],
                 "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
                 "content": {"type": "application/json", "src": "\(name).json"}}
                """
            }
            return """
                {"feed": {"id": "example-csaf-tlp-white", "title": "Example CSAF feed (TLP:WHITE)",
                 "link": [{"rel": "self", "href": "rolie.json"}], "updated": "2024-01-01T00:00:00Z",
                 "entry": [\(entries.joined(separator: ",\n"))]}}
                """
        }
        try server.publish("rolie.json", rolie([:]))
        let scenario = try RemoteScenario(
            feeds: [("csaf", server.url("feeds/rolie.json"), "")],
            registrations: Self.oneCustomer(products: #"{ product: ios, version: "12.2(55)SE" }, { product: openshift }"#),
            extraConfig: """
                fetch:
                  concurrency: 3
                """, catalog: """
                products:
                  - id: ios
                    name: IOS
                  - id: openshift
                    name: OpenShift Container Platform
                    cpe: ["cpe:2.3:a:redhat:openshift:4.6"]
                """, backend: backend)

        let first = try scenario.run(["--summary"])
        #expect(first.status == 1)
        #expect(first.stdout.contains("ROLIE documents: 4 listed, 4 fetched"), "\(first.stdout)")
        #expect(first.stderr.contains("critfix: feed csaf: document rhsa-2022_0011 (\(server.url("feeds/rhsa-2022_0011.json"))): SHA-256 mismatch"))
        #expect(first.stderr.split(separator: "\n").filter { $0.contains("critfix: feed") }.count == 1, "\(first.stderr)")
        var requests = try server.requests()
        for name in documents {
            #expect(requests.filter { $0.path == "/feeds/\(name).json" }.map(\.status) == [200])
            #expect(requests.filter { $0.path == "/feeds/\(name).json.sha256" }.map(\.status) == [200])
        }
        #expect(requests.allSatisfy { $0.ifNoneMatch == nil })
        // The others went on: IOS by name, OpenShift by CPE (2.3 form in the catalog, 2.2 in the document).
        #expect(try scenario.messages().compactMap { ($0["articles"] as? [String])?.first }.sorted() == [
            "csaf/RHSA-2021:5186", "csaf/cisco-sa-20180328-smi2",
        ])
        let status = try scenario.feedStatus("csaf")
        #expect(status["documents"] as? Int == 4)
        let failed = status["failed_documents"] as? [[String: Any]] ?? []
        #expect(failed.map { $0["id"] as? String } == ["rhsa-2022_0011"])
        #expect((failed.first?["last_error"] as? String)?.contains("SHA-256 mismatch") == true)
        #expect(failed.first?["failures_in_a_row"] as? Int == 1)

        // Second run: one entry's `updated` changed, the bad hash is fixed. Only those two
        // are fetched; the changed one conditionally (it did not change: 304).
        let fixed = try String(contentsOfFile: Self.realworld + "/csaf/rhsa-2022_0011.json", encoding: .utf8)
        try server.publish("rhsa-2022_0011.json.sha256", Self.sha256(fixed) + "  rhsa-2022_0011.json\n")
        try server.publish("rolie.json", rolie(["2022-evd-uc-04-001": "2024-02-02T00:00:00Z"]))
        try server.clearLog()
        let second = try scenario.run(["--summary"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("ROLIE documents: 4 listed, 2 fetched"), "\(second.stdout)")
        requests = try server.requests()
        let documentRequests = requests.filter { $0.path.hasSuffix(".json") && $0.path != "/feeds/rolie.json" }
        #expect(documentRequests.map(\.path).sorted() == ["/feeds/2022-evd-uc-04-001.json", "/feeds/rhsa-2022_0011.json"])
        let changed = documentRequests.first { $0.path == "/feeds/2022-evd-uc-04-001.json" }
        #expect(changed?.ifNoneMatch != nil && changed?.status == 304)
        #expect((try scenario.feedStatus("csaf")["failed_documents"] as? [[String: Any]])?.isEmpty == true)
        // The document fixed is recorded (nobody runs RHEL 7.6); the unchanged one adds nothing.
        #expect(second.stdout.contains("articles: 1 new, 0 revised"), "\(second.stdout)")
        #expect(try scenario.messages().count == 2)

        // Third run: nothing changed, nothing fetched but the feed (304).
        try server.clearLog()
        let third = try scenario.run(["--summary"])
        #expect(third.status == 0)
        #expect(try server.requests().map(\.path) == ["/feeds/rolie.json"])
        #expect(try server.requests().first?.status == 304)
    }

    /// A ROLIE feed is untrusted: one served over HTTP never makes critfix read a local
    /// file, whatever its `src` or `hash` link says; its other documents go on.
    @Test(arguments: Backend.allCases) func aRemoteROLIEFeedCannotNameLocalFiles(_ backend: Backend) throws {
        let server = try FeedServer()
        let good = try String(contentsOfFile: Self.realworld + "/csaf/2022-evd-uc-04-001.json", encoding: .utf8)
        try server.publish("good.json", good)
        let secret = try CLI.scratch() + "/secret.json"
        try CLI.write(good.replacingOccurrences(of: "2022-EVD-UC-04-001", with: "LOCAL-SECRET"), to: secret)
        try server.publish(
            "rolie.json",
            """
            {"feed": {"id": "x", "title": "x", "entry": [
              {"id": "local", "updated": "2024-01-01T00:00:00Z", "content": {"src": "file://\(secret)"}},
              {"id": "hash", "updated": "2024-01-01T00:00:00Z", "content": {"src": "good.json"},
               "link": [{"rel": "hash", "href": "file://\(secret).sha256"}]},
              {"id": "good", "updated": "2024-01-01T00:00:00Z", "content": {"src": "good.json"}}]}}
            """)
        let scenario = try RemoteScenario(
            feeds: [("csaf", server.url("feeds/rolie.json"), "")],
            registrations: Self.oneCustomer(products: #"{ product: abc, version: "4.0" }"#),
            catalog: "products:\n  - id: abc\n    name: ABC", backend: backend)
        let run = try scenario.run()
        #expect(run.status == 1)
        #expect(run.stderr.contains(
            "critfix: feed csaf: document local (file://\(secret)): refused: a document of a feed fetched over HTTP(S) must be an http(s) URL"),
            "\(run.stderr)")
        #expect(run.stderr.contains("critfix: feed csaf: document hash (\(server.url("feeds/good.json"))): hash file: refused"))
        #expect(try scenario.messages().compactMap { ($0["articles"] as? [String])?.first } == ["csaf/2022-EVD-UC-04-001"])
    }

    /// A ROLIE feed listing more documents than `fetch.max_documents` is read over several
    /// runs, newest first, and a failed document that the feed no longer lists is forgotten.
    @Test(arguments: Backend.allCases) func largeROLIEFeedsAreReadOverSeveralRuns(_ backend: Backend) throws {
        let directory = try CLI.scratch()
        let state = try TestState(backend, directory: directory)
        let names = ["rhsa-2021_5186", "rhsa-2022_0011", "cisco-sa-20180328-smi2", "2022-evd-uc-04-001"]
        for name in names {
            try FileManager.default.copyItem(
                atPath: Self.realworld + "/csaf/\(name).json", toPath: directory + "/\(name).json")
        }
        func writeFeed(_ extra: String = "") throws {
            let entries = names.enumerated().map { index, name in
                "{\"id\": \"\(name)\", \"updated\": \"2024-01-0\(index + 1)T00:00:00Z\", \"content\": {\"src\": \"\(name).json\"}}"
            }
            try CLI.write("{\"feed\": {\"id\": \"x\", \"entry\": [\((entries + [extra].filter { !$0.isEmpty }).joined(separator: ", "))]}}",
                to: directory + "/rolie.json")
        }
        try writeFeed()
        try CLI.write(
            """
            state: \(state.yaml)
            registrations: registrations.yaml
            feeds:
              - { name: csaf, url: rolie.json }
            products: [{ id: abc, name: ABC }]
            email: { from: "s@example.com", transport: "mbox:out.mbox" }
            fetch: { max_documents: 2 }
            """, to: directory + "/critfix.yaml")
        try CLI.write(Self.oneCustomer(products: "abc"), to: directory + "/registrations.yaml")
        func run() throws -> CLI.Result { try CLI.critfix(["run", "--config", directory + "/critfix.yaml", "--summary"]) }
        func status() throws -> [String: Any] {
            let result = try CLI.critfix(["status", "--config", directory + "/critfix.yaml", "--format", "json"])
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return (json?["feeds"] as? [[String: Any]])?.first ?? [:]
        }

        let first = try run()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout.contains("ROLIE documents: 4 listed, 2 fetched (new, changed or failed before), 0 failed, 2 left for the next runs"),
            "\(first.stdout)")
        // Newest first: the last two entries.
        #expect(first.stdout.contains("articles: 2 new"))
        #expect(try status()["articles"] as? Int == 2)
        // The feed has not changed, but it is read again: two documents are still due.
        let second = try run()
        #expect(second.stdout.contains("ROLIE documents: 4 listed, 2 fetched"), "\(second.stdout)")
        #expect(try status()["articles"] as? Int == 4)

        // A document that cannot be read fails, is listed by status, and is forgotten once
        // the feed no longer lists it.
        try writeFeed("{\"id\": \"gone\", \"updated\": \"2024-02-01T00:00:00Z\", \"content\": {\"src\": \"gone.json\"}}")
        let failing = try run()
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("critfix: feed csaf: document gone (\(directory)/gone.json): cannot read"), "\(failing.stderr)")
        #expect((try status()["failed_documents"] as? [[String: Any]])?.map { $0["id"] as? String } == ["gone"])
        try writeFeed()
        let after = try run()
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout.contains("ROLIE documents: 4 listed, 0 fetched"), "\(after.stdout)")
        #expect((try status()["failed_documents"] as? [[String: Any]])?.isEmpty == true)
    }

    /// Hostile CSAF (SPEC 2.5): each fails its own feed with a reason; the other feed delivers.
    @Test(arguments: Backend.allCases) func hostileJSONFailsOnlyItsFeed(_ backend: Backend) throws {
        let directory = try CLI.scratch()
        let state = try TestState(backend, directory: directory)
        let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try CLI.write(nested, to: directory + "/feeds/nested.json")
        var huge = Data("{\"document\": {\"csaf_version\": \"2.0\", \"title\": \"".utf8)
        huge.append(Data(repeating: UInt8(ascii: "a"), count: 30 << 20))
        huge.append(Data("\"}}".utf8))
        try huge.write(to: URL(fileURLWithPath: directory + "/feeds/huge.json"))
        var invalid = Data("{\"document\": {\"csaf_version\": \"2.0\", \"title\": \"caf\u{e9} ".utf8)
        invalid.append(contentsOf: [0xC3, 0x28, 0xFF])
        invalid.append(Data("\"}}".utf8))
        try invalid.write(to: URL(fileURLWithPath: directory + "/feeds/invalid.json"))
        try CLI.write("{\"document\": {\"csaf_version\": \"2.0\", \"tracking\": {\"version\": 1e999999}}}", to: directory + "/feeds/number.json")
        try CLI.write(
            try String(contentsOfFile: Self.realworld + "/csaf/2022-evd-uc-04-001.json", encoding: .utf8),
            to: directory + "/feeds/good.json")
        try CLI.write(
            """
            state: \(state.yaml)
            registrations: registrations.yaml
            feeds:
              - { name: nested, url: feeds/nested.json }
              - { name: huge, url: feeds/huge.json }
              - { name: invalid, url: feeds/invalid.json }
              - { name: number, url: feeds/number.json }
              - { name: good, url: feeds/good.json }
            products:
              - id: abc
                name: ABC
            email:
              from: "Support <noreply@support.example.com>"
              transport: mbox:out.mbox
            """, to: directory + "/critfix.yaml")
        try CLI.write(Self.oneCustomer(products: #"{ product: abc, version: "4.0" }"#), to: directory + "/registrations.yaml")
        let started = Date()
        let run = try CLI.critfix(["run", "--config", directory + "/critfix.yaml"])
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("critfix: feed nested failed: line 1: not valid JSON: column 129: nesting deeper than 128 levels") }, "\(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("critfix: feed huge failed: JSON document larger than 20971520 bytes") }, "\(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("critfix: feed invalid failed: line 1: not valid JSON:") && $0.contains("invalid UTF-8") }, "\(run.stderr)")
        #expect(lines.contains { $0.hasPrefix("critfix: feed number failed: line 1: not valid JSON:") && $0.contains("number out of range") }, "\(run.stderr)")
        #expect(lines.count == 4, "\(run.stderr)")
        #expect(try CLI.mbox(directory + "/out.mbox").map { ($0["articles"] as? [String])?.first } == ["good/2022-EVD-UC-04-001"])
    }

    /// The sample data: every advice names the customer's release line, never a version
    /// below the installed one; the Red Hat-shaped advisory reaches ACME through the
    /// catalog's CPE; the CSAF document parses as `csaf`.
    @Test(arguments: Backend.allCases) func theDemoAdvisesByReleaseLine(_ backend: Backend) throws {
        let directory = try CLI.scratch()
        for file in try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot + "/Feeds") where !file.hasPrefix(".") {
            try FileManager.default.copyItem(atPath: CLI.packageRoot + "/Feeds/" + file, toPath: directory + "/" + file)
        }
        // The demo's own state file on SQLite; on PostgreSQL a database of the test's.
        if backend == .postgres { try TestState(backend, directory: directory).use(in: directory + "/critfix.yaml") }
        let run = try CLI.critfix(["run", "--config", directory + "/critfix.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        // The mail stream, read back by Python's mailbox and email packages.
        try run.stdoutBytes.write(to: URL(fileURLWithPath: directory + "/out.mbox"))
        let stream = try CLI.python(
            """
            import mailbox, sys, email.policy
            from email.parser import BytesParser
            for m in mailbox.mbox(sys.argv[1]):
                msg = BytesParser(policy=email.policy.default).parsebytes(m.as_bytes())
                text = msg.get_body(("plain",)).get_content()
                print(str(msg["X-Critfix-Customer"]).strip(), str(msg["X-Critfix-Article"]).strip(), "|", " ".join(text.split()))
            """, [directory + "/out.mbox"]).stdout
        #expect(!stream.contains("from version 10.10 to version 10.7.2"))
        #expect(stream.contains("Upgrade ERP LN from version 10.10 to version 10.10.1 or later."), "\(stream)")
        #expect(stream.contains("No fix for ERP LN 10.10 has been announced yet (fixed versions so far: 10.7.2)"))
        #expect(stream.contains("Upgrade WMS Core from version 4.2 to version 4.2(1)SP2 or later."))
        #expect(stream.contains("ACME-001 errata/EXSA-2026:1207 |"))
        #expect(stream.contains("ACME-001 csaf/VSA-2026-0007 |"))
        let explain = try CLI.critfix(["explain", "ACME-001", "errata/EXSA-2026:1207", "--config", directory + "/critfix.yaml"])
        #expect(explain.stdout.contains(
            "runtime-8 registered without a version: every version matches (by CPE cpe:/o:example:platform_runtime:8::baseos (catalog entry cpe:/o:example:platform_runtime:8))"),
            "\(explain.stdout)")
        let parse = try CLI.critfix(["parse", directory + "/vsa-2026-0007.json", "--format", "json"])
        #expect(parse.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(parse.stdout.utf8)) as? [String: Any]
        #expect((json?["feed"] as? [String: Any])?["format"] as? String == "csaf")
        let product = ((json?["articles"] as? [[String: Any]])?.first?["products"] as? [[String: Any]])?.first
        #expect(product?["id"] as? String == "ERP M3")
        #expect(product?["affected"] as? String == ">=13.0, <13.4.0.2")
        #expect(product?["fixed"] as? String == "13.4.0.2")
        #expect(product?["purl"] as? [String] == ["pkg:generic/example/erp-m3@13.4.0.2"])
    }

    /// One elite customer, C1, notified of every severity, with these registered products
    /// (the inside of a YAML flow list).
    static func oneCustomer(products: String) -> String {
        """
        customers:
          - id: C1
            plan: elite
            min_severity: 4
            products: [\(products)]
            contacts: [{ email: c1@example.com }]
        """
    }

    static func sha256(_ text: String) throws -> String {
        let result = try CLI.python("import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())", input: Data(text.utf8))
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
