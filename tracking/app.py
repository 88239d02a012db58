"""create_app(settings) -> the Flask app; `--app-name` plugins come from entry points and are
installed with this server as their host (tracking.hosting.HOST)."""

from __future__ import annotations

from importlib.metadata import entry_points

from flask import Flask
from jinja2 import PackageLoader

from tracking.api.routes import register_routes
from tracking.connections import register_body_draining
from tracking.errors import register_error_handlers
from tracking.hostapi import AppPlugin, as_plugin
from tracking.hosting import HOST
from tracking.settings import Settings
from tracking.state import EXTENSION, HostState

APP_GROUP = "wsauth.app"


def create_app(settings: Settings, state: HostState | None = None) -> Flask:
    """The host app for these settings, with the named app plugin applied when there is one."""
    app = Flask("wsauth", static_folder=None)  # serves no files: nothing public by accident
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False
    app.jinja_loader = PackageLoader("tracking", "templates")
    app.extensions[EXTENSION] = state or HostState.open(settings)
    register_error_handlers(app)
    register_routes(app)
    register_body_draining(app)
    if settings.app_name:
        app = load_app_plugin(settings.app_name).install(app, HOST)
    return app


def app_plugin_names() -> list[str]:
    """The names `--app-name` accepts."""
    return sorted({ep.name for ep in entry_points(group=APP_GROUP)})


def load_app_plugin(name: str) -> AppPlugin:
    """The plugin registered under that name in the `wsauth.app` entry-point group."""
    for ep in entry_points(group=APP_GROUP):
        if ep.name == name:
            return as_plugin(ep.load(), name)
    known = ", ".join(app_plugin_names()) or "none installed"
    raise LookupError(f"unknown --app-name '{name}'; known: {known}")
