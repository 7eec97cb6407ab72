/// An arXiv identifier without its version: `2405.15738` (new style, since 2007)
/// or `hep-th/9901001` (old style, archive + number).
///
/// Parsed and validated once at the edge; everything past the edge holds an `ArxivID`.
public struct ArxivID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The canonical text, e.g. `2405.15738` or `math.GT/0309136`.
    public let rawValue: String

    public var description: String { rawValue }

    public static func < (lhs: ArxivID, rhs: ArxivID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses an identifier with an optional version suffix and the prefixes people paste
    /// (`arXiv:`, `https://arxiv.org/abs/`, `oai:arXiv.org:`). Returns the id and the
    /// version (0 when the text names none).
    public static func parse(_ text: String) -> (id: ArxivID, version: Int)? {
        var s = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        for prefix in ["oai:arXiv.org:", "https://arxiv.org/abs/", "http://arxiv.org/abs/",
                       "https://arxiv.org/pdf/", "http://arxiv.org/pdf/", "arXiv:", "arxiv:"] {
            if s.hasPrefix(prefix) { s = s.dropFirst(prefix.count); break }
        }
        if s.hasSuffix(".pdf") { s = s.dropLast(4) }
        var version = 0
        if let v = s.lastIndex(of: "v"), v != s.startIndex, s[s.index(before: v)].isASCIIDigit {
            let digits = s[s.index(after: v)...]
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCIIDigit }), let n = Int(digits), n > 0 {
                version = n
                s = s[..<v]
            }
        }
        guard isNewStyle(s) || isOldStyle(s) else { return nil }
        return (ArxivID(uncheckedRawValue: String(s)), version)
    }

    /// Parses an identifier; a version suffix is accepted and dropped.
    public init?(_ text: String) {
        guard let parsed = ArxivID.parse(text) else { return nil }
        self = parsed.id
    }

    private init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ArxivID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an arXiv id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// `YYMM.NNNN` or `YYMM.NNNNN`.
    private static func isNewStyle(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 4 || parts[1].count == 5 else { return false }
        guard parts[0].allSatisfy({ $0.isASCIIDigit }), parts[1].allSatisfy({ $0.isASCIIDigit }) else { return false }
        let month = Int(parts[0].suffix(2))!
        return (1...12).contains(month)
    }

    /// `archive(.SUBJ)?/YYMMNNN`, e.g. `hep-th/9901001`, `math.GT/0309136`.
    private static func isOldStyle(_ s: Substring) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 7, parts[1].allSatisfy({ $0.isASCIIDigit }) else { return false }
        let archive = parts[0]
        guard let first = archive.first, first.isLetter, archive.count <= 20 else { return false }
        return archive.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "-" || $0 == ".") }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
