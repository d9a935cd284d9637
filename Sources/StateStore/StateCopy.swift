import Foundation

/// `critfix state copy`: moves a deployment's state between SQLite and PostgreSQL — every
/// article, notification, delivery with its attempts and outcome, feed validators,
/// ROLIE documents, checked inputs and run history — so that a run on the copy sends
/// nothing the original had sent. Claims are not copied: they belong to runs of the old
/// state. The destination must be empty, and is written in one transaction.
public enum StateCopy {
    /// Rows per table, in copy order.
    public typealias Report = [(table: String, rows: Int)]

    public static func copy(from source: any StateStore, to destination: any StateStore) throws(StateStoreError) -> Report {
        guard let reader = source as? any StateTables, let writer = destination as? any StateTables else {
            throw StateStoreError("this state store cannot be copied")
        }
        guard try isEmpty(destination) else {
            throw StateStoreError("the destination already holds a state; copy into a new file or an empty database")
        }
        var report: Report = []
        try writer.inCopyTransaction { () throws(StateStoreError) in
            for table in StateTable.all {
                var batch: [[StateValue]] = []
                var count = 0
                try reader.readRows(of: table) { (row) throws(StateStoreError) in
                    batch.append(row)
                    count += 1
                    if batch.count == 5000 {
                        try writer.writeRows(batch, into: table)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { try writer.writeRows(batch, into: table) }
                report.append((table.name, count))
            }
        }
        return report
    }
}

extension StateCopy {
    /// Whether `store` holds no feed, article or delivery: a copy may go there.
    public static func isEmpty(_ store: any StateStore) throws(StateStoreError) -> Bool {
        guard let tables = store as? any StateTables else { return false }
        for table in StateTable.all where ["feeds", "articles", "deliveries"].contains(table.name) {
            if try tables.rowCount(table) > 0 { return false }
        }
        return true
    }
}

/// A value of one column, as both databases hold it.
enum StateValue {
    case null
    case int(Int64)
    case real(Double)
    case text(String)
}

/// One table as `StateCopy` moves it: its columns (those both schemas share), in the order
/// that keeps the dispatch order's last tie-break (SQLite's rowid, PostgreSQL's `seq`).
struct StateTable {
    enum Kind { case int, real, text }

    let name: String
    let columns: [(name: String, kind: Kind)]
    /// The order rows are read in: the SQLite form, then the PostgreSQL one.
    let sqliteOrder: String
    let postgresOrder: String

    var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// Parents before children; every table of the schema but the migrations' own.
    static let all: [StateTable] = [
        StateTable(
            name: "feeds",
            columns: [
                ("name", .text), ("url", .text), ("last_fetch", .real), ("http_status", .int), ("etag", .text),
                ("last_modified", .text), ("failures_in_a_row", .int), ("last_error", .text), ("last_success", .real),
            ], sqliteOrder: "name", postgresOrder: "name"),
        StateTable(
            name: "feed_documents",
            columns: [
                ("feed", .text), ("id", .text), ("url", .text), ("updated", .text), ("etag", .text), ("last_modified", .text),
                ("last_fetch", .real), ("failures_in_a_row", .int), ("last_error", .text),
            ], sqliteOrder: "feed, id", postgresOrder: "feed, id"),
        StateTable(
            name: "articles",
            columns: [("key", .text), ("revision", .int), ("feed", .text), ("data", .text), ("first_seen", .real)],
            sqliteOrder: "key, revision", postgresOrder: "key, revision"),
        StateTable(
            name: "notifications",
            columns: [
                ("id", .int), ("customer", .text), ("article_key", .text), ("revision", .int), ("severity", .int),
                ("kind", .text), ("plan", .text), ("published", .real), ("matched", .text), ("created", .real),
                ("caught_up", .int),
            ], sqliteOrder: "id", postgresOrder: "id"),
        StateTable(
            name: "deliveries",
            columns: [
                ("id", .text), ("channel", .text), ("address", .text), ("customer", .text), ("is_digest", .int),
                ("message_id", .text), ("status", .text), ("attempts", .int), ("next_attempt", .real), ("last_error", .text),
                ("created", .real), ("updated", .real), ("severity", .int), ("plan_rank", .int), ("sort_published", .real),
                ("customer_sort", .text),
            ], sqliteOrder: "rowid", postgresOrder: "seq"),
        StateTable(
            name: "delivery_items",
            columns: [("delivery_id", .text), ("position", .int), ("notification_id", .int)],
            sqliteOrder: "delivery_id, position", postgresOrder: "delivery_id, position"),
        StateTable(
            name: "runs",
            columns: [("id", .int), ("started", .real), ("finished", .real), ("exit_code", .int), ("summary", .text)],
            sqliteOrder: "id", postgresOrder: "id"),
        StateTable(
            name: "checked_inputs", columns: [("what", .text), ("digest", .text), ("checked", .real)],
            sqliteOrder: "what", postgresOrder: "what"),
    ]
}

/// What a store gives `StateCopy`: its tables row by row, and a transaction to fill them.
protocol StateTables {
    func rowCount(_ table: StateTable) throws(StateStoreError) -> Int
    func readRows(of table: StateTable, _ body: ([StateValue]) throws(StateStoreError) -> Void) throws(StateStoreError)
    /// Runs `body` in one transaction: a copy is there whole or not at all.
    func inCopyTransaction(_ body: () throws(StateStoreError) -> Void) throws(StateStoreError)
    func writeRows(_ rows: [[StateValue]], into table: StateTable) throws(StateStoreError)
}
