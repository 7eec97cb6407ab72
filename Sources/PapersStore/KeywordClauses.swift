import Foundation

/// What a user typed into a keyword search, as the clauses both stores' full-text queries are
/// made of (ORed): "quoted phrases" stay phrases; hyphen- or dot-joined words become phrases
/// ("self-supervised" -> "self supervised"); anything that is not a letter or digit separates
/// words, so no input is query syntax; common English words are dropped unless nothing else is
/// left; repeats (in any case) are dropped.
public enum KeywordClauses {
    public static func of(_ text: String) -> [String] {
        var clauses = [String]()
        var remaining = Substring(text)
        while let open = remaining.firstIndex(of: "\"") {
            clauses += words(remaining[..<open])
            let rest = remaining[remaining.index(after: open)...]
            guard let close = rest.firstIndex(of: "\"") else {
                // An unmatched quote: the rest is plain words.
                remaining = rest
                break
            }
            let phrase = words(rest[..<close])
            if !phrase.isEmpty { clauses.append(phrase.joined(separator: " ")) }
            remaining = rest[rest.index(after: close)...]
        }
        clauses += words(remaining)
        let meaningful = clauses.filter { !stopWords.contains($0.lowercased()) }
        let chosen = meaningful.isEmpty ? clauses : meaningful
        var seen = Set<String>()
        return chosen.filter { seen.insert($0.lowercased()).inserted }
    }

    /// Common English words left out of keyword queries unless nothing else is left.
    public static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have", "how",
        "i", "in", "is", "it", "its", "of", "on", "or", "that", "the", "their", "there", "these", "this", "to",
        "was", "what", "when", "where", "which", "who", "why", "with", "we", "were", "be", "been", "any", "not",
    ]

    /// Splits on whitespace, keeping hyphen- or dot-joined parts together as one phrase.
    static func words(_ text: Substring) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace }).compactMap { chunk -> String? in
            let parts = chunk.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
            return parts.isEmpty ? nil : parts.joined(separator: " ")
        }
    }
}

/// Minimal JSON for string arrays stored in a text column (authors, keywords), written the same
/// by both stores so their databases hold the same text: fast to write on bulk imports.
public enum JSONText {
    public static func encode(_ strings: [String]) -> String { String(decoding: strings.jsonBytes, as: UTF8.self) }

    /// The strings of a JSON array of strings (empty for anything else). The arrays these
    /// columns hold, without escapes, are split in place; any other text goes to
    /// `JSONSerialization` (about 20 µs a call, twice for each paper of a page).
    public static func decodeStrings(_ text: String) -> [String] {
        var text = text
        let simple: [String]? = text.withUTF8 { bytes in
            // [ "…" , "…" ] with optional spaces; no backslash anywhere.
            guard !bytes.contains(UInt8(ascii: "\\")) else { return nil }
            var strings = [String]()
            var i = 0
            func skipSpaces() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 } }
            skipSpaces()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
            i += 1
            skipSpaces()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
            } else {
                while true {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
                    let start = i + 1
                    guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                    // An unescaped control character is not JSON: JSONSerialization refuses it.
                    guard !bytes[start..<close].contains(where: { $0 < 0x20 }) else { return nil }
                    strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<close]), as: UTF8.self))
                    i = close + 1
                    skipSpaces()
                    guard i < bytes.count else { return nil }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                    guard bytes[i] == UInt8(ascii: ",") else { return nil }
                    i += 1
                    skipSpaces()
                }
            }
            skipSpaces()
            return i == bytes.count ? strings : nil
        }
        if let simple { return simple }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]) ?? []
    }
}
