import Foundation

/// The PostgreSQL schema: SQLite's migrations by name and in order (`SQLiteMigrations`),
/// in PostgreSQL's types, then what only a shared state needs. Times are Unix seconds in
/// `double precision`, as in SQLite, so that `state copy` moves values unchanged.
enum PostgresMigrations {
    static let all: [(name: String, sql: String)] = [
        (
            "initial schema",
            """
            CREATE TABLE feeds(
                name text PRIMARY KEY, url text NOT NULL, last_fetch double precision, http_status integer,
                etag text, last_modified text, failures_in_a_row integer NOT NULL DEFAULT 0,
                last_error text, last_success double precision);
            CREATE TABLE articles(
                key text NOT NULL, revision integer NOT NULL, feed text NOT NULL, data text NOT NULL,
                first_seen double precision NOT NULL, PRIMARY KEY(key, revision));
            CREATE INDEX articles_feed ON articles(feed);
            CREATE TABLE notifications(
                id bigint PRIMARY KEY, customer text NOT NULL, article_key text NOT NULL,
                revision integer NOT NULL, severity integer NOT NULL, kind text NOT NULL, plan text NOT NULL,
                published double precision, matched text NOT NULL, created double precision NOT NULL,
                caught_up integer NOT NULL DEFAULT 0,
                UNIQUE(article_key, customer, revision));
            CREATE INDEX notifications_customer ON notifications(customer, created);
            CREATE TABLE deliveries(
                id text PRIMARY KEY, channel text NOT NULL, address text NOT NULL, customer text NOT NULL,
                is_digest integer NOT NULL, message_id text, status text NOT NULL,
                attempts integer NOT NULL DEFAULT 0, next_attempt double precision NOT NULL, last_error text,
                created double precision NOT NULL, updated double precision NOT NULL, severity integer NOT NULL,
                plan_rank integer NOT NULL, sort_published double precision NOT NULL, customer_sort text COLLATE "C" NOT NULL,
                seq bigserial NOT NULL);
            CREATE INDEX deliveries_due ON deliveries(channel, severity, plan_rank, sort_published, customer_sort, seq)
                WHERE status IN ('pending', 'retrying');
            CREATE INDEX deliveries_status ON deliveries(status, updated);
            CREATE TABLE delivery_items(
                delivery_id text NOT NULL, position integer NOT NULL, notification_id bigint NOT NULL,
                PRIMARY KEY(delivery_id, position));
            CREATE INDEX delivery_items_notification ON delivery_items(notification_id);
            CREATE TABLE runs(
                id bigserial PRIMARY KEY, started double precision NOT NULL, finished double precision,
                exit_code integer, summary text);
            """
        ),
        (
            "checked inputs",
            """
            CREATE TABLE checked_inputs(what text PRIMARY KEY, digest text NOT NULL, checked double precision NOT NULL);
            """
        ),
        (
            "leaner indexes",
            """
            DROP INDEX notifications_customer;
            DROP INDEX deliveries_status;
            CREATE INDEX deliveries_failed ON deliveries(status, updated) WHERE status IN ('retrying', 'dead');
            """
        ),
        (
            "feed documents",
            """
            CREATE TABLE feed_documents(
                feed text NOT NULL, id text NOT NULL, url text NOT NULL, updated text NOT NULL, etag text,
                last_modified text, last_fetch double precision, failures_in_a_row integer NOT NULL DEFAULT 0,
                last_error text, PRIMARY KEY(feed, id));
            """
        ),
        (
            // SPEC 9: several runs share the state. A delivery is claimed by one run
            // (`claimed_by`) until `claimed_until` (server time, Unix seconds). Notification
            // ids come from a sequence in blocks, so that a run numbers its own without
            // asking the server for each. Room left in each page lets a claim update its row
            // in place (a HOT update: no index written), as a claim touches no indexed column.
            "claims",
            """
            ALTER TABLE deliveries ADD COLUMN claimed_by text, ADD COLUMN claimed_until double precision;
            ALTER TABLE deliveries SET (fillfactor = 70);
            CREATE SEQUENCE notification_ids INCREMENT BY 4096 MINVALUE 0 START WITH 4096;
            """
        ),
    ]

    /// Any number, the same in every critfix: the lock that makes workers starting at
    /// once apply the migrations one after the other.
    static let lockKey: Int64 = 0x6372_6974_6669_7801

    static func apply(to db: PostgresConnection) throws(StateStoreError) {
        try db.transaction { () throws(StateStoreError) in
            try db.query("SELECT pg_advisory_xact_lock($1)", [String(lockKey)])
            try db.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations(
                    id integer PRIMARY KEY, name text NOT NULL, applied double precision NOT NULL)
                """)
            let current = Int(try db.query("SELECT COALESCE(MAX(id), 0) FROM schema_migrations").int(0, 0))
            if current > all.count {
                throw StateStoreError(
                    "the state database was written by a newer critfix (schema \(current), this one knows \(all.count)); upgrade critfix")
            }
            for (offset, migration) in all.enumerated() where offset + 1 > current {
                try db.execute(migration.sql)
                try db.query(
                    "INSERT INTO schema_migrations(id, name, applied) VALUES ($1, $2, $3)",
                    [String(offset + 1), migration.name, PostgresText.double(Date().timeIntervalSince1970)])
            }
        }
    }
}
