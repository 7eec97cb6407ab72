import Foundation
import Hummingbird
import Logging
import PapersCore
import PapersServices
import PapersStore

/// An error with the status and the message a user should see.
public struct WebError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// Seconds to wait, sent as `Retry-After` (429s).
    public var retryAfter: Int?
    /// The methods the path answers, sent as `Allow` (405s).
    public var allow: [HTTPRequest.Method]?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil, allow: [HTTPRequest.Method]? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.allow = allow
    }

    /// The response headers the error carries (`Retry-After`, `Allow`).
    static func headers(of error: any Error, into response: inout Response) {
        if let retry = (error as? WebError)?.retryAfter ?? (error as? RateLimitExceeded)?.retryAfter ?? (error is StoreUnavailable ? 5 : nil) {
            response.headers[.retryAfter] = String(retry)
        }
        if let allow = (error as? WebError)?.allow { response.headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
    }

    static func badRequest(_ message: String) -> WebError { WebError(.badRequest, message) }
    static func notFound(_ message: String) -> WebError { WebError(.notFound, message) }
}

/// Turns every error into a response: an HTML page, or JSON `{"error": ...}` for clients that
/// ask for JSON and for paths under `/api` that match no route (the API's routes have their
/// own `APIErrorMiddleware`). Unexpected errors are logged and shown as a plain 500, never a
/// stack trace.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let siteName: String
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message) = describeError(error, path: request.uri.path, logger: context.logger)
            var response = request.uri.path.hasPrefix("/api/") || request.headers[.accept]?.hasPrefix("application/json") == true
                ? Responses.json(API.ErrorJSON(error: message), status: status).response
                : Responses.html(Pages(siteName: siteName, now: now()).error(status: Int(status.code), message: message), status: status).response
            WebError.headers(of: error, into: &response)
            return response
        }
    }
}

/// The API group's errors: always JSON; a visitor on a members' endpoint is told to send a token.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let unauthorized = WebError(.unauthorized, "this endpoint needs an API token: send Authorization: Bearer <token> (create one on /settings)")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message) = error is MemberRequired
                ? (Self.unauthorized.status, Self.unauthorized.message)
                : describeError(error, path: request.uri.path, logger: context.logger)
            var response = Responses.json(API.ErrorJSON(error: message), status: status).response
            WebError.headers(of: error, into: &response)
            return response
        }
    }
}

/// The status and message a user sees for an error.
func describeError(_ error: any Error, path: String, logger: Logger) -> (HTTPResponse.Status, String) {
    switch error {
    case let error as WebError:
        return (error.status, error.message)
    case let error as InputError:
        return (HTTPResponse.Status(code: 422, reasonPhrase: "Unprocessable Content"), error.description)
    case let error as CommunityError:
        return (error.kind.status, error.message)
    case let error as RateLimitExceeded:
        return (.tooManyRequests, error.description)
    case let error as CommunityStoreError:
        return (.conflict, error.description)
    case is MemberRequired:
        return (.unauthorized, "Sign in first.")
    case let error as StoreUnavailable:
        // Logged without the database's password (the store's messages never carry it).
        logger.warning("database unavailable", metadata: ["path": "\(path)", "error": "\(error)"])
        return (.serviceUnavailable, "The site's database is not answering. Please try again in a few seconds.")
    case let error as HTTPError:
        if error.status == .notFound { return (.notFound, "There is nothing at \(path).") }
        return (error.status, error.body ?? error.status.reasonPhrase)
    default:
        logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
        return (.internalServerError, "The server could not answer this request. It has been logged.")
    }
}

extension CommunityError.Kind {
    var status: HTTPResponse.Status {
        switch self {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .upstream: .badGateway
        }
    }
}

/// A finished response body: cheap to keep in a cache and to send again.
struct Rendered: Sendable {
    var status: HTTPResponse.Status
    var contentType: String
    var body: ByteBuffer
    /// Where a 303 leads.
    var location: String?

    var response: Response {
        var headers: HTTPFields = [.contentType: contentType, .contentLength: String(body.readableBytes)]
        if let location { headers[.location] = location }
        if let etag { headers[.eTag] = etag }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// A strong validator of the body, for conditional GETs (set once, for cached answers).
    var etag: String?

    /// The body's FNV-1a hash (64 bits), quoted.
    var bodyHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        body.withUnsafeReadableBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return "\"" + String(hash, radix: 16) + "\""
    }
}

/// Response builders.
enum Responses {
    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Rendered {
        text(page.rendered, contentType: "text/html; charset=utf-8", status: status)
    }

    static func text(_ body: String, contentType: String, status: HTTPResponse.Status = .ok) -> Rendered {
        Rendered(status: status, contentType: contentType, body: ByteBuffer(string: body))
    }

    static func data(_ body: Data, contentType: String, status: HTTPResponse.Status = .ok) -> Rendered {
        Rendered(status: status, contentType: contentType, body: ByteBuffer(bytes: body))
    }

    /// 303 See Other, as a finished (cacheable) answer.
    static func redirecting(to route: SiteRoute) -> Rendered {
        Rendered(status: .seeOther, contentType: "text/plain; charset=utf-8", body: ByteBuffer(), location: route.url.path)
    }

    /// 303 See Other: where a form post leads.
    static func redirect(_ location: SiteURL, fragment: String? = nil) -> Response {
        Response(status: .seeOther, headers: [.location: location.path + (fragment.map { "#" + $0 } ?? "")])
    }

    static func redirect(_ route: SiteRoute, fragment: String? = nil) -> Response { redirect(route.url, fragment: fragment) }

    /// Back to a local path a form named (`RequestInput.safeNext`).
    static func redirect(path: String) -> Response { Response(status: .seeOther, headers: [.location: path]) }

    static func json(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Rendered {
        Rendered(status: status, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: value.jsonBytes))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Rendered {
        do {
            return data(try API.encoder.encode(value), contentType: "application/json; charset=utf-8", status: status)
        } catch {
            return text("{\"error\":\"could not encode the response\"}", contentType: "application/json", status: .internalServerError)
        }
    }
}
