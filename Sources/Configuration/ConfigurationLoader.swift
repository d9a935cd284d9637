internal import Articles
internal import Yams

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Loads and validates `critfix.yaml` (SPEC 3).
///
/// Keys, with their types and defaults (every key but `feeds` and `registrations`
/// may be left out; any other key is an error, at every level):
///
/// | key | type | default |
/// | --- | --- | --- |
/// | `state` | a path (SQLite) or a `postgres://` / `postgresql://` URL | `.critfix/state.sqlite` |
/// | `state_lease` | duration > 0: how long a PostgreSQL claim lasts unless its run renews it | 60s |
/// | `registrations` | path | required |
/// | `feeds[].name` | `[a-z0-9._-]+`, unique | required |
/// | `feeds[].url` | `http(s)://`, `file:///PATH` (kept as written) or a path | required |
/// | `feeds[].ca_file` | path | none |
/// | `feeds[].defaults` | `{product, kind, severity}` | none |
/// | `feeds[].timeout` | duration > 0 | 30s |
/// | `feeds[].alert_after` | integer ≥ 1 | 1 |
/// | `products[].id` | text, unique | required |
/// | `products[].name` | text | the id |
/// | `products[].aliases` | list of text | `[]` |
/// | `products[].critical_notifications` | boolean | true |
/// | `products[].cpe` | list of CPE 2.2 / 2.3 names | `[]` |
/// | `products[].purl` | list of package URLs (a prefix when ending in `/`) | `[]` |
/// | `email.from` | `Name <address>` or an address | `critfix <critfix@localhost>` |
/// | `email.transport` | `smtp://HOST[:PORT]`, `smtps://…`, `sendmail:PATH`, `mbox:PATH`, `stdout` | `stdout` |
/// | `email.envelope_from` | address | none |
/// | `email.username_env`, `email.password_env` | names of set environment variables, both or neither | none |
/// | `email.ca_file`, `email.templates` | path | none |
/// | `email.max_attempts` | integer ≥ 1 | 10 |
/// | `email.retry_delays` | non-empty list of durations | 1m, 5m, 15m, 1h, 4h |
/// | `webhooks.timeout` | duration > 0 | 10s |
/// | `webhooks.max_attempts` | integer ≥ 1 | 8 |
/// | `webhooks.retry_delays` | non-empty list of durations | 5s, 5m, 30m, 2h, 5h, 10h |
/// | `webhooks.in_run_wait` | duration ≥ 0 | 10s |
/// | `webhooks.ca_file` | path | none |
/// | `webhooks.allow_private_addresses` | boolean | false |
/// | `webhooks.concurrency` | integer ≥ 1 | 16 |
/// | `fetch.concurrency` | integer 1…64 | 8 |
/// | `fetch.max_size` | a size: bytes, or a number with KiB, MiB (KB, MB) | 20 MiB |
/// | `fetch.max_documents` | integer ≥ 1: a ROLIE feed's documents fetched per run | 1000 |
/// | `targets` | plan → {severity 1…4 → minutes ≥ 1} | none |
///
/// Relative paths are resolved against the configuration file's directory (`~/`
/// against `HOME` from `environment`). Booleans are `true`/`false` (also `yes`/`no`).
/// Durations: `DurationText`. YAML merge keys (`<<: *anchor`) work; top-level keys
/// starting with `x-` are ignored, to hold anchors.
public enum ConfigurationLoader {
    /// Loads `path`, or throws every problem found in it.
    /// - Parameters:
    ///   - path: the configuration file, as the user gave it (relative to the
    ///     current directory or absolute); diagnostics name it as given.
    ///   - environment: the environment for `*_env` keys and `~`; the loader never
    ///     reads the process environment itself.
    public static func load(path: String, environment: [String: String]) throws(ValidationFailure)
        -> CritfixConfiguration
    {
        var checker = Checker(file: path)
        guard let root = YAMLFile.compose(path: path, checker: &checker) else {
            throw checker.failure() ?? ValidationFailure(diagnostics: [])
        }
        let absolute = Paths.resolve(path, against: currentDirectory(), home: nil)
        var reader = ConfigurationReader(
            checker: checker, file: absolute, directory: Paths.directory(of: absolute), environment: environment)
        let configuration = reader.read(root)
        if let failure = reader.checker.failure() { throw failure }
        guard let configuration else { throw ValidationFailure(diagnostics: []) }
        return configuration
    }

    static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "/" }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// One pass over the configuration tree.
struct ConfigurationReader {
    var checker: Checker
    let file: String
    let directory: String
    let environment: [String: String]
    /// Set by `readEmail` when both credential variables are.
    var emailCredentials: SMTPCredentials?

    static let topKeys = ["state", "state_lease", "registrations", "feeds", "products", "email", "webhooks", "fetch", "targets"]
    static let feedKeys = ["name", "url", "ca_file", "defaults", "timeout", "alert_after"]
    static let defaultsKeys = ["product", "kind", "severity"]
    static let productKeys = ["id", "name", "aliases", "critical_notifications", "cpe", "purl"]
    static let emailKeys = [
        "from", "transport", "envelope_from", "username_env", "password_env", "ca_file", "templates",
        "max_attempts", "retry_delays",
    ]
    static let webhookKeys = [
        "timeout", "max_attempts", "retry_delays", "in_run_wait", "ca_file", "allow_private_addresses",
        "concurrency",
    ]

    func resolve(_ path: String) -> String {
        Paths.resolve(path, against: directory, home: environment["HOME"])
    }

    /// A path value, resolved; nil (reported) when empty or not a single value.
    mutating func path(_ node: Node, _ path: @autoclosure () -> String, what: String = "a path") -> String? {
        guard let text = checker.requiredScalar(node, path(), what: what) else { return nil }
        guard !Text.hasControlCharacters(text) else {
            checker.error(at: node, path(), "'\(Text.shown(text))' contains control characters")
            return nil
        }
        return resolve(text)
    }

    mutating func read(_ root: Node) -> CritfixConfiguration? {
        guard case .mapping(let top) = root else {
            checker.error(
                at: root, "",
                "expected a mapping with at least 'feeds' and 'registrations' at the top level, found \(root.shape)")
            return nil
        }
        var state = StateLocation.sqlite(path: resolve(".critfix/state.sqlite"))
        var registrations: String?
        var sawRegistrations = false
        var feedsNode: Node?
        var productsNode: Node?
        var email = EmailSettings()
        var webhooks = WebhookSettings()
        var fetch = FetchSettings()
        var targets: [Plan: [Int: Int]] = [:]
        var stateLease: Double?
        for (keyNode, value) in checker.entries(top, "") {
            guard let key = checker.key(keyNode, "") else { continue }
            switch key {
            case "state": if let location = stateLocation(value) { state = location }
            case "state_lease": stateLease = checker.duration(value, "state_lease", positive: true)
            case "registrations":
                sawRegistrations = true
                registrations = path(value, "registrations", what: "the path of the registrations file")
            case "feeds": feedsNode = value
            case "products": productsNode = value
            case "email": readEmail(value, into: &email)
            case "webhooks": readWebhooks(value, into: &webhooks)
            case "fetch": readFetch(value, into: &fetch)
            case "targets": targets = readTargets(value)
            default:
                // `x-…` keys hold anchors for merge keys (`x-common: &common …`), as in Compose files.
                if !key.hasPrefix("x-") { checker.unknownKey(keyNode, key, allowed: Self.topKeys, key) }
            }
        }
        if !sawRegistrations { checker.missing("registrations", in: root, "") }
        let catalog = readProducts(productsNode)
        var feeds: [FeedConfiguration] = []
        if let feedsNode {
            feeds = readFeeds(feedsNode, catalog: catalog)
        } else {
            checker.missing("feeds", in: root, "")
        }
        guard let registrations else { return nil }
        var configuration = CritfixConfiguration(
            path: file, state: state, registrations: registrations, feeds: feeds, catalog: catalog, email: email,
            webhooks: webhooks, fetch: fetch, targets: targets)
        configuration.emailCredentials = emailCredentials
        if let stateLease { configuration.stateLease = stateLease }
        return configuration
    }

    // MARK: state

    mutating func stateLocation(_ node: Node) -> StateLocation? {
        guard let text = checker.requiredScalar(node, "state", what: "a path or a postgres:// URL") else { return nil }
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            // Never echo the URL: it may hold a password.
            guard !Text.hasControlCharacters(text), !text.contains(" "), text.split(separator: "/").count >= 2 else {
                checker.error(at: node, "state", "the postgres:// URL is not valid (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
                return nil
            }
            return .postgres(url: text)
        }
        if Text.hasScheme(text) {
            let scheme = text[..<(text.range(of: "://")?.lowerBound ?? text.endIndex)]
            checker.error(
                at: node, "state",
                "'\(Text.shown(String(scheme)))://' is not a supported state location (expected the path of an SQLite file or a postgres:// URL)"
            )
            return nil
        }
        return path(node, "state").map { .sqlite(path: $0) }
    }

    // MARK: products

    /// Who claimed a folded product reference first.
    struct Claim {
        var product: String
        var line: Int
        var isID: Bool
    }

    /// A list of scalars (or one scalar, read as a list of one), each with its node and path.
    mutating func scalarList(_ node: Node, _ path: String, what: String) -> [(String, Node, String)] {
        if node.text != nil {
            return checker.requiredScalar(node, path, what: what).map { [($0.trimmed, node, path)] } ?? []
        }
        guard let list = checker.list(node, path) else { return [] }
        var entries: [(String, Node, String)] = []
        for (index, item) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if let text = checker.requiredScalar(item, itemPath, what: what) { entries.append((text.trimmed, item, itemPath)) }
        }
        return entries
    }

    mutating func readProducts(_ node: Node?) -> Catalog {
        guard let node, let items = checker.list(node, "products") else { return Catalog([]) }
        var products: [CatalogProduct] = []
        var claims: [String: Claim] = [:]
        for (index, item) in items.enumerated() {
            let path = "products[\(index)]"
            guard let mapping = checker.mapping(item, path) else { continue }
            var id: String?
            var idNode: Node?
            var name: String?
            var references: [(text: String, node: Node, path: String, isID: Bool)] = []
            var aliases: [String] = []
            var critical = true
            var cpes: [CPE] = []
            var purls: [PackageURLPattern] = []
            var sawID = false
            for (keyNode, value) in checker.entries(mapping, path) {
                guard let key = checker.key(keyNode, path) else { continue }
                switch key {
                case "id":
                    sawID = true
                    if let text = checker.requiredScalar(value, "\(path).id", what: "a product id") {
                        id = text.trimmed
                        idNode = value
                    }
                case "name":
                    if let text = checker.requiredScalar(value, "\(path).name", what: "a product name") {
                        name = text.trimmed
                        references.append((text, value, "\(path).name", false))
                    }
                case "aliases":
                    guard let list = checker.list(value, "\(path).aliases") else { continue }
                    for (aliasIndex, aliasNode) in list.enumerated() {
                        if let alias = checker.requiredScalar(aliasNode, "\(path).aliases[\(aliasIndex)]", what: "an alias") {
                            aliases.append(alias.trimmed)
                            references.append((alias, aliasNode, "\(path).aliases[\(aliasIndex)]", false))
                        }
                    }
                case "critical_notifications":
                    if let flag = checker.bool(value, "\(path).critical_notifications") { critical = flag }
                case "cpe":
                    for (entry, node, entryPath) in scalarList(value, "\(path).cpe", what: "a CPE name") {
                        if let cpe = CPE(entry) { cpes.append(cpe) } else { checker.error(at: node, entryPath, CPE.problem(entry) ?? "") }
                    }
                case "purl":
                    for (entry, node, entryPath) in scalarList(value, "\(path).purl", what: "a package URL") {
                        if let purl = PackageURLPattern(entry) {
                            purls.append(purl)
                        } else {
                            checker.error(at: node, entryPath, PackageURLPattern.problem(entry) ?? "")
                        }
                    }
                default:
                    checker.unknownKey(keyNode, key, allowed: Self.productKeys, "\(path).\(key)")
                }
            }
            if !sawID { checker.missing("id", in: item, path) }
            guard let id, let idNode else { continue }
            references.insert((id, idNode, "\(path).id", true), at: 0)
            var own: Set<String> = []
            var clash = false
            for reference in references {
                let folded = Catalog.fold(reference.text)
                guard own.insert(folded).inserted else { continue }
                if let first = claims[folded] {
                    clash = true
                    let shown = Text.shown(reference.text)
                    let message =
                        if reference.isID && first.isID {
                            "duplicate product id '\(shown)' (first at line \(first.line))"
                        } else if first.isID {
                            "'\(shown)' is already the id of product '\(first.product)' (line \(first.line))"
                        } else {
                            "'\(shown)' is already a name or alias of product '\(first.product)' (line \(first.line))"
                        }
                    checker.error(at: reference.node, reference.path, message)
                } else {
                    claims[folded] = Claim(product: id, line: reference.node.mark?.line ?? 1, isID: reference.isID)
                }
            }
            if !clash {
                products.append(
                    CatalogProduct(
                        id: id, name: name, aliases: aliases, criticalNotifications: critical, cpes: cpes, purls: purls))
            }
        }
        return Catalog(products)
    }

    // MARK: feeds

    mutating func readFeeds(_ node: Node, catalog: Catalog) -> [FeedConfiguration] {
        guard let items = checker.list(node, "feeds") else { return [] }
        if items.isEmpty {
            checker.error(at: node, "feeds", "is empty (expected at least one feed with a name and a url)")
        }
        var feeds: [FeedConfiguration] = []
        var names: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "feeds[\(index)]"
            guard let mapping = checker.mapping(item, path) else { continue }
            var feed = FeedConfiguration(name: "", url: "")
            var valid = true
            var sawName = false
            var sawURL = false
            for (keyNode, value) in checker.entries(mapping, path) {
                guard let key = checker.key(keyNode, path) else { continue }
                switch key {
                case "name":
                    sawName = true
                    guard let name = checker.requiredScalar(value, "\(path).name", what: "a feed name") else {
                        valid = false
                        continue
                    }
                    if !Text.isFeedName(name) {
                        checker.error(
                            at: value, "\(path).name",
                            "'\(Text.shown(name))' is not a feed name (use lowercase letters, digits, '.', '_' and '-')")
                        valid = false
                    } else if let line = names[name] {
                        checker.error(at: value, "\(path).name", "feed name '\(name)' is already used at line \(line)")
                        valid = false
                    } else {
                        names[name] = value.mark?.line ?? 1
                    }
                    feed.name = name
                case "url":
                    sawURL = true
                    if let url = feedURL(value, "\(path).url") { feed.url = url } else { valid = false }
                case "ca_file":
                    if let file = self.path(value, "\(path).ca_file") { feed.caFile = file } else { valid = false }
                case "defaults":
                    if let defaults = feedDefaults(value, "\(path).defaults", catalog: catalog) {
                        feed.defaults = defaults
                    } else {
                        valid = false
                    }
                case "timeout":
                    if let seconds = checker.duration(value, "\(path).timeout", positive: true) {
                        feed.timeout = seconds
                    } else {
                        valid = false
                    }
                case "alert_after":
                    if let count = checker.integer(value, "\(path).alert_after", atLeast: 1) {
                        feed.alertAfter = count
                    } else {
                        valid = false
                    }
                default:
                    checker.unknownKey(keyNode, key, allowed: Self.feedKeys, "\(path).\(key)")
                    valid = false
                }
            }
            if !sawName { checker.missing("name", in: item, path) }
            if !sawURL { checker.missing("url", in: item, path) }
            if valid, sawName, sawURL { feeds.append(feed) }
        }
        return feeds
    }

    /// `http(s)://HOST/…` and `file:///PATH` as written; a plain path resolved.
    mutating func feedURL(_ node: Node, _ path: String) -> String? {
        guard let text = checker.requiredScalar(node, path, what: "an http(s):// or file:// URL or a path") else {
            return nil
        }
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            guard Text.authority(of: text) != nil else {
                checker.error(at: node, path, "'\(Text.shown(text))' is not a valid URL (expected http(s)://HOST[:PORT]/PATH)")
                return nil
            }
            return text
        }
        if lower.hasPrefix("file://") {
            let rest = text.dropFirst("file://".count)
            guard rest.hasPrefix("/") || rest.lowercased().hasPrefix("localhost/"), !Text.hasControlCharacters(text)
            else {
                checker.error(
                    at: node, path,
                    "'\(Text.shown(text))' is not a file URL with an absolute path (write file:///PATH, or a plain path relative to this file)"
                )
                return nil
            }
            return text
        }
        if Text.hasScheme(text) {
            checker.error(
                at: node, path,
                "'\(Text.shown(text))' is not a supported feed location (expected http://, https://, file:// or a path)")
            return nil
        }
        return self.path(node, path)
    }

    mutating func feedDefaults(_ node: Node, _ path: String, catalog: Catalog) -> FeedDefaults? {
        guard let mapping = checker.mapping(node, path) else { return nil }
        var defaults = FeedDefaults()
        var valid = true
        for (keyNode, value) in checker.entries(mapping, path) {
            guard let key = checker.key(keyNode, path) else { continue }
            switch key {
            case "product":
                guard let reference = checker.requiredScalar(value, "\(path).product", what: "a product id or alias")
                else {
                    valid = false
                    continue
                }
                if let product = catalog.product(named: reference) {
                    defaults.product = product.id
                } else {
                    checker.error(at: value, "\(path).product", "'\(Text.shown(reference))' is not a product in the catalog (products)")
                    valid = false
                }
            case "kind":
                guard let text = checker.requiredScalar(value, "\(path).kind", what: "a kind") else {
                    valid = false
                    continue
                }
                if let kind = Kind(parsing: text) {
                    defaults.kind = kind
                } else {
                    checker.error(at: value, "\(path).kind", RegistrationsReader.notAKind(text))
                    valid = false
                }
            case "severity":
                if let severity = checker.severity(value, "\(path).severity") {
                    defaults.severity = severity
                } else {
                    valid = false
                }
            default:
                checker.unknownKey(keyNode, key, allowed: Self.defaultsKeys, "\(path).\(key)")
                valid = false
            }
        }
        return valid ? defaults : nil
    }

    // MARK: email

    mutating func readEmail(_ node: Node, into email: inout EmailSettings) {
        guard let mapping = checker.mapping(node, "email") else { return }
        var username: Node?
        var password: Node?
        var usernameValue: String?
        var passwordValue: String?
        for (keyNode, value) in checker.entries(mapping, "email") {
            guard let key = checker.key(keyNode, "email") else { continue }
            let path = "email.\(key)"
            switch key {
            case "from":
                guard let text = checker.requiredScalar(value, path, what: "a mailbox such as Name <address>") else {
                    continue
                }
                if let mailbox = Text.mailbox(text) {
                    email.from = mailbox
                } else {
                    checker.error(
                        at: value, path,
                        "'\(Text.shown(text))' is not a mailbox (expected an email address or Name <address>)")
                }
            case "transport":
                if let transport = transport(value, path) { email.transport = transport }
            case "envelope_from":
                guard let text = checker.requiredScalar(value, path, what: "an email address") else { continue }
                if Text.isEmailAddress(text) {
                    email.envelopeFrom = text
                } else {
                    checker.error(at: value, path, "'\(Text.shown(text))' is not an email address")
                }
            case "username_env":
                username = value
                let variable = checker.environmentVariable(value, path, in: environment)
                email.usernameEnv = variable?.name
                usernameValue = variable?.value
            case "password_env":
                password = value
                let variable = checker.environmentVariable(value, path, in: environment)
                email.passwordEnv = variable?.name
                passwordValue = variable?.value
            case "ca_file":
                if let file = self.path(value, path) { email.caFile = file }
            case "templates":
                if let directory = self.path(value, path, what: "a directory") { email.templates = directory }
            case "max_attempts":
                if let count = checker.integer(value, path, atLeast: 1) { email.maxAttempts = count }
            case "retry_delays":
                if let delays = checker.durations(value, path) { email.retryDelays = delays }
            default:
                checker.unknownKey(keyNode, key, allowed: Self.emailKeys, path)
            }
        }
        if let usernameEnv = email.usernameEnv, let passwordEnv = email.passwordEnv, let usernameValue, let passwordValue {
            emailCredentials = SMTPCredentials(
                username: usernameValue, password: passwordValue, usernameEnv: usernameEnv, passwordEnv: passwordEnv)
        }
        if let username, password == nil {
            checker.error(at: username, "email.password_env", "username_env is set but password_env is missing (SMTP AUTH needs both)")
        } else if let password, username == nil {
            checker.error(at: password, "email.username_env", "password_env is set but username_env is missing (SMTP AUTH needs both)")
        }
    }

    mutating func transport(_ node: Node, _ path: String) -> EmailTransport? {
        let expected = "smtp://HOST[:PORT], smtps://HOST[:PORT], sendmail:PATH, mbox:PATH or stdout"
        guard let text = checker.requiredScalar(node, path, what: expected) else { return nil }
        let lower = text.lowercased()
        if lower == "stdout" { return .stdout }
        if lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") {
            guard let authority = Text.authority(of: text) else {
                checker.error(at: node, path, "'\(Text.shown(text))' is not a valid SMTP URL (expected \(lower.hasPrefix("smtps") ? "smtps" : "smtp")://HOST[:PORT])")
                return nil
            }
            if authority.userinfo {
                // Not echoed: it holds a password.
                checker.error(at: node, path, "the SMTP URL must not hold credentials: name their environment variables in email.username_env and email.password_env")
                return nil
            }
            let afterHost = text[text.range(of: "://")!.upperBound...].drop { $0 != "/" && $0 != "?" && $0 != "#" }
            guard afterHost.isEmpty || afterHost == "/" else {
                checker.error(at: node, path, "'\(Text.shown(text))' has a path, query or fragment (expected \(authority.scheme)://HOST[:PORT])")
                return nil
            }
            return authority.scheme == "smtps" ? .smtps(url: text) : .smtp(url: text)
        }
        for (prefix, make) in [("sendmail:", EmailTransport.sendmail(path:)), ("mbox:", EmailTransport.mbox(path:))] {
            guard lower.hasPrefix(prefix) else { continue }
            let file = text.dropFirst(prefix.count).trimmed
            guard !file.isEmpty, !Text.hasControlCharacters(file) else {
                checker.error(at: node, path, "'\(Text.shown(text))' names no file (expected \(prefix)PATH)")
                return nil
            }
            return make(resolve(file))
        }
        checker.error(at: node, path, "'\(Text.shown(text))' is not a transport (expected \(expected))")
        return nil
    }

    // MARK: webhooks

    mutating func readWebhooks(_ node: Node, into webhooks: inout WebhookSettings) {
        guard let mapping = checker.mapping(node, "webhooks") else { return }
        for (keyNode, value) in checker.entries(mapping, "webhooks") {
            guard let key = checker.key(keyNode, "webhooks") else { continue }
            let path = "webhooks.\(key)"
            switch key {
            case "timeout":
                if let seconds = checker.duration(value, path, positive: true) { webhooks.timeout = seconds }
            case "max_attempts":
                if let count = checker.integer(value, path, atLeast: 1) { webhooks.maxAttempts = count }
            case "retry_delays":
                if let delays = checker.durations(value, path) { webhooks.retryDelays = delays }
            case "in_run_wait":
                if let seconds = checker.duration(value, path, positive: false) { webhooks.inRunWait = seconds }
            case "ca_file":
                if let file = self.path(value, path) { webhooks.caFile = file }
            case "allow_private_addresses":
                if let flag = checker.bool(value, path) { webhooks.allowPrivateAddresses = flag }
            case "concurrency":
                if let count = checker.integer(value, path, atLeast: 1) { webhooks.concurrency = count }
            default:
                checker.unknownKey(keyNode, key, allowed: Self.webhookKeys, path)
            }
        }
    }

    // MARK: fetch

    static let fetchKeys = ["concurrency", "max_size", "max_documents"]

    mutating func readFetch(_ node: Node, into fetch: inout FetchSettings) {
        guard let mapping = checker.mapping(node, "fetch") else { return }
        for (keyNode, value) in checker.entries(mapping, "fetch") {
            guard let key = checker.key(keyNode, "fetch") else { continue }
            let path = "fetch.\(key)"
            switch key {
            case "concurrency":
                guard let count = checker.integer(value, path, atLeast: 1) else { continue }
                guard count <= 64 else {
                    checker.error(at: value, path, "\(count) is too many feeds at once (at most 64)")
                    continue
                }
                fetch.concurrency = count
            case "max_size":
                if let bytes = checker.size(value, path) { fetch.maxSize = bytes }
            case "max_documents":
                if let count = checker.integer(value, path, atLeast: 1) { fetch.maxDocuments = count }
            default:
                checker.unknownKey(keyNode, key, allowed: Self.fetchKeys, path)
            }
        }
    }

    // MARK: targets

    mutating func readTargets(_ node: Node) -> [Plan: [Int: Int]] {
        guard let mapping = checker.mapping(node, "targets") else { return [:] }
        var targets: [Plan: [Int: Int]] = [:]
        for (keyNode, value) in checker.entries(mapping, "targets") {
            guard let key = checker.key(keyNode, "targets") else { continue }
            guard let plan = Plan(rawValue: key.lowercased()) else {
                checker.error(at: keyNode, "targets.\(key)", RegistrationsReader.notAPlan(key))
                continue
            }
            let path = "targets.\(key)"
            if targets[plan] != nil {
                checker.error(at: keyNode, path, "the targets of plan \(plan.rawValue) are given twice")
                continue
            }
            guard let minutes = checker.mapping(value, path) else { continue }
            var perSeverity: [Int: Int] = [:]
            for (severityNode, minutesNode) in checker.entries(minutes, path) {
                guard let severityText = checker.key(severityNode, path) else { continue }
                guard let severity = Text.integer(severityText), (1...4).contains(severity) else {
                    checker.error(
                        at: severityNode, "\(path).\(severityText)",
                        "'\(Text.shown(severityText))' is not a severity (expected 1, 2, 3 or 4)")
                    continue
                }
                guard perSeverity[severity] == nil else {
                    checker.error(at: severityNode, "\(path).\(severity)", "severity \(severity) is given twice")
                    continue
                }
                if let value = checker.integer(minutesNode, "\(path).\(severity)", atLeast: 1) {
                    perSeverity[severity] = value
                }
            }
            targets[plan] = perSeverity
        }
        return targets
    }
}
