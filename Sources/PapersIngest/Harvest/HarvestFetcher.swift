import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The clock and the waits of a harvest, injected so tests run without real waits.
public protocol HarvestClock: Sendable {
    var now: Date { get }
    func sleep(seconds: Double) async throws
}

/// The real clock: `Date()` (or the time `now` gives, such as `serve`'s configured clock) and
/// `Task.sleep`.
public struct SystemHarvestClock: HarvestClock {
    let time: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date = { Date() }) { time = now }
    public var now: Date { time() }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
    }
}

/// Why a harvest request failed for good.
public enum HarvestError: Error, CustomStringConvertible, Equatable {
    /// The source could not be read after every retry: the URL, the attempts made, the last reply or error.
    case unreachable(url: String, attempts: Int, lastReply: String)
    /// The source answered with a status that is not worth retrying (a 404, a 400).
    case refused(url: String, reply: String)
    /// The body was larger than the limit.
    case tooLarge(url: String, limit: Int)
    /// An OAI-PMH error that ends the run, quoted.
    case protocolError(url: String, code: String, message: String)

    public var description: String {
        switch self {
        case let .unreachable(url, attempts, lastReply):
            "GET \(url) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"); last reply: \(lastReply)"
        case let .refused(url, reply):
            "GET \(url) was refused: \(reply)"
        case let .tooLarge(url, limit):
            "GET \(url): the response is larger than \(limit) bytes; nothing of it was used"
        case let .protocolError(url, code, message):
            "GET \(url): OAI-PMH error \(code): \"\(message)\""
        }
    }
}

/// GETs for harvesters: a bounded body, a timeout on every request, and retries of what may
/// pass (timeouts, dropped connections, 429 and 5xx replies, bodies that do not parse) with
/// exponential backoff and jitter; `Retry-After` is honoured when the source sends it.
public struct HarvestFetcher: Sendable {
    public var http: HTTPClient
    /// Per request, headers and body together.
    public var timeout: TimeAmount
    public var maxBodyBytes: Int
    /// Tries per request, the first included.
    public var attempts: Int
    /// The wait before the first retry, in seconds; it doubles for each further one (with
    /// jitter between half and all of it), up to `maxBackoff`.
    public var backoff: Double
    public var maxBackoff: Double
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public var maxRetryAfter: Double
    public var clock: any HarvestClock
    /// Called with one line for every retry (the URL, what went wrong, the wait).
    public var onRetry: @Sendable (String) -> Void

    /// One client for every harvest of the process. A connection that cannot be made fails the
    /// attempt at once (or after 10 s) instead of AsyncHTTPClient retrying it quietly until the
    /// request's deadline: the fetcher's own retries, logged and backed off, take over.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.decompression = .enabled(limit: .ratio(50))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(http: HTTPClient = HarvestFetcher.client, timeout: TimeAmount = .seconds(60), maxBodyBytes: Int = 64 << 20,
                attempts: Int = 5, backoff: Double = 5, maxBackoff: Double = 300, maxRetryAfter: Double = 3600,
                clock: any HarvestClock = SystemHarvestClock(), onRetry: @escaping @Sendable (String) -> Void = { _ in }) {
        self.http = http
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.attempts = attempts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
        self.clock = clock
        self.onRetry = onRetry
    }

    /// Fetches `url` and decodes its body with `decode`; a body that does not decode is
    /// retried like a dropped connection (a proxy's error page, a cut-off response).
    public func get<T>(_ url: String, decode: ([UInt8]) throws -> T) async throws -> T {
        var lastReply = "nothing"
        for attempt in 1...max(1, attempts) {
            var wait = min(maxBackoff, backoff * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
            do {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "User-Agent", value: "dailypapers-harvester/1.0")
                let response = try await http.execute(request, timeout: timeout)
                let status = response.status.code
                if status == 200 {
                    let body: ByteBuffer
                    do {
                        body = try await response.body.collect(upTo: maxBodyBytes)
                    } catch is NIOTooManyBytesError {
                        throw HarvestError.tooLarge(url: url, limit: maxBodyBytes)
                    }
                    do {
                        return try decode(Array(body.readableBytesView))
                    } catch {
                        lastReply = "HTTP 200 with a body that could not be read (\(error))"
                    }
                } else {
                    let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
                    let snippet = text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
                    lastReply = "HTTP \(status)" + (snippet.isEmpty ? "" : " \"\(snippet)\"")
                    let retryable = status == 429 || (500...599).contains(status)
                    guard retryable else { throw HarvestError.refused(url: url, reply: lastReply) }
                    if let after = response.headers.first(name: "Retry-After").flatMap({ Self.retryAfterSeconds($0, now: clock.now) }) {
                        lastReply += " (Retry-After \(Int(after)) s)"
                        wait = min(after, maxRetryAfter)
                    }
                }
            } catch let error as HarvestError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastReply = Self.describe(error)
            }
            guard attempt < attempts else { break }
            onRetry("GET \(url): \(lastReply); retry \(attempt) of \(attempts - 1) in \(String(format: "%.1f", wait)) s")
            try await clock.sleep(seconds: wait)
        }
        throw HarvestError.unreachable(url: url, attempts: max(1, attempts), lastReply: lastReply)
    }

    /// `Retry-After` as seconds: a number, or an HTTP date.
    static func retryAfterSeconds(_ value: String, now: Date) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { max(0, $0.timeIntervalSince(now)) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout:
            "timed out"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            "the connection was closed before the response was complete"
        case let error as HTTPParserError where error == .invalidEOFState:
            "the connection was closed before the response was complete"
        case let error where "\(error)".contains("Connection refused"):
            "connection refused"
        default:
            "\(error)"
        }
    }
}
