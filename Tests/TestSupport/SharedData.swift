import Foundation
import Testing

/// Locates the project's real test data, `../shared/data/` beside the repository
/// (or `$DAILYPAPERS_SHARED_DATA`). Tests that need it are disabled with a message
/// naming the folder when it is absent.
public enum SharedData {
    public static let root: URL = {
        if let custom = ProcessInfo.processInfo.environment["DAILYPAPERS_SHARED_DATA"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        // Tests/TestSupport/SharedData.swift -> repository root -> ../shared/data
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    public static var available: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("SOURCES.md").path)
    }

    /// Use as `@Test(.enabled(if: SharedData.available, SharedData.absentMessage))`.
    public static var absentMessage: Comment {
        "skipped: the shared test data is not at \(root.path) (set DAILYPAPERS_SHARED_DATA)"
    }

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public static var snapshotFile: String { path("arxiv-cs/arxiv-metadata-cs-2025-03_2026-03.jsonl.gz") }
    public static var hfDailyFolder: String { path("hf-daily") }
}

/// A fresh temporary folder, removed by the caller with `remove()`.
public struct TemporaryFolder {
    public let url: URL
    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dailypapers-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    public func write(_ name: String, _ text: String) -> String {
        let p = path(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    public func write(_ name: String, bytes: [UInt8]) -> String {
        let p = path(name)
        try! Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
    public func remove() { try? FileManager.default.removeItem(at: url) }
}
