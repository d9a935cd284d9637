public import Articles

/// `critfix.yaml` (SPEC 3), every path already resolved against the file's directory.
public struct CritfixConfiguration: Sendable {
    /// The configuration file itself (absolute path).
    public var path: String
    public var state: StateLocation
    /// How long a claim on a delivery lasts in a shared (PostgreSQL) state unless the run
    /// that made it renews it: the wait before the claims of a run that died are taken over.
    public var stateLease: Double = 60
    /// Absolute path of the registrations file.
    public var registrations: String
    public var feeds: [FeedConfiguration]
    public var catalog: Catalog
    public var email: EmailSettings
    public var webhooks: WebhookSettings
    public var fetch: FetchSettings
    /// Latency targets in minutes per plan and severity (SPEC 3 `targets`).
    public var targets: [Plan: [Int: Int]]
    /// The values of `email.username_env` and `email.password_env` when both are set.
    /// Kept apart from `EmailSettings`, which is compared and printed: never log them.
    public var emailCredentials: SMTPCredentials?

    public init(
        path: String, state: StateLocation, registrations: String, feeds: [FeedConfiguration],
        catalog: Catalog, email: EmailSettings = EmailSettings(), webhooks: WebhookSettings = WebhookSettings(),
        fetch: FetchSettings = FetchSettings(), targets: [Plan: [Int: Int]] = [:]
    ) {
        self.path = path
        self.state = state
        self.registrations = registrations
        self.feeds = feeds
        self.catalog = catalog
        self.email = email
        self.webhooks = webhooks
        self.fetch = fetch
        self.targets = targets
    }
}

public enum StateLocation: Sendable, Hashable {
    /// An SQLite file (absolute path); its directory is created when missing.
    case sqlite(path: String)
    /// A `postgres://` URL (kept as written; it may hold a password, so never log it).
    case postgres(url: String)
}

public struct FeedConfiguration: Sendable, Hashable {
    /// Unique, `[a-z0-9._-]+`.
    public var name: String
    /// An `http(s)://` or `file://` URL as written, or an absolute path.
    public var url: String
    public var caFile: String?
    public var defaults: FeedDefaults
    /// Seconds; default 30.
    public var timeout: Double
    /// Report on stderr from this many consecutive failures on; default 1.
    public var alertAfter: Int

    public init(
        name: String, url: String, caFile: String? = nil, defaults: FeedDefaults = FeedDefaults(),
        timeout: Double = 30, alertAfter: Int = 1
    ) {
        self.name = name
        self.url = url
        self.caFile = caFile
        self.defaults = defaults
        self.timeout = timeout
        self.alertAfter = alertAfter
    }
}

/// An email address with an optional display name (`Xtreme Support <x@y>`).
public struct Mailbox: Sendable, Hashable {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }
}

public enum EmailTransport: Sendable, Hashable {
    case smtp(url: String)
    case smtps(url: String)
    /// `sendmail:PATH` (absolute path).
    case sendmail(path: String)
    /// `mbox:PATH` (absolute path), appended to.
    case mbox(path: String)
    /// An mbox stream on standard output.
    case stdout
}

/// SMTP AUTH credentials, read from the environment variables that `email.username_env`
/// and `email.password_env` name. `description` shows the user and the variables'
/// names, never the password.
public struct SMTPCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String
    public var password: String
    /// The names of the environment variables they came from, for messages.
    public var usernameEnv: String
    public var passwordEnv: String

    public init(username: String, password: String, usernameEnv: String, passwordEnv: String) {
        self.username = username
        self.password = password
        self.usernameEnv = usernameEnv
        self.passwordEnv = passwordEnv
    }

    public var description: String { "credentials from $\(usernameEnv) and $\(passwordEnv)" }
    public var debugDescription: String { description }
}

public struct EmailSettings: Sendable, Hashable {
    public var from: Mailbox
    public var transport: EmailTransport
    public var envelopeFrom: String?
    public var usernameEnv: String?
    public var passwordEnv: String?
    public var caFile: String?
    /// Absolute path of a directory whose files override the built-in templates.
    public var templates: String?
    public var maxAttempts: Int
    /// Seconds to wait before attempt 2, 3, …; the last one repeats.
    public var retryDelays: [Double]

    public init(
        from: Mailbox = Mailbox(name: "critfix", address: "critfix@localhost"), transport: EmailTransport = .stdout,
        envelopeFrom: String? = nil, usernameEnv: String? = nil, passwordEnv: String? = nil,
        caFile: String? = nil, templates: String? = nil, maxAttempts: Int = 10,
        retryDelays: [Double] = [60, 300, 900, 3600, 14400]
    ) {
        self.from = from
        self.transport = transport
        self.envelopeFrom = envelopeFrom
        self.usernameEnv = usernameEnv
        self.passwordEnv = passwordEnv
        self.caFile = caFile
        self.templates = templates
        self.maxAttempts = maxAttempts
        self.retryDelays = retryDelays
    }
}

/// How feeds are fetched (an extension of SPEC 3: its section 8 gives the defaults).
public struct FetchSettings: Sendable, Hashable {
    /// Feeds fetched at once (default 8).
    public var concurrency: Int
    /// The largest feed body accepted, after decompression (default 20 MiB).
    public var maxSize: Int
    /// A CSAF ROLIE feed's documents fetched per run, newest first (default 1,000): a
    /// first run of a feed listing tens of thousands finishes, and the rest follow in the
    /// next runs.
    public var maxDocuments: Int

    public init(concurrency: Int = 8, maxSize: Int = 20 << 20, maxDocuments: Int = 1000) {
        self.concurrency = concurrency
        self.maxSize = maxSize
        self.maxDocuments = maxDocuments
    }
}

public struct WebhookSettings: Sendable, Hashable {
    public var timeout: Double
    public var maxAttempts: Int
    public var retryDelays: [Double]
    public var inRunWait: Double
    public var caFile: String?
    public var allowPrivateAddresses: Bool
    /// Deliveries in flight at once (default 16).
    public var concurrency: Int

    public init(
        timeout: Double = 10, maxAttempts: Int = 8, retryDelays: [Double] = [5, 300, 1800, 7200, 18000, 36000],
        inRunWait: Double = 10, caFile: String? = nil, allowPrivateAddresses: Bool = false, concurrency: Int = 16
    ) {
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.retryDelays = retryDelays
        self.inRunWait = inRunWait
        self.caFile = caFile
        self.allowPrivateAddresses = allowPrivateAddresses
        self.concurrency = concurrency
    }
}
