import PapersCore

/// The one layout every page shares.
enum Layout {
    static func page(title: String, siteName: String, query: String = "", head: HTML = .empty, viewer: Viewer? = nil, body: HTML) -> HTML {
        let fullTitle = title.isEmpty ? siteName : "\(title) · \(siteName)"
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(fullTitle)</title>
        <link rel="alternate" type="application/rss+xml" title="\(siteName): daily papers" href="\(SiteRoute.feedDaily.url)">
        <link rel="alternate" type="application/rss+xml" title="\(siteName): trending papers" href="\(SiteRoute.feedTrending.url)">
        \(head)
        <style>\(stylesheet)</style>
        </head>
        <body>
        <header class="site">
          <a class="brand" href="\(SiteRoute.home.url)">\(siteName)</a>
          <nav>
            <a href="\(SiteRoute.home.url)">Daily</a>
            <a href="\(SiteRoute.trending.url)">Trending</a>
            <a href="\(SiteRoute.subscribe.url)">Email</a>
          </nav>
          <form class="search" action="\(SiteRoute.search(nil).url)" method="get" role="search">
            <input type="search" name="q" value="\(query)" placeholder="Search papers" aria-label="Search papers">
          </form>
          <nav class="account">\(accountLinks(viewer))</nav>
        </header>
        <main>
        \(body)
        </main>
        <footer class="site">
          <a href="\(SiteRoute.feedDaily.url)">RSS: daily</a> · <a href="\(SiteRoute.feedTrending.url)">RSS: trending</a> ·
          <a href="\(SiteRoute.openAPI.url)">API</a>
        </footer>
        \(viewer?.member == nil ? HTML.empty : voteScript)
        </body>
        </html>
        """
    }

    /// Sign in and up for visitors; submit, settings and sign out for members.
    static func accountLinks(_ viewer: Viewer?) -> HTML {
        guard let viewer, let member = viewer.member else {
            return "<a href=\"\(SiteRoute.signIn().url)\">Sign in</a> <a href=\"\(SiteRoute.signUp().url)\">Sign up</a>"
        }
        return """
        <a href="\(SiteRoute.submit.url)">Submit</a>
        <a href="\(SiteRoute.alerts.url)">Alerts</a>
        <a href="\(SiteRoute.settings.url)" title="Settings">\(member.username)\(member.isAdmin ? " (admin)" : "")</a>
        <form method="post" action="\(SiteRoute.signOut.url)" class="inline">\(viewer.csrfField)<button class="link" type="submit">Sign out</button></form>
        """
    }

    /// Progressive enhancement of the vote buttons: with JavaScript the form is sent in the
    /// background and the count updates in place; without it the form posts and redirects back.
    static let voteScript = HTML(raw: """
    <script>
    document.addEventListener("submit", async function (event) {
      var form = event.target;
      if (!form.classList || !form.classList.contains("vote")) return;
      event.preventDefault();
      try {
        var response = await fetch(form.action, {method: "POST", headers: {"Accept": "application/json"},
                                                 body: new URLSearchParams(new FormData(form)), credentials: "same-origin"});
        if (!response.ok) throw new Error(String(response.status));
        var result = await response.json();
        var button = form.querySelector("button");
        button.setAttribute("aria-pressed", result.upvoted ? "true" : "false");
        button.querySelector(".count").textContent = result.upvotes;
      } catch (error) { form.submit(); }
    });
    </script>
    """)

    static let stylesheet = HTML(raw: """
    :root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:#0969da;--bg:#fff;--card:#f6f8fa;--mark:#fff3b0;--code:#eef1f4;
      --pressed:#ddf4ff;--notice-fg:#7d5600;--notice-bg:#fff8c5;--error-fg:#82071e;--error-bg:#ffebe9;--ok-fg:#116329;--ok-bg:#dafbe1}
    @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9ea7b3;--line:#3d444d;--accent:#4c9bff;--bg:#0d1117;--card:#161b22;--mark:#5c4a00;
      --code:#262c36;--pressed:#0c2d6b;--notice-fg:#e3b341;--notice-bg:#2e2200;--error-fg:#ff9492;--error-bg:#3c0d10;--ok-fg:#56d364;--ok-bg:#0f2d16}}
    *{box-sizing:border-box}
    body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
    a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
    header.site{display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap;padding:.75rem 1.5rem;border-bottom:1px solid var(--line)}
    .brand{font-weight:700;font-size:1.15rem;color:var(--fg)}
    header nav{display:flex;gap:1rem}
    form.search{margin-left:auto}
    form.search input{font:inherit;background:var(--bg);color:var(--fg);padding:.35rem .6rem;border:1px solid var(--line);border-radius:6px;min-width:16rem}
    main{max-width:52rem;margin:0 auto;padding:1rem 1.5rem 3rem}
    footer.site{max-width:52rem;margin:0 auto;padding:1rem 1.5rem;color:var(--muted);font-size:.9rem;border-top:1px solid var(--line)}
    h1{font-size:1.8rem;margin:.5rem 0}
    .pager{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;margin:.5rem 0 1rem;color:var(--muted)}
    .pager .spacer{flex:1}
    .follow{color:var(--muted);font-size:.95rem;margin:.25rem 0 1rem}
    .sorts a,.sorts strong{margin-left:.6rem}
    .card{padding:.9rem 0;border-bottom:1px solid var(--line);display:block}
    .card h3{margin:0 0 .25rem;font-size:1.1rem;line-height:1.35}
    .card h3 a{color:var(--fg)}
    .card p{margin:.2rem 0;color:var(--muted);font-size:.95rem}
    .meta{display:flex;gap:.6rem;color:var(--muted);font-size:.9rem;align-items:center;flex-wrap:wrap}
    .meta .votes{margin-left:auto;font-weight:600;color:var(--fg)}
    mark{background:var(--mark);color:var(--fg);padding:0 .1em}
    .empty{padding:2rem;background:var(--card);border-radius:8px}
    .empty code,pre{background:var(--code);padding:.1rem .3rem;border-radius:4px}
    .paper .authors{color:var(--muted)}
    .paper .abstract{font-size:1.02rem}
    .paper .links a{margin-right:1rem}
    .paper section{margin-top:2rem}
    .placeholder{color:var(--muted);font-style:italic}
    .searchform{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0 1rem}
    .searchform input{font:inherit;background:var(--bg);color:var(--fg);padding:.35rem .6rem;border:1px solid var(--line);border-radius:6px}
    .searchform input[type=radio]{padding:0;border:0}
    .searchform input[type=search]{min-width:20rem}
    .searchform button{font:inherit;padding:.3rem .9rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
    .searchform fieldset.modes{display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:center;border:0;margin:0;padding:0}
    .searchform label{white-space:nowrap}
    .searchform fieldset.modes legend{float:left;padding:0;margin-right:.2rem;color:var(--muted)}
    .notice{color:var(--notice-fg);background:var(--notice-bg);padding:.4rem .7rem;border-radius:6px;width:100%}
    nav.account{display:flex;gap:.8rem;align-items:center}
    form.inline{display:inline;margin:0}
    button.link{font:inherit;border:0;background:none;color:var(--accent);padding:0;cursor:pointer}
    .vote button,.vote a{font:inherit;font-weight:600;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);padding:.1rem .55rem;cursor:pointer}
    .vote button[aria-pressed=true]{background:var(--pressed);border-color:var(--accent);color:var(--accent)}
    .meta .vote{margin-left:auto}
    .form{display:grid;gap:.7rem;max-width:26rem}
    .form label{display:grid;gap:.2rem}
    .form input:not([type=radio]):not([type=checkbox]),.form textarea,.form select{font:inherit;background:var(--bg);color:var(--fg);padding:.4rem .6rem;border:1px solid var(--line);border-radius:6px}
    .form button,.button{font:inherit;padding:.4rem 1rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);cursor:pointer;justify-self:start}
    .form fieldset{display:grid;gap:.35rem;border:1px solid var(--line);border-radius:6px;margin:0;padding:.4rem .8rem .6rem}
    .form fieldset legend{padding:0 .3rem}
    .form label.choice{display:flex;gap:.5rem;align-items:center}
    .form label.choice input{margin:0}
    .error{color:var(--error-fg);background:var(--error-bg);padding:.5rem .8rem;border-radius:6px}
    .success{color:var(--ok-fg);background:var(--ok-bg);padding:.5rem .8rem;border-radius:6px}
    .comment{border-top:1px solid var(--line);padding:.6rem 0}
    .comment .who{color:var(--muted);font-size:.9rem}
    .comment p{white-space:pre-wrap;margin:.3rem 0}
    .comment form{display:inline}
    .token{font-family:ui-monospace,monospace;background:var(--code);padding:.3rem .5rem;border-radius:4px;word-break:break-all}
    table.tokens{border-collapse:collapse}table.tokens td,table.tokens th{padding:.3rem .8rem .3rem 0;text-align:left}
    .tag{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 .5rem;font-size:.8rem;color:var(--muted)}
    @media (max-width:40rem){
      header.site{display:grid;grid-template-columns:1fr auto;gap:.5rem 1rem;padding:.6rem 1rem}
      header.site .brand{grid-row:1;grid-column:1}
      header.site nav:not(.account){grid-row:1;grid-column:2;justify-self:end}
      header.site nav.account{grid-row:2;grid-column:1/3;flex-wrap:wrap}
      form.search{grid-row:3;grid-column:1/3;margin:0}
      form.search input{min-width:0;width:100%}
      main,footer.site{padding-left:1rem;padding-right:1rem}
      .searchform input[type=search]{min-width:0;width:100%}
    }
    """)
}
