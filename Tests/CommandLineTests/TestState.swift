import Foundation
import Testing
import TestSupport

/// The two state stores the command-line tests run on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// The state of a test's installation: what its critfix.yaml says under `state:`, and
/// SQL straight against it, as an operator with `sqlite3` or `psql` would look.
struct TestState {
    let backend: Backend
    /// The SQLite file, or the PostgreSQL database's URL.
    let location: String

    /// SQLite: `state/state.sqlite` under `directory`; PostgreSQL: a new database on the
    /// tests' server.
    init(_ backend: Backend, directory: String) throws {
        self.backend = backend
        switch backend {
        case .sqlite: location = directory + "/state/state.sqlite"
        case .postgres: location = try PostgresCluster.shared.get().createDatabase()
        }
    }

    /// A state that exists already (a database on a cluster of the test's own).
    init(backend: Backend, location: String) {
        self.backend = backend
        self.location = location
    }

    /// The `state:` value of critfix.yaml (relative to it, for SQLite).
    var yaml: String { backend == .sqlite ? "state/state.sqlite" : location }

    /// Points the configuration file at this state, in place of the `state:` line it has.
    /// On PostgreSQL the claims of a run killed by a test expire after `lease`, not a minute.
    func use(in config: String, lease: String = "1s") throws {
        var lines = try String(contentsOfFile: config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        lines.removeAll { $0.hasPrefix("state:") || $0.hasPrefix("state_lease:") }
        lines.insert("state: \(yaml)", at: 0)
        if backend == .postgres { lines.insert("state_lease: \(lease)", at: 1) }
        try CLI.write(lines.joined(separator: "\n"), to: config)
    }

    /// The rows of a query, each one's columns joined by `|`.
    func query(_ sql: String) throws -> [String] {
        let result: CLI.Result
        switch backend {
        case .sqlite:
            result = try CLI.run(
                "/usr/bin/env",
                [
                    "python3", "-c",
                    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); rows = c.execute(sys.argv[2]).fetchall(); c.commit(); [print('|'.join('' if v is None else str(v) for v in r)) for r in rows]",
                    location, sql,
                ])
        case .postgres:
            result = try CLI.run("/usr/bin/env", ["psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", location, "-c", sql])
        }
        guard result.status == 0 else { throw QueryFailed(message: result.stderr) }
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    struct QueryFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
