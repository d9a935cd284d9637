import Foundation

/// Folds SQLite's write-ahead log into the database file on a thread and a connection
/// of its own, instead of inside the commit that makes the log long (SQLite's automatic
/// checkpoint): a run's outbox commit would otherwise copy the whole outbox into the file
/// before the first message could be sent. A passive checkpoint never blocks the writer;
/// the writer's connection folds in what is left when it closes.
final class Checkpointer: @unchecked Sendable {
    // `connection` is used only on `queue`; `scheduled` only under `lock`.
    private let path: String
    /// Opened with the first checkpoint: most runs (`status`, a quiet `run`) never need one.
    private var connection: SQLiteConnection?
    private let queue = DispatchQueue(label: "critfix.checkpoint")
    private let lock = NSLock()
    private var scheduled = false
    /// Log pages after which a checkpoint is started (SQLite's own default).
    static let threshold: Int32 = 1000

    init(path: String) {
        self.path = path
    }

    /// Starts a checkpoint unless one is waiting to start.
    func schedule() {
        let start = lock.withLock {
            defer { scheduled = true }
            return !scheduled
        }
        guard start else { return }
        queue.async { [self] in
            lock.withLock { scheduled = false }
            // One that cannot open leaves the log to the writer, which folds it in on close.
            if connection == nil { connection = Self.open(path) }
            connection?.checkpoint()
        }
    }

    /// A connection that has read the database once: until it has, SQLite does not know
    /// the file is in WAL mode, and a checkpoint does nothing (it reports a log of -1).
    private static func open(_ path: String) -> SQLiteConnection? {
        guard let connection = try? SQLiteConnection(path: path) else { return nil }
        guard (try? connection.execute("SELECT count(*) FROM sqlite_schema")) != nil else {
            connection.close()
            return nil
        }
        return connection
    }

    /// Waits for a running checkpoint and closes the connection.
    func close() {
        queue.sync { connection?.close() }
    }
}
