import Foundation

/// Shows how far a long run has come: a bar redrawn in place on a terminal, plain lines
/// every few seconds otherwise (logs, CI). Writes to standard error.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let isTerminal: Bool
    private let interval: Duration
    private let write: (String) -> Void
    private var total: Int64 = 0
    private var started = ContinuousClock.now
    private var lastShown = ContinuousClock.now
    private var drewBar = false

    /// - Parameters:
    ///   - isTerminal: draw a bar (defaults to whether standard error is a terminal).
    ///   - write: where output goes (standard error by default).
    public init(label: String, isTerminal: Bool = isatty(STDERR_FILENO) == 1, interval: Duration = .seconds(2),
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.isTerminal = isTerminal
        self.interval = isTerminal ? .milliseconds(100) : interval
        self.write = write
    }

    public func start(totalBytes: Int64) {
        total = max(totalBytes, 1)
        started = .now
        lastShown = .now
    }

    public func update(bytes: Int64, records: Int) {
        let now = ContinuousClock.now
        guard now - lastShown >= interval else { return }
        lastShown = now
        let fraction = min(1, Double(bytes) / Double(total))
        let elapsed = Self.seconds(now - started)
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\(label) \(bar) \(Int(fraction * 100))%  \(records) records  \(String(format: "%.1f", elapsed)) s\u{1B}[K")
            drewBar = true
        } else {
            write("\(label): \(Int(fraction * 100))% (\(records) records, \(String(format: "%.1f", elapsed)) s)\n")
        }
    }

    public func finish(records: Int) {
        if drewBar { write("\r\u{1B}[K") }
    }

    public static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
