import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The process's metrics: a swift-prometheus registry behind a swift-metrics factory.
///
/// Every part of the service records its own series through swift-metrics (`Counter`,
/// `Gauge`, `Timer` made with `factory`): requests here, and search, mail, embedding and
/// harvest in their own modules. `/metrics` prints the registry in Prometheus text format.
/// `serve` also bootstraps `MetricsSystem` with `factory`, so libraries that use the global
/// system report into the same registry; tests make one per app and read it back.
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Request latency buckets, from half a millisecond (a cached page) to 5 s.
    static let requestBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
                                             .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                             .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5)]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.requestBuckets
        self.factory = factory
    }

    /// The registry in Prometheus text format (0.0.4).
    public func prometheusText() -> String {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts every request and times it, by route pattern (never the raw path, so the label
/// set stays small), method and status, errors included: `http_requests_total` and
/// `http_request_duration_seconds`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let dimensions = [("route", context.endpointPath ?? "NotFound"), ("method", request.method.rawValue), ("status", String(status))]
            Counter(label: "http_requests_total", dimensions: dimensions, factory: factory).increment()
            Metrics.Timer(label: "http_request_duration_seconds", dimensions: dimensions, factory: factory)
                .record(duration: ContinuousClock.now - start)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}
