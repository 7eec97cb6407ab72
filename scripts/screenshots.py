#!/usr/bin/env python3
"""Screenshots of every main page in headless chromium, at a desktop width (1280) and a phone
width (390), in the light and the dark colour scheme, to look at after a change to what
people see:

    .venv/bin/python scripts/screenshots.py [--out DIR] [--full-page] [--url BASE]

Without --url it serves a catalog of a few days of ../shared/data/hf-daily and 3,000 papers of
the arXiv snapshot (the debug build, as the tests use it) and signs a member up, so the
members' pages are shown too. It writes
DIR/<page>-<width>-<scheme>.png (default DIR: screenshots/, which git ignores)."""
import argparse
import gzip
import itertools
import os
import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))

from browser import chromium  # noqa: E402
from conftest import SHARED, Member, run, serve  # noqa: E402

PAGES = {"day": "/papers/date/2025-06-03", "home": "/", "trending": "/papers/trending", "paper": "/papers/2505.24864",
         "search": "/search?q=diffusion+models", "category": "/papers/category/cs.RO", "author": "/authors/Yejin%20Choi",
         "subscribe": "/subscribe", "signin": "/signin", "signup": "/signup",
         "settings": "/settings", "alerts": "/alerts", "submit": "/submit"}
MEMBERS_ONLY = {"settings", "alerts", "submit"}
SIZES = [(1280, 900), (390, 844)]


def take(base, out, cookie=None, full_page=False):
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for width, height in SIZES:
        for dark in (False, True):
            profile = pathlib.Path(tempfile.mkdtemp(prefix="screenshots-profile-"))
            driver = chromium(profile, width, height, dark=dark)
            try:
                for name, path in PAGES.items():
                    if name in MEMBERS_ONLY:
                        if cookie is None:
                            continue
                        driver.add_cookie({"name": "dp_session", "value": cookie, "path": "/"})
                    driver.get(base + path)
                    target = out / f"{name}-{width}-{'dark' if dark else 'light'}.png"
                    if full_page:  # the whole page (up to 8,000 pixels), not only the first screen
                        full = driver.execute_script("return document.documentElement.scrollHeight")
                        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                               {"width": width, "height": min(full, 8000), "deviceScaleFactor": 1, "mobile": width < 600})
                    driver.save_screenshot(str(target))
                    if full_page:
                        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
                    written.append(target)
            finally:
                driver.quit()
                shutil.rmtree(profile, ignore_errors=True)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "screenshots")
    parser.add_argument("--full-page", action="store_true", help="the whole of each page, not only its first screen")
    parser.add_argument("--url", help="a running server to photograph instead of a fresh one (members' pages are left out)")
    args = parser.parse_args()
    if args.url:
        written = take(args.url.rstrip("/"), args.out, full_page=args.full_page)
    else:
        if not (SHARED / "SOURCES.md").exists():
            sys.exit(f"screenshots: the shared data is not at {SHARED}; pass --url to photograph a running server")
        folder = tempfile.mkdtemp(prefix="dailypapers-screenshots-")
        try:
            database = os.path.join(folder, "papers.sqlite")
            # A few daily pages, and the first 3,000 papers of the arXiv snapshot (categories).
            days = sorted((SHARED / "hf-daily").glob("2025-06-0*.json"))
            part = os.path.join(folder, "part.jsonl")
            with gzip.open(next((SHARED / "arxiv-cs").glob("*.jsonl.gz")), "rt") as source, open(part, "w") as target:
                target.writelines(itertools.islice(source, 3000))
            imported = run("import", "--database", database, part, *map(str, days))
            if imported.returncode != 0:
                sys.exit(f"screenshots: the import failed: {imported.stderr}")
            servers = serve(database, 0, "http://127.0.0.1:9/api/query")
            base = next(servers)
            try:
                member = Member(base).sign_up("ada")
                cookie = next(c.value for c in member.jar if c.name == "dp_session")
                written = take(base, args.out, cookie, full_page=args.full_page)
            finally:
                servers.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
