"""The main pages as people see them, in headless chromium at a desktop width (1280) and a
phone width (390), in the light and the dark colour scheme: axe-core (from the PyPI package
axe-selenium-python) finds no serious or critical violation, nothing is wider than the
screen, the header keeps to its rows, and each radio button sits beside its label."""
import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By

from browser import chromium
from conftest import Member, needs_data

# A paper in the catalog (featured on 2025-06-03 in ../shared/data/hf-daily).
PAPER = "/papers/2505.24864"
PAGES = ["/", "/papers/trending", PAPER, "/search?q=diffusion+models", "/subscribe", "/signin", "/signup"]
MEMBER_PAGES = ["/settings", "/alerts", "/submit"]
SIZES = [(1280, 900), (390, 844)]


@pytest.fixture(scope="module")
def session_cookie(community_server):
    member = Member(community_server).sign_up("axel")
    return next(cookie for cookie in member.jar if cookie.name == "dp_session")


def serious_violations(driver):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [(v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]][:5])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def layout_problems(driver, width):
    problems = []
    overflow = driver.execute_script("return document.documentElement.scrollWidth") - width
    if overflow > 0:
        problems.append(f"the page is {overflow}px wider than the screen")
    # The header's boxes in rows (a box below every box of the row above starts a new row):
    # at most 3 rows on a phone, 1 on a desktop.
    boxes = driver.execute_script("""
        return Array.from(document.querySelectorAll('header.site > *'))
          .map(e => e.getBoundingClientRect()).map(r => [r.top, r.bottom]);""")
    rows, bottom = 0, None
    for top, box_bottom in sorted(boxes):
        if bottom is None or top >= bottom:
            rows, bottom = rows + 1, box_bottom
        else:
            bottom = max(bottom, box_bottom)
    if rows > (3 if width < 600 else 1):
        problems.append(f"the header has {rows} rows")
    # Each radio button is on the same line as its label's text.
    apart = driver.execute_script("""
        return Array.from(document.querySelectorAll('label input[type=radio]')).filter(input => {
          const r = input.getBoundingClientRect();
          const range = document.createRange();
          const text = Array.from(input.parentElement.childNodes).find(n => n.nodeType === 3 && n.textContent.trim());
          if (!text) return true;
          range.selectNodeContents(text);
          const t = range.getBoundingClientRect();
          return r.bottom <= t.top || t.bottom <= r.top;
        }).map(input => input.value);""")
    if apart:
        problems.append(f"radio buttons on another line than their labels: {apart}")
    return problems


@needs_data
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}px" for w, _ in SIZES])
def test_main_pages_pass_axe_and_fit_the_screen(community_server, session_cookie, tmp_path, width, height, dark):
    driver = chromium(tmp_path / "profile", width, height, dark=dark)
    try:
        found = {}
        for path in PAGES + MEMBER_PAGES:
            if path == MEMBER_PAGES[0]:
                driver.add_cookie({"name": session_cookie.name, "value": session_cookie.value, "path": "/"})
            driver.get(community_server + path)
            assert driver.find_element(By.CSS_SELECTOR, "main"), path
            if path in MEMBER_PAGES:
                assert "axel" in driver.find_element(By.CSS_SELECTOR, "nav.account").text, f"{path}: not signed in"
            problems = serious_violations(driver) + layout_problems(driver, width)
            if problems:
                found[path] = problems
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(13, 17, 23)") == dark, f"the body's background is {background}"
        assert not found, found
    finally:
        driver.quit()
