import PapersStore
import Testing

@Suite struct JSONTextTests {
    @Test func stringArraysRoundTripWithAndWithoutEscapes() {
        let plain = ["Yejin Choi", "Zoë Kravitz", "中文 🦄", "", "a, b", "[x]"]
        let hostile = ["quote \" and \\ backslash", "line\nbreak\ttab\u{1}", "/"]
        for strings in [plain, hostile, plain + hostile, []] {
            #expect(JSONText.decodeStrings(JSONText.encode(strings)) == strings)
        }
        #expect(JSONText.decodeStrings(" [ \"a\" ,\n\"b\" ] ") == ["a", "b"], "spaces around the tokens")
        #expect(JSONText.decodeStrings("[\"a\\u00e9\"]") == ["aé"], "an escape is read by the full parser")
        for broken in ["", "[", "[\"a\"", "[\"a\" \"b\"]", "{\"a\": 1}", "[1, 2]", "[\"a\"] x", "[\"a\u{1}\"]"] {
            #expect(JSONText.decodeStrings(broken) == [], "\(broken.debugDescription) is not an array of strings")
        }
    }
}
