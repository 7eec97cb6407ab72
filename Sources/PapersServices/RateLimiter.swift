import Foundation
import PapersStore

/// At most `count` attempts per `seconds`, per key.
public struct RateLimit: Sendable, Hashable {
    public var count: Int
    public var seconds: TimeInterval
    public init(_ count: Int, per seconds: TimeInterval) {
        self.count = count
        self.seconds = seconds
    }
}

/// The limits on actions that attract abuse: per client address and per account.
public struct RateLimits: Sendable {
    public var signInPerAddress = RateLimit(20, per: 300)
    public var signInPerAccount = RateLimit(10, per: 300)
    public var signUpPerAddress = RateLimit(5, per: 3600)
    public var commentPerMember = RateLimit(10, per: 600)
    public var commentPerAddress = RateLimit(30, per: 600)
    public var subscribePerAddress = RateLimit(10, per: 3600)
    /// Confirmation mails one address can be sent (so the form cannot flood an inbox).
    public var subscribePerEmail = RateLimit(3, per: 3600)
    public init() {}
}

/// Too many attempts at an action: says which and when to retry.
public struct RateLimitExceeded: Error, Sendable, CustomStringConvertible {
    public var action: String
    /// Seconds until the window ends.
    public var retryAfter: Int

    public var description: String {
        "Too many \(action) attempts. Please wait \(RateLimiter.describe(retryAfter)) and try again."
    }
}

/// Fixed-window counters kept in the database, so the limits hold for the whole site however
/// many processes and web nodes share it.
public struct RateLimiter: Sendable {
    let store: any CommunityStore

    public init(store: any CommunityStore) {
        self.store = store
    }

    /// Counts an attempt; throws `RateLimitExceeded` once over the limit (and the store's error
    /// when the database cannot be reached).
    public func hit(_ action: String, key: String, limit: RateLimit, now: Date) async throws {
        // "ACTION KEY": actions are single words.
        let (count, start) = try await store.countAttempt(key: action + " " + key, window: limit.seconds, now: now)
        if count > limit.count {
            throw RateLimitExceeded(action: action, retryAfter: max(1, Int((limit.seconds - now.timeIntervalSince(start)).rounded(.up))))
        }
    }

    static func describe(_ seconds: Int) -> String {
        seconds < 90 ? "\(seconds) second\(seconds == 1 ? "" : "s")" : "\((seconds + 59) / 60) minutes"
    }
}
