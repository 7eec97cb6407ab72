import Foundation
import PapersCore

/// Who is looking at a page: the member (nil for visitors), the CSRF token their forms carry,
/// and which of the papers on the page they have upvoted.
struct Viewer: Sendable {
    var member: Member?
    var csrf: String
    var votes: Set<ArxivID> = []

    var csrfField: HTML { "<input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">" }
    var isAdmin: Bool { member?.isAdmin == true }
}

/// The upvote button of cards and paper pages: a form for members (enhanced by the layout's
/// script), a link to sign in for visitors.
enum VoteControl {
    static func render(_ card: PaperCard, viewer: Viewer?, next: String?) -> HTML {
        let id = card.paper.id
        guard let viewer, viewer.member != nil else {
            return "<span class=\"vote\"><a href=\"\(SiteRoute.signIn(next: next ?? SiteRoute.paper(id).url.path).url)\" title=\"Sign in to upvote\">▲ <span class=\"count\">\(card.upvotes)</span></a></span>"
        }
        let voted = viewer.votes.contains(id)
        let nextField: HTML = next.map { (n: String) -> HTML in "<input type=\"hidden\" name=\"next\" value=\"\(n)\">" } ?? .empty
        return """
        <form class="vote" method="post" action="\(SiteRoute.vote(id).url)">\(viewer.csrfField)\(nextField)<button type="submit" aria-pressed="\(voted ? "true" : "false")" title="\(voted ? "Remove your upvote" : "Upvote")">▲ <span class="count">\(card.upvotes)</span></button></form>
        """
    }
}

/// Values a form is shown with again after an error.
struct FormState {
    var values: [String: String] = [:]
    var error: String?
    subscript(_ name: String) -> String { values[name] ?? "" }
}

extension Pages {
    func errorBox(_ message: String?) -> HTML {
        message.map { (m: String) -> HTML in "<p class=\"error\" role=\"alert\">\(m)</p>" } ?? .empty
    }

    func nextField(_ state: FormState) -> HTML {
        state["next"].isEmpty ? .empty : "<input type=\"hidden\" name=\"next\" value=\"\(state["next"])\">"
    }

    func signIn(_ state: FormState) -> HTML {
        layout(title: "Sign in", siteName: siteName, body: """
            <h1>Sign in</h1>
            \(errorBox(state.error))
            <form class="form" method="post" action="\(SiteRoute.signIn().url)">
              \(viewer?.csrfField)\(nextField(state))
              <label>Username or email <input name="login" value="\(state["login"])" autocomplete="username" required maxlength="254"></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
              <button type="submit">Sign in</button>
            </form>
            <p>New here? <a href="\(SiteRoute.signUp(next: state["next"].isEmpty ? nil : state["next"]).url)">Create an account</a>.</p>
            """)
    }

    func signUp(_ state: FormState) -> HTML {
        layout(title: "Sign up", siteName: siteName, body: """
            <h1>Create an account</h1>
            <p>Members upvote papers, comment and submit papers to the daily page.</p>
            \(errorBox(state.error))
            <form class="form" method="post" action="\(SiteRoute.signUp().url)">
              \(viewer?.csrfField)\(nextField(state))
              <label>Username <input name="username" value="\(state["username"])" autocomplete="username" required maxlength="32" pattern="[A-Za-z0-9_][A-Za-z0-9_-]*"></label>
              <label>Email <input name="email" type="email" value="\(state["email"])" autocomplete="email" required maxlength="254"></label>
              <label>Password (at least 8 characters) <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="72"></label>
              <button type="submit">Sign up</button>
            </form>
            <p>Already a member? <a href="\(SiteRoute.signIn().url)">Sign in</a>.</p>
            """)
    }

    func settings(member: Member, tokens: [APITokenInfo], newToken: String?, passwordState: FormState, tokenState: FormState, notice: String?) -> HTML {
        let rows = tokens.map { t -> HTML in
            """
            <tr><td>\(t.name)</td><td><code>\(t.prefix)…</code></td><td>\(DisplayDate.short(t.createdAt, now: now))</td>
            <td>\(t.lastUsedAt.map { DisplayDate.short($0, now: now) } ?? "never")</td>
            <td><form method="post" action="\(SiteRoute.settingsTokenDelete(t.id).url)" class="inline">\(viewer?.csrfField)<button class="link" type="submit">Revoke</button></form></td></tr>
            """
        }
        let created: HTML = newToken.map { (token: String) -> HTML in
            """
            <div class="success"><p>Your new token. Copy it now: it is not shown again.</p><p class="token">\(token)</p>
            <p>Use it as <code>Authorization: Bearer \(token.prefix(11))…</code> on the API's POST endpoints.</p></div>
            """
        } ?? .empty
        return layout(title: "Settings", siteName: siteName, body: """
            <h1>Settings</h1>
            <p>Signed in as <strong>\(member.username)</strong> (\(member.email))\(member.isAdmin ? " · admin" : "").</p>
            \(notice.map { (n: String) -> HTML in "<p class=\"success\">\(n)</p>" })
            <section><h2>Change password</h2>
            \(errorBox(passwordState.error))
            <form class="form" method="post" action="\(SiteRoute.settingsPassword.url)">
              \(viewer?.csrfField)
              <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
              <label>New password <input name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="72"></label>
              <button type="submit">Change password</button>
            </form></section>
            <section><h2>Email</h2>
            <p>The <a href="\(SiteRoute.subscribe.url)">digest of trending papers</a>, daily or weekly, optionally narrowed to keywords or categories:
            subscribing again with the same address changes it, and every digest has a link that stops it.
            <a href="\(SiteRoute.alerts.url)">Alerts</a> mail you new papers matching a search or by an author.</p></section>
            <section><h2>API tokens</h2>
            <p>Tokens let scripts vote, comment and submit through the <a href="\(SiteRoute.openAPI.url)">API</a> as you.</p>
            \(created)
            \(tokens.isEmpty ? HTML("<p class=\"placeholder\">No tokens yet.</p>") : "<table class=\"tokens\"><tr><th>Name</th><th>Token</th><th>Created</th><th>Last used</th><th></th></tr>\(rows)</table>")
            \(errorBox(tokenState.error))
            <form class="form" method="post" action="\(SiteRoute.settingsTokens.url)">
              \(viewer?.csrfField)
              <label>Name <input name="name" value="\(tokenState["name"])" required maxlength="60" placeholder="my script"></label>
              <button type="submit">Create token</button>
            </form></section>
            """)
    }

    func submit(_ state: FormState, today: Day) -> HTML {
        layout(title: "Submit a paper", siteName: siteName, body: """
            <h1>Submit a paper</h1>
            <p>Put a paper on today's page (\(DisplayDate.short(today, now: now))). Papers this site does not know yet are looked up on arXiv.</p>
            \(errorBox(state.error))
            <form class="form" method="post" action="\(SiteRoute.submit.url)">
              \(viewer?.csrfField)
              <label>arXiv id or link <input name="id" value="\(state["id"])" required maxlength="200" placeholder="2405.15738 or https://arxiv.org/abs/2405.15738"></label>
              <button type="submit">Submit</button>
            </form>
            """)
    }

    func commentsSection(_ paper: ArxivID, comments: [PaperComment]) -> HTML {
        let items = comments.map { c -> HTML in
            let mine = viewer?.member?.id == c.author
            var actions = [HTML]()
            if mine {
                actions.append("<form method=\"post\" action=\"\(SiteRoute.commentDelete(c.id).url)\">\(viewer?.csrfField)<button class=\"link\" type=\"submit\">Delete</button></form>")
            }
            if viewer?.isAdmin == true {
                let route: SiteRoute = c.hiddenAt == nil ? .commentHide(c.id) : .commentUnhide(c.id)
                actions.append("<form method=\"post\" action=\"\(route.url)\">\(viewer?.csrfField)<button class=\"link\" type=\"submit\">\(c.hiddenAt == nil ? "Hide" : "Unhide")</button></form>")
            }
            let text: HTML = c.hiddenAt == nil || viewer?.isAdmin == true
                ? "<p>\(c.body)</p>" : "<p class=\"placeholder\">This comment was hidden by a moderator.</p>"
            return """
            <div class="comment" id="comment-\(c.id.description)">
              <div class="who"><strong>\(c.authorName)</strong> · <time datetime="\(Timestamp.iso8601(c.createdAt))">\(DisplayDate.short(c.createdAt, now: now))</time>\(c.hiddenAt != nil ? " · hidden" : "") \(actions)</div>
              \(text)
            </div>
            """
        }
        let form: HTML
        if viewer?.member != nil {
            form = """
            <form class="form" method="post" action="\(SiteRoute.comments(paper).url)">
              \(viewer?.csrfField)
              <label>Add a comment <textarea name="text" rows="4" required maxlength="5000"></textarea></label>
              <button type="submit">Comment</button>
            </form>
            """
        } else {
            form = "<p><a href=\"\(SiteRoute.signIn(next: SiteRoute.paper(paper).url.path).url)\">Sign in</a> to comment.</p>"
        }
        return """
        <section id="comments"><h2>Comments (\(comments.filter { $0.hiddenAt == nil }.count))</h2>
        \(comments.isEmpty ? HTML("<p class=\"placeholder\">No comments yet.</p>") : items.joined())
        \(form)
        </section>
        """
    }

    /// Feature and unfeature controls, for admins only.
    func adminTools(_ paper: ArxivID, featured: [FeaturedEntry]) -> HTML {
        guard let viewer, viewer.isAdmin else { return .empty }
        let today = Day(now)
        let remove = featured.map { entry -> HTML in
            "<form method=\"post\" action=\"\(SiteRoute.unfeature(paper).url)\" class=\"inline\">\(viewer.csrfField)<input type=\"hidden\" name=\"day\" value=\"\(entry.day.description)\"><button class=\"link\" type=\"submit\">Unfeature from \(entry.day.description)</button></form> "
        }
        return """
        <section id="admin"><h2>Admin</h2>
        <form class="inline" method="post" action="\(SiteRoute.feature(paper).url)">\(viewer.csrfField)
          <label>Feature on <input type="date" name="day" value="\(today.description)" required></label> <button class="button" type="submit">Feature</button>
        </form>
        <p>\(remove)</p>
        </section>
        """
    }
}
