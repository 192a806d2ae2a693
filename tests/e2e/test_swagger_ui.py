"""Swagger UI in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven
by Selenium against a live server. Every endpoint of /openapi.json is listed, "Try it out" +
"Execute" on GET /api/v1/health shows 200, and the page reaches nothing beyond the loopback
server (Chromium resolves every other host to nothing, and its network log is checked).

Skips, saying why, when chromium, chromedriver or selenium is missing: `make e2e` installs
them; `make test` does not need them. Screenshots: bench/results/swagger-ui.png (the executed
health check) and swagger-ui-endpoints.png (the whole list).
"""

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.concurrency.conftest import LiveServer

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).resolve().parents[2] / "bench" / "results" / "swagger-ui.png"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
    # no DNS for anything but the loopback: a CDN asset would fail to load, visibly
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
WAIT = 20  # seconds for the page, the spec and a response to appear


def _missing() -> str | None:
    for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not Path(path).exists() and not shutil.which(name):
            return f"{name} is not installed (make e2e installs chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with tempfile.TemporaryDirectory(prefix="slotkeeper-chromium-") as profile:
        for flag in FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
        # an explicit driver path: Selenium Manager never looks for (or downloads) a browser
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        driver.set_page_load_timeout(WAIT)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def server(app):
    live = LiveServer(app)
    live.thread.start()
    yield f"http://127.0.0.1:{live.server.server_port}"
    live.server.shutdown()
    live.thread.join(timeout=10)


def _operations(spec: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _listed(browser) -> set[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    found = set()
    for block in browser.find_elements(By.CSS_SELECTOR, ".opblock"):
        method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text
        path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute(
            "data-path"
        )
        found.add((method.strip().upper(), path))
    return found


def _requested_urls(browser) -> set[str]:
    urls = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    return urls


def test_swagger_ui_lists_every_endpoint_and_executes_health(browser, server, client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    spec = client.get("/openapi.json").json
    wait = WebDriverWait(browser, WAIT)
    browser.get(f"{server}/api-docs")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    assert _listed(browser) == _operations(spec)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1400, min(height + 150, 6000))
    browser.save_screenshot(str(SCREENSHOT.with_name("swagger-ui-endpoints.png")))
    browser.set_window_size(1400, 1100)

    block = browser.find_element(
        By.XPATH, "//div[contains(@class,'opblock-get')][.//*[@data-path='/api/v1/health']]"
    )
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait.until(lambda _: block.find_elements(By.CSS_SELECTOR, ".execute"))
    block.find_element(By.CSS_SELECTOR, ".execute").click()
    status = (By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status")
    wait.until(lambda _: block.find_elements(*status))
    assert block.find_element(*status).text.strip().startswith("200")
    assert (
        '"status": "ok"'
        in block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    )

    outside = {
        u
        for u in _requested_urls(browser)  # chrome:// pages are the browser's own
        if u.startswith(("http:", "https:", "ws:", "wss:")) and not u.startswith(server)
    }
    assert not outside, f"Swagger UI reached beyond the service: {sorted(outside)}"

    answer = block.find_element(By.CSS_SELECTOR, ".live-responses-table")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", answer)
    browser.save_screenshot(str(SCREENSHOT))
