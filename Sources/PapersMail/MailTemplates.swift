import Foundation
import PapersCore

/// Links the messages carry, built by the web side from its routes and the public base URL.
public struct MailLinks: Sendable {
    public var home: String
    public var paper: @Sendable (ArxivID) -> String
    public var confirmSubscription: @Sendable (String) -> String
    public var unsubscribe: @Sendable (String) -> String
    public var verifyEmail: @Sendable (String) -> String
    public var subscribe: String
    public var alerts: String

    public init(home: String, paper: @escaping @Sendable (ArxivID) -> String,
                confirmSubscription: @escaping @Sendable (String) -> String, unsubscribe: @escaping @Sendable (String) -> String,
                verifyEmail: @escaping @Sendable (String) -> String, subscribe: String, alerts: String) {
        self.home = home
        self.paper = paper
        self.confirmSubscription = confirmSubscription
        self.unsubscribe = unsubscribe
        self.verifyEmail = verifyEmail
        self.subscribe = subscribe
        self.alerts = alerts
    }
}

/// The text and HTML of each kind of message. The HTML is what mail clients render well:
/// one centred table, inline styles only, no images, scripts or external style sheets.
/// Every piece of paper or subscriber text goes through `HTML` interpolation (escaped).
enum MailTemplates {
    static let font = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"

    struct Body {
        var text: String
        var html: String
    }

    static func page(siteName: String, title: String, content: HTML, footer: HTML) -> String {
        let html: HTML = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>\(title)</title></head>
            <body style="margin:0;padding:0;background:#f4f4f1">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f1">
            <tr><td align="center" style="padding:24px 12px">
            <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" \
            style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e2e2dc;border-radius:6px">
            <tr><td style="padding:20px 24px 8px;\(font);color:#1b1b1b">
            <div style="font-size:13px;font-weight:bold;letter-spacing:.04em;text-transform:uppercase;color:#8a5a00">\(siteName)</div>
            <h1 style="margin:6px 0 12px;font-size:21px;line-height:1.3;color:#1b1b1b">\(title)</h1>
            \(content)
            </td></tr>
            <tr><td style="padding:12px 24px 20px;\(font);font-size:12px;line-height:1.5;color:#6b6b66;border-top:1px solid #ececE6">\(footer)</td></tr>
            </table>
            </td></tr>
            </table>
            </body></html>
            """
        return html.rendered
    }

    static func paragraph(_ content: HTML) -> HTML {
        "<p style=\"margin:0 0 14px;font-size:15px;line-height:1.5\">\(content)</p>"
    }

    static func button(_ label: String, _ url: String) -> HTML {
        """
        <p style="margin:18px 0"><a href="\(url)" style="display:inline-block;padding:10px 18px;background:#1b1b1b;\
        color:#ffffff;text-decoration:none;border-radius:4px;font-size:15px;font-weight:bold">\(label)</a></p>
        """
    }

    /// The first `limit` characters of the abstract, cut at a word.
    static func excerpt(_ abstract: String, limit: Int = 280) -> String {
        let flat = MailMessage.singleLine(String(abstract.prefix(limit * 2)))
        guard flat.count > limit else { return flat }
        var cut = String(flat.prefix(limit))
        if let space = cut.lastIndex(of: " ") { cut = String(cut[..<space]) }
        return cut + "…"
    }

    static func byline(_ card: PaperCard) -> String {
        let authors = card.paper.authors.count
        var parts = [authors == 1 ? card.paper.authors[0] : "\(authors) authors"]
        if let day = card.featured?.day ?? card.paper.publishedAt.map(Day.init) { parts.append(DisplayDate.long(day)) }
        parts.append("\(card.upvotes) upvote\(card.upvotes == 1 ? "" : "s")")
        if card.comments > 0 { parts.append("\(card.comments) comment\(card.comments == 1 ? "" : "s")") }
        return parts.joined(separator: " · ")
    }

    static func cards(_ cards: [PaperCard], links: MailLinks) -> Body {
        var text = ""
        var html = [HTML]()
        for (n, card) in cards.enumerated() {
            let url = links.paper(card.paper.id)
            let title = MailMessage.singleLine(card.paper.title)
            text += "\(n + 1). \(title)\n   \(byline(card))\n   \(excerpt(card.paper.abstract))\n   \(url)\n\n"
            html.append("""
                <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 18px">
                <tr><td style="\(font)">
                <a href="\(url)" style="font-size:16px;line-height:1.35;font-weight:bold;color:#0b4f9c;text-decoration:none">\(title)</a>
                <div style="margin:3px 0 5px;font-size:13px;color:#6b6b66">\(byline(card))</div>
                <div style="font-size:14px;line-height:1.5;color:#333330">\(excerpt(card.paper.abstract))</div>
                </td></tr></table>
                """)
        }
        return Body(text: text, html: html.joined().rendered)
    }

    static func footer(reason: String, unsubscribe: String?, manage: String) -> (text: String, html: HTML) {
        var text = "-- \n\(reason)\n"
        var html: HTML = "\(reason)<br>"
        if let unsubscribe {
            text += "Unsubscribe: \(unsubscribe)\n"
            html = html + "<a href=\"\(unsubscribe)\" style=\"color:#6b6b66\">Unsubscribe</a> · "
        }
        text += "Manage: \(manage)\n"
        html = html + "<a href=\"\(manage)\" style=\"color:#6b6b66\">Manage</a>"
        return (text, html)
    }
}
