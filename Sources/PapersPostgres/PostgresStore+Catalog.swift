import Foundation
import Logging
import PapersCore
import PapersStore
import PostgresNIO

// MARK: - Migrating

extension PostgresStore {
    /// Applies the migrations this database lacks, each in a transaction of its own, holding an
    /// advisory lock so that two processes starting together migrate once.
    func migrate() async throws {
        let logger = self.logger
        let location = connection.redacted
        try await withConnection { connection in
            try await connection.run("SELECT pg_advisory_lock(\(PostgresMigrations.lockKey))", logger)
            do {
                try await connection.run(PostgresQuery(unsafeSQL: PostgresMigrations.createTable), logger)
                let applied = Set(try await connection.rows("SELECT name FROM schema_migrations", logger)
                    .map { try $0["name"].decode(String.self) })
                for migration in PostgresMigrations.all where !applied.contains(migration.name) {
                    logger.info("applying migration", metadata: ["migration": "\(migration.name)", "database": "\(location)"])
                    try await connection.run("BEGIN", logger)
                    do {
                        for statement in migration.statements {
                            try await connection.run(PostgresQuery(unsafeSQL: statement), logger)
                        }
                        if migration.name == "0004-text-hash" { try await Self.fillTextHashes(connection, logger) }
                        try await connection.run("""
                            INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))
                            """, logger)
                        try await connection.run("COMMIT", logger)
                    } catch {
                        _ = try? await connection.run("ROLLBACK", logger)
                        throw StoreError("\(location): migration \(migration.name) failed: \(self.translate(error))")
                    }
                }
                try await connection.run("SELECT pg_advisory_unlock(\(PostgresMigrations.lockKey))", logger)
            } catch {
                _ = try? await connection.run("SELECT pg_advisory_unlock(\(PostgresMigrations.lockKey))", logger)
                throw error
            }
        }
    }

    /// Migration 0004: the text hash of papers already in the database.
    static func fillTextHashes(_ connection: PGConnection, _ logger: Logger) async throws {
        for row in try await connection.rows("SELECT id, title, abstract FROM papers", logger) {
            let hash = EmbeddingText.hash(EmbeddingText.of(title: try row["title"].decode(String.self),
                                                           abstract: try row["abstract"].decode(String.self)))
            try await connection.run("UPDATE papers SET text_hash = \(hash) WHERE id = \(try row["id"].decode(String.self))", logger)
        }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await rows("SELECT name FROM schema_migrations ORDER BY name").map { try $0["name"].decode(String.self) }
    }
}

// MARK: - Writing

extension PostgresStore: PaperStore {
    /// Held (for the transaction) by every write of papers: papers are then added one writer at
    /// a time, so `seq` grows in commit order (an alert that has seen seq N has seen every paper
    /// up to N) and `modified_at` does too (the in-memory index catching up misses nothing).
    static let paperWriteLockKey: Int64 = 0x6461_696C_7970_7772
    /// Held while saving vectors, for the same reason (`embeddings.saved_at`).
    static let vectorWriteLockKey: Int64 = 0x6461_696C_7970_7776

    public func write(_ batch: ImportBatch) async throws -> BatchOutcome {
        let logger = self.logger
        return try await transaction { connection in
            var outcome = BatchOutcome()
            if !batch.papers.isEmpty {
                try await connection.run("SELECT pg_advisory_xact_lock(\(Self.paperWriteLockKey))", logger)
                // Never before the latest stamp, whatever this node's clock says: another node
                // catching up from it misses nothing.
                let latest = try await connection.rows("SELECT coalesce(max(modified_at), 0) AS latest FROM papers", logger)[0]
                let now = max(Date().timeIntervalSince1970, try latest["latest"].decode(Double.self))
                let ids = Array(Set(batch.papers.map(\.id.rawValue)))
                var current = [ArxivID: Paper]()
                for row in try await connection.rows("SELECT \(unescaped: PaperRow.columns) FROM papers p WHERE p.id = ANY(\(ids)) FOR UPDATE", logger) {
                    let paper = try PaperRow(row).paper
                    current[paper.id] = paper
                }
                for incoming in batch.papers {
                    if let existing = current[incoming.id] {
                        let merged = existing.merged(with: incoming)
                        if merged == existing {
                            outcome.papersUnchanged += 1
                            continue
                        }
                        let p = merged
                        try await connection.run("""
                            UPDATE papers SET version = \(p.version), title = \(p.title), abstract = \(p.abstract),
                              authors = \(JSONText.encode(p.authors)), categories = \(p.categories.joined(separator: " ")),
                              published_at = \(p.publishedAt?.timeIntervalSince1970), updated_at = \(p.updatedAt?.timeIntervalSince1970),
                              comments = \(p.comments), journal_ref = \(p.journalRef), doi = \(p.doi),
                              github_repo = \(p.githubRepo?.url), github_stars = \(p.githubStars), project_page = \(p.projectPage?.url),
                              ai_summary = \(p.aiSummary), ai_keywords = \(JSONText.encode(p.aiKeywords)),
                              text_hash = \(Self.textHash(p)), modified_at = \(now)
                            WHERE id = \(p.id.rawValue)
                            """, logger)
                        current[p.id] = merged
                        outcome.papersUpdated += 1
                    } else {
                        let p = incoming
                        try await connection.run("""
                            INSERT INTO papers (id, version, title, abstract, authors, categories, published_at, updated_at,
                              comments, journal_ref, doi, github_repo, github_stars, project_page, ai_summary, ai_keywords,
                              text_hash, imported_at, modified_at)
                            VALUES (\(p.id.rawValue), \(p.version), \(p.title), \(p.abstract), \(JSONText.encode(p.authors)),
                              \(p.categories.joined(separator: " ")), \(p.publishedAt?.timeIntervalSince1970),
                              \(p.updatedAt?.timeIntervalSince1970), \(p.comments), \(p.journalRef), \(p.doi), \(p.githubRepo?.url),
                              \(p.githubStars), \(p.projectPage?.url), \(p.aiSummary), \(JSONText.encode(p.aiKeywords)),
                              \(Self.textHash(p)), \(now), \(now))
                            """, logger)
                        current[p.id] = incoming
                        outcome.papersNew += 1
                    }
                }
            }
            for entry in batch.featured {
                let paperID = entry.paperID.rawValue, day = entry.day.description
                let featuredAt = entry.featuredAt.timeIntervalSince1970
                let (user, fullname, avatar) = (entry.submitter?.user, entry.submitter?.fullname, entry.submitter?.avatarURL?.url)
                let existing = try await connection.rows("""
                    SELECT featured_at, submitter_user, submitter_fullname, submitter_avatar, imported_upvotes, imported_comments
                    FROM featured WHERE paper_id = \(paperID) AND day = \(day) FOR UPDATE
                    """, logger).first
                if let existing {
                    let unchanged = try existing["featured_at"].decode(Double.self) == featuredAt
                        && existing["submitter_user"].decode(String?.self) == user
                        && existing["submitter_fullname"].decode(String?.self) == fullname
                        && existing["submitter_avatar"].decode(String?.self) == avatar
                        && existing["imported_upvotes"].decode(Int.self) == entry.importedUpvotes
                        && existing["imported_comments"].decode(Int.self) == entry.importedComments
                    if unchanged {
                        outcome.featuredUnchanged += 1
                        continue
                    }
                    try await connection.run("""
                        UPDATE featured SET featured_at = \(featuredAt), submitter_user = \(user), submitter_fullname = \(fullname),
                          submitter_avatar = \(avatar), imported_upvotes = \(entry.importedUpvotes),
                          imported_comments = \(entry.importedComments)
                        WHERE paper_id = \(paperID) AND day = \(day)
                        """, logger)
                    outcome.featuredUpdated += 1
                } else {
                    guard try await !connection.rows("SELECT 1 AS found FROM papers WHERE id = \(paperID)", logger).isEmpty else {
                        throw StoreError("featured entry for \(entry.paperID) on \(entry.day): the paper is not in the catalog")
                    }
                    try await connection.run("""
                        INSERT INTO featured (paper_id, day, featured_at, submitter_user, submitter_fullname, submitter_avatar,
                          imported_upvotes, imported_comments)
                        VALUES (\(paperID), \(day), \(featuredAt), \(user), \(fullname), \(avatar),
                          \(entry.importedUpvotes), \(entry.importedComments))
                        """, logger)
                    outcome.featuredNew += 1
                }
            }
            return outcome
        }
    }

    static func textHash(_ p: Paper) -> Int64 {
        EmbeddingText.hash(EmbeddingText.of(title: p.title, abstract: p.abstract))
    }

    // MARK: Reading

    public func paper(_ id: ArxivID) async throws -> Paper? {
        try await rows("SELECT \(unescaped: PaperRow.columns) FROM papers p WHERE p.id = \(id.rawValue)")
            .first.map { try PaperRow($0).paper }
    }

    public func featuredEntries(for id: ArxivID) async throws -> [FeaturedEntry] {
        try await rows("SELECT \(unescaped: FeaturedRow.columns) FROM featured f WHERE f.paper_id = \(id.rawValue) ORDER BY f.day")
            .map { try FeaturedRow($0).entry }
    }

    public func stats() async throws -> CatalogStats {
        let row = try await rows("""
            SELECT (SELECT count(*) FROM papers) AS papers, count(*) AS entries, count(DISTINCT day) AS days,
                   min(day) AS first_day, max(day) AS last_day
            FROM featured
            """)[0]
        return CatalogStats(papers: try row["papers"].decode(Int.self), featuredEntries: try row["entries"].decode(Int.self),
                            featuredDays: try row["days"].decode(Int.self),
                            firstDay: try row["first_day"].decode(String?.self).flatMap { Day($0) },
                            lastDay: try row["last_day"].decode(String?.self).flatMap { Day($0) })
    }

    // MARK: Lists and search

    /// A paper's upvotes and comments as cards show them: the most any featured entry imported,
    /// plus the site's members' votes and visible comments. `p` is the paper.
    static let cardCounts = """
        (SELECT coalesce(max(imported_upvotes), 0) FROM featured WHERE paper_id = p.id) + p.member_votes AS card_upvotes,
        (SELECT coalesce(max(imported_comments), 0) FROM featured WHERE paper_id = p.id) + p.member_comments AS card_comments
        """

    public func featuredCards(_ query: FeaturedQuery) async throws -> [PaperCard] {
        var sql = SQLBuilder("""
            SELECT \(PaperRow.columns), \(FeaturedRow.columns), p.member_votes, p.member_comments
            FROM featured f JOIN papers p ON p.id = f.paper_id
            """)
        var conditions = [String]()
        if let days = query.days {
            conditions.append("f.day BETWEEN \(try sql.bind(days.lowerBound.description)) AND \(try sql.bind(days.upperBound.description))")
        }
        if let submitter = query.submitter {
            conditions.append("f.submitter_user = \(try sql.bind(submitter))")
        }
        if !conditions.isEmpty { sql.append(" WHERE " + conditions.joined(separator: " AND ")) }
        if let page = query.page {
            switch page.sort {
            case .newest: sql.append(" ORDER BY f.featured_at DESC, p.id")
            case .upvotes: sql.append(" ORDER BY f.imported_upvotes + p.member_votes DESC, f.featured_at DESC, p.id")
            case .trending: throw StoreError("a sorted page of featured papers cannot be ordered by trending in SQL")
            }
            let limit = try sql.bind(page.limit), offset = try sql.bind(page.offset)
            sql.append(" LIMIT \(limit) OFFSET \(offset)")
        }
        return try await rows(sql.query).map { row in
            let entry = try FeaturedRow(row).entry
            // Member votes and comments count for the paper wherever it is featured.
            return PaperCard(paper: try PaperRow(row).paper, featured: entry,
                             upvotes: entry.importedUpvotes + (try row["member_votes"].decode(Int.self)),
                             comments: entry.importedComments + (try row["member_comments"].decode(Int.self)))
        }
    }

    public func latestFeaturedDay() async throws -> Day? {
        try await rows("SELECT max(day) AS day FROM featured")[0]["day"].decode(String?.self).flatMap { Day($0) }
    }

    public func featuredDay(before day: Day) async throws -> Day? {
        try await rows("SELECT max(day) AS day FROM featured WHERE day < \(day.description)")[0]["day"]
            .decode(String?.self).flatMap { Day($0) }
    }

    public func featuredDay(after day: Day) async throws -> Day? {
        try await rows("SELECT min(day) AS day FROM featured WHERE day > \(day.description)")[0]["day"]
            .decode(String?.self).flatMap { Day($0) }
    }

    public func card(_ id: ArxivID) async throws -> PaperCard? {
        let logger = self.logger
        return try await withConnection(retry: true) { connection in
            guard let row = try await connection.rows("""
                SELECT \(unescaped: PaperRow.columns), \(unescaped: Self.cardCounts) FROM papers p WHERE p.id = \(id.rawValue)
                """, logger).first else { return nil }
            let latest = try await connection.rows("""
                SELECT \(unescaped: FeaturedRow.columns) FROM featured f WHERE f.paper_id = \(id.rawValue) ORDER BY f.day DESC LIMIT 1
                """, logger).first.map { try FeaturedRow($0).entry }
            return PaperCard(paper: try PaperRow(row).paper, featured: latest, upvotes: try row["card_upvotes"].decode(Int.self),
                             comments: try row["card_comments"].decode(Int.self))
        }
    }

    /// Conditions (each starting with AND) on `p` for a search filter, bound into `sql`.
    static func filterConditions(_ filter: SearchFilter, into sql: inout SQLBuilder) throws -> String {
        var text = ""
        if let from = filter.from {
            text += " AND p.published_at >= \(try sql.bind(from.start.timeIntervalSince1970))"
        }
        if let to = filter.to {
            text += " AND p.published_at < \(try sql.bind(to.adding(days: 1).start.timeIntervalSince1970))"
        }
        if let category = filter.category {
            // As SQLite's LIKE: ASCII case does not matter.
            text += " AND (' ' || lower(p.categories) || ' ') LIKE ('% ' || lower(\(try sql.bind(escapeLike(category)))) || ' %') ESCAPE '\\'"
        }
        return text
    }

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    public func keywordSearch(_ query: KeywordQuery) async throws -> (cards: [PaperCard], total: Int) {
        let clauses = KeywordClauses.of(query.text)
        guard !clauses.isEmpty else { return ([], 0) }
        // One tsquery for the terms ORed: each clause (a word, or a phrase) through
        // phraseto_tsquery, so nothing the user types is tsquery syntax.
        func tsquery(_ sql: inout SQLBuilder) throws -> String {
            try clauses.map { "phraseto_tsquery('english', \(try sql.bind($0)))" }.joined(separator: " || ")
        }
        var count = SQLBuilder()
        let countQuery = try tsquery(&count)
        let countFilter = try Self.filterConditions(query.filter, into: &count)
        count.append("SELECT count(*) AS total FROM papers p, (SELECT \(countQuery) AS query) q WHERE p.search @@ q.query\(countFilter)")

        var page = SQLBuilder()
        let terms = try clauses.map { "phraseto_tsquery('english', \(try page.bind($0)))" }.joined(separator: ", ")
        let pageQuery = try tsquery(&page)
        let pageFilter = try Self.filterConditions(query.filter, into: &page)
        let limit = try page.bind(query.limit), offset = try page.bind(query.offset)
        // BM25's shape on PostgreSQL's index: each clause (a word, or a quoted phrase) scored on
        // its own by `ts_rank_cd` (an occurrence in the title weighs 1.0, in the authors 0.3, in
        // the abstract 0.1: the array is {D, C, B, A}), saturated as BM25 saturates a term's
        // frequency (r / (r + 0.5): half a title occurrence), times the clause's inverse
        // document frequency (BM25's, from a count through the GIN index against the table's
        // estimated size), and summed. `ts_rank_cd` alone over the ORed query has no document
        // frequency: common words outweigh rare ones (BENCHMARKS.md, "Keyword search on PostgreSQL").
        page.append("""
            WITH t AS (SELECT term FROM unnest(ARRAY[\(terms)]) AS term WHERE numnode(term) > 0),
            size AS (SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples ELSE (SELECT count(*) FROM papers) END AS n
                     FROM pg_class c WHERE c.oid = 'papers'::regclass),
            w AS (SELECT t.term, ln(1 + (greatest(size.n, d.df) - d.df + 0.5) / (d.df + 0.5)) AS idf
                  FROM t, size, LATERAL (SELECT count(*) AS df FROM papers p WHERE p.search @@ t.term) d),
            q AS (SELECT \(pageQuery) AS query),
            hits AS (
                SELECT p.id, sum(w.idf * r.r / (r.r + 0.5)) AS rank
                FROM papers p JOIN w ON p.search @@ w.term,
                     LATERAL (SELECT ts_rank_cd('{0.1, 0.1, 0.3, 1.0}', p.search, w.term) AS r) r
                WHERE true
            """)
        page.append(pageFilter)
        page.append(" GROUP BY p.id ORDER BY rank DESC, p.id LIMIT \(limit) OFFSET \(offset))")
        page.append("""
             SELECT \(PaperRow.columns), \(Self.cardCounts),
                    ts_headline('english', p.abstract, q.query,
                                'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=40, MinWords=15') AS excerpt
             FROM hits JOIN papers p ON p.id = hits.id, q
             ORDER BY hits.rank DESC, p.id
            """)
        let (countStatement, pageStatement) = (count.query, page.query)
        let logger = self.logger
        return try await withConnection(retry: true) { connection in
            let total = try await connection.rows(countStatement, logger)[0]["total"].decode(Int.self)
            let cards = try await connection.rows(pageStatement, logger).map { row in
                PaperCard(paper: try PaperRow(row).paper, upvotes: try row["card_upvotes"].decode(Int.self),
                          comments: try row["card_comments"].decode(Int.self), excerpt: try row["excerpt"].decode(String?.self))
            }
            return (cards, total)
        }
    }

    public func allPapers() async throws -> [Paper] {
        try await rows("SELECT \(unescaped: PaperRow.columns) FROM papers p ORDER BY p.seq").map { try PaperRow($0).paper }
    }

    public func papers(modifiedSince since: Date) async throws -> (papers: [Paper], latest: Date?) {
        let rows = try await rows("""
            SELECT \(unescaped: PaperRow.columns), p.modified_at FROM papers p
            WHERE p.modified_at >= \(since.timeIntervalSince1970) ORDER BY p.modified_at
            """)
        return (try rows.map { try PaperRow($0).paper }, try rows.last.map { date(try $0["modified_at"].decode(Double.self)) })
    }

    public func latestModification() async throws -> Date? {
        try await rows("SELECT max(modified_at) AS latest FROM papers")[0]["latest"].decode(Double?.self).map(date)
    }

    public func cards(_ ids: [ArxivID]) async throws -> [PaperCard] {
        guard !ids.isEmpty else { return [] }
        let found = try await rows("""
            SELECT \(unescaped: PaperRow.columns), \(unescaped: Self.cardCounts) FROM papers p WHERE p.id = ANY(\(ids.map(\.rawValue)))
            """).map { row in
            PaperCard(paper: try PaperRow(row).paper, upvotes: try row["card_upvotes"].decode(Int.self),
                      comments: try row["card_comments"].decode(Int.self))
        }
        let byID = Dictionary(found.map { ($0.paper.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }
    }

    // MARK: Embeddings

    public func embeddingWork(model: String, limit: Int) async throws -> [EmbeddingWork] {
        try await rows("""
            SELECT p.id, p.title, p.abstract, p.text_hash
            FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = \(model)
            WHERE e.text_hash IS NULL OR e.text_hash != p.text_hash
            ORDER BY p.modified_at DESC, p.seq DESC LIMIT \(limit)
            """).map { row in
            EmbeddingWork(paperID: try arxivID(row["id"].decode(String.self)),
                          text: EmbeddingText.of(title: try row["title"].decode(String.self), abstract: try row["abstract"].decode(String.self)),
                          textHash: try row["text_hash"].decode(Int64.self))
        }
    }

    public func embeddingBacklog(model: String) async throws -> Int {
        try await rows("""
            SELECT count(*) AS backlog
            FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = \(model)
            WHERE e.text_hash IS NULL OR e.text_hash != p.text_hash
            """)[0]["backlog"].decode(Int.self)
    }

    public func saveEmbeddings(_ vectors: [(work: EmbeddingWork, vector: [Float])], model: String) async throws {
        guard !vectors.isEmpty else { return }
        let items = vectors.map { (id: $0.work.paperID.rawValue, hash: $0.work.textHash, bytes: VectorBytes.encode($0.vector)) }
        let logger = self.logger
        try await transaction { connection in
            // Saves take turns and their stamps never go back: catching up from the latest
            // stamp seen misses no save (the same rule as papers' modified_at).
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.vectorWriteLockKey))", logger)
            let latest = try await connection.rows("SELECT coalesce(max(saved_at), 0) AS latest FROM embeddings", logger)[0]
            let savedAt = max(Date().timeIntervalSince1970, try latest["latest"].decode(Double.self))
            for item in items {
                try await connection.run("""
                    INSERT INTO embeddings (paper_id, model, text_hash, vector, saved_at)
                    VALUES (\(item.id), \(model), \(item.hash), \(item.bytes), \(savedAt))
                    ON CONFLICT (paper_id, model) DO UPDATE SET text_hash = excluded.text_hash, vector = excluded.vector,
                      saved_at = excluded.saved_at
                    """, logger)
            }
        }
    }

    public func embeddings(model: String, savedSince: Date?) async throws -> (vectors: [StoredEmbedding], latest: Date?) {
        let since = savedSince?.timeIntervalSince1970 ?? -1
        var latest: Double?
        let vectors = try await rows("""
            SELECT e.paper_id, e.vector, e.saved_at, p.published_at, p.categories
            FROM embeddings e JOIN papers p ON p.id = e.paper_id WHERE e.model = \(model) AND e.saved_at >= \(since)
            """).map { row in
            latest = max(latest ?? 0, try row["saved_at"].decode(Double.self))
            return StoredEmbedding(paperID: try arxivID(row["paper_id"].decode(String.self)),
                                   vector: VectorBytes.decode(try row["vector"].decode(ByteBuffer.self)),
                                   publishedAt: try row["published_at"].decode(Double?.self).map(date),
                                   categories: try row["categories"].decode(String.self).split(separator: " ").map(String.init))
        }
        return (vectors, latest.map(date))
    }
}

// MARK: - Settings

extension PostgresStore: SiteStore {
    public func siteSecret() async throws -> [UInt8] {
        let candidate = ByteBuffer(bytes: TokenSigner.randomBytes(32))
        let logger = self.logger
        return try await transaction { connection in
            try await connection.run("INSERT INTO settings (key, value) VALUES ('site_secret', \(candidate)) ON CONFLICT (key) DO NOTHING", logger)
            let value = try await connection.rows("SELECT value FROM settings WHERE key = 'site_secret'", logger)[0]["value"]
                .decode(ByteBuffer.self)
            return Array(value.readableBytesView)
        }
    }
}
