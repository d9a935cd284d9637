import Foundation

/// Named schema migrations, applied in order on open (each once; those missing together, in one transaction).
enum SQLiteMigrations {
    static let all: [(name: String, sql: String)] = [
        (
            "initial schema",
            """
            CREATE TABLE feeds(
                name TEXT PRIMARY KEY, url TEXT NOT NULL, last_fetch REAL, http_status INTEGER,
                etag TEXT, last_modified TEXT, failures_in_a_row INTEGER NOT NULL DEFAULT 0,
                last_error TEXT, last_success REAL);
            CREATE TABLE articles(
                key TEXT NOT NULL, revision INTEGER NOT NULL, feed TEXT NOT NULL, data TEXT NOT NULL,
                first_seen REAL NOT NULL, PRIMARY KEY(key, revision)) WITHOUT ROWID;
            CREATE INDEX articles_feed ON articles(feed);
            CREATE TABLE notifications(
                id INTEGER PRIMARY KEY, customer TEXT NOT NULL, article_key TEXT NOT NULL,
                revision INTEGER NOT NULL, severity INTEGER NOT NULL, kind TEXT NOT NULL, plan TEXT NOT NULL,
                published REAL, matched TEXT NOT NULL, created REAL NOT NULL, caught_up INTEGER NOT NULL DEFAULT 0,
                UNIQUE(article_key, customer, revision));
            CREATE INDEX notifications_customer ON notifications(customer, created);
            CREATE TABLE deliveries(
                id TEXT PRIMARY KEY, channel TEXT NOT NULL, address TEXT NOT NULL, customer TEXT NOT NULL,
                is_digest INTEGER NOT NULL, message_id TEXT, status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL, last_error TEXT,
                created REAL NOT NULL, updated REAL NOT NULL, severity INTEGER NOT NULL,
                plan_rank INTEGER NOT NULL, sort_published REAL NOT NULL, customer_sort TEXT NOT NULL);
            CREATE INDEX deliveries_due ON deliveries(channel, severity, plan_rank, sort_published, customer_sort)
                WHERE status IN ('pending', 'retrying');
            CREATE INDEX deliveries_status ON deliveries(status, updated);
            CREATE TABLE delivery_items(
                delivery_id TEXT NOT NULL, position INTEGER NOT NULL, notification_id INTEGER NOT NULL,
                PRIMARY KEY(delivery_id, position)) WITHOUT ROWID;
            CREATE INDEX delivery_items_notification ON delivery_items(notification_id);
            CREATE TABLE runs(
                id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL, exit_code INTEGER, summary TEXT);
            """
        ),
        (
            "checked inputs",
            """
            CREATE TABLE checked_inputs(what TEXT PRIMARY KEY, digest TEXT NOT NULL, checked REAL NOT NULL);
            """
        ),
        (
            // Every index is one more B-tree write per notification or delivery, and each
            // delivery is written when planned and again when sent. Nothing reads
            // notifications by customer, and `status` lists only deliveries that failed.
            "leaner indexes",
            """
            DROP INDEX notifications_customer;
            DROP INDEX deliveries_status;
            CREATE INDEX deliveries_failed ON deliveries(status, updated) WHERE status IN ('retrying', 'dead');
            """
        ),
        (
            // SPEC 2.6: the documents of CSAF ROLIE feeds, fetched only when new or changed.
            "feed documents",
            """
            CREATE TABLE feed_documents(
                feed TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL, updated TEXT NOT NULL, etag TEXT,
                last_modified TEXT, last_fetch REAL, failures_in_a_row INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                PRIMARY KEY(feed, id)) WITHOUT ROWID;
            """
        ),
    ]

    static func apply(to db: SQLiteConnection) throws(StateStoreError) {
        try db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL)")
        let applied = try db.statement("SELECT COALESCE(MAX(id), 0) FROM schema_migrations")
        let current = try applied.step() ? Int(applied.int(0)) : 0
        applied.reset()
        if current > all.count {
            throw StateStoreError(
                "the state database was written by a newer critfix (schema \(current), this one knows \(all.count)); upgrade critfix")
        }
        guard current < all.count else { return }
        // All that are missing in one transaction: a file is never left half upgraded, and
        // a new one is made with one sync instead of one per migration.
        try db.transaction { () throws(StateStoreError) in
            for (offset, migration) in all.enumerated() where offset + 1 > current {
                try db.execute(migration.sql)
                try db.statement("INSERT INTO schema_migrations(id, name, applied) VALUES (?, ?, ?)")
                    .bind(.int(Int64(offset + 1)), .text(migration.name), .double(Date().timeIntervalSince1970)).run()
            }
        }
    }
}
