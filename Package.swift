// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "critfix",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "critfix", targets: ["critfix"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries, one shim each.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // A thin Swift face on libcurl's easy interface, shared by fetching, SMTP and webhooks.
        .target(name: "Curl", dependencies: ["CCurl"], swiftSettings: strictSettings),

        // The domain: versions, ranges, kinds, the product catalog, feed items and articles.
        .target(name: "Articles", dependencies: ["CCrypto"], swiftSettings: strictSettings),
        // Streaming libxml2 parser: RSS 2.0, RSS 1.0, Atom 1.0, CVRF -> FeedItem.
        .target(name: "FeedParsing", dependencies: ["CLibXML2", "Articles"], swiftSettings: strictSettings),
        // The feed in detail (links, people, tags, raw dates, dialect), to check the parser
        // against feedparser's test suite: for the tests only, not part of critfix.
        .target(name: "FeedParsingDetail", dependencies: ["FeedParsing", "Articles"], swiftSettings: strictSettings),
        // Feeds over HTTP(S): libcurl, conditional GET, redirects, timeouts, a size cap.
        .target(name: "FeedFetching", dependencies: ["Curl", "CCurl"], swiftSettings: strictSettings),
        // critfix.yaml and registrations.yaml: loading and validation.
        .target(
            name: "Configuration",
            dependencies: ["Articles", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings),
        // Pure matching: an index by product, the rules of SPEC 5, explanations.
        .target(name: "Matching", dependencies: ["Articles"], swiftSettings: strictSettings),
        // What was seen, notified and delivered: one small protocol, SQLite and PostgreSQL behind it.
        .target(
            name: "StateStore", dependencies: ["CSQLite", "CPostgres", "Articles", "Matching"], swiftSettings: strictSettings),
        // Email rendering and transports.
        .target(
            name: "Delivery", dependencies: ["Articles", "Configuration", "Matching", "CCrypto", "Curl", "CCurl"],
            swiftSettings: strictSettings),
        // What the state tells the support team: the review report and upgrade planning.
        .target(name: "Reporting", dependencies: ["Articles", "StateStore"], swiftSettings: strictSettings),
        // One run: fetch, parse, match, record, deliver.
        .target(
            name: "Pipeline",
            dependencies: [
                "Articles", "FeedParsing", "FeedFetching", "Configuration", "Matching", "StateStore", "Delivery", "Curl",
                "Reporting",
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "critfix",
            dependencies: ["Pipeline", "Articles", "Reporting", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings),

        // Helpers several test targets share (a seeded random generator).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(name: "ArticlesTests", dependencies: ["Articles", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "FeedParsingTests", dependencies: ["FeedParsing", "FeedParsingDetail", "Articles", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Articles"], swiftSettings: strictSettings),
        .testTarget(
            name: "MatchingTests", dependencies: ["Matching", "Configuration", "Articles", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "StateStoreTests", dependencies: ["StateStore", "Matching", "Articles", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "DeliveryTests",
            dependencies: ["Delivery", "Matching", "Configuration", "Articles", "Curl", "CCurl", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "FeedFetchingTests", dependencies: ["FeedFetching"], swiftSettings: strictSettings),
        .testTarget(name: "CurlTests", dependencies: ["Curl"], swiftSettings: strictSettings),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "FeedParsing", "StateStore", "Articles", "Configuration", "Delivery", "Matching"],
            swiftSettings: strictSettings),
        .testTarget(name: "CommandLineTests", dependencies: ["TestSupport"], swiftSettings: strictSettings),
    ]
)
