import Foundation
import Logging
import PapersCore
import PapersStore

/// What became of one message.
public enum DeliveryOutcome: Sendable, Equatable {
    case sent
    /// Not delivered; permanent failures (a 5xx reply) are not retried.
    case failed(String, permanent: Bool)
}

/// A source of messages to send: nil when there are no more.
public typealias NextMessage = @Sendable () async throws -> OutboxMessage?
/// Told each message's outcome as soon as it is known.
public typealias ReportOutcome = @Sendable (OutboxMessage, DeliveryOutcome) async throws -> Void

/// Hands messages to the world. `deliver` takes messages from `next` until it returns nil and
/// reports each outcome; it throws when it cannot go on (no connection), leaving the
/// messages it took but did not report.
public protocol MailTransport: Sendable, CustomStringConvertible {
    func deliver(next: @escaping NextMessage, report: @escaping ReportOutcome) async throws
}

/// Where mail goes, from `SMTP_URL`/`--smtp-url`: an SMTP server, or `file:///folder` for
/// development (the default: `.eml` files next to the database).
public enum MailTransportConfiguration: Sendable, CustomStringConvertible {
    case smtp(SMTPConfiguration, connections: Int)
    case files(folder: String)

    public init(url: String, connections: Int = 2) throws(MailConfigurationError) {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw MailConfigurationError("mail URL \(url): give an absolute folder, like file:///var/mail/dailypapers") }
            self = .files(folder: path)
        } else {
            self = .smtp(try SMTPConfiguration(url: url), connections: max(1, connections))
        }
    }

    public var description: String {
        switch self {
        case let .smtp(configuration, connections): "\(configuration) (\(connections) connection\(connections == 1 ? "" : "s"))"
        case let .files(folder): "files in \(folder)"
        }
    }

    public func makeTransport(logger: Logger) -> any MailTransport {
        switch self {
        case let .smtp(configuration, connections): SMTPTransport(configuration: configuration, connections: connections, logger: logger)
        case let .files(folder): FileTransport(folder: folder)
        }
    }
}

/// Sends over SMTP on `connections` connections at once, each carrying many messages; a
/// connection the server closes (421) or loses is opened again for the next message.
public struct SMTPTransport: MailTransport {
    public var configuration: SMTPConfiguration
    public var connections: Int
    let logger: Logger

    public init(configuration: SMTPConfiguration, connections: Int = 2, logger: Logger) {
        self.configuration = configuration
        self.connections = connections
        self.logger = logger
    }

    public var description: String { configuration.description }

    private struct Reconnect: Error {}

    public func deliver(next: @escaping NextMessage, report: @escaping ReportOutcome) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, connections) {
                group.addTask { try await self.lane(next: next, report: report) }
            }
            try await group.waitForAll()
        }
    }

    /// One connection, opened when there is a message to send and kept open for message after
    /// message; opened again after the server closes it (421) or it breaks.
    private func lane(next: @escaping NextMessage, report: @escaping ReportOutcome) async throws {
        var current = try await next()
        while current != nil {
            do {
                try await SMTPConnection.withConnection(configuration, logger: logger) { connection in
                    while let message = current {
                        do {
                            try await connection.send(from: message.entry.sender, to: message.entry.recipient, message: message.entry.message)
                            try await report(message, .sent)
                        } catch let error as SMTPError {
                            try await report(message, .failed(error.description, permanent: error.isPermanent))
                            if error.closesConnection {
                                current = try await next()
                                throw Reconnect()
                            }
                        }
                        current = try await next()
                    }
                }
            } catch is Reconnect {
                continue
            }
        }
    }
}

/// Development transport: each message becomes an `.eml` file in a folder, written to a
/// temporary name and renamed, so a file is either whole or absent.
public struct FileTransport: MailTransport {
    public var folder: String

    public init(folder: String) { self.folder = folder }

    public var description: String { "files in \(folder)" }

    public func deliver(next: @escaping NextMessage, report: @escaping ReportOutcome) async throws {
        let directory = URL(fileURLWithPath: folder, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw MailConfigurationError("mail folder \(folder): cannot create it: \(error.localizedDescription)")
        }
        while let message = try await next() {
            let safe = message.entry.recipient.map { $0.isLetter || $0.isNumber || $0 == "@" || $0 == "." || $0 == "-" ? $0 : "_" }
            let name = String(format: "%08lld", message.id) + "-" + String(safe.prefix(80)) + ".eml"
            let target = directory.appendingPathComponent(name)
            let temporary = directory.appendingPathComponent("." + name + ".tmp")
            do {
                try Data(message.entry.message).write(to: temporary)
                _ = try? FileManager.default.removeItem(at: target)
                try FileManager.default.moveItem(at: temporary, to: target)
                try await report(message, .sent)
            } catch let error as CocoaError {
                try await report(message, .failed("cannot write \(target.path): \(error.localizedDescription)", permanent: false))
            }
        }
    }
}
