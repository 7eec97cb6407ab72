import Foundation
import GRDB
import Logging
import PapersCore
import PapersStore

/// The embedded store: one SQLite file in WAL mode, through GRDB.
public final class SQLiteStore: PaperStore {
    /// The connection pool (a file) or queue (in memory); exposed to the other SQLite parts
    /// of the store module only.
    let writer: any DatabaseWriter
    public let path: String?
    /// How long a writer waits for another process's write transaction, in seconds.
    public static let busyTimeout: TimeInterval = 30

    /// Opens (creating if needed) the database file and migrates it to the current schema.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("\(path): cannot create the folder \(directory.path): \(error.localizedDescription)")
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Several processes write the same file (serve, an import, a harvest, a digest run):
        // a writer that finds the database locked waits for the other's transaction to end
        // instead of failing with "database is locked". Write transactions are short (an import
        // commits every batch), so the wait is short; the timeout only bounds a stuck writer.
        config.busyMode = .timeout(SQLiteStore.busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A 64 MiB page cache: full-text index merges on bulk imports stay in memory.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            writer = pool
        } catch {
            throw StoreError("\(path): cannot open the database: \(error)")
        }
        self.path = path
        try migrate()
    }

    /// A private in-memory database, for tests.
    public init(inMemory: Void = ()) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        writer = try DatabaseQueue(configuration: config)
        path = nil
        try migrate()
    }

    private func migrate() throws {
        do {
            try SQLiteMigrations.migrator.migrate(writer)
        } catch {
            throw StoreError("\(path ?? ":memory:"): migration failed: \(error)")
        }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try SQLiteMigrations.migrator.appliedMigrations(db) }
    }

    // MARK: - Writing

    public func write(_ batch: ImportBatch) async throws -> BatchOutcome {
        try await writer.write { db in try Self.write(batch, in: db) }
    }

    static func write(_ batch: ImportBatch, in db: Database) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        let now = Date().timeIntervalSince1970
        /// Rows whose text is new or changed, indexed for full-text search in one statement at the end.
        var toIndex = [Int64]()
        for incoming in batch.papers {
            if let existing = try fetchPaper(incoming.id, in: db) {
                let merged = existing.merged(with: incoming)
                if merged == existing {
                    outcome.papersUnchanged += 1
                } else {
                    let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM papers WHERE id = ?"),
                                                   arguments: [merged.id.rawValue])!
                    if merged.title != existing.title || merged.abstract != existing.abstract || merged.authors != existing.authors {
                        try db.cachedStatement(sql: """
                            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
                            SELECT 'delete', rowid, title, abstract, authors FROM papers WHERE rowid = ?
                            """).execute(arguments: [rowid])
                        toIndex.append(rowid)
                    }
                    try db.cachedStatement(sql: """
                        UPDATE papers SET version = ?, title = ?, abstract = ?, authors = ?, categories = ?,
                          published_at = ?, updated_at = ?, comments = ?, journal_ref = ?, doi = ?,
                          github_repo = ?, github_stars = ?, project_page = ?, ai_summary = ?, ai_keywords = ?,
                          text_hash = ?, modified_at = ?
                        WHERE id = ?
                        """).execute(arguments: columns(of: merged) + [now, merged.id.rawValue])
                    outcome.papersUpdated += 1
                }
            } else {
                try db.cachedStatement(sql: """
                    INSERT INTO papers (version, title, abstract, authors, categories, published_at, updated_at,
                      comments, journal_ref, doi, github_repo, github_stars, project_page, ai_summary, ai_keywords,
                      text_hash, imported_at, modified_at, id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: columns(of: incoming) + [now, now, incoming.id.rawValue])
                toIndex.append(db.lastInsertedRowID)
                outcome.papersNew += 1
            }
        }
        if !toIndex.isEmpty {
            try db.execute(sql: """
                INSERT INTO papers_fts(rowid, title, abstract, authors)
                SELECT rowid, title, abstract, authors FROM papers WHERE rowid IN (SELECT value FROM json_each(?))
                """, arguments: [JSONText.encode(toIndex.map(String.init)).replacingOccurrences(of: "\"", with: "")])
        }
        for entry in batch.featured {
            let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(featuredColumns) FROM featured WHERE paper_id = ? AND day = ?"),
                                            arguments: [entry.paperID.rawValue, entry.day.description]).map { featuredEntry(from: $0) }
            let values: StatementArguments = [
                entry.featuredAt.timeIntervalSince1970, entry.submitter?.user, entry.submitter?.fullname,
                entry.submitter?.avatarURL?.url, entry.importedUpvotes, entry.importedComments,
                entry.paperID.rawValue, entry.day.description,
            ]
            if let existing {
                if existing.sameStoredValues(as: entry) {
                    outcome.featuredUnchanged += 1
                    continue
                }
                try db.cachedStatement(sql: """
                    UPDATE featured SET featured_at = ?, submitter_user = ?, submitter_fullname = ?,
                      submitter_avatar = ?, imported_upvotes = ?, imported_comments = ?
                    WHERE paper_id = ? AND day = ?
                    """).execute(arguments: values)
                outcome.featuredUpdated += 1
            } else {
                guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM papers WHERE id = ?"),
                                        arguments: [entry.paperID.rawValue]) != nil else {
                    throw StoreError("featured entry for \(entry.paperID) on \(entry.day): the paper is not in the catalog")
                }
                try db.cachedStatement(sql: """
                    INSERT INTO featured (featured_at, submitter_user, submitter_fullname, submitter_avatar,
                      imported_upvotes, imported_comments, paper_id, day)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: values)
                outcome.featuredNew += 1
            }
        }
        return outcome
    }

    private static func columns(of p: Paper) -> StatementArguments {
        [p.version, p.title, p.abstract, JSONText.encode(p.authors), p.categories.joined(separator: " "),
         p.publishedAt?.timeIntervalSince1970, p.updatedAt?.timeIntervalSince1970, p.comments, p.journalRef,
         p.doi, p.githubRepo?.url, p.githubStars, p.projectPage?.url, p.aiSummary, JSONText.encode(p.aiKeywords),
         EmbeddingText.hash(EmbeddingText.of(title: p.title, abstract: p.abstract))]
    }

    // MARK: - Reading

    static let paperColumns = """
        id, version, title, abstract, authors, categories, published_at, updated_at, comments, journal_ref,
        doi, github_repo, github_stars, project_page, ai_summary, ai_keywords
        """

    static func fetchPaper(_ id: ArxivID, in db: Database) throws -> Paper? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(paperColumns) FROM papers WHERE id = ?"),
                         arguments: [id.rawValue]).map { paper(from: $0) }
    }

    /// Decodes a `papers` row (its `paperColumns`), by column name.
    static func paper(from row: Row) -> Paper {
        Paper(id: ArxivID(row["id"] as String)!, version: row["version"], title: row["title"], abstract: row["abstract"],
              authors: JSONText.decodeStrings(row["authors"]),
              categories: (row["categories"] as String).split(separator: " ").map(String.init),
              publishedAt: (row["published_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
              updatedAt: (row["updated_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
              comments: row["comments"], journalRef: row["journal_ref"], doi: row["doi"], githubRepo: WebLink.validated(row["github_repo"]),
              githubStars: row["github_stars"], projectPage: WebLink.validated(row["project_page"]), aiSummary: row["ai_summary"],
              aiKeywords: JSONText.decodeStrings(row["ai_keywords"]))
    }

    /// Decodes a `featured` row (its `featuredColumns`), by column name.
    static func featuredEntry(from row: Row) -> FeaturedEntry {
        let user: String? = row["submitter_user"]
        return FeaturedEntry(
            paperID: ArxivID(row["paper_id"] as String)!, day: Day(row["day"] as String)!,
            featuredAt: Date(timeIntervalSince1970: row["featured_at"]),
            submitter: user.map { HubUser(user: $0, fullname: row["submitter_fullname"], avatarURL: WebLink.validated(row["submitter_avatar"])) },
            importedUpvotes: row["imported_upvotes"], importedComments: row["imported_comments"])
    }

    static let featuredColumns = """
        paper_id, day, featured_at, submitter_user, submitter_fullname, submitter_avatar,
        imported_upvotes, imported_comments
        """

    public func paper(_ id: ArxivID) async throws -> Paper? {
        try await writer.read { db in try Self.fetchPaper(id, in: db) }
    }

    public func featuredEntries(for id: ArxivID) async throws -> [FeaturedEntry] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.featuredColumns) FROM featured WHERE paper_id = ? ORDER BY day",
                             arguments: [id.rawValue]).map { Self.featuredEntry(from: $0) }
        }
    }

    public func stats() async throws -> CatalogStats {
        try await writer.read { db in
            let papers = try Int.fetchOne(db, sql: "SELECT count(*) FROM papers") ?? 0
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS entries, count(DISTINCT day) AS days, min(day) AS first, max(day) AS last FROM featured
                """)!
            return CatalogStats(papers: papers, featuredEntries: row["entries"], featuredDays: row["days"],
                                firstDay: (row["first"] as String?).flatMap { Day($0) },
                                lastDay: (row["last"] as String?).flatMap { Day($0) })
        }
    }
}

// MARK: - Lists and search

extension SQLiteStore {
    public func featuredCards(_ query: FeaturedQuery) async throws -> [PaperCard] {
        var conditions = [String]()
        var arguments = StatementArguments()
        if let days = query.days {
            conditions.append("f.day BETWEEN ? AND ?")
            _ = arguments.append(contentsOf: [days.lowerBound.description, days.upperBound.description])
        }
        if let submitter = query.submitter {
            conditions.append("f.submitter_user = ?")
            _ = arguments.append(contentsOf: [submitter])
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        var pageClause = ""
        if let page = query.page {
            switch page.sort {
            case .newest: pageClause = "ORDER BY f.featured_at DESC, p.id"
            case .upvotes: pageClause = "ORDER BY f.imported_upvotes + p.member_votes DESC, f.featured_at DESC, p.id"
            case .trending: throw StoreError("a sorted page of featured papers cannot be ordered by trending in SQL")
            }
            pageClause += " LIMIT ? OFFSET ?"
            _ = arguments.append(contentsOf: [page.limit, page.offset])
        }
        let sql = """
            SELECT \(Self.prefixed(Self.paperColumns, "p")), \(Self.prefixed(Self.featuredColumns, "f")),
                   p.member_votes, p.member_comments
            FROM featured f JOIN papers p ON p.id = f.paper_id
            \(whereClause) \(pageClause)
            """
        let bound = arguments
        return try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { row in
                let entry = Self.featuredEntry(from: row)
                // Member votes and comments count for the paper wherever it is featured.
                return PaperCard(paper: Self.paper(from: row), featured: entry,
                                 upvotes: entry.importedUpvotes + (row["member_votes"] as Int),
                                 comments: entry.importedComments + (row["member_comments"] as Int))
            }
        }
    }

    public func latestFeaturedDay() async throws -> Day? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT max(day) FROM featured").flatMap { Day($0) } }
    }

    public func featuredDay(before day: Day) async throws -> Day? {
        try await writer.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT max(day) FROM featured WHERE day < ?"),
                                arguments: [day.description]).flatMap { Day($0) }
        }
    }

    public func featuredDay(after day: Day) async throws -> Day? {
        try await writer.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT min(day) FROM featured WHERE day > ?"),
                                arguments: [day.description]).flatMap { Day($0) }
        }
    }

    public func card(_ id: ArxivID) async throws -> PaperCard? {
        try await writer.read { db in
            guard let paper = try Self.fetchPaper(id, in: db) else { return nil }
            let latest = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(Self.featuredColumns) FROM featured WHERE paper_id = ? ORDER BY day DESC LIMIT 1
                """), arguments: [id.rawValue]).map { Self.featuredEntry(from: $0) }
            let counts = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT coalesce(max(imported_upvotes), 0) + p.member_votes AS upvote_count,
                       coalesce(max(imported_comments), 0) + p.member_comments AS comment_count
                FROM papers p LEFT JOIN featured f ON f.paper_id = p.id WHERE p.id = ?
                """), arguments: [id.rawValue])!
            return PaperCard(paper: paper, featured: latest, upvotes: counts["upvote_count"], comments: counts["comment_count"])
        }
    }

    /// SQL conditions (starting with AND) and their arguments for a search filter on `p`.
    static func filterConditions(_ filter: SearchFilter) -> (sql: String, arguments: StatementArguments) {
        var sql = ""
        var arguments = StatementArguments()
        if let from = filter.from {
            sql += " AND p.published_at >= ?"
            _ = arguments.append(contentsOf: [from.start.timeIntervalSince1970])
        }
        if let to = filter.to {
            sql += " AND p.published_at < ?"
            _ = arguments.append(contentsOf: [to.adding(days: 1).start.timeIntervalSince1970])
        }
        if let category = filter.category {
            sql += " AND (' ' || p.categories || ' ') LIKE ('% ' || ? || ' %') ESCAPE '\\'"
            _ = arguments.append(contentsOf: [escapeLike(category)])
        }
        return (sql, arguments)
    }

    public func keywordSearch(_ query: KeywordQuery) async throws -> (cards: [PaperCard], total: Int) {
        guard let match = FTSQuery.make(from: query.text) else { return ([], 0) }
        let (conditions, filterArguments) = Self.filterConditions(query.filter)
        let countArguments: StatementArguments = [match] + filterArguments
        let pageArguments: StatementArguments = [match] + filterArguments + [query.limit, query.offset]
        return try await writer.read { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid
                WHERE papers_fts MATCH ?\(conditions)
                """), arguments: countArguments) ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.prefixed(Self.paperColumns, "p")),
                       snippet(papers_fts, 1, char(2), char(3), '…', 40) AS excerpt, \(Self.cardCounts)
                FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid
                WHERE papers_fts MATCH ?\(conditions)
                ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0), p.id
                LIMIT ? OFFSET ?
                """), arguments: pageArguments)
            let cards = rows.map { row in
                PaperCard(paper: Self.paper(from: row), upvotes: row["upvote_count"], comments: row["comment_count"], excerpt: row["excerpt"])
            }
            return (cards, total)
        }
    }

    public func allPapers() async throws -> [Paper] {
        try await writer.read { db in
            var papers = [Paper]()
            let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.paperColumns) FROM papers ORDER BY rowid")
            while let row = try rows.next() { papers.append(Self.paper(from: row)) }
            return papers
        }
    }

    public func papers(modifiedSince since: Date) async throws -> (papers: [Paper], latest: Date?) {
        try await writer.read { db in
            var papers = [Paper]()
            var latest: Double?
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(Self.paperColumns), modified_at FROM papers WHERE modified_at >= ? ORDER BY modified_at"),
                                           arguments: [since.timeIntervalSince1970])
            while let row = try rows.next() {
                papers.append(Self.paper(from: row))
                latest = row["modified_at"]
            }
            return (papers, latest.map { Date(timeIntervalSince1970: $0) })
        }
    }

    public func latestModification() async throws -> Date? {
        try await writer.read { db in
            try Double.fetchOne(db, sql: "SELECT max(modified_at) FROM papers").map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// A paper's upvotes and comments (its best imported counts plus members'), as `upvote_count`
    /// and `comment_count` (`comments` is the paper's own column: arXiv's comments).
    static let cardCounts = """
        (SELECT coalesce(max(imported_upvotes), 0) FROM featured WHERE paper_id = p.id) + p.member_votes AS upvote_count,
        (SELECT coalesce(max(imported_comments), 0) FROM featured WHERE paper_id = p.id) + p.member_comments AS comment_count
        """

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// A read on the calling thread (GRDB's synchronous read), for short hot reads.
    func readOnThisThread<T>(_ body: (Database) throws -> T) throws -> T { try writer.read(body) }

    public func cards(_ ids: [ArxivID]) async throws -> [PaperCard] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let arguments = StatementArguments(ids.map(\.rawValue))
        // Read on this thread: a page's cards take a fraction of a millisecond in SQLite (its
        // pages cached), where the asynchronous read's two hops between threads took about
        // 0.8 ms more (BENCHMARKS.md, issue 14). The statement is cached: a search page asks
        // for the same number of ids every time.
        let found = try readOnThisThread { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.prefixed(Self.paperColumns, "p")), \(Self.cardCounts)
                FROM papers p WHERE p.id IN (\(placeholders))
                """), arguments: arguments).map { row in
                PaperCard(paper: Self.paper(from: row), upvotes: row["upvote_count"], comments: row["comment_count"])
            }
        }
        let byID = Dictionary(found.map { ($0.paper.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }
    }

    // MARK: Embeddings

    /// Papers whose stored vector is missing or was computed from other text: the paper's
    /// `text_hash` (kept by `write`) differs from the vector's.
    static let staleEmbeddings = """
        FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = ?
        WHERE e.text_hash IS NULL OR e.text_hash != p.text_hash
        """

    public func embeddingWork(model: String, limit: Int) async throws -> [EmbeddingWork] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT p.id, p.title, p.abstract, p.text_hash \(Self.staleEmbeddings) ORDER BY p.modified_at DESC, p.rowid DESC LIMIT ?"),
                             arguments: [model, limit]).map { row in
                EmbeddingWork(paperID: ArxivID(row["id"] as String)!, text: EmbeddingText.of(title: row["title"], abstract: row["abstract"]),
                              textHash: row["text_hash"])
            }
        }
    }

    public func embeddingBacklog(model: String) async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) \(Self.staleEmbeddings)"), arguments: [model]) ?? 0
        }
    }

    public func saveEmbeddings(_ vectors: [(work: EmbeddingWork, vector: [Float])], model: String) async throws {
        try await writer.write { db in
            // Stamps never go back, whatever the clock does: catching up from the latest stamp
            // seen misses no later save.
            let latest = try Double.fetchOne(db, sql: "SELECT max(saved_at) FROM embeddings") ?? 0
            let savedAt = max(Date().timeIntervalSince1970, latest)
            for (work, vector) in vectors {
                let blob = vector.withUnsafeBufferPointer { Data(buffer: $0) }
                try db.cachedStatement(sql: """
                    INSERT INTO embeddings (paper_id, model, text_hash, vector, saved_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (paper_id, model) DO UPDATE SET text_hash = excluded.text_hash, vector = excluded.vector,
                      saved_at = excluded.saved_at
                    """).execute(arguments: [work.paperID.rawValue, model, work.textHash, blob, savedAt])
            }
        }
    }

    public func embeddings(model: String, savedSince: Date?) async throws -> (vectors: [StoredEmbedding], latest: Date?) {
        try await writer.read { db in
            var result = [StoredEmbedding]()
            var latest: Double?
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT e.paper_id, e.vector, e.saved_at, p.published_at, p.categories
                FROM embeddings e JOIN papers p ON p.id = e.paper_id WHERE e.model = ? AND e.saved_at >= ?
                """), arguments: [model, savedSince?.timeIntervalSince1970 ?? -1])
            while let row = try rows.next() {
                latest = max(latest ?? 0, row["saved_at"])
                let data = row["vector"] as Data
                let vector = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                result.append(StoredEmbedding(paperID: ArxivID(row["paper_id"] as String)!, vector: vector,
                                              publishedAt: (row["published_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                                              categories: (row["categories"] as String).split(separator: " ").map(String.init)))
            }
            return (result, latest.map(Date.init(timeIntervalSince1970:)))
        }
    }

    static func prefixed(_ columns: String, _ table: String) -> String {
        columns.split(separator: ",").map { "\(table).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
            .joined(separator: ", ")
    }
}

/// Turns what a user typed into a valid FTS5 query: its `KeywordClauses`, each quoted (so
/// FTS syntax such as operators, column filters, stars is matched as plain text instead of
/// failing), ORed: BM25 ranks papers matching more and rarer terms first, so long,
/// natural-language queries still find papers.
public enum FTSQuery {
    public static func make(from text: String) -> String? {
        let clauses = KeywordClauses.of(text)
        return clauses.isEmpty ? nil : clauses.map(quote).joined(separator: " OR ")
    }

    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

// MARK: - Settings

extension SQLiteStore {
    /// The site's secret for signing links and tokens: 32 random bytes made on first use and
    /// kept in the database, so every process on this database signs alike.
    public func siteSecret() async throws -> [UInt8] {
        try await writer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO settings (key, value) VALUES ('site_secret', ?)",
                           arguments: [Data(TokenSigner.randomBytes(32))])
            return Array(try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'site_secret'")!)
        }
    }
}

extension SQLiteStore: SiteStore {
    public var location: String { path ?? ":memory:" }
    /// Nothing to do: GRDB closes the file when the store goes away.
    public func close() async {}

    /// Nothing is sent: SQLite's processes share one machine and rely on the caches' short life.
    public func announceChange() async {}

    /// Never yields; ends when the iterating task is cancelled.
    public func changeAnnouncements() -> AsyncStream<Void> { AsyncStream { _ in } }
}

extension FeaturedEntry {
    /// Whether a stored entry for the same paper and day holds the same values as `other`.
    func sameStoredValues(as other: FeaturedEntry) -> Bool {
        featuredAt.timeIntervalSince1970 == other.featuredAt.timeIntervalSince1970
            && submitter?.user == other.submitter?.user
            && submitter?.fullname == other.submitter?.fullname
            && submitter?.avatarURL?.url == other.submitter?.avatarURL?.url
            && importedUpvotes == other.importedUpvotes
            && importedComments == other.importedComments
    }
}
