import Foundation

/// A link to another site that a source or a member supplied (a GitHub repository, a
/// project page, an avatar): only an absolute `http` or `https` URL with a host, no
/// white space or control characters. Anything else (`javascript:`, `data:`, relative
/// paths) is not a `WebLink`, so it can never be rendered as a link. Escaping where it is
/// written out is still the view's job: a valid URL may contain `&` or quotes.
public struct WebLink: Hashable, Sendable, CustomStringConvertible {
    /// The URL as given (trimmed).
    public let url: String

    /// Nil unless `text` is an absolute http(s) URL with a host.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 2048,
              !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }),
              let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else { return nil }
        url = trimmed
    }

    /// `WebLink(text)` for an optional string: nil stays nil, and so does anything not a web link.
    public static func validated(_ text: String?) -> WebLink? {
        text.flatMap(WebLink.init)
    }

    public var description: String { url }
}

extension WebLink: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let link = WebLink(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\"\(text)\" is not an http or https URL"))
        }
        self = link
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(url)
    }
}
