internal import CSQLite
import Foundation

// SQLITE_TRANSIENT is a macro that Swift cannot import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Owns one sqlite3 handle; used by one thread at a time (the outbox's inserts, the
/// dispatch's store queue and the rest of the run take turns, never overlap).
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws(StateStoreError) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            handle = nil
            throw StateStoreError("cannot open the state database \(path): \(message)")
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit {
        close()
    }

    /// Finalizes the statements and closes the database (in WAL mode, SQLite folds the log
    /// into the file first). Nothing may use the connection afterwards.
    func close() {
        guard let handle else { return }
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// A passive checkpoint: copies into the file what the log holds and no reader needs.
    func checkpoint() {
        guard let handle else { return }
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    /// After each commit, has `checkpointer` fold the log into the file once it is long
    /// (in place of SQLite's automatic checkpoint, made by the committing connection);
    /// nil restores that. The checkpointer must outlive the hook.
    func checkpoint(with checkpointer: Checkpointer?) {
        guard let handle else { return }
        guard let checkpointer else {
            sqlite3_wal_autocheckpoint(handle, Checkpointer.threshold)
            return
        }
        sqlite3_wal_hook(handle, { context, _, _, pages in
            if pages >= Checkpointer.threshold, let context {
                Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().schedule()
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }

    func execute(_ sql: String) throws(StateStoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &error)
        if result != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(error)
            throw StateStoreError("state database: \(message)", code: result)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Inside a transaction already open (a run's outbox) it joins that one, so that what
    /// it writes is committed, or rolled back, with the rest.
    func transaction<T>(_ body: () throws(StateStoreError) -> T) throws(StateStoreError) -> T {
        if sqlite3_get_autocommit(handle) == 0 { return try body() }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared.
    func statement(_ sql: String) throws(StateStoreError) -> Statement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return Statement(handle: cached, connection: self)
        }
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v2(handle, sql, -1, &prepared, nil)
        guard result == SQLITE_OK, let prepared else {
            throw StateStoreError("state database: \(errorMessage) in \(sql)", code: result)
        }
        statements[sql] = prepared
        return Statement(handle: prepared, connection: self)
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// One prepared statement: bind with `bind`, then `step` / `run`.
struct Statement {
    let handle: OpaquePointer
    let connection: SQLiteConnection
    /// The first binding SQLite refused (too big, out of memory): `step` throws it, so a
    /// statement never runs with a parameter silently left NULL.
    private var bindFailure: Int32?

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    enum Value {
        case null, int(Int64), double(Double), text(String)
        /// Text given as UTF-8 bytes.
        case utf8([UInt8])
    }

    @discardableResult
    func bind(_ values: Value...) -> Statement {
        bind(values)
    }

    @discardableResult
    func bind(_ values: [Value]) -> Statement {
        var bound = self
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(handle, index)
            case .int(let v): result = sqlite3_bind_int64(handle, index, v)
            case .double(let v): result = sqlite3_bind_double(handle, index, v)
            case .text(var v):
                // By pointer and length: no C string is made (a short String would be copied into one).
                // The pointer is valid inside withUTF8; SQLITE_TRANSIENT makes SQLite copy it there.
                result = v.withUTF8 { bytes in
                    if let start = bytes.baseAddress {
                        let text = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
                        return sqlite3_bind_text(handle, index, text, Int32(bytes.count), transient)
                    }
                    return sqlite3_bind_text(handle, index, "", 0, transient)
                }
            case .utf8(let v) where v.isEmpty: result = sqlite3_bind_text(handle, index, "", 0, transient)
            case .utf8(let v):
                // As above: valid inside withUnsafeBytes, copied by SQLite (SQLITE_TRANSIENT).
                result = v.withUnsafeBytes { bytes in
                    let start = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
                    return sqlite3_bind_text(handle, index, start, Int32(bytes.count), transient)
                }
            }
            if result != SQLITE_OK, bound.bindFailure == nil { bound.bindFailure = result }
        }
        return bound
    }

    /// True while a row is available.
    func step() throws(StateStoreError) -> Bool {
        if let bindFailure {
            throw StateStoreError(
                "state database: a value could not be bound (\(String(cString: sqlite3_errstr(bindFailure))))",
                code: bindFailure)
        }
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StateStoreError("state database: \(connection.errorMessage)", code: result)
        }
    }

    /// Runs to completion and resets, ready for the next bindings.
    func run() throws(StateStoreError) {
        while try step() {}
        reset()
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    /// By length, as text is bound: a NUL inside does not cut it short.
    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : Int(int(column)) }
}

extension Statement.Value {
    static func optional(_ value: String?) -> Self { value.map { .text($0) } ?? .null }
    static func optional(_ value: Double?) -> Self { value.map { .double($0) } ?? .null }
    static func optional(_ value: Int?) -> Self { value.map { .int(Int64($0)) } ?? .null }
}
