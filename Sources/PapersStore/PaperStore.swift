import Foundation
import PapersCore

/// Papers and featured entries that are written together, all or nothing.
public struct ImportBatch: Sendable {
    public var papers: [Paper]
    public var featured: [FeaturedEntry]

    public init(papers: [Paper] = [], featured: [FeaturedEntry] = []) {
        self.papers = papers
        self.featured = featured
    }

    public var isEmpty: Bool { papers.isEmpty && featured.isEmpty }
}

/// What writing a batch changed.
public struct BatchOutcome: Sendable, Equatable {
    public var papersNew = 0
    public var papersUpdated = 0
    public var papersUnchanged = 0
    public var featuredNew = 0
    public var featuredUpdated = 0
    public var featuredUnchanged = 0

    public init() {}

    public static func += (a: inout BatchOutcome, b: BatchOutcome) {
        a.papersNew += b.papersNew
        a.papersUpdated += b.papersUpdated
        a.papersUnchanged += b.papersUnchanged
        a.featuredNew += b.featuredNew
        a.featuredUpdated += b.featuredUpdated
        a.featuredUnchanged += b.featuredUnchanged
    }
}

/// Counts for `dailypapers stats`.
public struct CatalogStats: Sendable, Equatable {
    public var papers: Int
    public var featuredEntries: Int
    public var featuredDays: Int
    public var firstDay: Day?
    public var lastDay: Day?
}

/// The storage interface. Everything dialect-specific lives behind it; the SQLite
/// implementation is `SQLiteStore`.
public protocol PaperStore: Sendable {
    /// Upserts a batch in one transaction: either all of it is written or none of it.
    func write(_ batch: ImportBatch) async throws -> BatchOutcome
    func paper(_ id: ArxivID) async throws -> Paper?
    func featuredEntries(for id: ArxivID) async throws -> [FeaturedEntry]
    func stats() async throws -> CatalogStats
}

/// Errors from the store, with the context a user needs.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
