public import Articles
internal import Foundation
internal import Yams

/// Loads and validates `registrations.yaml` (SPEC 4).
///
/// Per customer (any other key is an error):
///
/// | key | type | default |
/// | --- | --- | --- |
/// | `id` | non-empty text, unique in the file | required |
/// | `name` | text | empty |
/// | `plan` | `xtreme`, `premium` or `elite` | `xtreme` |
/// | `status` | `active`, `pending` or `suspended` | `active` |
/// | `language` | `pl` or `en` | `en` |
/// | `min_severity` | 1…4 | 1 |
/// | `kinds` | non-empty list of kinds | every kind |
/// | `digest` | boolean | false |
/// | `products` | list of `{product, version}` (or just the product) | none |
/// | `contacts` | list of `{email, name}` | none |
/// | `webhooks` | list of `{url, secret}` or `{url, secret_env}` | none |
///
/// `plan` defaults to `xtreme`, the lowest plan, so that a customer whose plan was
/// left out is never promised more than the basic plan gives (notification order
/// and latency targets); the operator adds `plan:` to raise it.
///
/// A customer needs at least one contact or webhook. YAML merge keys work
/// (`<<: *common`, the anchor defined under a top-level `x-…` key, which is otherwise
/// ignored). Product references resolve
/// through the catalog (ids, names, aliases; case and white space folded) to the
/// catalog id; versions are taken as written (`version: 10.10` is 10.10).
public enum RegistrationsLoader {
    /// Loads `path` against `catalog`, or throws every problem found in it.
    /// - Parameter environment: for `secret_env`; the process environment is never read.
    public static func load(path: String, catalog: Catalog, environment: [String: String]) throws(ValidationFailure)
        -> Registrations
    {
        try load(
            path: path, catalog: catalog, environment: environment, parallelThreshold: 4 << 20,
            parts: min(ProcessInfo.processInfo.activeProcessorCount, 8))
    }

    /// Files of at least `parallelThreshold` bytes have their customer list composed
    /// in `parts` parts on several cores (`YAMLFile.composeInParts`); the result is the same.
    static func load(
        path: String, catalog: Catalog, environment: [String: String], parallelThreshold: Int, parts: Int
    ) throws(ValidationFailure) -> Registrations
    {
        var checker = Checker(file: path)
        guard
            let composed = YAMLFile.compose(
                path: path, checker: &checker, splittingList: "customers", parallelThreshold: parallelThreshold,
                parts: parts)
        else {
            throw checker.failure() ?? ValidationFailure(diagnostics: [])
        }
        var reader = RegistrationsReader(checker: checker, catalog: catalog, environment: environment)
        let registrations = reader.read(composed.root, continuation: composed.continuation)
        if let failure = reader.checker.failure() { throw failure }
        return registrations
    }
}

struct RegistrationsReader {
    var checker: Checker
    let catalog: Catalog
    let environment: [String: String]
    /// Product references already resolved (the same few texts repeat in every customer).
    var resolvedProducts: [String: String] = [:]
    /// Versions already parsed, by their text (a file names the same releases again and again).
    var parsedVersions: [String: Version] = [:]
    static let kindsByName = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0.rawValue, $0) })

    static let topKeys = ["customers"]
    static let customerKeys = [
        "id", "name", "plan", "status", "language", "min_severity", "kinds", "digest", "products", "contacts",
        "webhooks",
    ]
    static let productKeys = ["product", "version"]
    static let contactKeys = ["email", "name"]
    static let webhookKeys = ["url", "secret", "secret_env"]
    static let allKinds = Set(Kind.allCases)

    static func notAPlan(_ text: String) -> String {
        "'\(Text.shown(text))' is not a plan (expected \(alternatives(Plan.allCases.map(\.rawValue))))"
    }

    static func notAKind(_ text: String) -> String {
        "'\(Text.shown(text))' is not a kind (expected \(alternatives(Kind.allCases.map(\.rawValue))))"
    }

    init(checker: Checker, catalog: Catalog, environment: [String: String]) {
        self.checker = checker
        self.catalog = catalog
        self.environment = environment
    }

    /// `continuation`: customers composed apart from the root (they follow its list).
    mutating func read(_ root: Node, continuation: [Node] = []) -> Registrations {
        guard case .mapping(let top) = root else {
            checker.error(at: root, "", "expected a mapping with 'customers' at the top level, found \(root.shape)")
            return Registrations(customers: [])
        }
        var customers: [Customer] = []
        var sawCustomers = false
        for (keyNode, value) in checker.entries(top, "") {
            guard let key = checker.key(keyNode, "") else { continue }
            switch key {
            case "customers":
                sawCustomers = true
                customers = readCustomers(value, continuation: continuation)
            default:
                // `x-…` keys hold anchors for merge keys (`x-common: &common …`), as in Compose files.
                if !key.hasPrefix("x-") { checker.unknownKey(keyNode, key, allowed: Self.topKeys, key) }
            }
        }
        if !sawCustomers { checker.missing("customers", in: root, "") }
        return Registrations(customers: customers)
    }

    mutating func readCustomers(_ node: Node, continuation: [Node]) -> [Customer] {
        guard var items = checker.list(node, "customers") else { return [] }
        items += continuation
        var customers: [Customer] = []
        customers.reserveCapacity(items.count)
        var ids: [String: Int] = [:]
        ids.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if let customer = readCustomer(item, path: "customers[\(index)]", ids: &ids) {
                customers.append(customer)
            }
        }
        return customers
    }

    mutating func readCustomer(_ item: Node, path: String, ids: inout [String: Int]) -> Customer? {
        guard let mapping = checker.mapping(item, path) else { return nil }
        var customer = Customer(id: "", line: item.mark?.line ?? 1)
        var valid = true
        var sawID = false
        var channels = 0
        for (keyNode, value) in checker.entries(mapping, path) {
            guard let key = checker.key(keyNode, path) else {
                valid = false
                continue
            }
            switch key {
            case "id":
                sawID = true
                guard let id = checker.requiredScalar(value, "\(path).id", what: "a customer id") else {
                    valid = false
                    continue
                }
                if Text.hasControlCharacters(id) {
                    checker.error(at: value, "\(path).id", "'\(Text.shown(id))' contains control characters")
                    valid = false
                } else if let line = ids[id] {
                    checker.error(at: value, "\(path).id", "duplicate customer id '\(id)' (first at line \(line))")
                    valid = false
                } else {
                    ids[id] = value.mark?.line ?? 1
                }
                customer.id = id
            case "name":
                guard let name = plainText(value, "\(path).name") else {
                    if !value.isNull { valid = false }
                    continue
                }
                customer.name = name
            case "plan":
                guard let text = checker.requiredScalar(value, "\(path).plan", what: "xtreme, premium or elite") else {
                    valid = false
                    continue
                }
                if let plan = Plan(rawValue: text.lowercased()) {
                    customer.plan = plan
                } else {
                    checker.error(at: value, "\(path).plan", Self.notAPlan(text))
                    valid = false
                }
            case "status":
                guard let text = checker.requiredScalar(value, "\(path).status", what: "active, pending or suspended")
                else {
                    valid = false
                    continue
                }
                if let status = CustomerStatus(rawValue: text.lowercased()) {
                    customer.status = status
                } else {
                    checker.error(
                        at: value, "\(path).status",
                        "'\(Text.shown(text))' is not a status (expected \(alternatives(CustomerStatus.allCases.map(\.rawValue))))")
                    valid = false
                }
            case "language":
                guard let text = checker.requiredScalar(value, "\(path).language", what: "pl or en") else {
                    valid = false
                    continue
                }
                if let language = Language(rawValue: text.lowercased()) {
                    customer.language = language
                } else {
                    checker.error(
                        at: value, "\(path).language",
                        "'\(Text.shown(text))' is not a language (expected \(alternatives(Language.allCases.map(\.rawValue))))")
                    valid = false
                }
            case "min_severity":
                if let severity = checker.severity(value, "\(path).min_severity") {
                    customer.minSeverity = severity
                } else {
                    valid = false
                }
            case "kinds":
                if let kinds = readKinds(value, "\(path).kinds") { customer.kinds = kinds } else { valid = false }
            case "digest":
                if let digest = checker.bool(value, "\(path).digest") { customer.digest = digest } else { valid = false }
            case "products":
                if let products = readProducts(value, "\(path).products") {
                    customer.products = products
                } else {
                    valid = false
                }
            case "contacts":
                // A value that is not a list is reported as such; it still counts as an attempt
                // at a channel, so no second "no contact and no webhook" follows.
                if case .sequence(let sequence) = value { channels += sequence.count } else if !value.isNull { channels += 1 }
                if let contacts = readContacts(value, "\(path).contacts") {
                    customer.contacts = contacts
                } else {
                    valid = false
                }
            case "webhooks":
                // A value that is not a list is reported as such; it still counts as an attempt
                // at a channel, so no second "no contact and no webhook" follows.
                if case .sequence(let sequence) = value { channels += sequence.count } else if !value.isNull { channels += 1 }
                if let webhooks = readWebhooks(value, "\(path).webhooks") {
                    customer.webhooks = webhooks
                } else {
                    valid = false
                }
            default:
                checker.unknownKey(keyNode, key, allowed: Self.customerKeys, "\(path).\(key)")
                valid = false
            }
        }
        if !sawID {
            checker.missing("id", in: item, path)
            valid = false
        }
        if channels == 0 {
            let who = customer.id.isEmpty ? "the customer" : "customer '\(Text.shown(customer.id))'"
            checker.error(at: item, path, "\(who) has no contact and no webhook: add contacts or webhooks")
            valid = false
        }
        return valid ? customer : nil
    }

    /// A single-line text (names end up in mail headers): control characters, CR and
    /// LF included, are reported.
    mutating func plainText(_ node: Node, _ path: @autoclosure () -> String) -> String? {
        guard let text = checker.scalar(node, path()) else { return nil }
        if Text.hasControlCharacters(text) {
            checker.error(at: node, path(), "'\(Text.shown(text))' contains control characters (a name is one line of text)")
            return nil
        }
        return text
    }

    mutating func readKinds(_ node: Node, _ path: String) -> Set<Kind>? {
        guard let items = checker.list(node, path) else { return nil }
        guard !items.isEmpty else {
            checker.error(at: node, path, "is empty (leave kinds out for every kind)")
            return nil
        }
        var kinds: Set<Kind> = []
        var valid = true
        for (index, item) in items.enumerated() {
            guard let text = checker.requiredScalar(item, "\(path)[\(index)]", what: "a kind") else {
                valid = false
                continue
            }
            if let kind = Self.kindsByName[text] ?? Kind(parsing: text) {
                kinds.insert(kind)
            } else {
                checker.error(at: item, "\(path)[\(index)]", Self.notAKind(text))
                valid = false
            }
        }
        return valid ? kinds : nil
    }

    // MARK: products

    mutating func productID(_ reference: String) -> String? {
        if let id = resolvedProducts[reference] { return id }
        guard let product = catalog.product(named: reference) else { return nil }
        resolvedProducts[reference] = product.id
        return product.id
    }

    mutating func readProducts(_ node: Node, _ path: String) -> [RegisteredProduct]? {
        guard let items = checker.list(node, path) else { return nil }
        var products: [RegisteredProduct] = []
        products.reserveCapacity(items.count)
        var seen: [String: Int] = [:]
        var valid = true
        for (index, item) in items.enumerated() {
            func itemPath() -> String { "\(path)[\(index)]" }
            var referenceNode: Node?
            var versionNode: Node?
            switch item {
            case .scalar:
                referenceNode = item  // `- erp-m3`: the product alone, every version
            case .mapping(let mapping):
                for (keyNode, value) in checker.entries(mapping, itemPath()) {
                    guard let key = checker.key(keyNode, itemPath()) else {
                        valid = false
                        continue
                    }
                    switch key {
                    case "product": referenceNode = value
                    case "version": versionNode = value
                    default:
                        checker.unknownKey(keyNode, key, allowed: Self.productKeys, "\(itemPath()).\(key)")
                        valid = false
                    }
                }
            default:
                checker.error(
                    at: item, itemPath(), "expected a mapping with product and version, found \(item.shape)")
                valid = false
                continue
            }
            guard let referenceNode else {
                checker.missing("product", in: item, itemPath())
                valid = false
                continue
            }
            func referencePath() -> String { item.text == nil ? "\(itemPath()).product" : itemPath() }
            guard let reference = checker.requiredScalar(referenceNode, referencePath(), what: "a product id or alias")
            else {
                valid = false
                continue
            }
            var version: Version?
            var versionValid = true
            if let versionNode, !versionNode.isNull {
                if let text = checker.scalar(versionNode, "\(itemPath()).version") {
                    version = parsedVersions[text]
                    if version == nil, let parsed = Version(text) {
                        version = parsed
                        parsedVersions[text] = parsed
                    }
                    if version == nil {
                        checker.error(
                            at: versionNode, "\(itemPath()).version",
                            "'\(Text.shown(text))' is not a version: write the one installed version, such as 10.7.2 or 15.0(1)M10, without white space or any of < > = ! , | *")
                    }
                }
                versionValid = version != nil
            }
            guard let id = productID(reference) else {
                checker.error(
                    at: referenceNode, referencePath(), "'\(Text.shown(reference))' is not a product in the catalog")
                valid = false
                continue
            }
            if let line = seen[id] {
                let named = Catalog.fold(reference) == Catalog.fold(id) ? "'\(id)'" : "'\(Text.shown(reference))' (\(id))"
                checker.error(
                    at: referenceNode, referencePath(),
                    "product \(named) is registered twice for this customer (first at line \(line))")
                valid = false
                continue
            }
            seen[id] = referenceNode.mark?.line ?? 1
            guard versionValid else {
                valid = false
                continue
            }
            products.append(RegisteredProduct(product: id, version: version))
        }
        return valid ? products : nil
    }

    // MARK: contacts

    mutating func readContacts(_ node: Node, _ path: String) -> [Contact]? {
        guard let items = checker.list(node, path) else { return nil }
        var contacts: [Contact] = []
        contacts.reserveCapacity(items.count)
        var seen: [String: Int] = [:]
        var valid = true
        for (index, item) in items.enumerated() {
            func itemPath() -> String { "\(path)[\(index)]" }
            guard let mapping = checker.mapping(item, itemPath()) else {
                valid = false
                continue
            }
            var email: String?
            var name: String?
            var sawEmail = false
            for (keyNode, value) in checker.entries(mapping, itemPath()) {
                guard let key = checker.key(keyNode, itemPath()) else {
                    valid = false
                    continue
                }
                switch key {
                case "email":
                    sawEmail = true
                    guard let text = checker.requiredScalar(value, "\(itemPath()).email", what: "an email address") else {
                        valid = false
                        continue
                    }
                    guard Text.isEmailAddress(text) else {
                        checker.error(at: value, "\(itemPath()).email", "'\(Text.shown(text))' is not an email address")
                        valid = false
                        continue
                    }
                    let folded = text.lowercased()
                    if let line = seen[folded] {
                        checker.error(
                            at: value, "\(itemPath()).email",
                            "'\(text)' is listed twice for this customer (first at line \(line))")
                        valid = false
                        continue
                    }
                    seen[folded] = value.mark?.line ?? 1
                    email = text
                case "name":
                    name = plainText(value, "\(itemPath()).name")
                    if name == nil, !value.isNull { valid = false }
                default:
                    checker.unknownKey(keyNode, key, allowed: Self.contactKeys, "\(itemPath()).\(key)")
                    valid = false
                }
            }
            if !sawEmail {
                checker.missing("email", in: item, itemPath())
                valid = false
            }
            if let email { contacts.append(Contact(email: email, name: name)) }
        }
        return valid ? contacts : nil
    }

    // MARK: webhooks

    mutating func readWebhooks(_ node: Node, _ path: String) -> [WebhookEndpoint]? {
        guard let items = checker.list(node, path) else { return nil }
        var webhooks: [WebhookEndpoint] = []
        var seen: [String: Int] = [:]
        var valid = true
        for (index, item) in items.enumerated() {
            func itemPath() -> String { "\(path)[\(index)]" }
            guard let mapping = checker.mapping(item, itemPath()) else {
                valid = false
                continue
            }
            var urlNode: Node?
            var secretNode: Node?
            var environmentNode: Node?
            for (keyNode, value) in checker.entries(mapping, itemPath()) {
                guard let key = checker.key(keyNode, itemPath()) else {
                    valid = false
                    continue
                }
                switch key {
                case "url": urlNode = value
                case "secret": secretNode = value
                case "secret_env": environmentNode = value
                default:
                    checker.unknownKey(keyNode, key, allowed: Self.webhookKeys, "\(itemPath()).\(key)")
                    valid = false
                }
            }
            var endpoint = WebhookEndpoint(url: "")
            if let urlNode {
                if let url = webhookURL(urlNode, "\(itemPath()).url") {
                    if let line = seen[url] {
                        checker.error(
                            at: urlNode, "\(itemPath()).url",
                            "'\(Text.shown(url))' is listed twice for this customer (first at line \(line))")
                        valid = false
                    } else {
                        seen[url] = urlNode.mark?.line ?? 1
                        endpoint.url = url
                    }
                } else {
                    valid = false
                }
            } else {
                checker.missing("url", in: item, itemPath())
                valid = false
            }
            switch (secretNode, environmentNode) {
            case (let secret?, let variable?):
                let later = (variable.mark?.line ?? 0, variable.mark?.column ?? 0) > (secret.mark?.line ?? 0, secret.mark?.column ?? 0) ? variable : secret
                checker.error(at: later, itemPath(), "give either secret or secret_env, not both")
                valid = false
            case (let secret?, nil):
                // The secret itself is never shown in a diagnostic.
                guard let text = checker.requiredScalar(secret, "\(itemPath()).secret", what: "a secret (whsec_…)") else {
                    valid = false
                    break
                }
                if Text.isWebhookSecret(text) {
                    endpoint.secret = text
                } else {
                    checker.error(
                        at: secret, "\(itemPath()).secret",
                        "the secret is not a Standard Webhooks secret (expected whsec_ followed by base64)")
                    valid = false
                }
            case (nil, let variable?):
                guard let (name, value) = checker.environmentVariable(variable, "\(itemPath()).secret_env", in: environment)
                else {
                    valid = false
                    break
                }
                if Text.isWebhookSecret(value) {
                    endpoint.secret = value
                    endpoint.secretEnvironment = name
                } else {
                    checker.error(
                        at: variable, "\(itemPath()).secret_env",
                        "environment variable \(name) does not hold a Standard Webhooks secret (expected whsec_ followed by base64)"
                    )
                    valid = false
                }
            case (nil, nil):
                break  // an unsigned webhook
            }
            webhooks.append(endpoint)
        }
        return valid ? webhooks : nil
    }

    mutating func webhookURL(_ node: Node, _ path: String) -> String? {
        guard let text = checker.requiredScalar(node, path, what: "an http:// or https:// URL") else { return nil }
        guard let authority = Text.authority(of: text), authority.scheme == "http" || authority.scheme == "https" else {
            checker.error(at: node, path, "'\(Text.shown(text))' is not an http:// or https:// URL with a host")
            return nil
        }
        return text
    }
}
