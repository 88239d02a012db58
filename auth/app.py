"""The `basic-auth` app plugin (PLUGIN, named by the `wsauth.app` entry point): install(app, host)
puts the auth layer on a host's app, and prepare() runs once in the server's master process
before any worker starts."""

from __future__ import annotations

import logging
import sys

from flask import Flask

from auth import api, authentication, cli, config, hook, maintenance, passwords
from auth.layer import EXTENSION, AuthLayer, current_layer  # noqa: F401 (current_layer: for plugins and tests)
from auth.schema import migrate
from auth.store import AuthStore
from tracking import hostkit
from tracking.hostapi import AppPlugin, Host

log = logging.getLogger(__name__)


def install(app: Flask, host: Host) -> Flask:
    """Install the auth layer on the host's app."""
    layer = AuthLayer(config.load(), host)
    app.extensions[EXTENSION] = layer
    app.before_request_funcs.setdefault(None, []).insert(0, hook.before_request)
    app.after_request(hook.after_request)
    api.register_routes(app)
    hook.follow_resources(app, layer)
    host.add_ready_database(app, "auth", layer.store.database)
    return app


def prepare() -> None:
    """Once, before workers start: check the config, migrate the auth database, ensure the admin."""
    settings = config.load()
    authentication.load_function(settings.authorization_function)
    database = hostkit.Database(settings.database_uri)
    try:
        migrate(database)
        _ensure_admin(AuthStore(database), settings)
    finally:
        database.dispose()


def _ensure_admin(store: AuthStore, settings: config.AuthConfig) -> None:
    """Create the admin (generating a password when none is configured); re-apply a configured one
    (config.load checked it against the password policy)."""
    configured = settings.admin_password
    user = store.get_user(settings.admin_username)
    if user is None:
        password = configured or passwords.generate_password()
        try:
            store.create_user(settings.admin_username, passwords.hash_password(password), is_admin=True)
        except hostkit.AlreadyExists:  # another server starting on this database made it first
            user = store.get_user(settings.admin_username)
        else:
            if configured is None:
                print(f"wsauth: created admin user '{settings.admin_username}' with the generated password "
                      f"{password} (shown once; only its hash is stored)", file=sys.stderr, flush=True)
            return
    changes = {"is_admin": True}
    if configured is not None and not passwords.verify(configured, user.password_hash)[0]:
        changes["password_hash"] = passwords.hash_password(configured)
    store.update_user(settings.admin_username, **changes)


PLUGIN = AppPlugin(
    install=install,
    prepare=prepare,
    commands=tuple(cli.COMMANDS),  # `wsauth audit`, `wsauth unlock`
    # `wsauth db migrate-to-default-workspace --auth-config` moves registered-model grants too:
    merge_plan=maintenance.plan,
    merge_apply=maintenance.apply,
    # `wsauth gc --auth-config` drops grants on purged experiments:
    forget_experiments=maintenance.forget_experiments,
)
