import Foundation
import Hummingbird

/// For operators: `/healthz` (and the harvesters' state) and `/metrics` in Prometheus text.
struct OperationsController: SiteController {
    let app: WebApp

    func addRoutes(to routes: SiteRoutes) {
        routes.pages
            .on(.health) { _, _ in try await health().response }
            .on(.metrics) { _, _ in metrics().response }
    }

    func health() async throws -> Rendered {
        do {
            let stats = try await app.catalog.stats()
            var body: [String: Any] = ["status": "ok", "papers": stats.papers]
            if let harvest = app.harvest { body["harvest"] = harvest.healthJSON() }
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return Responses.text(String(decoding: data, as: UTF8.self), contentType: "application/json")
        } catch {
            return Responses.json(API.ErrorJSON(error: "database unavailable"), status: .serviceUnavailable)
        }
    }

    func metrics() -> Rendered {
        Responses.text(app.metrics.prometheusText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
