"""The home page in a real browser (issue 10, item 10): the "View run at" link that the stock
mlflow client prints opens a page, without credentials, that says what this server is, how to
sign in with the client (this server's own address, and the workspace variable when workspaces
are on), and where the docs and probes are; its links work, its style is not blocked by its own
Content-Security-Policy, and it logs no error in the browser's console."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from selenium.webdriver.common.by import By

import tracking
from tests.reliability.conftest import ADMIN, ADMIN_PASSWORD, auth_server, stop_now

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("home")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    started = auth_server(folder, uri, uri)
    try:
        yield started
    finally:
        stop_now(started)


def printed_run_link(server) -> str:
    """The "View run ... at: <link>" line the mlflow client prints when a run ends."""
    script = "import mlflow\nmlflow.set_experiment('home-page')\nwith mlflow.start_run():\n    pass\n"
    env = {**os.environ, "MLFLOW_TRACKING_URI": server.url, "MLFLOW_TRACKING_USERNAME": ADMIN,
           "MLFLOW_TRACKING_PASSWORD": ADMIN_PASSWORD, "MLFLOW_WORKSPACE": "default"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"View run \S+ at: (\S+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    return found.group(1)


def errors_in_console(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_run_link_printed_by_the_client_opens_the_home_page(browser, server):
    link = printed_run_link(server)
    assert link.startswith(f"{server.url}/#/experiments/")
    browser.get(link)  # a browser sends no credentials: the page is public
    assert browser.title == "wsauth tracking server"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"wsauth {tracking.__version__}"
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "MLflow-compatible tracking server" in text and "HTTP Basic credentials" in text
    sign_in = browser.find_element(By.TAG_NAME, "pre").text
    assert f"export MLFLOW_TRACKING_URI={server.url}" in sign_in
    assert "export MLFLOW_WORKSPACE=" in sign_in and "MLFLOW_TRACKING_PASSWORD=" in sign_in
    assert errors_in_console(browser) == []


def test_the_page_style_is_allowed_by_its_own_security_policy(browser, server):
    browser.get(server.url + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.value_of_css_property("max-width") == "704px"  # 44rem: the inline style applied
    assert errors_in_console(browser) == []


@pytest.mark.parametrize("link, expected", [("/openapi.json", '"openapi"'), ("/health", "OK"),
                                            ("/version", tracking.__version__)])
def test_the_links_of_the_page_work(browser, server, link, expected):
    browser.get(server.url + "/")
    browser.find_element(By.CSS_SELECTOR, f'a[href="{link}"]').click()
    assert browser.current_url == server.url + link
    assert expected in browser.find_element(By.TAG_NAME, "body").text
