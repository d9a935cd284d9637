import Foundation

/// `StateCopy`'s access to the SQLite tables.
extension SQLiteStateStore: StateTables {
    func rowCount(_ table: StateTable) throws(StateStoreError) -> Int {
        let row = try db.statement("SELECT count(*) FROM \(table.name)")
        defer { row.reset() }
        return try row.step() ? Int(row.int(0)) : 0
    }

    func readRows(of table: StateTable, _ body: ([StateValue]) throws(StateStoreError) -> Void) throws(StateStoreError) {
        let rows = try db.statement("SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.sqliteOrder)")
        defer { rows.reset() }
        while try rows.step() {
            try body(
                table.columns.indices.map { index in
                    let column = Int32(index)
                    if rows.isNull(column) { return .null }
                    switch table.columns[index].kind {
                    case .int: return .int(rows.int(column))
                    case .real: return .real(rows.double(column))
                    case .text: return .text(rows.text(column) ?? "")
                    }
                })
        }
    }

    func inCopyTransaction(_ body: () throws(StateStoreError) -> Void) throws(StateStoreError) {
        try db.transaction(body)
    }

    func writeRows(_ rows: [[StateValue]], into table: StateTable) throws(StateStoreError) {
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let insert = try db.statement("INSERT INTO \(table.name)(\(table.columnList)) VALUES (\(placeholders))")
        for row in rows {
            let values: [Statement.Value] = row.map { value in
                switch value {
                case .null: .null
                case .int(let v): .int(v)
                case .real(let v): .double(v)
                case .text(let v): .text(v)
                }
            }
            try insert.bind(values).run()
        }
    }
}
