import Articles
import Configuration
import Testing

@Suite struct ConfigurationLoaderTests {
    static let specExample = """
        state: .critfix/state.sqlite           # default; or postgres://user:pass@host:5432/db
        registrations: registrations.yaml      # path relative to this file
        feeds:
          - name: erp-ln-kb                    # unique, [a-z0-9._-]+
            url: https://support.example.com/feeds/ln.xml   # http(s)://, file://, or a path
            ca_file: /etc/critfix/internal-ca.pem           # optional, for an internal HTTPS server
            defaults: { product: erp-ln, kind: article, severity: 3 }
            timeout: 20s                       # default 30s
            alert_after: 3                     # report on stderr from the 3rd failure in a row (default 1)
          - name: local.feed_2
            url: feeds/local.xml
          - name: file-url
            url: file:///srv/feeds/x.xml
            defaults: { product: "baan  ln" }
        products:
          - id: erp-ln
            name: ERP LN
            aliases: [LN, "Baan LN"]
          - id: erp-m3
            name: ERP M3
            critical_notifications: false      # proactive notification not offered for this product
        email:
          from: "Xtreme Support <xtreme-noreply@support.example.com>"
          transport: smtp://127.0.0.1:25       # smtp:// (STARTTLS when offered), smtps://, sendmail:/usr/sbin/sendmail, mbox:PATH, stdout
          envelope_from: bounces@support.example.com   # optional envelope sender
          username_env: SMTP_USER              # credentials only from the environment
          password_env: SMTP_PASSWORD
          ca_file: /etc/critfix/internal-ca.pem  # optional CA bundle used instead of the system's for smtps/STARTTLS
          templates: templates/                # optional directory overriding the built-in templates
          max_attempts: 10
          retry_delays: [1m, 5m, 15m, 1h, 4h]  # wait before attempt 2, 3, …; the last delay repeats
        webhooks:
          timeout: 10s
          max_attempts: 8
          retry_delays: [5s, 5m, 30m, 2h, 5h, 10h]
          in_run_wait: 10s                     # a retry due within this time is made in the same run
          ca_file: /etc/critfix/internal-ca.pem  # optional, as for email
          allow_private_addresses: false       # refuse loopback/private/link-local targets (default)
        targets:                               # notification latency targets in minutes, per plan and severity
          xtreme:  { 1: 240, 2: 1440 }
          premium: { 1: 60,  2: 480 }
          elite:   { 1: 15,  2: 240 }
        """

    @Test func loadsTheSpecExampleIntoTheModel() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("critfix.yaml", Self.specExample)
        let root = directory.path
        let configuration = try ConfigurationLoader.load(
            path: file, environment: ["SMTP_USER": "critfix", "SMTP_PASSWORD": "secret"])

        #expect(configuration.path == file)
        #expect(configuration.state == .sqlite(path: root + "/.critfix/state.sqlite"))
        #expect(configuration.registrations == root + "/registrations.yaml")
        #expect(
            configuration.feeds == [
                FeedConfiguration(
                    name: "erp-ln-kb", url: "https://support.example.com/feeds/ln.xml",
                    caFile: "/etc/critfix/internal-ca.pem",
                    defaults: FeedDefaults(product: "erp-ln", kind: .article, severity: 3), timeout: 20, alertAfter: 3),
                FeedConfiguration(name: "local.feed_2", url: root + "/feeds/local.xml"),
                FeedConfiguration(
                    name: "file-url", url: "file:///srv/feeds/x.xml", defaults: FeedDefaults(product: "erp-ln")),
            ])
        #expect(
            configuration.catalog.products == [
                CatalogProduct(id: "erp-ln", name: "ERP LN", aliases: ["LN", "Baan LN"]),
                CatalogProduct(id: "erp-m3", name: "ERP M3", criticalNotifications: false),
            ])
        #expect(configuration.catalog.product(named: "baan ln")?.id == "erp-ln")
        #expect(
            configuration.email
                == EmailSettings(
                    from: Mailbox(name: "Xtreme Support", address: "xtreme-noreply@support.example.com"),
                    transport: .smtp(url: "smtp://127.0.0.1:25"), envelopeFrom: "bounces@support.example.com",
                    usernameEnv: "SMTP_USER", passwordEnv: "SMTP_PASSWORD", caFile: "/etc/critfix/internal-ca.pem",
                    templates: root + "/templates", maxAttempts: 10, retryDelays: [60, 300, 900, 3600, 14400]))
        #expect(
            configuration.webhooks
                == WebhookSettings(
                    timeout: 10, maxAttempts: 8, retryDelays: [5, 300, 1800, 7200, 18000, 36000], inRunWait: 10,
                    caFile: "/etc/critfix/internal-ca.pem", allowPrivateAddresses: false, concurrency: 16))
        #expect(
            configuration.targets == [.xtreme: [1: 240, 2: 1440], .premium: [1: 60, 2: 480], .elite: [1: 15, 2: 240]])
    }

    @Test func appliesDefaults() throws {
        let directory = TemporaryDirectory()
        let file = directory.write(
            "etc/critfix.yaml",
            """
            registrations: ../registrations.yaml
            feeds:
              - name: kb
                url: ./feeds//kb.xml
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [:])
        let etc = directory.path + "/etc"
        #expect(configuration.state == .sqlite(path: etc + "/.critfix/state.sqlite"))
        #expect(configuration.registrations == etc + "/../registrations.yaml")
        #expect(configuration.feeds == [FeedConfiguration(name: "kb", url: etc + "/feeds/kb.xml")])
        #expect(configuration.catalog.products.isEmpty)
        #expect(configuration.email == EmailSettings())
        #expect(configuration.webhooks == WebhookSettings())
        #expect(configuration.fetch == FetchSettings(concurrency: 8, maxSize: 20 << 20))
        #expect(configuration.targets.isEmpty)
    }

    @Test func resolvesTransportsStateAndHome() throws {
        let directory = TemporaryDirectory()
        func load(_ extra: String, environment: [String: String] = [:]) throws -> CritfixConfiguration {
            let file = directory.write("critfix.yaml", configuration(with: extra))
            return try ConfigurationLoader.load(path: file, environment: environment)
        }
        let root = directory.path
        #expect(try load("email: {transport: mbox:out.mbox}").email.transport == .mbox(path: root + "/out.mbox"))
        #expect(
            try load("email: {transport: 'sendmail:/usr/sbin/sendmail'}").email.transport
                == .sendmail(path: "/usr/sbin/sendmail"))
        #expect(try load("email: {transport: 'sendmail:bin/sm'}").email.transport == .sendmail(path: root + "/bin/sm"))
        #expect(try load("email: {transport: stdout}").email.transport == .stdout)
        #expect(
            try load("email: {transport: 'smtps://mail.example.com:465'}").email.transport
                == .smtps(url: "smtps://mail.example.com:465"))
        #expect(try load("email: {from: ops@example.com}").email.from == Mailbox(address: "ops@example.com"))
        #expect(
            try load("email: {from: '\"Dział IT\" <it@example.com>'}").email.from
                == Mailbox(name: "Dział IT", address: "it@example.com"))
        #expect(
            try load("state: postgres://critfix:pw@db.example:5432/critfix").state
                == .postgres(url: "postgres://critfix:pw@db.example:5432/critfix"))
        #expect(try load("state: /var/lib/critfix/state.sqlite").state == .sqlite(path: "/var/lib/critfix/state.sqlite"))
        #expect(try load("state: /var/lib/critfix/state.sqlite").stateLease == 60)
        #expect(try load("state_lease: 2m").stateLease == 120)
        #expect(
            try load("state: ~/critfix/state.sqlite", environment: ["HOME": "/home/ops"]).state
                == .sqlite(path: "/home/ops/critfix/state.sqlite"))
        #expect(try load("webhooks: {concurrency: 4, allow_private_addresses: yes}").webhooks.concurrency == 4)
        #expect(try load("webhooks: {allow_private_addresses: yes}").webhooks.allowPrivateAddresses)
    }

    // MARK: Required and unknown keys

    @Test func requiresFeedsAndRegistrations() {
        #expect(
            configurationProblems("state: state.sqlite\n") == [
                "1:1: registrations: required key 'registrations' is missing",
                "1:1: feeds: required key 'feeds' is missing",
            ])
        #expect(
            configurationProblems("registrations: r.yaml\nfeeds: []\n") == [
                "2:8: feeds: is empty (expected at least one feed with a name and a url)"
            ])
        #expect(configurationProblems("- a\n- b\n") == [
            "1:1: expected a mapping with at least 'feeds' and 'registrations' at the top level, found a list"
        ])
    }

    /// SPEC 3: catalog `cpe` and `purl` entries, each checked, every problem with its place.
    @Test func catalogCPEsAndPackageURLs() throws {
        let directory = TemporaryDirectory()
        let file = directory.write(
            "critfix.yaml",
            """
            registrations: r.yaml
            feeds: [{name: kb, url: kb.xml}]
            products:
              - id: rhel-8
                name: Red Hat Enterprise Linux 8
                cpe: ["cpe:/o:redhat:enterprise_linux:8", "cpe:2.3:a:redhat:enterprise_linux:8:*:*:*:*:*:*:*"]
                purl: ["pkg:rpm/redhat/"]
              - id: openssl
                cpe: "cpe:/a:openssl:openssl"
                purl: pkg:rpm/redhat/openssl
            """)
        let configuration = try ConfigurationLoader.load(path: file, environment: [:])
        let rhel = try #require(configuration.catalog.product(named: "rhel-8"))
        #expect(rhel.cpes.map(\.text) == ["cpe:/o:redhat:enterprise_linux:8", "cpe:2.3:a:redhat:enterprise_linux:8:*:*:*:*:*:*:*"])
        #expect(rhel.purls.map(\.text) == ["pkg:rpm/redhat/"])
        #expect(configuration.catalog.product(named: "openssl")?.cpes.map(\.text) == ["cpe:/a:openssl:openssl"])
        #expect(configuration.catalog.product(cpe: "cpe:2.3:a:redhat:enterprise_linux:8:*:appstream:*:*:*:*:*")?.product.id == "rhel-8")

        #expect(
            configurationProblems(
                """
                registrations: r.yaml
                feeds: [{name: kb, url: kb.xml}]
                products:
                  - id: rhel-8
                    cpe: ["redhat:enterprise_linux:8", "cpe:/q:redhat:rhel"]
                    purl: ["rpm/redhat/openssl", {type: rpm}]
                """) == [
                    "5:11: products[0].cpe[0]: 'redhat:enterprise_linux:8' is not a CPE name (write cpe:/PART:VENDOR:PRODUCT[:VERSION…] or cpe:2.3:PART:VENDOR:PRODUCT:…)",
                    "5:40: products[0].cpe[1]: 'cpe:/q:redhat:rhel' is not a CPE name (write cpe:/PART:VENDOR:PRODUCT[:VERSION…] or cpe:2.3:PART:VENDOR:PRODUCT:…)",
                    "6:12: products[0].purl[0]: 'rpm/redhat/openssl' is not a package URL (write pkg:TYPE/NAMESPACE/NAME, or a prefix ending in /)",
                    "6:34: products[0].purl[1]: expected a single value, found a mapping (key: value pairs)",
                ])
    }

    @Test func unknownKeysAtEveryLevel() {
        let problems = configurationProblems(
            """
            registrations: r.yaml
            feed: []
            feeds:
              - name: kb
                url: kb.xml
                timout: 10s
                defaults: {product: x, sevrity: 2}
            products:
              - id: p
                alias: [q]
            email:
              form: a@b.example
            webhooks:
              retries: 3
            """)
        #expect(
            problems == [
                "2:1: feed: unknown key 'feed': did you mean 'feeds'? (allowed keys: state, state_lease, registrations, feeds, products, email, webhooks, fetch, targets)",
                "6:5: feeds[0].timout: unknown key 'timout': did you mean 'timeout'? (allowed keys: name, url, ca_file, defaults, timeout, alert_after)",
                "7:25: feeds[0].defaults.product: 'x' is not a product in the catalog (products)",
                "7:28: feeds[0].defaults.sevrity: unknown key 'sevrity': did you mean 'severity'? (allowed keys: product, kind, severity)",
                "10:5: products[0].alias: unknown key 'alias': did you mean 'aliases'? (allowed keys: id, name, aliases, critical_notifications, cpe, purl)",
                "12:3: email.form: unknown key 'form': did you mean 'from'? (allowed keys: from, transport, envelope_from, username_env, password_env, ca_file, templates, max_attempts, retry_delays)",
                "14:3: webhooks.retries: unknown key 'retries' (allowed keys: timeout, max_attempts, retry_delays, in_run_wait, ca_file, allow_private_addresses, concurrency)",
            ])
    }

    // MARK: Feeds

    @Test func feedRules() {
        let problems = configurationProblems(
            """
            registrations: r.yaml
            products: [{id: erp-ln}]
            feeds:
              - name: ERP LN
                url: https://x.example/a.xml
              - name: kb
                url: ftp://x.example/a.xml
              - name: kb
                url: https:///nohost
                timeout: soon
                alert_after: 0
              - url: file://relative/a.xml
                defaults: {product: ERP-LN, kind: hotfix, severity: 5}
              - name: ok
                url: ""
                timeout: 0s
                alert_after: ten
            """)
        #expect(
            problems == [
                "4:11: feeds[0].name: 'ERP LN' is not a feed name (use lowercase letters, digits, '.', '_' and '-')",
                "7:10: feeds[1].url: 'ftp://x.example/a.xml' is not a supported feed location (expected http://, https://, file:// or a path)",
                "8:11: feeds[2].name: feed name 'kb' is already used at line 6",
                "9:10: feeds[2].url: 'https:///nohost' is not a valid URL (expected http(s)://HOST[:PORT]/PATH)",
                "10:14: feeds[2].timeout: 'soon' is not a duration (expected a number with ms, s, m, h or d, such as 30s, 5m or 1h, or a number of seconds)",
                "11:18: feeds[2].alert_after: '0' is too small (expected at least 1)",
                "12:5: feeds[3].name: required key 'name' is missing",
                "12:10: feeds[3].url: 'file://relative/a.xml' is not a file URL with an absolute path (write file:///PATH, or a plain path relative to this file)",
                "13:39: feeds[3].defaults.kind: 'hotfix' is not a kind (expected critical-fix, patch, service-pack, feature-pack, update, regulatory, documentation or article)",
                "13:57: feeds[3].defaults.severity: '5' is not a severity (expected 1, 2, 3 or 4)",
                "15:10: feeds[4].url: is empty (expected an http(s):// or file:// URL or a path)",
                "16:14: feeds[4].timeout: '0s' must be longer than zero",
                "17:18: feeds[4].alert_after: 'ten' is not a whole number",
            ])
    }

    // MARK: Products

    @Test func productRules() {
        let problems = configurationProblems(
            configuration(with: """
                products:
                  - id: erp-ln
                    name: ERP LN
                    aliases: [LN]
                  - id: ERP-LN
                  - id: erp-m3
                    aliases: [ln, M3, " ERP-LN "]
                    critical_notifications: maybe
                  - name: nameless
                  - id: wms
                    aliases: wms-core
                """))
        #expect(
            problems == [
                "9:9: products[1].id: duplicate product id 'ERP-LN' (first at line 6)",
                "11:15: products[2].aliases[0]: 'ln' is already a name or alias of product 'erp-ln' (line 8)",
                "11:23: products[2].aliases[2]: ' ERP-LN ' is already the id of product 'erp-ln' (line 6)",
                "12:29: products[2].critical_notifications: 'maybe' is not a boolean (expected true or false)",
                "13:5: products[3].id: required key 'id' is missing",
                "15:14: products[4].aliases: expected a list, found a single value",
            ])
    }

    // MARK: Email

    @Test func emailRules() {
        let problems = configurationProblems(
            configuration(with: """
                email:
                  from: "Support <support@>"
                  transport: smtp://user:secret@mail.example.com
                  envelope_from: Bounces <b@example.com>
                  username_env: SMTP_USER
                  password_env: 1PASSWORD
                  max_attempts: ten
                  retry_delays: []
                """))
        #expect(
            problems == [
                "6:9: email.from: 'Support <support@>' is not a mailbox (expected an email address or Name <address>)",
                "7:14: email.transport: the SMTP URL must not hold credentials: name their environment variables in email.username_env and email.password_env",
                "8:18: email.envelope_from: 'Bounces <b@example.com>' is not an email address",
                "9:17: email.username_env: environment variable SMTP_USER is not set",
                "10:17: email.password_env: '1PASSWORD' is not an environment variable name (letters, digits and '_', not starting with a digit)",
                "11:17: email.max_attempts: 'ten' is not a whole number",
                "12:17: email.retry_delays: is empty (expected a list of durations such as [1m, 5m, 1h])",
            ])
    }

    @Test func transports() {
        let expected =
            "is not a transport (expected smtp://HOST[:PORT], smtps://HOST[:PORT], sendmail:PATH, mbox:PATH or stdout)"
        #expect(configurationProblems(configuration(with: "email: {transport: pigeon}")) == [
            "5:20: email.transport: 'pigeon' \(expected)"
        ])
        #expect(configurationProblems(configuration(with: "email: {transport: 'mbox:'}")) == [
            "5:20: email.transport: 'mbox:' names no file (expected mbox:PATH)"
        ])
        #expect(configurationProblems(configuration(with: "email: {transport: 'smtp://:25'}")) == [
            "5:20: email.transport: 'smtp://:25' is not a valid SMTP URL (expected smtp://HOST[:PORT])"
        ])
        #expect(configurationProblems(configuration(with: "email: {transport: 'smtp://mail:99999'}")) == [
            "5:20: email.transport: 'smtp://mail:99999' is not a valid SMTP URL (expected smtp://HOST[:PORT])"
        ])
        #expect(configurationProblems(configuration(with: "email: {transport: 'smtp://mail/x'}")) == [
            "5:20: email.transport: 'smtp://mail/x' has a path, query or fragment (expected smtp://HOST[:PORT])"
        ])
    }

    @Test func credentialsComeFromTheEnvironment() {
        let text = configuration(with: """
            email:
              transport: smtp://mail.example.com:587
              username_env: SMTP_USER
              password_env: SMTP_PASSWORD
            """)
        #expect(configurationProblems(text, environment: ["SMTP_USER": "u", "SMTP_PASSWORD": "p"]).isEmpty)
        #expect(
            configurationProblems(text, environment: ["SMTP_USER": "u", "SMTP_PASSWORD": ""]) == [
                "8:17: email.password_env: environment variable SMTP_PASSWORD is empty"
            ])
        #expect(
            configurationProblems(text, environment: [:]) == [
                "7:17: email.username_env: environment variable SMTP_USER is not set",
                "8:17: email.password_env: environment variable SMTP_PASSWORD is not set",
            ])
        #expect(
            configurationProblems(configuration(with: "email: {username_env: SMTP_USER}"), environment: ["SMTP_USER": "u"])
                == ["5:23: email.password_env: username_env is set but password_env is missing (SMTP AUTH needs both)"])
    }

    // MARK: Webhooks, targets, state

    @Test func webhookRules() {
        let problems = configurationProblems(
            configuration(with: """
                webhooks:
                  timeout: -5s
                  max_attempts: 0
                  retry_delays: [5s, often]
                  in_run_wait: 0
                  allow_private_addresses: sometimes
                  concurrency: 0
                """))
        #expect(
            problems == [
                "6:12: webhooks.timeout: '-5s' is not a duration (expected a number with ms, s, m, h or d, such as 30s, 5m or 1h, or a number of seconds)",
                "7:17: webhooks.max_attempts: '0' is too small (expected at least 1)",
                "8:22: webhooks.retry_delays[1]: 'often' is not a duration (expected a number with ms, s, m, h or d, such as 30s, 5m or 1h, or a number of seconds)",
                "10:28: webhooks.allow_private_addresses: 'sometimes' is not a boolean (expected true or false)",
                "11:16: webhooks.concurrency: '0' is too small (expected at least 1)",
            ])
    }

    @Test func fetchSettings() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("critfix.yaml", configuration(with: "fetch: { concurrency: 3, max_size: 512 KiB }"))
        let loaded = try ConfigurationLoader.load(path: file, environment: [:])
        #expect(loaded.fetch == FetchSettings(concurrency: 3, maxSize: 512 << 10))
        for (size, bytes) in [("20MiB", 20 << 20), ("2mb", 2 << 20), ("1 GiB", 1 << 30), ("4096", 4096)] {
            let text = configuration(with: "fetch:\n  max_size: \(size)")
            let loaded = try ConfigurationLoader.load(path: directory.write("c.yaml", text), environment: [:])
            #expect(loaded.fetch.maxSize == bytes, "\(size)")
        }
        let problems = configurationProblems(
            configuration(with: """
                fetch:
                  concurrency: 100
                  max_size: lots
                  parallel: 2
                """))
        #expect(
            problems == [
                "6:16: fetch.concurrency: 100 is too many feeds at once (at most 64)",
                "7:13: fetch.max_size: 'lots' is not a size (expected a number with KiB, MiB or GiB, such as 20MiB)",
                "8:3: fetch.parallel: unknown key 'parallel' (allowed keys: concurrency, max_size, max_documents)",
            ])
    }

    @Test func targetRules() {
        let problems = configurationProblems(
            configuration(with: """
                targets:
                  platinum: {1: 5}
                  elite: {1: 15, 5: 10, 2: 0}
                  premium: 60
                """))
        #expect(
            problems == [
                "6:3: targets.platinum: 'platinum' is not a plan (expected xtreme, premium or elite)",
                "7:18: targets.elite.5: '5' is not a severity (expected 1, 2, 3 or 4)",
                "7:28: targets.elite.2: '0' is too small (expected at least 1)",
                "8:12: targets.premium: expected a mapping (key: value pairs), found a single value",
            ])
    }

    @Test func stateRules() {
        #expect(configurationProblems(configuration(with: "state: mysql://u:p@db/critfix")) == [
            "5:8: state: 'mysql://' is not a supported state location (expected the path of an SQLite file or a postgres:// URL)"
        ])
        #expect(configurationProblems(configuration(with: "state: \"\"")) == [
            "5:8: state: is empty (expected a path or a postgres:// URL)"
        ])
    }

    // MARK: Files

    @Test func missingFile() {
        #expect(throws: ValidationFailure.self) {
            try ConfigurationLoader.load(path: "/nonexistent/critfix.yaml", environment: [:])
        }
        do {
            _ = try ConfigurationLoader.load(path: "/nonexistent/critfix.yaml", environment: [:])
        } catch {
            #expect(error.diagnostics == [
                Diagnostic(
                    file: "/nonexistent/critfix.yaml", line: 1, column: 1, path: "",
                    message: "cannot read: No such file or directory")
            ])
            #expect(error.description == "/nonexistent/critfix.yaml:1:1: cannot read: No such file or directory")
        }
    }

    @Test func syntaxErrorIsLocated() {
        let problems = configurationProblems(
            """
            registrations: r.yaml
            feeds:
              - name: kb
                url: [unterminated
            email: {}
            """)
        #expect(
            problems == [
                "5:6: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 4, column 10)"
            ])
    }

    @Test func duplicateKeysAreLocated() {
        #expect(
            configurationProblems(
                """
                registrations: r.yaml
                feeds: []
                registrations: s.yaml
                """) == ["1:1: duplicate key 'registrations' in one mapping (each key may appear only once)"])
    }

    @Test func emptyFile() {
        #expect(configurationProblems("# nothing here\n") == ["1:1: the file is empty"])
    }

    @Test func diagnosticsNameTheFileAsGiven() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("critfix.yaml", configuration(with: "email: {max_attempts: 0}"))
        do {
            _ = try ConfigurationLoader.load(path: file, environment: [:])
            Issue.record("expected a failure")
        } catch {
            #expect(error.description == "\(file):5:23: email.max_attempts: '0' is too small (expected at least 1)")
        }
    }
}
