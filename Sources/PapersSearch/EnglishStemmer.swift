/// The Snowball English stemmer (Porter2), as snowballstemmer / PyStemmer implement it.
///
/// This follows `english.sbl` of Snowball 3 step by step (the source `snowballstemmer` 3.x is
/// generated from; checked against 3.1.1 word for word), on ASCII bytes. Snowball 3 differs from
/// older descriptions of Porter2 in a few places kept here: more R1 prefixes (`emerg`, `inter`,
/// `later`, `organ`, `past`, `univers`), `ogist` → `og`, and `dying`, `inning`, … handled inside
/// step 1b. The one part left out is apostrophe handling: our tokens never contain apostrophes.
public enum EnglishStemmer {
    /// The stem of a lower-case word. Words of one or two letters are returned as they are.
    ///
    /// A word with any non-ASCII scalar is returned unchanged.
    public static func stem(_ word: String) -> String {
        let bytes = Array(word.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return word }
        if let exception = exceptions.first(where: { isWhole(bytes, $0.word) }) {
            return exception.stem.description
        }
        guard bytes.count > 2 else { return word }
        var stemmer = Stemmer(bytes)
        return String(decoding: stemmer.stem(), as: UTF8.self)
    }

    /// Exceptional forms: whole words whose stem is fixed, checked before anything else.
    private static let exceptions: [(word: StaticString, stem: StaticString)] = [
        ("skis", "ski"), ("skies", "sky"), ("idly", "idl"), ("gently", "gentl"),
        ("ugly", "ugli"), ("early", "earli"), ("only", "onli"), ("singly", "singl"),
        ("sky", "sky"), ("news", "news"), ("howe", "howe"), ("atlas", "atlas"),
        ("cosmos", "cosmos"), ("bias", "bias"), ("andes", "andes"),
    ]

    /// Whether `bytes` spell exactly `text`.
    private static func isWhole(_ bytes: [UInt8], _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount
            && text.withUTF8Buffer { bytes.elementsEqual($0) }
    }
}

/// One word being stemmed: its bytes and the starts of its regions R1 and R2.
private struct Stemmer {
    private var word: [UInt8]
    private var r1: Int
    private var r2: Int
    /// Whether the prelude turned a `y` into the consonant marker `Y`.
    private var markedY = false

    init(_ word: [UInt8]) {
        self.word = word
        r1 = word.count
        r2 = word.count
    }

    /// Runs every step in order and returns the stem.
    mutating func stem() -> [UInt8] {
        markConsonantY()
        markRegions()
        step1a()
        step1b()
        step1c()
        applyLongestRule(Self.step2Rules, region: r1)
        applyLongestRule(Self.step3Rules, region: r1)
        applyLongestRule(Self.step4Rules, region: r2)
        step5()
        if markedY {
            for index in word.indices where word[index] == .upperY { word[index] = .y }
        }
        return word
    }

    // MARK: Prelude and regions

    /// Prelude: an initial `y`, and a `y` right after a vowel, become the consonant `Y`.
    private mutating func markConsonantY() {
        if word[0] == .y {
            word[0] = .upperY
            markedY = true
        }
        for index in 1..<word.count where word[index] == .y && isVowel(word[index - 1]) {
            word[index] = .upperY
            markedY = true
        }
    }

    /// R1 starts after the first non-vowel that follows a vowel (or after one of the special
    /// prefixes such as `gener`); R2 is the same rule applied again from R1.
    private mutating func markRegions() {
        if let prefix = Self.r1Prefixes.first(where: startsWith) {
            r1 = prefix.utf8CodeUnitCount
        } else if let start = regionStart(after: 0) {
            r1 = start
        } else {
            return
        }
        r2 = regionStart(after: r1) ?? word.count
    }

    /// The index after the first vowel-then-non-vowel pair at or after `index`, if any.
    private func regionStart(after index: Int) -> Int? {
        guard let vowel = word[index...].firstIndex(where: isVowel),
              let consonant = word[(vowel + 1)...].firstIndex(where: { !isVowel($0) })
        else { return nil }
        return consonant + 1
    }

    // MARK: Steps

    /// Step 1a: `sses` → `ss`; `ied`, `ies` → `i` (or `ie` after a single letter);
    /// `s` is removed when a vowel comes before the letter preceding it, except in `ss`, `us`.
    private mutating func step1a() {
        let count = word.count
        if endsWith("sses") {
            replace(from: count - 4, with: "ss")
        } else if endsWith("ied") || endsWith("ies") {
            replace(from: count - 3, with: count > 4 ? "i" : "ie")
        } else if endsWith("s") && !endsWith("ss") && !endsWith("us") && containsVowel(before: count - 2) {
            word.removeLast()
        }
    }

    /// Step 1b: `eed`, `eedly` → `ee` in R1 (but `proceed`, `exceed`, `succeed` stay);
    /// `ed`, `edly`, `ing`, `ingly` are removed after a vowel and the stem is tidied,
    /// except for `inning`, `outing`, … which stay, and `dying`, `lying`, … which become `die`, `lie`.
    private mutating func step1b() {
        let count = word.count
        if endsWith("eedly") || endsWith("eed") {
            let start = count - (endsWith("eedly") ? 5 : 3)
            if start >= r1 && !Self.eedStems.contains(where: { isWhole(before: start, $0) }) {
                replace(from: start, with: "ee")
            }
        } else if endsWith("ingly") {
            removeVerbEnding(count: 5)
        } else if endsWith("edly") {
            removeVerbEnding(count: 4)
        } else if endsWith("ed") {
            removeVerbEnding(count: 2)
        } else if endsWith("ing") {
            let start = count - 3
            if Self.ingStems.contains(where: { isWhole(before: start, $0) }) { return }
            if start == 2 && word[1] == .y && !isVowel(word[0]) {
                replace(from: 1, with: "ie")
            } else {
                removeVerbEnding(count: 3)
            }
        }
    }

    /// Step 1b's main case: removes an `ed`/`ing`-type ending of `count` bytes when a vowel
    /// precedes it, then adds `e` after `at`, `bl`, `iz` or a short word, or undoubles a final
    /// double consonant (but `add`, `egg`, `off`, … keep theirs).
    private mutating func removeVerbEnding(count: Int) {
        guard containsVowel(before: word.count - count) else { return }
        word.removeLast(count)
        let length = word.count
        if endsWith("at") || endsWith("bl") || endsWith("iz") {
            word.append(.e)
        } else if length >= 2 && word[length - 1] == word[length - 2] && isDoubleConsonant(word[length - 1]) {
            if !(length == 3 && isAEO(word[0])) { word.removeLast() }
        } else if length == r1 && endsWithShortSyllable(at: length) {
            word.append(.e)
        }
    }

    /// Step 1c: a final `y` or `Y` after a non-vowel that is not the first letter becomes `i`.
    private mutating func step1c() {
        let last = word.count - 1
        guard last >= 2, word[last] == .y || word[last] == .upperY, !isVowel(word[last - 1]) else { return }
        word[last] = .i
    }

    /// Steps 2, 3 and 4: finds the longest suffix of `rules` that ends the word; if it starts
    /// at or after `region` and its condition holds, it is replaced. A shorter suffix is never
    /// tried in its place.
    private mutating func applyLongestRule(_ rules: [Rule], region: Int) {
        let tail = packedTail
        guard let rule = rules.first(where: { tail & $0.mask == $0.packedSuffix }) else { return }
        let start = word.count - rule.length
        guard start >= region, holds(rule.condition, before: start) else { return }
        replace(from: start, with: rule.replacement)
    }

    /// Step 5: a final `e` is removed in R2, or in R1 when not after a short syllable;
    /// a final `l` is removed in R2 after another `l`.
    private mutating func step5() {
        let last = word.count - 1
        switch word[last] {
        case .e:
            if last >= r2 || (last >= r1 && !endsWithShortSyllable(at: last)) { word.removeLast() }
        case .l:
            if last >= r2 && last > 0 && word[last - 1] == .l { word.removeLast() }
        default:
            break
        }
    }

    // MARK: Tests on the word

    /// Whether `word[..<end]` ends in a short syllable: non-vowel (not `w`, `x`, `Y`), vowel,
    /// non-vowel read backwards; or vowel, non-vowel as the whole of it; or `past`.
    private func endsWithShortSyllable(at end: Int) -> Bool {
        if end >= 3 && !isVowelWXY(word[end - 1]) && isVowel(word[end - 2]) && !isVowel(word[end - 3]) {
            return true
        }
        if end == 2 && !isVowel(word[1]) && isVowel(word[0]) { return true }
        return has("past", endingAt: end)
    }

    private func holds(_ condition: Rule.Condition, before start: Int) -> Bool {
        switch condition {
        case .always: true
        case .inR2: start >= r2
        case .afterL: start > 0 && word[start - 1] == .l
        case .afterValidLI: start > 0 && isValidLIEnding(word[start - 1])
        case .afterSOrT: start > 0 && (word[start - 1] == .s || word[start - 1] == .t)
        }
    }

    private func containsVowel(before end: Int) -> Bool {
        word[..<end].contains(where: isVowel)
    }

    private func startsWith(_ text: StaticString) -> Bool {
        text.utf8CodeUnitCount <= word.count && has(text, endingAt: text.utf8CodeUnitCount)
    }

    /// The last eight bytes (or fewer) packed into an integer, last byte lowest, so that a rule's
    /// suffix is matched with one mask and one compare. Letters are never zero, so a suffix
    /// longer than the word cannot match.
    private var packedTail: UInt64 {
        word.suffix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func endsWith(_ text: StaticString) -> Bool {
        has(text, endingAt: word.count)
    }

    /// Whether `word[..<end]` is exactly `text`.
    private func isWhole(before end: Int, _ text: StaticString) -> Bool {
        end == text.utf8CodeUnitCount && has(text, endingAt: end)
    }

    /// Whether `word[..<end]` ends with `text`; compares from the last byte, which rejects
    /// most candidates at once.
    private func has(_ text: StaticString, endingAt end: Int) -> Bool {
        let count = text.utf8CodeUnitCount
        guard count <= end else { return false }
        let bytes = text.utf8Start
        var offset = count - 1
        while offset >= 0 {
            if word[end - count + offset] != bytes[offset] { return false }
            offset -= 1
        }
        return true
    }

    private mutating func replace(from start: Int, with text: StaticString) {
        word.removeLast(word.count - start)
        text.withUTF8Buffer { word.append(contentsOf: $0) }
    }

    // MARK: Tables

    /// A suffix of steps 2–4, what replaces it, and what must hold besides its region.
    fileprivate struct Rule: Sendable {
        enum Condition: Sendable { case always, inR2, afterL, afterValidLI, afterSOrT }

        /// The suffix's bytes packed like `Stemmer.packedTail`, and the mask of its length.
        let packedSuffix: UInt64
        let mask: UInt64
        let length: Int
        let replacement: StaticString
        let condition: Condition

        init(_ suffix: StaticString, _ replacement: StaticString, _ condition: Condition = .always) {
            length = suffix.utf8CodeUnitCount
            precondition(length < 8, "suffixes are packed into 7 bytes")
            packedSuffix = suffix.withUTF8Buffer { $0.reduce(0) { $0 << 8 | UInt64($1) } }
            mask = 1 << (8 * length) - 1
            self.replacement = replacement
            self.condition = condition
        }

        /// The rules, longest suffix first, so that the first match is the longest.
        static func longestFirst(_ rules: [Rule]) -> [Rule] {
            rules.sorted { $0.length > $1.length }
        }
    }

    /// Prefixes after which R1 starts, whatever the vowels say.
    private static let r1Prefixes: [StaticString] = [
        "arsen", "commun", "emerg", "gener", "inter", "later", "organ", "past", "univers",
    ]

    /// Stems before `eed` that keep it: `proceed`, `exceed`, `succeed`.
    private static let eedStems: [StaticString] = ["succ", "proc", "exc"]

    /// Stems before `ing` that keep it: `evening`, `canning`, `inning`, `earring`, `herring`, `outing`.
    private static let ingStems: [StaticString] = ["even", "cann", "inn", "earr", "herr", "out"]

    /// Step 2, in R1.
    private static let step2Rules = Rule.longestFirst([
        Rule("tional", "tion"), Rule("enci", "ence"), Rule("anci", "ance"), Rule("abli", "able"),
        Rule("entli", "ent"), Rule("izer", "ize"), Rule("ization", "ize"), Rule("ational", "ate"),
        Rule("ation", "ate"), Rule("ator", "ate"), Rule("alism", "al"), Rule("aliti", "al"),
        Rule("alli", "al"), Rule("fulness", "ful"), Rule("ousli", "ous"), Rule("ousness", "ous"),
        Rule("iveness", "ive"), Rule("iviti", "ive"), Rule("biliti", "ble"), Rule("bli", "ble"),
        Rule("ogist", "og"), Rule("ogi", "og", .afterL), Rule("fulli", "ful"), Rule("lessli", "less"),
        Rule("li", "", .afterValidLI),
    ])

    /// Step 3, in R1.
    private static let step3Rules = Rule.longestFirst([
        Rule("tional", "tion"), Rule("ational", "ate"), Rule("alize", "al"), Rule("icate", "ic"),
        Rule("iciti", "ic"), Rule("ical", "ic"), Rule("ful", ""), Rule("ness", ""),
        Rule("ative", "", .inR2),
    ])

    /// Step 4, in R2.
    private static let step4Rules = Rule.longestFirst([
        Rule("al", ""), Rule("ance", ""), Rule("ence", ""), Rule("er", ""), Rule("ic", ""),
        Rule("able", ""), Rule("ible", ""), Rule("ant", ""), Rule("ement", ""), Rule("ment", ""),
        Rule("ent", ""), Rule("ism", ""), Rule("ate", ""), Rule("iti", ""), Rule("ous", ""),
        Rule("ive", ""), Rule("ize", ""), Rule("ion", "", .afterSOrT),
    ])
}

// MARK: Letter classes

private func isVowel(_ byte: UInt8) -> Bool {
    switch byte {
    case .a, .e, .i, .o, .u, .y: true
    default: false
    }
}

/// Vowels plus `w`, `x` and `Y`: letters that cannot end a short syllable.
private func isVowelWXY(_ byte: UInt8) -> Bool {
    isVowel(byte) || byte == .w || byte == .x || byte == .upperY
}

private func isAEO(_ byte: UInt8) -> Bool {
    byte == .a || byte == .e || byte == .o
}

private func isDoubleConsonant(_ byte: UInt8) -> Bool {
    switch byte {
    case .b, .d, .f, .g, .m, .n, .p, .r, .t: true
    default: false
    }
}

/// Letters before which step 2 removes `li`.
private func isValidLIEnding(_ byte: UInt8) -> Bool {
    switch byte {
    case .c, .d, .e, .g, .h, .k, .m, .n, .r, .t: true
    default: false
    }
}

private extension UInt8 {
    static let a = UInt8(ascii: "a"), b = UInt8(ascii: "b"), c = UInt8(ascii: "c")
    static let d = UInt8(ascii: "d"), e = UInt8(ascii: "e"), f = UInt8(ascii: "f")
    static let g = UInt8(ascii: "g"), h = UInt8(ascii: "h"), i = UInt8(ascii: "i")
    static let k = UInt8(ascii: "k"), l = UInt8(ascii: "l"), m = UInt8(ascii: "m")
    static let n = UInt8(ascii: "n"), o = UInt8(ascii: "o"), p = UInt8(ascii: "p")
    static let r = UInt8(ascii: "r"), s = UInt8(ascii: "s"), t = UInt8(ascii: "t")
    static let u = UInt8(ascii: "u"), w = UInt8(ascii: "w"), x = UInt8(ascii: "x")
    static let y = UInt8(ascii: "y"), upperY = UInt8(ascii: "Y")
}
