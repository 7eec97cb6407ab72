import PapersCore
import Testing

@Suite struct HTMLEscapeTests {
    @Test func escapesTheFiveCharactersAndNothingElse() {
        #expect(HTML.escape("<script>alert('x') & \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect(HTML.escape("Zoë 中文 🦄 e\u{301} plain") == "Zoë 中文 🦄 e\u{301} plain")
        #expect(HTML.escape("é<中>🦄&") == "é&lt;中&gt;🦄&amp;")
        #expect(HTML.escape("") == "")
        #expect(HTML.escape("&&") == "&amp;&amp;")
        let interpolated: HTML = "<p>\("a<b")\(Substring("'"))</p>"
        #expect(interpolated.rendered == "<p>a&lt;b&#39;</p>")
    }
}
