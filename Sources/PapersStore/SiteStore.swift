import Foundation
import PapersCore

/// Everything a site keeps in its database, whichever database that is: the catalog, the
/// community, email and harvest state, and the site's own settings. The command line opens
/// one from a URL (`StoreLocation`); nothing above the stores names an implementation.
public protocol SiteStore: PaperStore, CommunityStore, MailStore, HarvestStore, TableCopying {
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
