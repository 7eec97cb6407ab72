import Logging
import PapersCore
import ServiceLifecycle

/// Embeds papers that are new or changed while the server runs (an import from another
/// process included), a batch at a time, and adds them to the in-memory index.
/// Stops at graceful shutdown; whatever was stored stays stored.
public struct EmbeddingService: Service {
    let engine: SearchEngine
    let idleInterval: Duration
    let batchSize: Int
    let logger: Logger
    /// Signalled when papers arrive (a harvest), so they are embedded without waiting out the idle interval.
    let wakeup: Wakeup?

    public init(engine: SearchEngine, idleInterval: Duration = .seconds(30), batchSize: Int = 32, wakeup: Wakeup? = nil, logger: Logger) {
        self.engine = engine
        self.wakeup = wakeup
        self.idleInterval = idleInterval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        guard engine.semanticAvailable else { return }
        await cancelWhenGracefulShutdown {
            var total = 0
            while !Task.isCancelled {
                do {
                    let n = try await engine.embedPending(limit: batchSize)
                    total += n
                    if n > 0 {
                        logger.debug("embedded papers", metadata: ["batch": "\(n)", "total": "\(total)"])
                        continue
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.error("background embedding failed; retrying later", metadata: ["error": "\(error)"])
                }
                if total > 0 {
                    logger.info("background embedding caught up", metadata: ["embedded": "\(total)"])
                    total = 0
                }
                if let wakeup {
                    await wakeup.wait(timeout: idleInterval)
                } else {
                    try? await Task.sleep(for: idleInterval)
                }
            }
        }
    }
}
