import Foundation
import StateStore
import Testing
import TestSupport

/// The two state stores the behaviour tests run on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// A new, empty state on one backend: an SQLite file in a folder of its own, or a new
/// database on the tests' PostgreSQL server. `open` may be called again, as a later run would.
struct TestState {
    let backend: Backend
    /// The file's path, or the database's URL.
    let location: String

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .sqlite: location = NSTemporaryDirectory() + "critfix-store-" + UUID().uuidString + "/state.sqlite"
        case .postgres: location = try PostgresCluster.shared.get().createDatabase()
        }
    }

    func open() throws -> any StateStore {
        switch backend {
        case .sqlite: try SQLiteStateStore(path: location)
        case .postgres: try PostgresStateStore(url: location)
        }
    }
}
