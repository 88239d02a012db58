"""The `wsauth` command: `wsauth server` and `wsauth db upgrade`.

Every failure a user can cause (a bad flag, an unreachable database, an unknown plugin) ends with
one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tracking import __version__, server
from tracking.settings import Settings
from tracking.store import schema
from tracking.store.db import Database


@click.group()
@click.version_option(__version__, prog_name="wsauth")
def cli() -> None:
    """wsauth: a multi-tenant, MLflow-compatible tracking server."""


@cli.command("server")
@click.option("--backend-store-uri", default="sqlite:///mlflow.db", show_default=True,
              envvar="MLFLOW_BACKEND_STORE_URI", help="SQLAlchemy URI of the tracking database.")
@click.option("--default-artifact-root", default=None,
              help="Root of new experiments' artifact locations [default: mlflow-artifacts:/ "
                   "when serving artifacts, else ./mlruns].")
@click.option("--serve-artifacts/--no-serve-artifacts", default=True, show_default=True,
              help="Proxy artifact uploads and downloads through this server.")
@click.option("--artifacts-destination", default="./mlartifacts", show_default=True,
              help="Where proxied artifacts are stored.")
@click.option("--enable-workspaces/--disable-workspaces", "workspaces_enabled", default=False, show_default=True,
              envvar="MLFLOW_ENABLE_WORKSPACES", help="Scope resources to workspaces.")
@click.option("--workspace-store-uri", default=None, envvar="MLFLOW_WORKSPACE_STORE_URI",
              help="Where the workspace catalog lives [default: the backend store URI].")
@click.option("--app-name", default=None, help="An app plugin of the 'wsauth.app' entry-point group, e.g. basic-auth.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", "-w", default=server.default_workers(), show_default=True,
              type=click.IntRange(1, 64), help="Gunicorn worker processes.")
def server_command(host: str, port: int, workers: int, **options) -> None:
    """Start the tracking server."""
    settings = Settings(**options)
    server.check_app_name(settings.app_name)
    server.prepare_databases(settings)
    server.run(settings, host, port, workers)


@cli.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
@click.argument("uri")
def db_upgrade(uri: str) -> None:
    """Apply the tracking database migrations to URI."""
    database = Database(server.checked_uri(uri))
    try:
        before, after = schema.upgrade(database.engine)
    finally:
        database.dispose()
    if before == after:
        click.echo(f"The tracking database is already at revision {after}.")
    else:
        click.echo(f"Upgraded the tracking database from revision {before or '(empty)'} to {after}.")


def main() -> None:
    """Console entry point: one line and status 1 for every user error."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        _fail(exc.format_message())
    except (server.StartupError, LookupError, ValueError, ArgumentError) as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"database error: {server.short_reason(exc)}")


def _fail(message: str) -> None:
    click.echo(f"wsauth: error: {message}", err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
