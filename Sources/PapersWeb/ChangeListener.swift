import Logging
import PapersStore
import ServiceLifecycle

/// Drops this node's cached responses whenever any process on the database announces a change
/// (`ChangeAnnouncing`): with PostgreSQL, a vote or comment made on one web node shows on every
/// node at once, not when the caches expire.
public struct ChangeListener: Service {
    let store: any ChangeAnnouncing
    let app: WebApp
    let logger: Logger

    public init(store: any ChangeAnnouncing, app: WebApp, logger: Logger) {
        self.store = store
        self.app = app
        self.logger = logger
    }

    public func run() async throws {
        for await _ in store.changeAnnouncements().cancelOnGracefulShutdown() {
            app.dropCaches()
        }
        // A store with nothing to listen to (SQLite) ends its stream at once: wait for shutdown.
        if !Task.isCancelled { try? await gracefulShutdown() }
    }
}

extension WebApp {
    /// Drops every cached list and finished response of this process.
    public func dropCaches() {
        catalog.invalidate()
        responseCache.removeAll()
    }
}
