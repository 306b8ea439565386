"""The status page of `watch --listen` in a real headless Chromium (Debian's chromium and chromium-driver, driven
by selenium): a crashed deployment shows Degraded, and after the heal, Healthy with the heal as its last change.

Skipped, saying why, where chromium or its driver is not installed (`.ci/run` installs them with apt)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.usefixtures("env"),
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromium-driver are not installed"),
]


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    yield driver
    driver.quit()


def cells(driver, name: str) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-deployment="{name}"]')
    return {td.get_attribute("class"): td.text for td in row.find_elements(By.TAG_NAME, "td")}


def test_the_status_page_shows_a_crash_then_its_heal(cli, sandbox, tmp_path, monkeypatch, browser):
    from qcdeploy.cli.watching import WatchOptions, run_pass
    from qcdeploy.cli.watchserver import start
    from qcdeploy.cli.workspace import App
    from qcdeploy.config import settings_from
    from qcdeploy.manifests.repofile import state_location

    monkeypatch.chdir(tmp_path)
    repo = tmp_path / "deployments"
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("apply", "--auto-approve", str(repo)).code == 0
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")
    app = App(settings_from({}, dict(os.environ), state_location), dict(os.environ))
    server = start("127.0.0.1:0", "", lambda _: None)
    try:
        server.update(run_pass(app, WatchOptions((str(repo),), health_window=0)))
        browser.get(f"http://{server.address}/")
        assert browser.title == "qcdeploy fleet"
        crashed = cells(browser, "momentum")
        assert (crashed["observed"], crashed["health"]) == ("RuntimeError", "Degraded")
        (tmp_path / ".qcdeploy.yaml").write_text("heal: {crashed: redeploy}\n")  # the team now asks for heals
        server.update(run_pass(app, WatchOptions((str(repo),), health_window=0)))
        browser.refresh()
        healed = cells(browser, "momentum")
        assert (healed["observed"], healed["health"]) == ("Running", "Healthy"), healed
        assert healed["last_change"].startswith("healed ") and healed["restarts"] == "1"
    finally:
        server.close()
