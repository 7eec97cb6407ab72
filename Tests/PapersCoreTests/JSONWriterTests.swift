import Foundation
import PapersCore
import Testing

@Suite struct JSONWriterTests {
    struct Item: JSONWritable {
        var name: String
        var note: String?
        var count: Int?
        var flag: Bool
        var tags: [String]

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("name", name)
                json.member("note", note)
                json.member("count", count)
                json.member("flag", flag)
                json.member("tags", tags)
            }
        }
    }

    static let hostile = "quote \" backslash \\ slash / </script> tab\t newline\n return\r bell\u{7} nul\u{0} form\u{C} back\u{8} DEL\u{7F} é 中文 🦄 \u{2028}"

    @Test func whatItWritesParsesBackToTheSameValues() throws {
        let items = [Item(name: Self.hostile, note: nil, count: -42, flag: true, tags: [Self.hostile, "", "b"]),
                     Item(name: "", note: "n", count: nil, flag: false, tags: [])]
        let bytes = items.jsonBytes
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["name"] as? String == Self.hostile)
        #expect(parsed[0]["note"] == nil, "a nil member is left out")
        #expect(parsed[0]["count"] as? Int == -42)
        #expect(parsed[0]["flag"] as? Bool == true)
        #expect(parsed[0]["tags"] as? [String] == [Self.hostile, "", "b"])
        #expect(Set(parsed[1].keys) == ["name", "note", "flag", "tags"])
        #expect(parsed[1]["tags"] as? [String] == [])
    }

    @Test func stringsAreEscapedAsJSONEncoderEscapedThem() throws {
        let text = String(decoding: [Self.hostile].jsonBytes, as: UTF8.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let reference = String(decoding: try encoder.encode([Self.hostile]), as: UTF8.self)
        // Both leave slashes, non-ASCII and U+2028 as they are and escape quotes, backslashes
        // and control characters; they may spell a control character differently (\b or \u0008).
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] == [Self.hostile])
        #expect(text.contains("</script>") && text.contains("🦄") && text.contains("\\\" backslash \\\\ slash /"))
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "no raw control character")
        #expect(text.count - reference.count <= 4, "the same text but for a control character's spelling: \(text) vs \(reference)")
        #expect([String]().jsonBytes == Array("[]".utf8))
        var json = JSONWriter()
        json.array { json in
            json.null()
            json.object { _ in }
            json.array { json in json.int(0); json.bool(false) }
        }
        #expect(json.text == "[null,{},[0,false]]")
    }
}
