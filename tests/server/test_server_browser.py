"""End to end in a real headless Chromium (Selenium, ``/usr/bin/chromium``) against the server on loopback:
an engineer sees no approve button; a release manager and a security approver approve; the release is
promoted; the overview changes; the audit page verifies. Screenshots of the main pages go to
``docs/screenshots/`` (fixed clock and window size, so the same run draws the same pages)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

World = Any  # the ``world`` fixture of conftest.py
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1366, 900  # a laptop screen

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver")


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


class Pages:
    """The pages of one server, driven through one browser."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def has(self, css: str) -> bool:
        from selenium.webdriver.common.by import By

        return bool(self.driver.find_elements(By.CSS_SELECTOR, css))

    def wait(self, condition: Any) -> Any:
        """Wait (up to 20 s) until ``condition(driver)`` is true, e.g. the next page has loaded."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, 20, ignored_exceptions=(NoSuchElementException,
                                                                   StaleElementReferenceException)).until(condition)

    def expect_text(self, css: str, text: str) -> None:
        """Wait until the element ``css`` shows ``text`` (a click's answer page has loaded)."""
        self.wait(lambda _driver: self.find(css).text == text)

    def log_in(self, who: str, password: str) -> None:
        self.open("/login")
        self.find("#identity-field").send_keys(who)
        self.find("#password-field").send_keys(password)
        self.find("#login button[type=submit]").click()
        self.expect_text("#identity", who)

    def log_out(self) -> None:
        self.find("header.top form button").click()
        self.wait(lambda driver: driver.current_url.endswith("/login"))

    def click_confirmed(self, css: str) -> None:
        """Click a button whose form asks for confirmation (``data-confirm``), and confirm."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        self.find(css).click()
        WebDriverWait(self.driver, 10).until(expected_conditions.alert_is_present()).accept()

    def shoot(self, name: str) -> None:
        """A full-page screenshot into docs/screenshots/NAME.png."""
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        frame = int(self.driver.execute_script("return window.outerHeight - window.innerHeight"))
        self.driver.set_window_size(WIDTH, max(HEIGHT, min(height, 4000) + frame))
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))
        self.driver.set_window_size(WIDTH, HEIGHT)


@pytest.mark.slow
def test_server_browser_approve_promote_and_audit(world: World, browser: Any, serve: Any) -> None:
    for part in ("blueprint.yaml", "patterns", "policies"):  # the module catalog reads the blueprint
        source = REPO / "examples" / "fraud-detection" / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, world.project / part)
    rid = world.release
    with serve(world.app()) as base:
        pages = Pages(browser, base)
        pages.open("/")
        assert browser.current_url.endswith("/login")
        pages.shoot("login")

        pages.log_in("eve", world.password)
        pages.open(f"/releases/{rid}")
        assert not pages.has("#approve-prod") and not pages.has("#approve-staging")
        for env in ("dev", "staging"):
            pages.click_confirmed(f"#promote-{env}")
            pages.expect_text("#notice", f"Done: promoted {env}.")
        pages.log_out()

        for who in ("bob", "sec"):
            pages.log_in(who, world.password)
            pages.open(f"/releases/{rid}")
            pages.find("#approve-prod").click()
            pages.expect_text("#notice", "Done: approve prod.")
            assert not pages.has("#approve-prod")
            pages.log_out()

        world.clock.advance(days=1)  # the staging soak
        pages.log_in("eve", world.password)  # not an approver: those who approved may not promote
        pages.open("/")
        assert "nothing deployed" in pages.find("#env-prod").text
        pages.open(f"/releases/{rid}")
        assert "ready to promote" in pages.find("#release-env-prod header").text, pages.find("#release-env-prod .gates").text
        pages.click_confirmed("#promote-prod")
        pages.expect_text("#notice", "Done: promoted prod.")
        pages.shoot("release")

        newer = world.new_release("carol", "v2")
        pages.open("/")
        assert rid in pages.find("#env-prod .running").text and "by eve" in pages.find("#env-prod").text
        assert pages.find(f"#matrix tr[data-release={rid}] td[data-env=prod] .status").text == "running"
        assert pages.find(f"#matrix tr[data-release={newer}] td[data-env=prod] .status").text == "not deployed"
        headings = [h.text for h in browser.find_elements("css selector", ".env h2")]
        assert headings == ["dev", "staging", "prod"]  # the order releases travel
        pages.shoot("overview")
        pages.open(f"/releases/{newer}")
        assert "gates not met" in pages.find("#release-env-prod header").text
        pages.shoot("release-pending")

        pages.open("/audit")
        assert "The log verifies" in pages.find("#verification").text
        assert "good" in pages.find("#verification").get_attribute("class")
        pages.shoot("audit")

        pages.open("/modules")
        assert pages.has("#module-scorer")
        pages.shoot("modules")
