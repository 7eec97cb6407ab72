import Foundation
import Hummingbird

/// A local stand-in for `export.arxiv.org/api/query` that answers the recorded requests in
/// `../shared/data/arxiv-api/atom/*.json` (`{url, status_code, body}`) with their recorded
/// status and body, matched on the whole query string; anything else gets a 404.
public enum ArxivReplay {
    public static func recordings() throws -> [String: (status: Int, body: String)] {
        let folder = SharedData.path("arxiv-api/atom")
        var answers = [String: (Int, String)]()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let url = object["url"] as? String, let status = object["status_code"] as? Int, let body = object["body"] as? String,
                  let query = URLComponents(string: url)?.percentEncodedQuery else { continue }
            answers[query] = (status, body)
        }
        return answers
    }

    /// The replay server; run it with `.test(.live)` and point the client at `http://127.0.0.1:PORT/api/query`.
    public static func application() throws -> some ApplicationProtocol {
        let answers = try recordings()
        let router = Router()
        router.get("/api/query") { request, _ -> Response in
            guard let (status, body) = answers[request.uri.query ?? ""] else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no recording for \(request.uri)")))
            }
            return Response(status: .init(code: status), headers: [.contentType: "application/atom+xml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}
