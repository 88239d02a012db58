"""MLflow's web UI under `mlflow server --app-name wsauth`, in a real browser (issue 12, item 5):
an anonymous visitor gets the Basic challenge; a signed-in user's experiment list shows what the
user may read of the workspace and nothing of another workspace or of a hidden experiment; a run
page opens for the user (it reads through MLflow's GraphQL), and a hidden run's page shows
nothing of it. Screenshots go to the test's folder, and to $WSAUTH_SCREENSHOTS when set (that
is how docs/images/ was made)."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest
import requests
from selenium.webdriver.support.ui import WebDriverWait

from tests.mlflow_host.conftest import ADMIN, ADMIN_PASSWORD, PASSWORD, start

API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    server, stack = start(tmp_path_factory.mktemp("mlflow-ui"), "sqlite", "--enable-workspaces", "--workers", "1")
    with stack:
        yield server


def admin(server, method, path, workspace=None, **body):
    reply = server.api(method, path, ADMIN, json=body, workspace=workspace)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


@pytest.fixture
def signed_in(browser):
    """Sign the browser in as a user: every request it sends carries the Basic credentials."""

    def sign_in(user: str, password: str = PASSWORD) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})

    yield sign_in
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})


def keep_screenshot(browser, folder: Path, name: str) -> None:
    browser.save_screenshot(str(folder / name))
    if os.environ.get("WSAUTH_SCREENSHOTS"):
        shutil.copy(folder / name, Path(os.environ["WSAUTH_SCREENSHOTS"]) / name)


def page_text(browser) -> str:
    return browser.find_element("tag name", "body").text


def test_the_ui_shows_a_user_only_what_they_may_read(ui_server, browser, signed_in, tmp_path):
    anonymous = requests.get(ui_server.url + "/", timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    admin(ui_server, "POST", "/api/3.0/mlflow/workspaces", name="team-b")
    seen = admin(ui_server, "POST", f"{API}/experiments/create", name="ui-seen")["experiment_id"]
    hidden = admin(ui_server, "POST", f"{API}/experiments/create", name="ui-hidden")["experiment_id"]
    admin(ui_server, "POST", f"{API}/experiments/create", workspace="team-b", name="ui-elsewhere")
    run = admin(ui_server, "POST", f"{API}/runs/create", experiment_id=seen, run_name="ui-run-one")["run"]["info"]
    admin(ui_server, "POST", f"{API}/runs/log-metric", run_id=run["run_id"], key="loss", value=0.5, timestamp=0, step=0)
    admin(ui_server, "POST", f"{API}/users/create", username="viewer", password=PASSWORD)
    admin(ui_server, "POST", "/api/3.0/mlflow/workspaces/default/permissions", username="viewer", permission="READ")
    admin(ui_server, "POST", f"{API}/experiments/permissions/create", experiment_id=hidden, username="viewer",
          permission="NO_PERMISSIONS")

    signed_in("viewer")
    browser.get(f"{ui_server.url}/#/experiments?workspace=default")
    WebDriverWait(browser, 90).until(lambda b: "ui-seen" in page_text(b))
    keep_screenshot(browser, tmp_path, "mlflow-ui-experiments.png")
    shown = browser.page_source
    assert "ui-hidden" not in shown and "ui-elsewhere" not in shown
    assert "team-b" not in page_text(browser)  # the workspace selector lists only visible workspaces

    browser.get(f"{ui_server.url}/#/experiments/{hidden}?workspace=default")
    WebDriverWait(browser, 90).until(lambda b: "Default" in page_text(b) or "403" in page_text(b)
                                     or "ermission" in page_text(b))
    assert "ui-hidden" not in browser.page_source

    # A run page reads the run through MLflow's GraphQL endpoint, each field under its rule.
    browser.get(f"{ui_server.url}/#/experiments/{seen}/runs/{run['run_id']}?workspace=default")
    WebDriverWait(browser, 90).until(lambda b: "ui-run-one" in page_text(b) and "loss" in page_text(b))
    keep_screenshot(browser, tmp_path, "mlflow-ui-run.png")
    hidden_run = admin(ui_server, "POST", f"{API}/runs/create", experiment_id=hidden, run_name="ui-run-hidden")
    browser.get(f"{ui_server.url}/#/experiments/{hidden}/runs/{hidden_run['run']['info']['run_id']}?workspace=default")
    WebDriverWait(browser, 90).until(lambda b: "ermission" in page_text(b) or "not found" in page_text(b).lower()
                                     or "403" in page_text(b))
    assert "ui-run-hidden" not in browser.page_source
