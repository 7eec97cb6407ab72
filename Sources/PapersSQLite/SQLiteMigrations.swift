import GRDB
import PapersStore

/// Numbered, append-only schema migrations for the SQLite store.
/// Never edit a migration that has shipped: add the next number.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001-catalog") { db in
            try db.execute(sql: """
                CREATE TABLE papers (
                    id            TEXT PRIMARY KEY NOT NULL,
                    version       INTEGER NOT NULL DEFAULT 0,
                    title         TEXT NOT NULL CHECK (length(title) > 0),
                    abstract      TEXT NOT NULL,
                    authors       TEXT NOT NULL,          -- JSON array of names, in order
                    categories    TEXT NOT NULL DEFAULT '', -- space separated, primary first
                    published_at  REAL,                   -- Unix seconds
                    updated_at    REAL,
                    comments      TEXT,
                    journal_ref   TEXT,
                    doi           TEXT,
                    github_repo   TEXT,
                    github_stars  INTEGER,
                    project_page  TEXT,
                    ai_summary    TEXT,
                    ai_keywords   TEXT NOT NULL DEFAULT '[]',
                    imported_at   REAL NOT NULL,
                    modified_at   REAL NOT NULL
                );
                CREATE INDEX papers_published_at ON papers(published_at);

                CREATE TABLE featured (
                    paper_id            TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
                    day                 TEXT NOT NULL,    -- YYYY-MM-DD
                    featured_at         REAL NOT NULL,
                    submitter_user      TEXT,
                    submitter_fullname  TEXT,
                    submitter_avatar    TEXT,
                    imported_upvotes    INTEGER NOT NULL DEFAULT 0,
                    imported_comments   INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (paper_id, day)
                );
                CREATE INDEX featured_day ON featured(day);
                CREATE INDEX featured_submitter ON featured(submitter_user);

                CREATE VIRTUAL TABLE papers_fts USING fts5(
                    title, abstract, authors,
                    content='papers', content_rowid='rowid',
                    tokenize='porter unicode61 remove_diacritics 2'
                );
                CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
                    INSERT INTO papers_fts(rowid, title, abstract, authors)
                    VALUES (new.rowid, new.title, new.abstract, new.authors);
                END;
                CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
                    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
                    VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
                END;
                CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers BEGIN
                    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
                    VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
                    INSERT INTO papers_fts(rowid, title, abstract, authors)
                    VALUES (new.rowid, new.title, new.abstract, new.authors);
                END;
                """)
        }
        migrator.registerMigration("0002-embeddings") { db in
            // One vector per paper and model; `text_hash` identifies the text that was embedded,
            // so a new version of the paper (a changed title or abstract) makes it stale.
            try db.execute(sql: """
                CREATE TABLE embeddings (
                    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
                    model      TEXT NOT NULL,
                    text_hash  INTEGER NOT NULL,
                    vector     BLOB NOT NULL,            -- little-endian Float32 x dimension
                    PRIMARY KEY (paper_id, model)
                );
                """)
        }
        migrator.registerMigration("0003-bulk-fulltext") { db in
            // The full-text index is now written by the store once per batch
            // (INSERT ... SELECT), not by a trigger per row: a trigger makes FTS5 flush its
            // pending terms after every row, which made bulk imports 2.5 times slower.
            // The delete trigger stays (deletes are rare). papers_published_at was unused.
            try db.execute(sql: """
                DROP TRIGGER papers_fts_insert;
                DROP TRIGGER papers_fts_update;
                DROP INDEX papers_published_at;
                """)
        }
        migrator.registerMigration("0004-text-hash") { db in
            // The hash of the text a paper is embedded from, kept on every write, so finding
            // papers whose vector is missing or stale is one indexed query.
            try db.execute(sql: "ALTER TABLE papers ADD COLUMN text_hash INTEGER NOT NULL DEFAULT 0")
            let rows = try Row.fetchAll(db, sql: "SELECT rowid AS rid, title, abstract FROM papers")
            let update = try db.makeStatement(sql: "UPDATE papers SET text_hash = ? WHERE rowid = ?")
            for row in rows {
                let hash = EmbeddingText.hash(EmbeddingText.of(title: row["title"], abstract: row["abstract"]))
                try update.execute(arguments: [hash, row["rid"] as Int64])
            }
        }
        migrator.registerMigration("0005-settings") { db in
            // Values the site keeps for itself, such as the secret that signs links and tokens.
            try db.execute(sql: "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)")
        }
        migrator.registerMigration("0006-community") { db in
            // Members, their sessions and API tokens (both stored as SHA-256 hashes, so a copy of
            // the database does not let anyone sign in), votes and comments. Each paper keeps its
            // member vote and visible comment counts, updated in the same transaction as the vote
            // or comment, so lists add them to the imported counts without a join.
            try db.execute(sql: """
                CREATE TABLE members (
                    id             INTEGER PRIMARY KEY,
                    username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    password_hash  TEXT NOT NULL,
                    is_admin       INTEGER NOT NULL DEFAULT 0,
                    created_at     REAL NOT NULL
                );
                CREATE TABLE sessions (
                    token_hash  TEXT PRIMARY KEY NOT NULL,
                    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                    created_at  REAL NOT NULL,
                    expires_at  REAL NOT NULL
                );
                CREATE INDEX sessions_member ON sessions(member_id);
                CREATE TABLE api_tokens (
                    id            INTEGER PRIMARY KEY,
                    member_id     INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                    name          TEXT NOT NULL,
                    token_hash    TEXT NOT NULL UNIQUE,
                    prefix        TEXT NOT NULL,
                    created_at    REAL NOT NULL,
                    last_used_at  REAL
                );
                CREATE INDEX api_tokens_member ON api_tokens(member_id);
                CREATE TABLE votes (
                    paper_id    TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
                    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                    created_at  REAL NOT NULL,
                    PRIMARY KEY (paper_id, member_id)
                ) WITHOUT ROWID;
                CREATE INDEX votes_member ON votes(member_id);
                CREATE TABLE comments (
                    id          INTEGER PRIMARY KEY,
                    paper_id    TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
                    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                    body        TEXT NOT NULL,
                    created_at  REAL NOT NULL,
                    hidden_at   REAL
                );
                CREATE INDEX comments_paper ON comments(paper_id, created_at);
                ALTER TABLE papers ADD COLUMN member_votes INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE papers ADD COLUMN member_comments INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE featured ADD COLUMN submitted_by INTEGER REFERENCES members(id) ON DELETE SET NULL;
                """)
        }
        migrator.registerMigration("0007-mail") { db in
            // Digest subscriptions (one per address; a request waits in `pending_request` until
            // its confirmation link is followed), members' alerts with the rowid of the last
            // paper each has seen, the papers each alert has mailed, and the outbox: every
            // message is written here before it is sent and marked sent after the server's 250;
            // a sender claims messages for a while first, so two senders never send the same one.
            try db.execute(sql: """
                CREATE TABLE subscriptions (
                    id               INTEGER PRIMARY KEY,
                    email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    frequency        TEXT NOT NULL,
                    keywords         TEXT NOT NULL DEFAULT '[]',   -- JSON array
                    categories       TEXT NOT NULL DEFAULT '[]',   -- JSON array
                    status           TEXT NOT NULL,                -- pending | confirmed | unsubscribed
                    pending_request  TEXT,                         -- JSON: frequency, keywords, categories
                    confirm_nonce    TEXT,
                    created_at       REAL NOT NULL,
                    confirmed_at     REAL,
                    updated_at       REAL NOT NULL
                );
                CREATE INDEX subscriptions_status ON subscriptions(status, frequency);
                CREATE TABLE alerts (
                    id          INTEGER PRIMARY KEY,
                    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                    kind        TEXT NOT NULL,                     -- search | author
                    query       TEXT NOT NULL,
                    seen_rowid  INTEGER NOT NULL,                  -- papers with a larger rowid are new to it
                    created_at  REAL NOT NULL,
                    UNIQUE (member_id, kind, query)
                );
                CREATE TABLE alert_papers (
                    alert_id  INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                    paper_id  TEXT NOT NULL,
                    sent_at   REAL NOT NULL,
                    PRIMARY KEY (alert_id, paper_id)
                ) WITHOUT ROWID;
                ALTER TABLE members ADD COLUMN email_confirmed_at REAL;
                CREATE TABLE outbox (
                    id               INTEGER PRIMARY KEY,
                    key              TEXT NOT NULL UNIQUE,
                    sender           TEXT NOT NULL,
                    recipient        TEXT NOT NULL,
                    message          BLOB NOT NULL,                -- RFC 5322, CRLF line ends
                    status           TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed | cancelled
                    attempts         INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at  REAL NOT NULL,
                    claimed_until    REAL,                         -- a sender is on it until then
                    last_error       TEXT,
                    created_at       REAL NOT NULL,
                    sent_at          REAL
                );
                CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
                CREATE INDEX outbox_recipient ON outbox(recipient, status);
                CREATE TABLE digest_editions (
                    edition    TEXT PRIMARY KEY NOT NULL,
                    messages   INTEGER NOT NULL,
                    queued_at  REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("0008-harvest") { db in
            // One row per harvested source ("arxiv:cs", "hf"): the cursor (the last day harvested
            // completely, where the next run starts) and the last run, for /healthz after a restart.
            try db.execute(sql: """
                CREATE TABLE harvest_state (
                    source         TEXT PRIMARY KEY NOT NULL,
                    cursor         TEXT,                 -- YYYY-MM-DD
                    last_run_at    REAL,
                    last_outcome   TEXT,                 -- ok | failed
                    last_counts    TEXT,                 -- JSON {read, new, updated, unchanged, rejected}
                    last_error     TEXT
                )
                """)
        }
        migrator.registerMigration("0009-papers-modified") { db in
            // The in-memory keyword index catches up with papers written since it last looked
            // (by any process): a range scan of this index, usually empty.
            try db.execute(sql: "CREATE INDEX papers_modified ON papers (modified_at)")
        }
        migrator.registerMigration("0010-rate-limits") { db in
            // Rate limit windows, shared by every process on the database: one row per action
            // and key (a client address or an account), its window's start and its count.
            try db.execute(sql: """
                CREATE TABLE rate_limits (
                    key           TEXT PRIMARY KEY NOT NULL,
                    window_start  REAL NOT NULL,
                    count         INTEGER NOT NULL
                );
                CREATE INDEX rate_limits_window ON rate_limits (window_start);
                """)
        }
        migrator.registerMigration("0011-embeddings-saved") { db in
            // When each vector was saved, so every process's in-memory index catches up with
            // the vectors another process (a second web node, `embed`) saved since it looked.
            try db.execute(sql: """
                ALTER TABLE embeddings ADD COLUMN saved_at REAL NOT NULL DEFAULT 0;
                CREATE INDEX embeddings_saved ON embeddings (saved_at);
                """)
        }
        return migrator
    }
}
