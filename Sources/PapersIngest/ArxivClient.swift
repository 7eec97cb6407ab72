import AsyncHTTPClient
import Foundation
import NIOCore
import PapersCore

/// Looks papers up in the arXiv Atom API (`export.arxiv.org/api/query`), for submissions of
/// papers the catalog does not know yet. The base URL is configurable so tests and mirrors can
/// stand in for arXiv.
public struct ArxivClient: Sendable {
    public static let defaultBaseURL = "https://export.arxiv.org/api/query"

    public var baseURL: String
    public var timeout: TimeAmount
    private let http: HTTPClient

    public init(baseURL: String = ArxivClient.defaultBaseURL, timeout: TimeAmount = .seconds(15), http: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.timeout = timeout
        self.http = http
    }

    /// The URL of an id lookup, in the form arXiv's own clients send (so recorded responses match).
    public func lookupURL(idList: String) -> String {
        let encoded = idList.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? idList
        return "\(baseURL)?search_query=&id_list=\(encoded)&sortBy=relevance&sortOrder=descending&start=0&max_results=100"
    }

    /// The paper with this id, or nil when arXiv has none.
    public func paper(_ id: ArxivID) async throws(ArxivLookupError) -> Paper? {
        try await lookup(idList: id.rawValue).first { $0.id == id }
    }

    /// The papers arXiv returns for an `id_list` as typed (one or more ids, comma separated).
    public func lookup(idList: String) async throws(ArxivLookupError) -> [Paper] {
        let url = lookupURL(idList: idList)
        let status: UInt, body: ByteBuffer
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "dailypapers (arXiv lookup for submissions)")
            let response = try await http.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw .unreachable("\(error)")
        }
        let data = Data(body.readableBytesView)
        // A malformed id comes back as HTTP 400 with an Atom error feed that says why.
        guard status == 200 || status == 400 else { throw .status(Int(status)) }
        do {
            let feed = try AtomParser.parse(data, source: "arXiv API")
            guard status == 200 else { throw ArxivLookupError.rejected("HTTP \(status)") }
            return feed.document.records.map(\.paper)
        } catch let error as IngestError {
            throw .rejected(error.reason.replacingOccurrences(of: "arXiv API error: ", with: ""))
        } catch let error as ArxivLookupError {
            throw error
        } catch {
            throw .rejected("\(error)")
        }
    }
}

/// Why a lookup failed, in words for the person who submitted the id.
public enum ArxivLookupError: Error, Equatable, CustomStringConvertible {
    /// arXiv refused the request, with its message (e.g. "incorrect id format for abc").
    case rejected(String)
    /// arXiv answered with an unexpected HTTP status.
    case status(Int)
    /// arXiv could not be reached.
    case unreachable(String)

    public var description: String {
        switch self {
        case let .rejected(message): "arXiv refused the lookup: \(message)"
        case let .status(code): "arXiv answered with HTTP \(code); try again later"
        case .unreachable: "arXiv could not be reached; try again later"
        }
    }
}
