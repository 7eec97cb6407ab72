import Foundation

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

/// Fixed-window counters in memory. Each web node counts alone; with several nodes the
/// effective limit is per node.
public actor RateLimiter {
    private var windows: [String: (start: Date, count: Int)] = [:]

    public init() {}

    /// Counts an attempt; throws `RateLimitExceeded` once over the limit.
    public func hit(_ action: String, key: String, limit: RateLimit, now: Date) throws(RateLimitExceeded) {
        let id = "\(action)\u{0}\(key)"
        if windows.count > 50_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < 3600 * 24 } }
        var window = windows[id] ?? (now, 0)
        if now.timeIntervalSince(window.start) >= limit.seconds { window = (now, 0) }
        window.count += 1
        windows[id] = window
        if window.count > limit.count {
            throw RateLimitExceeded(action: action, retryAfter: max(1, Int((limit.seconds - now.timeIntervalSince(window.start)).rounded(.up))))
        }
    }

    static func describe(_ seconds: Int) -> String {
        seconds < 90 ? "\(seconds) second\(seconds == 1 ? "" : "s")" : "\((seconds + 59) / 60) minutes"
    }
}
