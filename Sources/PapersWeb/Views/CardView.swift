import Foundation
import PapersCore

/// The paper card of every list (DESIGN.md §1).
enum CardView {
    static let abstractLength = 280

    static func render(_ card: PaperCard, now: Date, viewer: Viewer? = nil) -> HTML {
        let paper = card.paper
        let authors = paper.authors.count == 1 ? "1 author" : "\(paper.authors.count) authors"
        let date = (paper.publishedAt ?? card.featured?.featuredAt).map { DisplayDate.short($0, now: now) }
        var extras = [HTML]()
        if card.comments > 0 { extras.append("<span title=\"comments\">· \(card.comments) comment\(card.comments == 1 ? "" : "s")</span>") }
        if let submitter = card.featured?.submitter {
            extras.append("<span class=\"submitter\">· submitted by \(submitter.user)</span>")
        }
        if let stars = paper.githubStars, paper.githubRepo != nil { extras.append("<span title=\"GitHub stars\">· ★ \(stars)</span>") }
        if let category = paper.categories.first { extras.append("<a class=\"tag\" href=\"\(SiteRoute.category(category).url)\">\(category)</a>") }
        return """
        <article class="card">
          <h3><a href="\(SiteRoute.paper(paper.id).url)">\(paper.title)</a></h3>
          <p>\(summary(card))</p>
          <div class="meta"><span>• \(authors)</span>\(date.map { (d: String) -> HTML in "<span>· \(d)</span>" })\(extras)\(VoteControl.render(card, viewer: viewer, next: nil))</div>
        </article>
        """
    }

    /// The search excerpt with matches in `<mark>`, or the start of the abstract.
    static func summary(_ card: PaperCard) -> HTML {
        if let excerpt = card.excerpt { return marked(excerpt) }
        return HTML(raw: HTML.escape(truncated(card.paper.abstract, to: abstractLength)))
    }

    /// Escapes the text and turns only the store's match markers into `<mark>`.
    static func marked(_ excerpt: String) -> HTML {
        // The marks are single bytes (U+0002, U+0003) in the UTF-8, which no other character's bytes are.
        var out = ""
        var open = false
        var excerpt = excerpt
        excerpt.withUTF8 { bytes in
            var partStart = 0
            func flush(_ end: Int) {
                out += HTML.escape(String(decoding: UnsafeBufferPointer(rebasing: bytes[partStart..<end]), as: UTF8.self))
                partStart = end + 1
            }
            for i in 0..<bytes.count where bytes[i] == 0x02 || bytes[i] == 0x03 {
                flush(i)
                out += open ? "</mark>" : "<mark>"
                open.toggle()
            }
            flush(bytes.count)
        }
        if open { out += "</mark>" }
        return HTML(raw: out)
    }

    static func truncated(_ text: String, to length: Int) -> String {
        guard text.count > length else { return text }
        let cut = text.prefix(length)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + " …"
    }

    static func list(_ cards: [PaperCard], now: Date, viewer: Viewer? = nil) -> HTML {
        HTML(raw: cards.map { render($0, now: now, viewer: viewer).rendered }.joined(separator: "\n"))
    }
}
