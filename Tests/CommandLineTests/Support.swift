import Foundation
import Testing

/// Runs the built `critfix` binary and other programs, in scratch directories.
enum CLI {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The binary the tests run. Scripts/test names the one it has just built
    /// (`CRITFIX_TEST_BINARY`, as Scripts/test-thread-sanitizer names its sanitized one).
    /// A plain `swift test` builds the test targets but not the binary, so without that
    /// variable the tests build it themselves — in a build folder of their own, because
    /// `swift test` holds the lock of `.build` while it runs — and so never run a stale one.
    static let binary: String = build.path

    /// Why the binary could not be built, or nil.
    static var buildProblem: String? { build.problem }

    private static let build: (path: String, problem: String?) = {
        if let chosen = ProcessInfo.processInfo.environment["CRITFIX_TEST_BINARY"], !chosen.isEmpty { return (chosen, nil) }
        let scratch = packageRoot + "/.build/command-line-tests"
        let path = scratch + "/debug/critfix"
        do {
            let built = try run(
                "/usr/bin/env",
                ["swift", "build", "--product", "critfix", "--package-path", packageRoot, "--scratch-path", scratch])
            guard built.status == 0 else {
                return (path, "swift build --product critfix failed:\n\(built.stdout)\(built.stderr)")
            }
            return (path, nil)
        } catch {
            return (path, "cannot run swift build: \(error)")
        }
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutBytes: Data
    }

    @discardableResult
    static func critfix(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        if let buildProblem { Issue.record(Comment(rawValue: buildProblem)) }
        return try run(binary, arguments, in: directory, environment: environment)
    }

    static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
        input: Data? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CRITFIX_CONFIG")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so that a large output cannot block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: outData)
    }

    static func python(_ script: String, _ arguments: [String] = [], input: Data? = nil) throws -> Result {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments, input: input)
    }

    /// A fresh scratch directory.
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "critfix-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Parses an mbox with Python's mailbox and email packages (an independent oracle):
    /// one JSON object per message with its headers of interest and defects.
    static func mbox(_ path: String) throws -> [[String: Any]] {
        let script = """
            import json, mailbox, sys, email.policy
            from email.parser import BytesParser
            out = []
            for m in mailbox.mbox(sys.argv[1], factory=None):
                msg = BytesParser(policy=email.policy.default).parsebytes(m.as_bytes())
                defects = [str(d) for d in msg.defects] + [str(d) for p in msg.walk() for d in p.defects]
                out.append({
                    "message_id": str(msg["Message-ID"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
                    "severity": str(msg["X-Critfix-Severity"]), "customer": str(msg["X-Critfix-Customer"]),
                    "articles": [str(a) for a in msg.get_all("X-Critfix-Article") or []],
                    "in_reply_to": str(msg["In-Reply-To"]) if msg["In-Reply-To"] else None,
                    "defects": defects,
                    "types": [p.get_content_type() for p in msg.walk()],
                })
            print(json.dumps(out))
            """
        let result = try python(script, [path])
        guard result.status == 0 else {
            Issue.record("python failed: \(result.stderr)")
            return []
        }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }
}
