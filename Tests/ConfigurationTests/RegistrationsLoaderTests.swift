import Articles
import Configuration
import Foundation
import Testing

@Suite struct RegistrationsLoaderTests {
    @Test func loadsValidRegistrationsIntoTheModel() throws {
        let directory = TemporaryDirectory()
        let file = directory.write(
            "registrations.yaml",
            """
            customers:
              - id: ACME-001                      # unique
                name: "ACME Manufacturing Sp. z o.o."
                plan: elite                       # xtreme | premium | elite
                status: active
                language: pl                      # pl | en (default en)
                min_severity: 2
                kinds: [critical-fix, patch, service-pack, regulatory]
                digest: false
                products:
                  - product: erp-ln               # id or alias from the catalog
                    version: "10.7.1"
                  - product: erp-m3
                contacts:
                  - email: it-ops@acme.example
                    name: "Zespół IT"
                webhooks:
                  - url: https://hooks.acme.example/critfix
                    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
              - id: BETA-002
                status: Suspended
                digest: yes
                products:
                  - product: "  baan   LN "
                    version: 10.10
                  - ERP M3
                  - product: WMS
                    version: 2024.04
                contacts:
                  - email: ops@beta.example
                webhooks:
                  - url: http://hooks.beta.example:8080/x
                    secret_env: BETA_SECRET
                  - url: https://hooks.beta.example/unsigned
            """)
        let registrations = try RegistrationsLoader.load(
            path: file, catalog: testCatalog, environment: ["BETA_SECRET": "whsec_c2VjcmV0LWtleS0xMjM0NTY3OA=="])
        #expect(
            registrations.customers == [
                Customer(
                    id: "ACME-001", name: "ACME Manufacturing Sp. z o.o.", plan: .elite, status: .active, language: .pl,
                    minSeverity: 2, kinds: [.criticalFix, .patch, .servicePack, .regulatory], digest: false,
                    products: [
                        RegisteredProduct(product: "erp-ln", version: Version("10.7.1")),
                        RegisteredProduct(product: "erp-m3"),
                    ],
                    contacts: [Contact(email: "it-ops@acme.example", name: "Zespół IT")],
                    webhooks: [
                        WebhookEndpoint(
                            url: "https://hooks.acme.example/critfix", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
                    ],
                    line: 2),
                Customer(
                    id: "BETA-002", name: "", plan: .xtreme, status: .suspended, language: .en, minSeverity: 1,
                    kinds: Set(Kind.allCases), digest: true,
                    products: [
                        RegisteredProduct(product: "erp-ln", version: Version("10.10")),
                        RegisteredProduct(product: "erp-m3"),
                        RegisteredProduct(product: "wms-core", version: Version("2024.04")),
                    ],
                    contacts: [Contact(email: "ops@beta.example")],
                    webhooks: [
                        WebhookEndpoint(
                            url: "http://hooks.beta.example:8080/x", secret: "whsec_c2VjcmV0LWtleS0xMjM0NTY3OA==",
                            secretEnvironment: "BETA_SECRET"),
                        WebhookEndpoint(url: "https://hooks.beta.example/unsigned"),
                    ],
                    line: 20),
            ])
        // Taken as written: 10.10 is not the number 10.1.
        let version = try #require(registrations.customers[1].products[0].version)
        #expect(version.text == "10.10")
        #expect(version != Version("10.1"))
        #expect(registrations.customers[1].products[2].version?.text == "2024.04")
    }

    @Test func emptyCustomerListIsValid() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("registrations.yaml", "customers: []\n")
        #expect(try RegistrationsLoader.load(path: file, catalog: testCatalog, environment: [:]).customers.isEmpty)
    }

    /// SPEC 4: every problem in one pass, each located, in file order.
    @Test func tenMistakesGiveTenDiagnostics() {
        let problems = registrationProblems(
            """
            customers:
              - id: ACME-001
                plan: platinum
                status: active
                language: de
                min_severity: 5
                kinds: [critical-fix, hotfix]
                products:
                  - product: erp-xx
                    version: "10.7"
                  - product: LN
                    version: 10 x
                contacts:
                  - email: "x@"
              - id: ACME-001
                webhooks:
                  - url: ftp://hooks.example
                    secret: whsec_abc
                colour: blue
            """)
        #expect(
            problems == [
                "3:11: customers[0].plan: 'platinum' is not a plan (expected xtreme, premium or elite)",
                "5:15: customers[0].language: 'de' is not a language (expected pl or en)",
                "6:19: customers[0].min_severity: '5' is not a severity (expected 1, 2, 3 or 4)",
                "7:27: customers[0].kinds[1]: 'hotfix' is not a kind (expected critical-fix, patch, service-pack, feature-pack, update, regulatory, documentation or article)",
                "9:18: customers[0].products[0].product: 'erp-xx' is not a product in the catalog",
                "12:18: customers[0].products[1].version: '10 x' is not a version: write the one installed version, such as 10.7.2 or 15.0(1)M10, without white space or any of < > = ! , | *",
                "14:16: customers[0].contacts[0].email: 'x@' is not an email address",
                "15:9: customers[1].id: duplicate customer id 'ACME-001' (first at line 2)",
                "17:14: customers[1].webhooks[0].url: 'ftp://hooks.example' is not an http:// or https:// URL with a host",
                "19:5: customers[1].colour: unknown key 'colour' (allowed keys: id, name, plan, status, language, min_severity, kinds, digest, products, contacts, webhooks)",
            ])
    }

    @Test func diagnosticsPrintLikeACompiler() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("registrations.yaml", registrations(customer: "    plan: platinum"))
        do {
            _ = try RegistrationsLoader.load(path: file, catalog: testCatalog, environment: [:])
            Issue.record("expected a failure")
        } catch {
            #expect(
                error.description
                    == "\(file):5:11: customers[0].plan: 'platinum' is not a plan (expected xtreme, premium or elite)")
            #expect(error.diagnostics.first?.file == file)
        }
    }

    // MARK: Top level and ids

    @Test func topLevel() {
        #expect(
            registrationProblems("customer:\n  - id: x\n") == [
                "1:1: customer: unknown key 'customer': did you mean 'customers'? (allowed keys: customers)",
                "1:1: customers: required key 'customers' is missing",
            ])
        #expect(
            registrationProblems("customers: {id: x}\n") == [
                "1:12: customers: expected a list, found a mapping (key: value pairs)"
            ])
        #expect(registrationProblems("just text\n") == [
            "1:1: expected a mapping with 'customers' at the top level, found a single value"
        ])
    }

    @Test func idsAndChannels() {
        let problems = registrationProblems(
            """
            customers:
              - id: A
                contacts: [{email: a@a.example}]
              - id: A
                contacts: [{email: a@a.example}]
              - name: no id
              - id: ""
                webhooks: [{url: https://h.example}]
              - id: B
                contacts: []
              - id: C
                contacts: x@c.example
            """)
        #expect(
            problems == [
                "4:9: customers[1].id: duplicate customer id 'A' (first at line 2)",
                "6:5: customers[2].id: required key 'id' is missing",
                "6:5: customers[2]: the customer has no contact and no webhook: add contacts or webhooks",
                "7:9: customers[3].id: is empty (expected a customer id)",
                "9:5: customers[4]: customer 'B' has no contact and no webhook: add contacts or webhooks",
                "12:15: customers[5].contacts: expected a list, found a single value",
            ])
    }

    // MARK: Customer fields

    @Test func customerFields() {
        let problems = registrationProblems(
            registrations(customer: """
                    status: dormant
                    language: DE
                    digest: maybe
                    kinds: []
                    min_severity: 0
                    plan: ""
                    name: [a]
                """))
        #expect(
            problems == [
                "5:13: customers[0].status: 'dormant' is not a status (expected active, pending or suspended)",
                "6:15: customers[0].language: 'DE' is not a language (expected pl or en)",
                "7:13: customers[0].digest: 'maybe' is not a boolean (expected true or false)",
                "8:12: customers[0].kinds: is empty (leave kinds out for every kind)",
                "9:19: customers[0].min_severity: '0' is not a severity (expected 1, 2, 3 or 4)",
                "10:11: customers[0].plan: is empty (expected xtreme, premium or elite)",
                "11:11: customers[0].name: expected a single value, found a list",
            ])
    }

    @Test func namesAreOneLine() {
        #expect(
            registrationProblems(
                """
                customers:
                  - id: C-1
                    name: "ACME\\r\\nBcc: all@x.example"
                    contacts:
                      - email: a@b.example
                        name: "Ops\\tTeam"
                """) == [
                    "3:11: customers[0].name: 'ACME\\r\\nBcc: all@x.example' contains control characters (a name is one line of text)",
                    "6:15: customers[0].contacts[0].name: 'Ops\\tTeam' contains control characters (a name is one line of text)",
                ])
    }

    @Test func products() {
        let problems = registrationProblems(
            registrations(customer: """
                    products:
                      - product: LN
                        version: 10.7.1
                      - product: erp-ln
                      - product: Baan LN
                      - version: "1.0"
                      - [erp-m3]
                      - product: erp-m3
                        version: ">=10.5"
                        edition: gold
                      - SAP
                      - product: ""
                """))
        #expect(
            problems == [
                "8:18: customers[0].products[1].product: product 'erp-ln' is registered twice for this customer (first at line 6)",
                "9:18: customers[0].products[2].product: product 'Baan LN' (erp-ln) is registered twice for this customer (first at line 6)",
                "10:9: customers[0].products[3].product: required key 'product' is missing",
                "11:9: customers[0].products[4]: expected a mapping with product and version, found a list",
                "13:18: customers[0].products[5].version: '>=10.5' is not a version: write the one installed version, such as 10.7.2 or 15.0(1)M10, without white space or any of < > = ! , | *",
                "14:9: customers[0].products[5].edition: unknown key 'edition' (allowed keys: product, version)",
                "15:9: customers[0].products[6]: 'SAP' is not a product in the catalog",
                "16:18: customers[0].products[7].product: is empty (expected a product id or alias)",
            ])
    }

    @Test func contacts() {
        let problems = registrationProblems(
            """
            customers:
              - id: C-1
                contacts:
                  - email: "x@"
                  - email: "@x"
                  - email: a b@c.example
                  - email: a..b@c.example
                  - email: a@c..example
                  - email: "a@c.example\\r\\nBcc: y@z.example"
                  - email: ok@c.example
                  - email: OK@c.example
                  - name: nobody
                  - email: ok2@c.example
                    phone: 123
            """)
        #expect(
            problems == [
                "4:16: customers[0].contacts[0].email: 'x@' is not an email address",
                "5:16: customers[0].contacts[1].email: '@x' is not an email address",
                "6:16: customers[0].contacts[2].email: 'a b@c.example' is not an email address",
                "7:16: customers[0].contacts[3].email: 'a..b@c.example' is not an email address",
                "8:16: customers[0].contacts[4].email: 'a@c..example' is not an email address",
                "9:16: customers[0].contacts[5].email: 'a@c.example\\r\\nBcc: y@z.example' is not an email address",
                "11:16: customers[0].contacts[7].email: 'OK@c.example' is listed twice for this customer (first at line 10)",
                "12:9: customers[0].contacts[8].email: required key 'email' is missing",
                "14:9: customers[0].contacts[9].phone: unknown key 'phone' (allowed keys: email, name)",
            ])
    }

    @Test func webhooks() {
        let problems = registrationProblems(
            """
            customers:
              - id: C-1
                webhooks:
                  - url: ftp://hooks.example/x
                  - url: https://
                  - url: https://hooks.example/a
                    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
                    secret_env: HOOK_SECRET
                  - url: https://hooks.example/b
                    secret_env: UNSET_SECRET
                  - url: https://hooks.example/c
                    secret: MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
                  - url: https://hooks.example/d
                    secret: whsec_not*base64
                  - url: https://hooks.example/e
                    secret_env: BAD_SECRET
                  - url: https://hooks.example/a
                  - secret: whsec_abcd
                    token: x
            """,
            environment: ["HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "BAD_SECRET": "hunter2"])
        #expect(
            problems == [
                "4:14: customers[0].webhooks[0].url: 'ftp://hooks.example/x' is not an http:// or https:// URL with a host",
                "5:14: customers[0].webhooks[1].url: 'https://' is not an http:// or https:// URL with a host",
                "8:21: customers[0].webhooks[2]: give either secret or secret_env, not both",
                "10:21: customers[0].webhooks[3].secret_env: environment variable UNSET_SECRET is not set",
                "12:17: customers[0].webhooks[4].secret: the secret is not a Standard Webhooks secret (expected whsec_ followed by base64)",
                "14:17: customers[0].webhooks[5].secret: the secret is not a Standard Webhooks secret (expected whsec_ followed by base64)",
                "16:21: customers[0].webhooks[6].secret_env: environment variable BAD_SECRET does not hold a Standard Webhooks secret (expected whsec_ followed by base64)",
                "17:14: customers[0].webhooks[7].url: 'https://hooks.example/a' is listed twice for this customer (first at line 6)",
                "18:9: customers[0].webhooks[8].url: required key 'url' is missing",
                "19:9: customers[0].webhooks[8].token: unknown key 'token' (allowed keys: url, secret, secret_env)",
            ])
        // No secret is ever shown.
        #expect(!problems.joined().contains("MfKQ9r8"))
        #expect(!problems.joined().contains("hunter2"))
    }

    @Test func secretFromTheEnvironment() throws {
        let text = """
            customers:
              - id: C-1
                webhooks:
                  - url: https://hooks.example/a
                    secret_env: HOOK_SECRET
            """
        #expect(registrationProblems(text, environment: ["HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).isEmpty)
        #expect(registrationProblems(text, environment: [:]) == [
            "5:21: customers[0].webhooks[0].secret_env: environment variable HOOK_SECRET is not set"
        ])
        #expect(registrationProblems(text, environment: ["HOOK_SECRET": ""]) == [
            "5:21: customers[0].webhooks[0].secret_env: environment variable HOOK_SECRET is empty"
        ])
    }

    // MARK: Files

    @Test func missingFile() {
        do {
            _ = try RegistrationsLoader.load(path: "/nonexistent/registrations.yaml", catalog: testCatalog, environment: [:])
            Issue.record("expected a failure")
        } catch {
            #expect(
                error.description == "/nonexistent/registrations.yaml:1:1: cannot read: No such file or directory")
        }
    }

    @Test func directoryIsNotAFile() {
        let directory = TemporaryDirectory()
        do {
            _ = try RegistrationsLoader.load(path: directory.path, catalog: testCatalog, environment: [:])
            Issue.record("expected a failure")
        } catch {
            #expect(error.diagnostics.map(located) == ["1:1: cannot read: Is a directory"])
        }
    }

    @Test func syntaxErrorIsLocated() {
        #expect(
            registrationProblems(
                """
                customers:
                  - id: A
                    contacts:
                      - email: a@a.example
                     name: x
                """) == [
                    "5:6: YAML syntax error: did not find expected key (while parsing a block mapping at line 2, column 5)"
                ])
        #expect(
            registrationProblems("customers:\n  - id: \"unterminated\n") == [
                "3:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 2, column 9)"
            ])
    }

    @Test func invalidUTF8IsLocated() {
        let directory = TemporaryDirectory()
        let file = directory.path + "/registrations.yaml"
        _ = FileManager.default.createFile(atPath: file, contents: Data("customers:\n  - id: A".utf8) + Data([0xFF]))
        do {
            _ = try RegistrationsLoader.load(path: file, catalog: testCatalog, environment: [:])
            Issue.record("expected a failure")
        } catch {
            #expect(error.diagnostics.map(located) == ["2:10: the file is not valid UTF-8 text"])
        }
    }

    /// A file written by the benchmark generator is valid: set CRITFIX_CORPUS to a
    /// directory written by `gen_corpus.py` to run this.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CRITFIX_CORPUS"] != nil))
    func generatedCorpusIsValid() throws {
        let directory = ProcessInfo.processInfo.environment["CRITFIX_CORPUS"] ?? ""
        let configuration = try ConfigurationLoader.load(path: directory + "/critfix.yaml", environment: [:])
        let start = ContinuousClock.now
        let registrations = try RegistrationsLoader.load(
            path: configuration.registrations, catalog: configuration.catalog, environment: [:])
        print("loaded \(registrations.customers.count) customers in \(ContinuousClock.now - start)")
        #expect(!registrations.customers.isEmpty)
    }
}

@Suite struct RegistrationsMergeKeyTests {
    @Test func mergeKeysShareSettings() throws {
        let directory = TemporaryDirectory()
        let file = directory.write(
            "registrations.yaml",
            """
            x-common: &common
              plan: elite
              language: pl
              kinds: [critical-fix]
            customers:
              - <<: *common
                id: A
                language: en
                contacts: [{email: a@a.example}]
              - <<: *common
                id: B
                contacts: [{email: b@b.example}]
            """)
        let customers = try RegistrationsLoader.load(path: file, catalog: testCatalog, environment: [:]).customers
        #expect(customers.map(\.plan) == [.elite, .elite])
        #expect(customers.map(\.language) == [.en, .pl])
        #expect(customers.map(\.kinds) == [[.criticalFix], [.criticalFix]])
    }

    @Test func mergedMistakesPointAtTheAnchor() {
        #expect(
            registrationProblems(
                """
                x-common: &common
                  plan: gold
                customers:
                  - <<: *common
                    id: A
                    contacts: [{email: a@a.example}]
                  - <<: [1]
                    id: B
                    contacts: [{email: b@b.example}]
                """) == [
                    "2:9: customers[0].plan: 'gold' is not a plan (expected xtreme, premium or elite)",
                    "7:9: customers[1]: the merge key << takes a mapping or a list of mappings, found a list",
                ])
    }
}

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("20s", 20.0), ("5m", 300), ("1h", 3600), ("2d", 172_800), ("250ms", 0.25), ("30", 30), ("1.5", 1.5),
        ("1h30m", 5400), ("5 m", 300), ("0", 0), ("10S", 10),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "-1s", "5x", "1e3", "1.s", ".5s", "5m-", "inf", "ten"])
    func rejects(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}

@Suite struct AddressTests {
    @Test(arguments: [
        "it-ops@acme.example", "first.last+tag@sub.example.co.uk", "o'brien@x.example", "root@localhost",
        "a_b@x-y.example",
    ])
    func acceptsAddresses(address: String) {
        #expect(registrationProblems(registrations(customer: "    webhooks: []").replacingOccurrences(of: "ops@c1.example", with: address)).isEmpty)
    }

    @Test(arguments: [
        "x@", "@x", "x", "a b@c.example", "a..b@c.example", ".a@c.example", "a.@c.example", "a@c..example",
        "a@-c.example", "a@c.example.", "a@b@c.example", "ä@c.example", "a@c_d.example", "\"a\"@c.example",
    ])
    func rejectsAddresses(address: String) {
        let text = """
            customers:
              - id: C-1
                contacts:
                  - email: '\(address.replacingOccurrences(of: "'", with: "''"))'
            """
        #expect(registrationProblems(text) == ["4:16: customers[0].contacts[0].email: '\(address)' is not an email address"])
    }
}
