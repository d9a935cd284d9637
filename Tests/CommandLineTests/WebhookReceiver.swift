import Foundation
import Testing

/// A real webhook receiver on 127.0.0.1 (Tests/Servers/webhook_receiver.py) that checks
/// every signature itself, from the secrets in a registrations file, and logs each POST.
final class WebhookReceiver {
    let directory: String
    let logPath: String
    let port: Int
    private let process: Process

    struct Request {
        var path: String
        var webhookID: String
        var timestamp: String?
        /// true / false, or nil when the receiver knows no secret for the URL.
        var valid: Bool?
        var status: Int
        var userAgent: String?
        var contentType: String?
        var body: String
        /// The body as JSON.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// `registrations`: the file whose `url` / `secret` pairs give the secrets (it may be
    /// written after the receiver starts: it is read when a URL is first seen).
    init(registrations: String) throws {
        directory = try CLI.scratch()
        logPath = directory + "/requests.jsonl"
        try Data().write(to: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", CLI.packageRoot + "/Tests/Servers/webhook_receiver.py", logPath, "--registrations", registrations,
            "--lifetime", "600",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("\n"), Date() < deadline, process.isRunning {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ServerError("the webhook receiver did not start: \(text)")
        }
        self.port = port
    }

    deinit {
        // SIGKILL: the test runner's threads may block SIGTERM, and children inherit that.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func url(_ route: String) -> String { base + "/" + route }

    /// Every POST so far, in the order they arrived. A line the receiver is still writing
    /// (read while a run is sending) is not one yet: only whole lines count.
    func requests() throws -> [Request] {
        var text = try String(contentsOfFile: logPath, encoding: .utf8)
        if let end = text.lastIndex(of: "\n") { text = String(text[...end]) } else { text = "" }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return Request(
                path: object["path"] as? String ?? "", webhookID: object["webhook_id"] as? String ?? "",
                timestamp: object["timestamp"] as? String, valid: object["valid"] as? Bool,
                status: object["status"] as? Int ?? 0, userAgent: object["user_agent"] as? String,
                contentType: object["content_type"] as? String, body: object["body"] as? String ?? "")
        }
    }
}
