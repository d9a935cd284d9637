/// The customers, as `registrations.yaml` registers them (SPEC 4): a domain value that
/// matching, the state and delivery read. `Configuration` loads and validates it.
/// `registrations.yaml` (SPEC 4).
public struct Registrations: Sendable {
    public var customers: [Customer]

    public init(customers: [Customer]) { self.customers = customers }

    /// The environment variables the file refers to (`secret_env`), sorted.
    public var environmentNames: [String] {
        Set(customers.flatMap { $0.webhooks.compactMap(\.secretEnvironment) }).sorted()
    }
}

public enum CustomerStatus: String, Sendable, Hashable, CaseIterable {
    case active, pending, suspended
}

public enum Language: String, Sendable, Hashable, CaseIterable {
    case pl, en
}

public struct Customer: Sendable, Hashable {
    public var id: String
    public var name: String
    public var plan: Plan
    public var status: CustomerStatus
    public var language: Language
    /// Notify for severity <= this (default 1).
    public var minSeverity: Int
    /// Default: every kind.
    public var kinds: Set<Kind>
    public var digest: Bool
    public var products: [RegisteredProduct]
    public var contacts: [Contact]
    public var webhooks: [WebhookEndpoint]
    /// Line of the customer in the registrations file, for messages.
    public var line: Int

    public init(
        id: String, name: String = "", plan: Plan = .xtreme, status: CustomerStatus = .active,
        language: Language = .en, minSeverity: Int = 1, kinds: Set<Kind> = Set(Kind.allCases),
        digest: Bool = false, products: [RegisteredProduct] = [], contacts: [Contact] = [],
        webhooks: [WebhookEndpoint] = [], line: Int = 0
    ) {
        self.id = id
        self.name = name
        self.plan = plan
        self.status = status
        self.language = language
        self.minSeverity = minSeverity
        self.kinds = kinds
        self.digest = digest
        self.products = products
        self.contacts = contacts
        self.webhooks = webhooks
        self.line = line
    }
}

public struct RegisteredProduct: Sendable, Hashable {
    /// The catalog id (aliases already resolved).
    public var product: String
    /// The installed version; nil = every version.
    public var version: Version?

    public init(product: String, version: Version? = nil) {
        self.product = product
        self.version = version
    }
}

public struct Contact: Sendable, Hashable {
    public var email: String
    public var name: String?

    public init(email: String, name: String? = nil) {
        self.email = email
        self.name = name
    }
}

public struct WebhookEndpoint: Sendable, Hashable {
    public var url: String
    /// The signing secret (`whsec_…`), read inline or from the environment. Never log it.
    public var secret: String?
    /// The environment variable the secret came from (`secret_env`), if any.
    public var secretEnvironment: String?

    public init(url: String, secret: String? = nil, secretEnvironment: String? = nil) {
        self.url = url
        self.secret = secret
        self.secretEnvironment = secretEnvironment
    }
}
