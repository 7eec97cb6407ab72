import Foundation
import PapersCore

/// RSS 2.0 feeds of card lists.
enum RSSFeed {
    static func render(title: String, description: String, link: String, selfURL: String, cards: [PaperCard], baseURL: String) -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <channel>
        <title>\(xml(title))</title>
        <link>\(xml(link))</link>
        <description>\(xml(description))</description>
        <atom:link href="\(xml(selfURL))" rel="self" type="application/rss+xml"/>

        """
        if let newest = cards.compactMap({ $0.featured?.featuredAt ?? $0.paper.publishedAt }).max() {
            out += "<lastBuildDate>\(Timestamp.rfc1123(newest))</lastBuildDate>\n"
        }
        for card in cards {
            let p = card.paper
            let url = SiteRoute.paper(p.id).url.absolute(base: baseURL)
            out += "<item>\n<title>\(xml(p.title))</title>\n<link>\(xml(url))</link>\n"
            out += "<guid isPermaLink=\"true\">\(xml(url))</guid>\n"
            out += "<description>\(xml(p.abstract))</description>\n"
            if let date = card.featured?.featuredAt ?? p.publishedAt {
                out += "<pubDate>\(Timestamp.rfc1123(date))</pubDate>\n"
            }
            for author in p.authors.prefix(20) { out += "<dc:creator>\(xml(author))</dc:creator>\n" }
            for category in p.categories { out += "<category>\(xml(category))</category>\n" }
            out += "</item>\n"
        }
        return out + "</channel>\n</rss>\n"
    }

    /// Escapes text for XML (as for HTML) after dropping the characters XML 1.0 forbids.
    static func xml(_ s: String) -> String {
        var allowed = String.UnicodeScalarView()
        for scalar in s.unicodeScalars where !(scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r")
            && !(0xFFFE...0xFFFF).contains(scalar.value) {
            allowed.append(scalar)
        }
        return HTML.escape(String(allowed))
    }
}
