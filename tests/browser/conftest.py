"""Real-browser tests: Debian's chromium driven by selenium, checked by axe.

They run when chromium, chromedriver and axe-core (npm, installed by .ci/run
into var/node) are present, and are skipped with the reason otherwise.
Screenshots land in tests/artifacts/screenshots/ for a person to look at.
"""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium)"
    if not Path(CHROMEDRIVER).exists():
        return "chromedriver is not installed (apt-get install chromium-driver)"
    if not AXE_JS.exists():
        return "axe-core is missing (npm install --prefix var/node axe-core@4)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=ru",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def axe_source():
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(driver, axe_source: str) -> list[dict]:
    """Return axe's serious and critical violations on the current page."""
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done({error: String(e)}));"
    )
    if isinstance(result, dict) and "error" in result:
        raise AssertionError("axe failed: %s" % result["error"])
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        lines.append("%s (%s): %s" % (v["id"], v["impact"], "; ".join(targets)))
    return "\n".join(lines)


def check_page(driver, axe_source: str, url: str, name: str) -> None:
    """Load ``url`` at each width, save a screenshot, assert no violations."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        driver.set_window_size(width, height)
        driver.get(url)
        # Django's own error title, and this site's 500 and 404 pages: axe
        # would happily pass an error page, so refuse them first.
        for marker in ("Server Error", "Ошибка на сервере", "Страница не найдена"):
            assert marker not in driver.title, f"{url}: {driver.title}"
        driver.save_screenshot(str(SCREENSHOTS / f"{name}-{label}.png"))
        violations = run_axe(driver, axe_source)
        assert not violations, f"{name} at {label}:\n{describe(violations)}"


def login(driver, live_server_url: str, email: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(live_server_url + "/accounts/login/")
    driver.find_element(By.NAME, "login").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
