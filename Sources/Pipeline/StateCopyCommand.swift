import Configuration
import Foundation
import StateStore

extension Commands {
    /// `critfix state copy --to LOCATION` (or `--from`): the configured state copied into
    /// another, empty one (or another into the configured one), SQLite or PostgreSQL.
    public static func copyState(setup: LoadedSetup, to: String?, from: String?, console: Console) -> Int32 {
        let configuration = setup.configuration
        let other = stateLocation(to ?? from ?? "")
        let (source, destination) = to != nil ? (configuration.state, other) : (other, configuration.state)
        if source == destination {
            console.error("critfix: the source and the destination are the same state")
            return ExitStatus.usage
        }
        if source.isMissing {
            console.error("critfix: there is no state at \(describe(source)) to copy")
            return ExitStatus.usage
        }
        do throws(StateStoreError) {
            let from = try source.open(lease: configuration.stateLease)
            let into = try destination.open(lease: configuration.stateLease)
            // SQLite's lock keeps runs out while the copy reads or writes; on PostgreSQL
            // the operator stops the workers first (README).
            try from.lock()
            try into.lock()
            guard try StateCopy.isEmpty(into) else {
                console.error(
                    "critfix: \(describe(destination)) already holds a state; copy into a new file or an empty database")
                return ExitStatus.usage
            }
            let report = try StateCopy.copy(from: from, to: into)
            from.close()
            into.close()
            let counts = report.map { "\($0.rows) \($0.table.replacingOccurrences(of: "_", with: " "))" }
            console.out("copied \(describe(source)) to \(describe(destination)): \(counts.joined(separator: ", "))\n")
            return ExitStatus.success
        } catch {
            console.error("critfix: state copy: \(error.message)")
            if error.isLockHeld { return ExitStatus.lockHeld }
            return error.isUnavailable ? ExitStatus.failures : ExitStatus.software
        }
    }

    /// A `postgres://` URL, or a path relative to the working directory.
    static func stateLocation(_ text: String) -> StateLocation {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") { return .postgres(url: text) }
        let path = text.hasPrefix("/") ? text : FileManager.default.currentDirectoryPath + "/" + text
        return .sqlite(path: (path as NSString).standardizingPath)
    }

    static func describe(_ location: StateLocation) -> String {
        switch location {
        case .sqlite(let path): path
        case .postgres(let url): PostgresStateStore.displayName(url)
        }
    }
}
