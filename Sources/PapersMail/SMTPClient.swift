import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// How to reach and talk to an SMTP server: parsed from an `smtp://` or `smtps://` URL.
///
/// - `smtp://host:587` speaks plain SMTP and upgrades with STARTTLS when the server offers it
///   (`?starttls=required` refuses servers that do not, `?starttls=never` never upgrades);
/// - `smtps://host:465` speaks TLS from the first byte (implicit TLS);
/// - `user:password@` logs in with AUTH PLAIN or LOGIN (`?auth=login` picks LOGIN), only over
///   TLS unless the server is on loopback;
/// - `?ca_file=/path/ca.pem` trusts that certificate authority instead of the system's,
///   `?timeout=30` is the per-reply timeout in seconds, `?helo=name` the EHLO name.
public struct SMTPConfiguration: Sendable, CustomStringConvertible {
    public enum Security: String, Sendable { case startTLSIfOffered, startTLSRequired, none, implicitTLS }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var preferLogin = false
    public var caFile: String?
    public var timeout: TimeAmount = .seconds(30)
    public var heloName = "localhost"

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }

    public init(url text: String) throws(MailConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw MailConfigurationError("SMTP URL \(Self.redacted(text)): not a URL like smtp://user:password@host:587")
        }
        let implicit: Bool
        switch scheme {
        case "smtp": implicit = false
        case "smtps": implicit = true
        default: throw MailConfigurationError("SMTP URL \(Self.redacted(text)): the scheme must be smtp or smtps, not \(scheme)")
        }
        self.init(host: host, port: components.port ?? (implicit ? 465 : 587), security: implicit ? .implicitTLS : .startTLSIfOffered,
                  username: components.user.flatMap { $0.removingPercentEncoding }, password: components.password.flatMap { $0.removingPercentEncoding })
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "starttls":
                guard !implicit else { throw MailConfigurationError("SMTP URL \(Self.redacted(text)): starttls does not apply to smtps://") }
                switch value {
                case "required": security = .startTLSRequired
                case "never": security = .none
                case "auto", "": security = .startTLSIfOffered
                default: throw MailConfigurationError("SMTP URL \(Self.redacted(text)): starttls must be auto, required or never, not \(value)")
                }
            case "auth":
                guard value == "login" || value == "plain" else {
                    throw MailConfigurationError("SMTP URL \(Self.redacted(text)): auth must be plain or login, not \(value)")
                }
                preferLogin = value == "login"
            case "ca_file": caFile = value
            case "timeout":
                guard let seconds = Double(value), seconds > 0 else {
                    throw MailConfigurationError("SMTP URL \(Self.redacted(text)): timeout must be a number of seconds, not \(value)")
                }
                timeout = .milliseconds(Int64(seconds * 1000))
            case "helo": heloName = value
            default: throw MailConfigurationError("SMTP URL \(Self.redacted(text)): unknown parameter \(item.name)")
            }
        }
    }

    /// The URL with the password replaced, for logs and messages.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "(an SMTP URL)"
    }

    public var description: String {
        "\(security == .implicitTLS ? "smtps" : "smtp")://\(username.map { "\($0):***@" } ?? "")\(host):\(port)"
    }

    var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}

public struct MailConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A reply from the server: its code and text lines.
public struct SMTPReply: Sendable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]
    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
    var isPositive: Bool { (200..<400).contains(code) }
}

/// Why a message was not delivered: temporary ones (4xx replies, lost connections, timeouts)
/// are worth retrying; permanent ones (5xx) are not.
public enum SMTPError: Error, Sendable, CustomStringConvertible {
    case reply(command: String, SMTPReply)
    case connection(String)
    case timeout(command: String)
    case protocolViolation(String)
    case tlsUnavailable
    case authenticationUnavailable(String)

    public var isPermanent: Bool {
        switch self {
        case let .reply(_, reply): (500..<600).contains(reply.code)
        case .tlsUnavailable, .authenticationUnavailable: true
        case .connection, .timeout, .protocolViolation: false
        }
    }

    /// Whether the connection is unusable afterwards (421 means the server is closing it).
    var closesConnection: Bool {
        switch self {
        case let .reply(_, reply): reply.code == 421
        default: true
        }
    }

    public var description: String {
        switch self {
        case let .reply(command, reply): "the server answered \(command) with \(reply)"
        case let .connection(text): "connection failed: \(text)"
        case let .timeout(command): "no reply to \(command) in time"
        case let .protocolViolation(text): "the server broke the protocol: \(text)"
        case .tlsUnavailable: "the server does not offer STARTTLS, and the SMTP URL requires it"
        case let .authenticationUnavailable(text): text
        }
    }
}

/// Splits the byte stream into replies, joining "250-..." continuation lines.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply
    static let maximumLine = 4096
    var lines = [String]()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw SMTPError.protocolViolation("a reply line over \(Self.maximumLine) bytes") }
            return .needMoreData
        }
        var line = buffer.readString(length: newline - buffer.readerIndex + 1)!
        while line.last == "\n" || line.last == "\r" || line.last == "\r\n" { line.removeLast() }
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200..<600).contains(code) else {
            throw SMTPError.protocolViolation("a reply line that does not start with a code: \(line.prefix(80))")
        }
        let continues = bytes.count > 3 && bytes[3] == UInt8(ascii: "-")
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        if !continues {
            context.fireChannelRead(wrapInboundOut(SMTPReply(code: code, lines: lines)))
            lines = []
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// One SMTP connection: greeting, EHLO, STARTTLS, AUTH, then any number of messages.
/// Replies are awaited one command at a time (no pipelining); each has `timeout`.
public final class SMTPConnection {
    typealias Channel = NIOAsyncChannel<SMTPReply, ByteBuffer>
    let configuration: SMTPConfiguration
    let asyncChannel: Channel
    var iterator: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var extensions = [String: String]()
    let logger: Logger

    private init(configuration: SMTPConfiguration, channel: Channel, inbound: NIOAsyncChannelInboundStream<SMTPReply>,
                 outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, logger: Logger) {
        self.configuration = configuration
        self.asyncChannel = channel
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.logger = logger
    }

    static func tlsHandler(_ configuration: SMTPConfiguration) throws -> NIOSSLClientHandler {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        let isAddress = configuration.host.allSatisfy { $0.isNumber || $0 == "." } || configuration.host.contains(":")
        return try NIOSSLClientHandler(context: try NIOSSLContext(configuration: tls),
                                       serverHostname: isAddress ? nil : configuration.host)
    }

    /// Connects, reads the greeting, says EHLO, upgrades to TLS and logs in as configured,
    /// runs `body` with the connection, says QUIT and closes.
    public static func withConnection<Result: Sendable>(
        _ configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        _ body: (SMTPConnection) async throws -> Result
    ) async throws -> Result {
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(configuration.timeout)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(try tlsHandler(configuration))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        return try Channel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.connection("\(configuration.host):\(configuration.port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let connection = SMTPConnection(configuration: configuration, channel: channel, inbound: inbound, outbound: outbound,
                                            logger: logger)
            try await connection.handshake()
            let result = try await body(connection)
            _ = try? await connection.command("QUIT", expect: 221)
            return result
        }
    }

    private func handshake() async throws {
        let greeting = try await reply(to: "the greeting")
        guard greeting.code == 220 else { throw SMTPError.reply(command: "the greeting", greeting) }
        try await ehlo()
        let tlsOffered = extensions["STARTTLS"] != nil
        if configuration.security == .startTLSRequired && !tlsOffered { throw SMTPError.tlsUnavailable }
        if tlsOffered && (configuration.security == .startTLSRequired || configuration.security == .startTLSIfOffered) {
            try await command("STARTTLS", expect: 220)
            let channel = asyncChannel.channel
            let configuration = configuration
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(try Self.tlsHandler(configuration), position: .first)
            }.get()
            try await ehlo()
        }
        if let username = configuration.username {
            let password = configuration.password ?? ""
            let secure = configuration.security == .implicitTLS || (tlsOffered && configuration.security != .none)
            guard secure || configuration.isLoopback else {
                throw SMTPError.authenticationUnavailable("refusing to send the SMTP password over a connection without TLS")
            }
            let mechanisms = Set((extensions["AUTH"] ?? "").uppercased().split(separator: " ").map(String.init))
            if mechanisms.contains("PLAIN") && !(configuration.preferLogin && mechanisms.contains("LOGIN")) {
                let credentials = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try await command("AUTH PLAIN \(credentials)", shownAs: "AUTH PLAIN", expect: 235)
            } else if mechanisms.contains("LOGIN") {
                try await command("AUTH LOGIN", expect: 334)
                try await command(Data(username.utf8).base64EncodedString(), shownAs: "the AUTH LOGIN username", expect: 334)
                try await command(Data(password.utf8).base64EncodedString(), shownAs: "the AUTH LOGIN password", expect: 235)
            } else {
                throw SMTPError.authenticationUnavailable("the server offers neither AUTH PLAIN nor AUTH LOGIN")
            }
        }
    }

    private func ehlo() async throws {
        let reply = try await command("EHLO \(configuration.heloName)", expect: 250)
        extensions = [:]
        for line in reply.lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let name = parts.first else { continue }
            extensions[name.uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
    }

    /// Sends one message: MAIL FROM, RCPT TO, DATA, the dot-stuffed body.
    public func send(from sender: String, to recipient: String, message: [UInt8]) async throws {
        do {
            try await command("MAIL FROM:<\(sender)>", expect: 250)
            try await command("RCPT TO:<\(recipient)>", expect: 250, 251)
            try await command("DATA", expect: 354)
            var buffer = asyncChannel.channel.allocator.buffer(capacity: message.count + message.count / 64 + 8)
            Self.dotStuff(message, into: &buffer)
            try await outbound.write(buffer)
            let reply = try await reply(to: "the message data")
            guard reply.code == 250 else { throw SMTPError.reply(command: "the message data", reply) }
        } catch let error as SMTPError where !error.closesConnection {
            // Leave the connection ready for the next message.
            _ = try? await command("RSET", expect: 250)
            throw error
        }
    }

    /// The message with CRLF line ends, each line starting with "." given another one
    /// (RFC 5321 4.5.2), and the final "." line.
    static func dotStuff(_ message: [UInt8], into buffer: inout ByteBuffer) {
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r") { buffer.writeInteger(UInt8(ascii: "\r")) }
            if atLineStart && byte == UInt8(ascii: ".") { buffer.writeInteger(UInt8(ascii: ".")) }
            buffer.writeInteger(byte)
            atLineStart = byte == UInt8(ascii: "\n")
            previous = byte
        }
        if !atLineStart { buffer.writeString("\r\n") }
        buffer.writeString(".\r\n")
    }

    @discardableResult
    func command(_ line: String, shownAs shown: String? = nil, expect codes: Int...) async throws -> SMTPReply {
        let name = shown ?? String(line.prefix(while: { $0 != ":" && $0 != " " }))
        guard !line.contains("\r") && !line.contains("\n") else { throw SMTPError.protocolViolation("a line break inside \(name)") }
        var buffer = asyncChannel.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line + "\r\n")
        do {
            try await outbound.write(buffer)
        } catch {
            throw SMTPError.connection("writing \(name): \(error)")
        }
        let reply = try await reply(to: name)
        logger.trace("smtp", metadata: ["command": "\(name)", "reply": "\(reply.code)"])
        guard codes.contains(reply.code) else { throw SMTPError.reply(command: name, reply) }
        return reply
    }

    /// The next reply, or a timeout error (the connection is closed then).
    func reply(to command: String) async throws -> SMTPReply {
        let channel = asyncChannel.channel
        let deadline = NIODeadline.now() + configuration.timeout
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        defer { timer.cancel() }
        do {
            if let reply = try await iterator.next() { return reply }
        } catch let error as SMTPError {
            throw error
        } catch {
            if NIODeadline.now() >= deadline { throw SMTPError.timeout(command: command) }
            throw SMTPError.connection("waiting for the reply to \(command): \(error)")
        }
        if NIODeadline.now() >= deadline { throw SMTPError.timeout(command: command) }
        throw SMTPError.connection("the server closed the connection before answering \(command)")
    }

}
