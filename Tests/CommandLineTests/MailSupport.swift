import Foundation
import Testing

/// The recording SMTP server of `Scripts/smtp-test-server` (aiosmtpd), on 127.0.0.1
/// only. It exits when this object stops it, or when the test process dies (its
/// standard input closes), or after its lifetime.
final class SMTPTestServer {
    static let script = CLI.packageRoot + "/Scripts/smtp-test-server"
    let directory: String
    let port: Int
    private let process: Process
    private let input: Pipe

    /// Starts a server and waits (at most 20 s) until it accepts connections.
    /// - Parameters:
    ///   - options: `--auth`, `--starttls`, `--fail-all`, `--reject`, … (see the script).
    ///   - port: 0 for a free port; a port to come back on after a stop.
    ///   - directory: where it records; a new scratch directory when nil.
    init(_ options: [String] = [], port: Int = 0, directory: String? = nil) throws {
        let directory = try directory ?? CLI.scratch()
        self.directory = directory
        try? FileManager.default.removeItem(atPath: directory + "/port")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script, "serve", "--dir", directory, "--port", String(port), "--lifetime", "300"] + options
        input = Pipe()
        process.standardInput = input
        // A file, not a pipe nobody reads: aiosmtpd logs a traceback per failed TLS handshake.
        let log = directory + "/server.log"
        try Data().write(to: URL(fileURLWithPath: log))
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        var found: Int?
        for _ in 0..<400 {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8), let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                found = value
                break
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            let message = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestFailure("the SMTP test server did not start: \(message)")
        }
        self.port = found
    }

    deinit { stop() }

    var url: String { "smtp://127.0.0.1:\(port)" }

    /// Stops the server and waits (at most 10 s) until it has exited: its port is closed.
    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        for _ in 0..<200 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Every message received so far, parsed by Python's email package (see the script).
    func messages() throws -> [[String: Any]] {
        let result = try CLI.run("/usr/bin/python3", [Self.script, "parse", directory])
        guard result.status == 0 else { throw TestFailure("parse failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }

    /// Connections accepted so far.
    func connections() -> Int {
        let text = (try? String(contentsOfFile: directory + "/connections.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A self-signed certificate for 127.0.0.1 (its own CA), made with openssl.
struct TestCertificate {
    let certificate: String
    let key: String

    init(in directory: String) throws {
        certificate = directory + "/server-cert.pem"
        key = directory + "/server-key.pem"
        let result = try CLI.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard result.status == 0 else { throw TestFailure("openssl failed: \(result.stderr)") }
    }
}

extension Scenario {
    /// Replaces the mbox transport with `transport`; `emailKeys` are more `email:` keys,
    /// one per line, e.g. `["ca_file: cert.pem"]`.
    func useTransport(_ transport: String, _ emailKeys: [String] = []) throws {
        var text = try String(contentsOfFile: config, encoding: .utf8)
        let replacement = (["transport: \(transport)"] + emailKeys).map { "  " + $0 }.joined(separator: "\n")
        text = text.replacingOccurrences(of: "  transport: mbox:out.mbox", with: replacement)
        try CLI.write(text, to: config)
    }

    func run(_ extra: [String] = [], environment: [String: String]) throws -> CLI.Result {
        try CLI.critfix(["run", "--config", config] + extra, environment: environment)
    }

    func status(json: Bool = false, environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.critfix(["status", "--config", config] + (json ? ["--format", "json"] : []), environment: environment)
    }

    /// `critfix status --format json`, parsed.
    func statusJSON(environment: [String: String] = [:]) throws -> [String: Any] {
        let result = try status(json: true, environment: environment)
        guard result.status == 0 else { throw TestFailure("status failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func deliveryCounts(environment: [String: String] = [:]) throws -> [String: Int] {
        (try statusJSON(environment: environment)["deliveries"] as? [String: Int]) ?? [:]
    }
}

/// Lines critfix printed on stderr.
func stderrLines(_ result: CLI.Result) -> [String] {
    result.stderr.split(separator: "\n").map(String.init)
}
