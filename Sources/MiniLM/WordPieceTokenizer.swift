import Foundation

/// BERT uncased WordPiece tokenizer (the one all-MiniLM-L6-v2 uses), matching the
/// Hugging Face `BertTokenizerFast` with `do_lower_case = true`,
/// `tokenize_chinese_chars = true`, accents stripped.
///
/// Pipeline: clean text (drop NUL, U+FFFD and control/format characters, map
/// whitespace to a space), pad CJK ideographs with spaces, NFD + drop non-spacing
/// marks, lower-case, split on whitespace and punctuation, then greedy
/// longest-match-first WordPiece with the `##` continuation prefix.
public final class WordPieceTokenizer: Sendable {
    /// Vocabulary keyed by exact UTF-8 bytes (Swift `String` equality is canonical
    /// equivalence, which is not what the reference tokenizer does).
    private let vocabulary: [[UInt8]: Int32]
    public let vocabularySize: Int
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    public let paddingID: Int32
    /// Words longer than this many Unicode scalars become `[UNK]`.
    public let maxInputCharsPerWord = 100

    public init(vocabularyURL: URL) throws {
        let path = vocabularyURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw MiniLMError.missingFile(path: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: vocabularyURL)
        } catch {
            throw MiniLMError.unreadableFile(path: path, reason: "\(error)")
        }
        var vocab: [[UInt8]: Int32] = [:]
        var index: Int32 = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            let n = bytes.count
            var i = 0
            while i <= n {
                if i == n || bytes[i] == 0x0A {
                    if i == n && start == n { break }  // no trailing empty line
                    var end = i
                    if end > start && bytes[end - 1] == 0x0D { end -= 1 }
                    let token = Array(bytes[start..<end])
                    if vocab[token] == nil { vocab[token] = index }
                    index += 1
                    start = i + 1
                }
                i += 1
            }
        }
        guard index > 0 else { throw MiniLMError.badVocabulary(path: path, reason: "file is empty") }
        func special(_ name: String) throws -> Int32 {
            guard let id = vocab[Array(name.utf8)] else {
                throw MiniLMError.badVocabulary(path: path, reason: "special token \(name) is missing")
            }
            return id
        }
        self.unknownID = try special("[UNK]")
        self.classID = try special("[CLS]")
        self.separatorID = try special("[SEP]")
        self.paddingID = try special("[PAD]")
        self.vocabulary = vocab
        self.vocabularySize = Int(index)
    }

    /// Token ids for `text`: `[CLS] wordpieces... [SEP]`, truncated so the whole
    /// sequence has at most `maxLength` ids (including `[CLS]` and `[SEP]`).
    public func encode(_ text: String, maxLength: Int = 256) -> [Int32] {
        let budget = max(0, maxLength - 2)
        var ids: [Int32] = [classID]
        ids.reserveCapacity(min(budget, 512) + 2)
        var count = 0
        outer: for word in basicTokenize(text) {
            for id in wordPiece(word) {
                if count >= budget { break outer }
                ids.append(id)
                count += 1
            }
        }
        ids.append(separatorID)
        return ids
    }

    /// The word pieces of `text` as strings (no `[CLS]`/`[SEP]`, no truncation).
    public func tokenize(_ text: String) -> [String] {
        var inverse: [Int32: [UInt8]] = [:]
        var out: [String] = []
        for word in basicTokenize(text) {
            let ids = wordPiece(word)
            for id in ids {
                if inverse.isEmpty {
                    for (k, v) in vocabulary { inverse[v] = k }
                }
                out.append(String(decoding: inverse[id] ?? [], as: UTF8.self))
            }
        }
        return out
    }

    // MARK: - Basic tokenizer

    /// Normalises and splits `text` into words (arrays of Unicode scalars).
    func basicTokenize(_ text: String) -> [[Unicode.Scalar]] {
        // 1. clean text + CJK padding.
        var cleaned = String.UnicodeScalarView()
        var needsDecomposition = false
        for s in text.unicodeScalars {
            let v = s.value
            if v == 0 || v == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                cleaned.append(" ")
            } else if Self.isChineseChar(v) {
                needsDecomposition = true  // compatibility ideographs (U+F900...) decompose
                cleaned.append(" ")
                cleaned.append(s)
                cleaned.append(" ")
            } else {
                if v >= 0x80 { needsDecomposition = true }
                cleaned.append(s)
            }
        }
        // 2. NFD + strip non-spacing marks (accents).
        var stripped: String.UnicodeScalarView
        if needsDecomposition {
            let nfd = String(cleaned).decomposedStringWithCanonicalMapping
            stripped = String.UnicodeScalarView()
            for s in nfd.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
                stripped.append(s)
            }
        } else {
            stripped = cleaned
        }
        // 3. lower-case (full per-scalar mapping), 4. split on whitespace / punctuation.
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty {
                words.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        func split(_ c: Unicode.Scalar) {
            if Self.isWhitespace(c) {
                flush()
            } else if Self.isPunctuation(c) {
                flush()
                words.append([c])
            } else {
                current.append(c)
            }
        }
        for s in stripped {
            if s.value < 0x80 {
                var v = s.value
                if v >= 0x41 && v <= 0x5A { v += 0x20 }
                split(Unicode.Scalar(UInt8(v)))
                continue
            }
            for c in s.properties.lowercaseMapping.unicodeScalars { split(c) }
        }
        flush()
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return s.value == 0x0B || s.value == 0x0C
        default: return s.properties.isWhitespace
        }
    }

    /// Control characters in the sense of the reference tokenizer: general
    /// categories Cc, Cf, Cs, Co except tab, newline and carriage return.
    /// Unassigned code points (Cn) are kept, as the reference does.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20..<0x7F: return false
        default: break
        }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// ASCII non-alphanumeric printable characters, or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126) {
            return true
        }
        if v < 0x80 { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// CJK Unified Ideographs blocks (as in the original BERT code).
    static func isChineseChar(_ v: UInt32) -> Bool {
        return (v >= 0x4E00 && v <= 0x9FFF)
            || (v >= 0x3400 && v <= 0x4DBF)
            || (v >= 0x20000 && v <= 0x2A6DF)
            || (v >= 0x2A700 && v <= 0x2B73F)
            || (v >= 0x2B740 && v <= 0x2B81F)
            || (v >= 0x2B820 && v <= 0x2CEAF)
            || (v >= 0xF900 && v <= 0xFAFF)
            || (v >= 0x2F800 && v <= 0x2FA1F)
    }

    // MARK: - WordPiece

    /// Greedy longest-match-first WordPiece for one word.
    func wordPiece(_ word: [Unicode.Scalar]) -> [Int32] {
        if word.count > maxInputCharsPerWord { return [unknownID] }
        // UTF-8 bytes of the word plus the byte offset of each scalar boundary.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count * 2)
        var boundaries: [Int] = [0]
        boundaries.reserveCapacity(word.count + 1)
        for s in word {
            UTF8.encode(s) { bytes.append($0) }
            boundaries.append(bytes.count)
        }
        var ids: [Int32] = []
        var startIndex = 0
        var key: [UInt8] = []
        key.reserveCapacity(bytes.count + 2)
        while startIndex < word.count {
            var endIndex = word.count
            var found: Int32? = nil
            while endIndex > startIndex {
                key.removeAll(keepingCapacity: true)
                if startIndex > 0 { key.append(0x23); key.append(0x23) }
                key.append(contentsOf: bytes[boundaries[startIndex]..<boundaries[endIndex]])
                if let id = vocabulary[key] {
                    found = id
                    break
                }
                endIndex -= 1
            }
            guard let id = found else { return [unknownID] }
            ids.append(id)
            startIndex = endIndex
        }
        return ids
    }
}
