import Foundation
import Testing

/// A real HTTP(S) feed server on 127.0.0.1 (Tests/Servers/feed_server.py), serving the
/// files of a scratch directory and logging every request it saw.
final class FeedServer {
    let directory: String
    let logPath: String
    let port: Int
    private let process: Process
    var base: String

    struct Request {
        var path: String
        var status: Int
        var ifNoneMatch: String?
        var ifModifiedSince: String?
        var acceptEncoding: String?
        var userAgent: String?
        var inFlight: Int
    }

    /// Starts the server; `tls` is (certificate, key) for HTTPS.
    init(tls: (String, String)? = nil) throws {
        directory = try CLI.scratch()
        logPath = directory + "/requests.jsonl"
        try Data().write(to: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", CLI.packageRoot + "/Tests/Servers/feed_server.py", directory, logPath, "--lifetime", "300"]
        if let (certificate, key) = tls { arguments += ["--tls", certificate, key] }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line is the port; bounded wait.
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("\n"), Date() < deadline, process.isRunning {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ServerError("the feed server did not start: \(text)")
        }
        self.port = port
        base = "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)"
    }

    deinit {
        // SIGKILL: the test runner's threads may block SIGTERM, and children inherit that.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    func publish(_ name: String, _ text: String) throws {
        try CLI.write(text, to: directory + "/" + name)
    }

    func url(_ route: String) -> String { base + "/" + route }

    /// Every request so far, in the order they finished.
    func requests() throws -> [Request] {
        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return Request(
                path: object["path"] as? String ?? "", status: object["status"] as? Int ?? 0,
                ifNoneMatch: object["if_none_match"] as? String, ifModifiedSince: object["if_modified_since"] as? String,
                acceptEncoding: object["accept_encoding"] as? String, userAgent: object["user_agent"] as? String,
                inFlight: object["in_flight"] as? Int ?? 0)
        }
    }

    /// Forgets the requests logged so far.
    func clearLog() throws {
        try Data().write(to: URL(fileURLWithPath: logPath))
    }

    /// A self-signed certificate for 127.0.0.1, made with openssl: (certificate, key).
    static func selfSignedCertificate() throws -> (String, String) {
        let directory = try CLI.scratch()
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let result = try CLI.run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard result.status == 0 else { throw ServerError("openssl failed: \(result.stderr)") }
        return (certificate, key)
    }
}

struct ServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A critfix installation whose feeds are URLs.
struct RemoteScenario {
    let directory: String
    var config: String { directory + "/critfix.yaml" }
    var mbox: String { directory + "/out.mbox" }
    let store: TestState

    /// `feeds`: name -> (url, extra YAML lines for the feed, already indented by 4).
    /// `catalog`: the `products` section; by default ERP LN, every feed's default product.
    init(
        feeds: [(String, String, String)], registrations: String = allCustomersOnERPLN, extraConfig: String = "",
        catalog: String? = nil, backend: Backend = .sqlite
    ) throws {
        directory = try CLI.scratch()
        store = try TestState(backend, directory: directory)
        var feedList = ""
        for (name, url, options) in feeds {
            feedList += "  - name: \(name)\n    url: \(url)\n"
            if catalog == nil { feedList += "    defaults: { product: erp-ln }\n" }
            feedList += options
        }
        try CLI.write(
            """
            state: \(store.yaml)
            registrations: registrations.yaml
            feeds:
            \(feedList)\(catalog ?? "products:\n  - id: erp-ln\n    name: ERP LN")
            email:
              from: "Xtreme Support <noreply@support.example.com>"
              transport: mbox:out.mbox
            \(extraConfig)
            """, to: config)
        try CLI.write(registrations, to: directory + "/registrations.yaml")
    }

    func run(_ extra: [String] = []) throws -> CLI.Result {
        try CLI.critfix(["run", "--config", config] + extra)
    }

    func status() throws -> [String: Any] {
        let result = try CLI.critfix(["status", "--config", config, "--format", "json"])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func feedStatus(_ name: String) throws -> [String: Any] {
        let feeds = try status()["feeds"] as? [[String: Any]] ?? []
        return feeds.first { $0["name"] as? String == name } ?? [:]
    }

    func messages() throws -> [[String: Any]] {
        FileManager.default.fileExists(atPath: mbox) ? try CLI.mbox(mbox) : []
    }

    static let allCustomersOnERPLN = """
        customers:
          - id: ACME-001
            name: ACME
            plan: elite
            language: en
            min_severity: 4
            products:
              - { product: erp-ln, version: "10.6" }
            contacts:
              - email: ops@acme.example
        """
}

/// An RSS feed of `count` items numbered from `first`, severity 1, for ERP LN.
func plainFeed(_ ids: [String], title: String = "Vendor fixes") -> String {
    let items = ids.map { id in
        """
          <item>
           <title>Fix \(id)</title>
           <link>https://support.example.com/kb/\(id)</link>
           <guid isPermaLink="false">\(id)</guid>
           <category domain="severity">1</category>
           <category domain="kind">critical-fix</category>
           <pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate>
          </item>
        """
    }
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0">
         <channel>
          <title>\(title)</title>
        \(items.joined(separator: "\n"))
         </channel>
        </rss>
        """
}
