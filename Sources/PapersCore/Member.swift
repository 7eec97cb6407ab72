import Foundation

/// A member of the community: someone with an account who can vote, comment and submit.
public struct Member: Sendable, Hashable, Identifiable {
    public struct ID: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var rawValue: Int64
        public init(_ rawValue: Int64) { self.rawValue = rawValue }
        public var description: String { String(rawValue) }
        public static func < (a: ID, b: ID) -> Bool { a.rawValue < b.rawValue }
    }

    public var id: ID
    public var username: String
    public var email: String
    public var isAdmin: Bool
    public var createdAt: Date

    public init(id: ID, username: String, email: String, isAdmin: Bool = false, createdAt: Date) {
        self.id = id
        self.username = username
        self.email = email
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }
}

/// A comment on a paper. Plain text: renderers escape it.
public struct PaperComment: Sendable, Hashable, Identifiable {
    public struct ID: Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int64
        public init(_ rawValue: Int64) { self.rawValue = rawValue }
        public var description: String { String(rawValue) }
    }

    public var id: ID
    public var paperID: ArxivID
    public var author: Member.ID
    public var authorName: String
    public var body: String
    public var createdAt: Date
    /// Set when an admin hid it; hidden comments are shown as hidden, their text to admins only.
    public var hiddenAt: Date?

    public init(id: ID, paperID: ArxivID, author: Member.ID, authorName: String, body: String, createdAt: Date, hiddenAt: Date? = nil) {
        self.id = id
        self.paperID = paperID
        self.author = author
        self.authorName = authorName
        self.body = body
        self.createdAt = createdAt
        self.hiddenAt = hiddenAt
    }
}

/// An API token as its owner sees it (the secret itself is shown once, at creation).
public struct APITokenInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    /// The first characters of the token, so its owner can tell tokens apart.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: Int64, name: String, prefix: String, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// The rules for what members type, checked once at the edge. Each failure names the field.
public enum CommunityRules {
    public static let usernameLength = 2...32
    /// bcrypt reads at most 72 bytes; longer passwords would be silently cut, so they are refused.
    public static let passwordBytes = 8...72
    public static let emailLength = 3...254
    public static let commentLength = 1...5000
    public static let tokenNameLength = 1...60

    static func length(_ count: Int, _ range: ClosedRange<Int>, field: String, unit: String = "characters") throws(InputError) {
        guard range.contains(count) else {
            throw InputError(field: field, "must be \(range.lowerBound) to \(range.upperBound) \(unit) long")
        }
    }

    public static func username(_ text: String) throws(InputError) -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        try length(name.count, usernameLength, field: "username")
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }),
              name.first != "-" else {
            throw InputError(field: "username", "may hold only letters a–z, digits, - and _ (and not start with -)")
        }
        return name
    }

    public static func email(_ text: String) throws(InputError) -> String {
        let address = text.trimmingCharacters(in: .whitespaces)
        try length(address.count, emailLength, field: "email")
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              address.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value != 127 && !"<>()[]\\,;:\"".unicodeScalars.contains($0) })
        else {
            throw InputError(field: "email", "is not an email address like name@example.org")
        }
        return address
    }

    public static func password(_ text: String) throws(InputError) {
        try length(text.utf8.count, passwordBytes, field: "password", unit: "bytes")
    }

    public static func comment(_ text: String) throws(InputError) -> String {
        let body = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw InputError(field: "text", "is empty: write something first") }
        guard body.count <= commentLength.upperBound else {
            throw InputError(field: "text", "is \(body.count) characters long; the limit is \(commentLength.upperBound)")
        }
        return body
    }

    public static func tokenName(_ text: String) throws(InputError) -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        try length(name.count, tokenNameLength, field: "name")
        return name
    }
}

/// Input a user typed that breaks a rule: which field, and what is wrong with it.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public init(field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }
    public var description: String { "\(field) \(problem)" }
}
