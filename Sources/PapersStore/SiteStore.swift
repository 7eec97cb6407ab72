import Foundation
import PapersCore

/// Everything a site keeps in its database, whichever database that is: the catalog, the
/// community, email and harvest state, and the site's own settings. The command line opens
/// one from a URL (`StoreLocation`); nothing above the stores names an implementation.
public protocol SiteStore: PaperStore, CommunityStore, MailStore, HarvestStore, TableCopying, ChangeAnnouncing {
    /// The site's secret for signing links and tokens: 32 random bytes made on first use and
    /// kept in the database, so every process on this database signs alike.
    func siteSecret() async throws -> [UInt8]
    /// Where the store is, for messages and logs: a path, or a PostgreSQL URL without its password.
    var location: String { get }
    /// The names of the schema migrations applied, in order.
    func appliedMigrations() async throws -> [String]
    /// Lets go of connections (PostgreSQL); the store is not used after.
    func close() async
}

/// Telling every process on the database that what visitors see changed (a vote, a comment,
/// moderation, featuring), so each drops its cached responses at once instead of when they
/// expire. PostgreSQL: NOTIFY and LISTEN on one channel. SQLite: its processes share one
/// machine and the caches' 2-second life; nothing is sent.
public protocol ChangeAnnouncing: Sendable {
    /// Tells every listener (this process's too). Never throws: a lost announcement only means
    /// caches expire on their own.
    func announceChange() async
    /// One element per announcement from any process, and one each time the listener
    /// (re)connects (changes may have been missed meanwhile); ends when the iterating task is
    /// cancelled.
    func changeAnnouncements() -> AsyncStream<Void>
}
