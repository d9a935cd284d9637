internal import CPostgres
import Foundation

/// One libpq connection; used by one thread at a time (the run, the outbox's inserts and
/// the dispatch's claims each have their own, or take turns).
///
/// Queries go in libpq's text format, prepared once per connection. libpq gives the
/// conventions operators expect: `PGPASSWORD`, `~/.pgpass`, `sslmode`, service files.
final class PostgresConnection {
    private var handle: OpaquePointer?
    private var prepared: [String: String] = [:]
    /// The server as errors name it, without the password.
    let server: String

    /// Connects, waiting at most 10 seconds for the server unless the URL's
    /// `connect_timeout` says otherwise.
    init(url: String) throws(StateStoreError) {
        server = PostgresURL.redacted(url)
        // Keywords before `dbname` are defaults the URL may override (libpq processes
        // them in order; the expanded URL comes last).
        let keywords = ["connect_timeout", "application_name", "client_encoding", "dbname"]
        let values = ["10", "critfix", "UTF8", url]
        handle = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let reason = handle.map { Self.message(PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(handle)
            self.handle = nil
            var error = StateStoreError("cannot reach the PostgreSQL state \(server): \(reason)")
            error.isUnavailable = true
            throw error
        }
        // Notices (a table that already exists, …) are the operator's log's, not stderr's.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit {
        close()
    }

    func close() {
        PQfinish(handle)
        handle = nil
        prepared = [:]
    }

    /// Runs one or more statements without parameters.
    func execute(_ sql: String) throws(StateStoreError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql)
    }

    /// Runs `sql` with `$1`, `$2`, … bound to `parameters` (nil is NULL), prepared on first use.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(StateStoreError) -> PostgresRows {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "critfix_\(prepared.count + 1)"
            let result = PQprepare(handle, name, sql, Int32(parameters.count), nil)
            defer { PQclear(result) }
            try check(result, sql)
            prepared[sql] = name
        }
        let result = withOptionalCStrings(parameters) { pointers in
            PQexecPrepared(handle, name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        do {
            try check(result, sql)
        } catch {
            PQclear(result)
            throw error
        }
        return PostgresRows(result: result!)
    }

    /// `COPY table(columns) FROM STDIN` with rows in COPY's text format (`PostgresCopy`).
    func copy(_ sql: String, _ data: [UInt8]) throws(StateStoreError) {
        let start = PQexec(handle, sql)
        let status = PQresultStatus(start)
        PQclear(start)
        guard status == PGRES_COPY_IN else { throw failure(sql) }
        // The bytes are valid inside withUnsafeBytes; libpq copies them into its buffer before returning.
        let sent = data.withUnsafeBytes { bytes in
            bytes.isEmpty ? 1 : PQputCopyData(handle, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        let ended = PQputCopyEnd(handle, sent == 1 ? nil : "critfix could not send the rows")
        var failed: StateStoreError? = ended == 1 ? nil : failure(sql)
        // Reads every result, so that the connection is ready for the next command.
        while let result = PQgetResult(handle) {
            if failed == nil, PQresultStatus(result) != PGRES_COMMAND_OK { failed = failure(sql, result) }
            PQclear(result)
        }
        if let failed { throw failed }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StateStoreError) -> T) throws(StateStoreError) -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws(StateStoreError) {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK: return
        default: throw failure(sql, result)
        }
    }

    /// The server's or libpq's reason; a lost connection makes the state unavailable.
    private func failure(_ sql: String, _ result: OpaquePointer? = nil) -> StateStoreError {
        var reason = result.map { Self.message(PQresultErrorMessage($0)) } ?? ""
        if reason.isEmpty { reason = Self.message(PQerrorMessage(handle)) }
        if PQstatus(handle) != CONNECTION_OK {
            var error = StateStoreError("lost the PostgreSQL state \(server): \(reason)")
            error.isUnavailable = true
            return error
        }
        let statement = sql.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return StateStoreError("PostgreSQL state \(server): \(reason) (in: \(statement.prefix(80)))")
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: "; ")
    }
}

/// The rows of one result; freed with it.
final class PostgresRows {
    private let result: OpaquePointer
    let count: Int

    init(result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
    }

    deinit {
        PQclear(result)
    }

    /// Rows changed by an INSERT, UPDATE or DELETE.
    var changed: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    func text(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        // Owned by the result, which `self` keeps alive; copied into the String here.
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    func int(_ row: Int, _ column: Int) -> Int64 { text(row, column).flatMap { Int64($0) } ?? 0 }
    func double(_ row: Int, _ column: Int) -> Double { text(row, column).flatMap { Double($0) } ?? 0 }
    func optionalInt(_ row: Int, _ column: Int) -> Int? { isNull(row, column) ? nil : Int(int(row, column)) }
    func optionalDouble(_ row: Int, _ column: Int) -> Double? { isNull(row, column) ? nil : double(row, column) }
    func bool(_ row: Int, _ column: Int) -> Bool { text(row, column) == "t" }
}

/// A `postgres://` URL as logs and errors may show it.
enum PostgresURL {
    /// The URL without its password (and without any query, which may hold one).
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "(a PostgreSQL connection string)" }
        let scheme = url[..<schemeEnd.lowerBound]
        var rest = url[schemeEnd.upperBound...]
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        var authority = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        }
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at].split(separator: ":", maxSplits: 1).first ?? ""
            authority = user + "@" + authority[authority.index(after: at)...]
        }
        return "\(scheme)://\(authority)\(path)"
    }
}

/// Values in PostgreSQL's text forms.
enum PostgresText {
    static func double(_ value: Double) -> String { "\(value)" }

    static func array(_ values: some Sequence<String>) -> String {
        array(values.lazy.map { Optional($0) })
    }

    /// A one-dimensional array literal: `{"a","b",NULL}`.
    static func array(_ values: some Sequence<String?>) -> String {
        var literal = "{"
        var first = true
        for value in values {
            if !first { literal += "," }
            first = false
            guard let value else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }
}

// The pointers are valid only inside `body`: libpq copies what it needs before returning.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings) { body($0) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for copy in copies { free(copy) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
