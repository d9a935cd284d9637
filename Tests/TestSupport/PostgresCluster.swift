import Foundation

/// A throw-away PostgreSQL server for the tests (`Scripts/postgres-scratch`): `initdb` in
/// a folder of its own, listening on 127.0.0.1 and a socket there, stopped by its PID.
/// `shared` serves every test of a process, one fresh database each; a test that stops
/// or restarts the server makes a cluster of its own.
public final class PostgresCluster: @unchecked Sendable {
    // `databases` is touched only under `lock`; the rest is set once.
    public let directory: String
    /// The server's `postgres` database, as the superuser `critfix`.
    public let url: String
    public let port: Int
    private let lock = NSLock()
    private var databases = 0

    /// Every test of the process shares it; stopped and deleted when the process exits.
    public static let shared: Result<PostgresCluster, any Error> = {
        let result = Result { try PostgresCluster() }
        atexit {
            if case .success(let cluster) = PostgresCluster.shared { cluster.remove() }
        }
        return result
    }()

    /// Starts a new cluster (about 1.5 s).
    public init() throws {
        let root = ProcessInfo.processInfo.environment["CRITFIX_TEST_SCRATCH"] ?? NSTemporaryDirectory()
        // The server runs as another user when the tests run as root: it must reach its folder.
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o755)
        directory = (root as NSString).appendingPathComponent("critfix-postgres-" + UUID().uuidString.prefix(8))
        url = try Self.script(["start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
        port = Int(url.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0
    }

    /// A new, empty database; its URL.
    public func createDatabase() throws -> String {
        let name = lock.withLock {
            databases += 1
            return "test_\(getpid())_\(databases)"
        }
        try psql("CREATE DATABASE \(name)")
        return url.replacingOccurrences(of: "/postgres", with: "/\(name)")
    }

    /// Runs SQL with psql against `database` (a URL; the server's `postgres` database when nil).
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        try Self.run("/usr/bin/env", ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", database ?? url, "-c", sql])
    }

    /// Stops the server: `immediate` as a crash would (no shutdown checkpoint).
    public func stop(immediate: Bool = false) throws {
        _ = try Self.script(["stop", directory] + (immediate ? ["immediate"] : []))
    }

    /// Starts it again on the same port.
    public func start() throws {
        _ = try Self.script(["start", directory])
    }

    /// Stops the server and deletes its folder.
    public func remove() {
        _ = try? Self.script(["remove", directory])
    }

    private static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try run(root.appendingPathComponent("Scripts/postgres-scratch").path, arguments)
    }

    /// Output goes through files, not pipes: the server the script starts would inherit a
    /// pipe's descriptor and keep it open, and reading it to its end would never end.
    private static func run(_ program: String, _ arguments: [String]) throws -> String {
        let base = NSTemporaryDirectory() + "critfix-cluster-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            throw ClusterError(message: "\(program) \(arguments.joined(separator: " ")) failed: \(errors)")
        }
        return output
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
