import Configuration
import Foundation
import StateStore

extension CritfixConfiguration {
    /// Opens the configured state (see `StateLocation.open`).
    func openState(emptyWhenMissing: Bool = false) throws(StateStoreError) -> any StateStore {
        try state.open(emptyWhenMissing: emptyWhenMissing, lease: stateLease)
    }
}

extension StateLocation {
    /// Opens the state this location names. `emptyWhenMissing`: a command that only reads
    /// (a dry run, `status`, `explain`) makes no SQLite file; it reads an empty state in
    /// memory instead. A PostgreSQL database is always there to connect to.
    func open(emptyWhenMissing: Bool = false, lease: Double = 60) throws(StateStoreError) -> any StateStore {
        switch self {
        case .sqlite(let path):
            if emptyWhenMissing, !FileManager.default.fileExists(atPath: path) {
                return try SQLiteStateStore(path: ":memory:")
            }
            return try SQLiteStateStore(path: path)
        case .postgres(let url):
            return try PostgresStateStore(url: url, leaseSeconds: lease)
        }
    }

    /// Whether a run would create the state (then a broken registrations file must stop
    /// it before anything is made).
    var isMissing: Bool {
        if case .sqlite(let path) = self { return !FileManager.default.fileExists(atPath: path) }
        return false
    }
}
