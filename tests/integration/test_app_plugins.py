"""`--app-name` loads a plugin from the `wsauth.app` entry-point group of an installed package."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import WSAUTH, ServerProcess

pytestmark = pytest.mark.integration

PLUGIN = '''
from flask import jsonify


def create_app(app):
    @app.get("/hello-plugin")
    def hello():
        return jsonify(greeting="hello from the plugin", workspaces=app.extensions["wsauth"].settings.workspaces_enabled)
    return app
'''


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    """A folder holding an installed-looking distribution with one `wsauth.app` entry point."""
    site = tmp_path / "site"
    dist = site / "hello_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[wsauth.app]\nhello = hello_plugin:create_app\n")
    (site / "hello_plugin.py").write_text(PLUGIN)
    return site


def test_named_plugin_wraps_the_app(plugin_path, tmp_path):
    server = ServerProcess(
        ["--backend-store-uri", f"sqlite:///{tmp_path / 'p.db'}", "--workers", "1",
         "--enable-workspaces", "--app-name", "hello"],
        tmp_path, env={"PYTHONPATH": str(plugin_path)},
    )
    try:
        response = requests.get(f"{server.url}/hello-plugin", timeout=5)
        assert response.json() == {"greeting": "hello from the plugin", "workspaces": True}
        # the host's own routes are still there
        assert requests.get(f"{server.url}/api/3.0/mlflow/server-info", timeout=5).status_code == 200
    finally:
        server.stop()


def test_unknown_plugin_lists_the_known_ones(plugin_path, tmp_path):
    result = subprocess.run(
        [WSAUTH, "server", "--backend-store-uri", f"sqlite:///{tmp_path / 'p.db'}", "--app-name", "nope"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(plugin_path), "PATH": ""},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("wsauth: error: unknown --app-name 'nope'; known: ")
    assert "hello" in lines[0]
    assert not (tmp_path / "p.db").exists(), "nothing is created before the flags are checked"
