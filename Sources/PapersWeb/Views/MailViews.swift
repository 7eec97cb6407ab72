import Foundation
import PapersCore

extension Pages {
    func subscribe(_ state: FormState) -> HTML {
        let frequency = state["frequency"].isEmpty ? "daily" : state["frequency"]
        func option(_ value: String, _ label: String) -> HTML {
            "<label class=\"choice\"><input type=\"radio\" name=\"frequency\" value=\"\(value)\"\(HTML(raw: frequency == value ? " checked" : ""))> \(label)</label>"
        }
        return layout(title: "Email digest", siteName: siteName, body: """
            <h1>Trending papers in your inbox</h1>
            <p>A digest of the papers the community upvoted most: daily (on weekdays, the papers of the day before) or weekly (on Mondays, the week before).
            Narrow it to keywords or arXiv categories, or leave both empty for everything.</p>
            \(errorBox(state.error))
            <form class="form" method="post" action="\(SiteRoute.subscribe.url)">
              \(viewer?.csrfField)
              <label>Email <input name="email" type="email" value="\(state["email"])" autocomplete="email" required maxlength="254"></label>
              <fieldset><legend>How often</legend>\(option("daily", "Daily, on weekdays"))\(option("weekly", "Weekly, on Mondays"))</fieldset>
              <label>Keywords, separated by commas (optional) <input name="keywords" value="\(state["keywords"])" placeholder="diffusion, retrieval augmented generation" maxlength="900"></label>
              <label>arXiv categories (optional) <input name="categories" value="\(state["categories"])" placeholder="cs.CL cs.LG" maxlength="220"></label>
              <button type="submit">Subscribe</button>
            </form>
            <p>We send one message to confirm the address; nothing else goes to it until you follow its link.
            Every digest has a one-click unsubscribe link. Asking again with the same address updates its settings.</p>
            \(viewer?.member == nil ? HTML.empty : "<p>Members can also get <a href=\"\(SiteRoute.alerts.url)\">alerts</a> for a search or an author.</p>" as HTML)
            """)
    }

    /// Under search results: an alert for new papers matching the search (members), and a
    /// digest narrowed to it (anyone).
    func followSearch(_ query: String) -> HTML {
        guard let words = try? MailRules.alertQuery(query) else { return .empty }
        let alert: HTML = viewer?.member == nil
            ? "<a href=\"\(SiteRoute.signIn(next: SiteRoute.newAlert(.search, query: words).url.path).url)\">Sign in</a> to be mailed new papers matching this search"
            : "<a href=\"\(SiteRoute.newAlert(.search, query: words).url)\">Mail me new papers matching this search</a>"
        return "<p class=\"follow\">\(alert) · <a href=\"\(SiteRoute.subscribeAbout(keywords: words).url)\">Get a digest about it</a></p>"
    }

    /// On a paper page, for members: follow one of its authors (an author alert).
    func followAuthors(_ authors: [String]) -> HTML {
        guard let viewer, viewer.member != nil, !authors.isEmpty else { return .empty }
        let options = authors.filter { (try? MailRules.alertQuery($0)) != nil }.map { (name: String) -> HTML in "<option>\(name)</option>" }
        guard !options.isEmpty else { return .empty }
        return """
            <form class="follow" method="post" action="\(SiteRoute.alerts.url)">\(viewer.csrfField)
              <input type="hidden" name="kind" value="author">
              <label>Mail me new papers by <select name="query">\(options)</select></label> <button class="button" type="submit">Follow</button>
            </form>
            """
    }

    func mailNotice(title: String, _ message: String) -> HTML {
        layout(title: title, siteName: siteName, body: "<h1>\(title)</h1><p class=\"notice\" role=\"status\">\(message)</p>")
    }

    /// A page whose button sends a signed token from an email (confirming or unsubscribing),
    /// so a link scanner that fetches the link changes nothing.
    func tokenButton(title: String, text: String, action: SiteURL, button: String) -> HTML {
        layout(title: title, siteName: siteName, body: """
            <h1>\(title)</h1>
            <p>\(text)</p>
            <form class="form" method="post" action="\(action)"><button type="submit">\(button)</button></form>
            """)
    }

    func alerts(member: Member, alerts: [PaperAlert], emailConfirmed: Bool, state: FormState, notice: String?) -> HTML {
        let rows = alerts.map { a -> HTML in
            """
            <tr><td>\(a.kind == .author ? "Author" : "Search")</td><td>\(a.query)</td><td>\(DisplayDate.short(a.createdAt, now: now))</td>
            <td><form method="post" action="\(SiteRoute.alertDelete(a.id).url)" class="inline">\(viewer?.csrfField)<button type="submit">Delete</button></form></td></tr>
            """
        }
        let address: HTML = emailConfirmed
            ? "<p>Alerts go to <strong>\(member.email)</strong>.</p>"
            : """
              <p class="notice">Alerts go to \(member.email) once you confirm it.</p>
              <form method="post" action="\(SiteRoute.alertsSendVerification.url)">\(viewer?.csrfField)<button class="button" type="submit">Send me a confirmation link</button></form>
              """
        let kind = state["kind"].isEmpty ? "search" : state["kind"]
        return layout(title: "Alerts", siteName: siteName, body: """
            <h1>Alerts</h1>
            <p>Get an email when papers added to the catalog match a search or are by an author. Each paper is mailed once per alert.</p>
            \(notice.map { (n: String) -> HTML in "<p class=\"notice\" role=\"status\">\(n)</p>" } ?? .empty)
            \(address)
            \(alerts.isEmpty ? "<p>No alerts yet.</p>" as HTML : "<table class=\"tokens\"><tr><th>Kind</th><th>For</th><th>Made</th><th></th></tr>\(rows)</table>" as HTML)
            <h2>New alert</h2>
            \(errorBox(state.error))
            <form class="form" method="post" action="\(SiteRoute.alerts.url)">
              \(viewer?.csrfField)
              <label>Kind <select name="kind">
                <option value="search"\(HTML(raw: kind == "search" ? " selected" : ""))>Papers matching a search</option>
                <option value="author"\(HTML(raw: kind == "author" ? " selected" : ""))>Papers by an author</option>
              </select></label>
              <label>Search words or author name <input name="query" value="\(state["query"])" required maxlength="200"></label>
              <button type="submit">Save alert</button>
            </form>
            """)
    }
}
