/// HTML that is safe by construction: literal text in an `HTML` string is trusted markup,
/// every interpolated `String` is escaped, and only other `HTML` values are inserted as is.
///
///     let page: HTML = "<h1>\(paper.title)</h1>"   // a <script> title renders as text
public struct HTML: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public private(set) var rendered: String

    /// Markup the caller vouches for. Never pass user or paper text here.
    public init(raw: String) { rendered = raw }

    public init(stringLiteral value: String) { rendered = value }

    public init(stringInterpolation: StringInterpolation) { rendered = stringInterpolation.output }

    public var description: String { rendered }

    public static let empty = HTML(raw: "")

    public static func + (a: HTML, b: HTML) -> HTML { HTML(raw: a.rendered + b.rendered) }

    /// Escapes text for element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var output = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            output.reserveCapacity(literalCapacity + interpolationCount * 24)
        }

        public mutating func appendLiteral(_ literal: String) { output += literal }
        public mutating func appendInterpolation(_ text: String) { output += HTML.escape(text) }
        public mutating func appendInterpolation(_ text: Substring) { output += HTML.escape(String(text)) }
        public mutating func appendInterpolation(_ html: HTML) { output += html.rendered }
        public mutating func appendInterpolation(_ html: HTML?) { output += html?.rendered ?? "" }
        public mutating func appendInterpolation(_ parts: [HTML]) { for p in parts { output += p.rendered } }
        public mutating func appendInterpolation(_ n: Int) { output += String(n) }
    }
}

extension Array where Element == HTML {
    public func joined(separator: HTML = .empty) -> HTML {
        HTML(raw: map(\.rendered).joined(separator: separator.rendered))
    }
}
