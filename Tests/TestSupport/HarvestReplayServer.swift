import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The loopback replay server the harvesters are tested against (`e2e/harvest_replay.py`,
/// shared with the end-to-end tests): OAI-PMH pages built from the recorded arXiv responses,
/// the recorded Hugging Face days, and faults on demand through its `/_control/` endpoints.
/// It binds port 0 itself and prints the address it got, so no port is picked twice.
public final class HarvestReplayServer: @unchecked Sendable {
    public let baseURL: String
    private let process: Process

    public var oaiURL: String { baseURL + "/oai2" }
    public var hfURL: String { baseURL }

    public static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("e2e/harvest_replay.py").path
    }

    public init(pageSize: Int = 2, snapshotRecords: Int = 0) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--data", SharedData.root.path, "--page-size", "\(pageSize)",
                             "--snapshot-records", "\(snapshotRecords)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line says where it listens; read up to it, byte by byte (no fixed wait).
        var line = [UInt8]()
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let b = byte.first else { break }
            if b == 0x0A { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            process.terminate()
            throw ReplayError(message: "the replay server did not start: \"\(text)\"")
        }
        baseURL = String(text[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
    }

    deinit { stop() }

    public func stop() {
        // SIGKILL: the test runner's blocked signal mask is inherited, so SIGTERM may never arrive.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public struct ReplayError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// POSTs JSON to `/_control/NAME` and returns the decoded answer.
    @discardableResult
    public func control(_ name: String, _ body: [String: Any] = [:]) async throws -> Any {
        var request = URLRequest(url: URL(string: "\(baseURL)/_control/\(name)")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw ReplayError(message: "control \(name) answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Queues a fault for the next `count` requests to `target` (`oai`, `hf` or `any`).
    public func inject(_ target: String, _ kind: String, count: Int = 1, _ options: [String: Any] = [:]) async throws {
        try await control("fault", ["target": target, "kind": kind, "count": count].merging(options) { a, _ in a })
    }

    /// Every request the server answered (control requests aside): paths with their queries.
    public func requests() async throws -> [String] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "\(baseURL)/_control/requests")!)
        let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return list.compactMap { $0["path"] as? String }
    }
}
