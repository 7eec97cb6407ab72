import Foundation
import Hummingbird
import Synchronization

/// Request counts and latency histograms by route, in Prometheus text format.
/// Routes are the registered patterns, never raw paths, so the label set stays small.
public final class RequestMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Key: Hashable { var route: String; var method: String; var status: Int }
    struct Series { var count = 0; var sum = 0.0; var buckets = [Int](repeating: 0, count: RequestMetrics.buckets.count) }

    private let series = Mutex<[Key: Series]>([:])

    public init() {}

    func record(route: String, method: String, status: Int, seconds: Double) {
        series.withLock { all in
            var s = all[Key(route: route, method: method, status: status)] ?? Series()
            s.count += 1
            s.sum += seconds
            if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { s.buckets[i] += 1 }
            all[Key(route: route, method: method, status: status)] = s
        }
    }

    public func prometheusText() -> String {
        let snapshot = series.withLock { $0 }.sorted { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }
        var out = "# HELP http_requests_total HTTP requests by route, method and status.\n# TYPE http_requests_total counter\n"
        for (key, s) in snapshot {
            out += "http_requests_total{\(labels(key))} \(s.count)\n"
        }
        out += "# HELP http_request_duration_seconds Time to produce the response, by route.\n# TYPE http_request_duration_seconds histogram\n"
        for (key, s) in snapshot {
            var cumulative = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += s.buckets[i]
                out += "http_request_duration_seconds_bucket{\(labels(key)),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "http_request_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(s.count)\n"
            out += "http_request_duration_seconds_sum{\(labels(key))} \(s.sum)\n"
            out += "http_request_duration_seconds_count{\(labels(key))} \(s.count)\n"
        }
        return out
    }

    private func labels(_ key: Key) -> String {
        "route=\"\(escape(key.route))\",method=\"\(escape(key.method))\",status=\"\(key.status)\""
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Records every request in `RequestMetrics`, errors included.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(route: context.endpointPath ?? "NotFound", method: request.method.rawValue,
                       status: response.status.code, seconds: seconds)
        return response
    }
}
