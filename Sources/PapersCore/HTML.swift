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

    /// Escapes text for element content and quoted attribute values. Read as UTF-8 bytes (the
    /// five characters it replaces are ASCII, and no byte of a multi-byte character is); text
    /// with none of them is returned as it is.
    public static func escape(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var out = [UInt8]()
            var runStart = 0
            for i in 0..<bytes.count {
                let replacement: StaticString
                switch bytes[i] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                if out.isEmpty { out.reserveCapacity(bytes.count + 32) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                out.append(contentsOf: UnsafeBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
                runStart = i + 1
            }
            guard runStart > 0 else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            return String(decoding: out, as: UTF8.self)
        } ?? text
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
