"""Headless chromium (Debian's, through its chromedriver) for the tests and the screenshot
script: one way to start it, at a given window size and colour scheme."""
import pathlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(profile: pathlib.Path, width: int = 1280, height: int = 900, dark: bool = False) -> webdriver.Chrome:
    """A headless chromium with its own profile folder, `width` x `height` CSS pixels, and
    `prefers-color-scheme: dark` when `dark`."""
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # The viewport itself (not the outer window) is width x height, as on a phone.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
    return driver
