import Crypto
import Foundation

/// Signs and checks short tokens with the site secret (HMAC-SHA256): email confirmation and
/// unsubscribe links, CSRF tokens. A token is `payload.mac`, both base64url; the payload holds
/// the purpose, the subject and the expiry, so a token made for one purpose is refused for another.
public struct TokenSigner: Sendable {
    private let key: SymmetricKey

    /// `secret` should be at least 32 random bytes.
    public init(secret: [UInt8]) {
        key = SymmetricKey(data: secret)
    }

    /// A token for `subject` (an email address, a subscription id, ...) that `verify` accepts
    /// with the same purpose until `expires`.
    public func sign(purpose: String, subject: String, expires: Date) -> String {
        let payload = Data("\(purpose)\n\(Int64(expires.timeIntervalSince1970))\n\(subject)".utf8)
        return Self.base64URL(payload) + "." + Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)))
    }

    /// The subject of a valid token made for `purpose`.
    public func verify(_ token: String, purpose: String, now: Date) throws(TokenError) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.decodeBase64URL(parts[0]), let mac = Self.decodeBase64URL(parts[1]) else {
            throw .malformed
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key) else { throw .badSignature }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let expiry = Int64(fields[1]) else { throw .malformed }
        guard fields[0] == purpose else { throw .wrongPurpose }
        guard Double(expiry) >= now.timeIntervalSince1970 else { throw .expired }
        return String(fields[2])
    }

    /// An unforgeable, deterministic tag for `message` (base64url HMAC-SHA256), e.g. a CSRF token
    /// derived from a session id.
    public func tag(_ message: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)))
    }

    /// Compares two tags in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    /// `count` bytes from the system's cryptographically secure generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// SHA-256 of `text`, hex: how session and API tokens are stored, so the database alone
    /// does not let anyone in.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A random token for ids that must not be guessed (sessions, API tokens): 32 bytes, base64url.
    public static func randomToken() -> String { base64URL(Data(randomBytes(32))) }
}

public enum TokenError: Error, Equatable, CustomStringConvertible {
    case malformed, badSignature, wrongPurpose, expired

    public var description: String {
        switch self {
        case .malformed: "the link is damaged (it may have been cut short)"
        case .badSignature: "the link was not made by this site"
        case .wrongPurpose: "the link is not meant for this page"
        case .expired: "the link has expired"
        }
    }
}
