import Foundation

/// `StateCopy`'s access to the PostgreSQL tables.
extension PostgresStateStore: StateTables {
    func rowCount(_ table: StateTable) throws(StateStoreError) -> Int {
        Int(try db.query("SELECT count(*) FROM \(table.name)").int(0, 0))
    }

    /// Through a cursor, ten thousand rows at a time: a large state is never in memory whole.
    func readRows(of table: StateTable, _ body: ([StateValue]) throws(StateStoreError) -> Void) throws(StateStoreError) {
        try db.transaction { () throws(StateStoreError) in
            try db.execute(
                "DECLARE copy_rows NO SCROLL CURSOR FOR SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.postgresOrder)")
            while true {
                let rows = try db.query("FETCH 10000 FROM copy_rows")
                guard rows.count > 0 else { break }
                for row in 0..<rows.count {
                    try body(
                        table.columns.indices.map { column in
                            guard let text = rows.text(row, column) else { return .null }
                            switch table.columns[column].kind {
                            case .int: return .int(Int64(text) ?? 0)
                            case .real: return .real(Double(text) ?? 0)
                            case .text: return .text(text)
                            }
                        })
                }
            }
        }
    }

    /// After the rows, the sequences continue above the copied ids.
    func inCopyTransaction(_ body: () throws(StateStoreError) -> Void) throws(StateStoreError) {
        try db.transaction { () throws(StateStoreError) in
            try body()
            try db.execute(
                """
                SELECT setval('notification_ids', GREATEST((SELECT max(id) FROM notifications), 0));
                SELECT setval(pg_get_serial_sequence('runs', 'id'), GREATEST((SELECT max(id) FROM runs), 1),
                              (SELECT max(id) FROM runs) IS NOT NULL);
                """)
        }
    }

    func writeRows(_ rows: [[StateValue]], into table: StateTable) throws(StateStoreError) {
        var copy = PostgresCopy()
        for row in rows {
            copy.row(
                row.map { value in
                    switch value {
                    case .null: .null
                    case .int(let v): .text(String(v))
                    case .real(let v): .text(PostgresText.double(v))
                    case .text(let v): .text(v)
                    }
                })
        }
        try db.copy("COPY \(table.name)(\(table.columnList)) FROM STDIN", copy.bytes)
    }
}
