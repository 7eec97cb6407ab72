"""The community side through the real HTTP stack: accounts, CSRF, votes, comments,
submissions (arXiv answered by a local replay of recorded responses), admins, API tokens,
and a real browser (headless chromium through chromedriver) that signs up and upvotes."""
import http.cookiejar
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium
from conftest import BINARY, SERVER_TODAY, Member, needs_data


def api_upvotes(base, paper):
    with urllib.request.urlopen(f"{base}/api/papers/{paper}", timeout=10) as r:
        return json.loads(r.read())["upvotes"]


@needs_data
def test_votes_comments_tokens_and_csrf(community_server):
    base = community_server
    grace = Member(base).sign_up("grace")
    paper = "2505.24864"
    grace.get(f"/papers/{paper}")
    before = api_upvotes(base, paper)
    # A form without the token is refused and changes nothing.
    status, text, _ = grace.post(f"/papers/{paper}/vote", csrf=False)
    assert status == 403 and "expired or was sent from another site" in text
    status, _, url = grace.post(f"/papers/{paper}/vote", {"next": f"/papers/{paper}"})
    assert status == 200 and url.endswith(f"/papers/{paper}")
    status, text, _ = grace.get(f"/papers/{paper}")
    assert status == 200 and 'aria-pressed="true"' in text
    status, _, url = grace.post(f"/papers/{paper}/vote")
    assert status == 200 and url.endswith(f"/papers/{paper}")
    status, text, _ = grace.get(f"/papers/{paper}")
    assert status == 200 and 'aria-pressed="false"' in text
    assert api_upvotes(base, paper) == before, "voting twice takes the vote back"
    status, text, _ = grace.post(f"/papers/{paper}/comments", {"text": "<img src=x onerror=alert(1)> nice; DROP TABLE comments;--"})
    assert status == 200
    assert "&lt;img src=x onerror=alert(1)&gt; nice; DROP TABLE comments;--" in text
    assert "<img src=x" not in text
    # An API token, made on the settings page, votes from a script.
    grace.get("/settings")
    status, text, _ = grace.post("/settings/tokens", {"name": "e2e"})
    token = re.search(r'<p class="token">([^<]+)</p>', text).group(1)
    request = urllib.request.Request(f"{base}/api/papers/{paper}/vote", data=b'{"upvoted": true}', method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert json.loads(r.read()) == {"paper": paper, "upvoted": True, "upvotes": before + 1}
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/papers/{paper}/vote", data=b"", method="POST"), timeout=10)
    assert refused.value.code == 401


@needs_data
def test_submissions_and_admin_moderation(community_server, community_database):
    base, database = community_server, community_database
    heidi = Member(base).sign_up("heidi")
    heidi.get("/submit")
    # Unknown here, known to (the replay of) arXiv: fetched, stored and featured today, heidi as submitter.
    status, text, url = heidi.post("/submit", {"id": "arXiv:1707.08567"})
    assert status == 200 and url.endswith("/papers/1707.08567"), text[:500]
    assert "submitted by heidi" in text
    with urllib.request.urlopen(f"{base}/api/daily_papers?submitter=heidi", timeout=10) as r:
        assert [item["paper"]["id"] for item in json.loads(r.read())] == ["1707.08567"]
    # "Today" is the server's clock (DAILYPAPERS_NOW), not the day the tests happen to run.
    with urllib.request.urlopen(f"{base}/api/daily_papers?date={SERVER_TODAY}", timeout=10) as r:
        assert [item["paper"]["id"] for item in json.loads(r.read())] == ["1707.08567"]
    status, text, _ = heidi.post("/submit", {"id": "1707.08567"})
    assert status == 409 and "already on today" in text
    status, text, _ = heidi.post("/submit", {"id": "0808.05394"})
    assert status == 422 and "arXiv has no paper 0808.05394" in text
    status, text, _ = heidi.post("/submit", {"id": "abc"})
    assert status == 422 and "is not an arXiv id" in text
    # An admin made on the command line hides heidi's comment; visitors no longer read it.
    heidi.get("/papers/1707.08567")
    status, text, _ = heidi.post("/papers/1707.08567/comments", {"text": "first!"})
    assert status == 200 and "first!" in text
    created = subprocess.run([str(BINARY), "user", "create", "--database", database,
                              "--username", "ivan", "--email", "ivan@example.org", "--admin"],
                             input="admin password 1\n", capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    assert "created admin ivan" in created.stdout
    assert "admin password 1" not in created.stdout + created.stderr
    ivan = Member(base)
    ivan.get("/signin")
    status, text, _ = ivan.post("/signin", {"login": "ivan", "password": "admin password 1"})
    assert status == 200 and "ivan (admin)" in text
    status, text, _ = ivan.get("/papers/1707.08567")
    assert status == 200
    comment_id = re.search(r'id="comment-(\d+)"', text).group(1)
    # heidi may not hide it; the admin may.
    status, _, _ = heidi.post(f"/comments/{comment_id}/hide")
    assert status == 403
    status, text, _ = ivan.post(f"/comments/{comment_id}/hide")
    assert status == 200 and "Unhide" in text
    with urllib.request.urlopen(f"{base}/papers/1707.08567", timeout=10) as r:
        page = r.read().decode()
    assert "hidden by a moderator" in page and "first!" not in page


@needs_data
def test_browser_signs_up_and_upvotes(community_server, tmp_path):
    base = community_server
    driver = chromium(tmp_path / "profile")
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(base + "/signup")
        driver.find_element(By.NAME, "username").send_keys("judy")
        driver.find_element(By.NAME, "email").send_keys("judy@example.org")
        driver.find_element(By.NAME, "password").send_keys("judy's password")
        driver.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "nav.account"), "judy"))
        driver.get(base + "/papers/2505.24864")
        before = int(driver.find_element(By.CSS_SELECTOR, ".paper-votes .count").text)
        # A mark on this document: a navigation (the form fallback: a POST, a 303, the same
        # URL again) would load a new document without it.
        driver.execute_script("window.__sameDocument = 'yes'")
        driver.find_element(By.CSS_SELECTOR, ".paper-votes form.vote button").click()
        # The script sends the vote in the background and updates the button in place.
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".paper-votes .count"), str(before + 1)))
        assert driver.find_element(By.CSS_SELECTOR, ".paper-votes button").get_attribute("aria-pressed") == "true"
        assert driver.execute_script("return window.__sameDocument") == "yes", "the page was reloaded: the script did not run"
        requests = driver.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/papers/2505.24864/vote'))"
            ".map(e => e.initiatorType)")
        assert requests == ["fetch"], requests
        navigations = driver.execute_script("return performance.getEntriesByType('navigation').map(e => e.type)")
        assert navigations == ["navigate"], navigations
        assert driver.current_url == base + "/papers/2505.24864"
        driver.refresh()
        assert int(driver.find_element(By.CSS_SELECTOR, ".paper-votes .count").text) == before + 1
        driver.save_screenshot(str(tmp_path / "voted.png"))
    finally:
        driver.quit()
