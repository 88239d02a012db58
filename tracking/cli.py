"""The `wsauth` command: `wsauth server` and `wsauth db upgrade`.

Every failure a user can cause (a bad flag, an unreachable database, an unknown plugin) ends with
one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tracking import __version__, server
from tracking.app import app_plugin_names, load_app_plugin
from tracking.settings import Settings
from tracking.store import schema
from tracking.store.db import Database
from tracking.store.experiments import now_ms
from tracking.store import workspace_merge
from tracking.store.garbage import purge_deleted


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
@click.argument("uri", default="sqlite:///mlflow.db")
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


@db.command("migrate-to-default-workspace")
@click.argument("uri")
@click.option("--dry-run", is_flag=True, help="Report the rows to move and any conflicts; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("-v", "--verbose", is_flag=True, help="List every conflict, not a sample of five.")
@click.option("--auth-config", default=None, envvar="MLFLOW_AUTH_CONFIG_PATH",
              help="basic_auth.ini of the auth layer, whose registered-model grants move too "
                   "[default: $MLFLOW_AUTH_CONFIG_PATH].")
def migrate_to_default(uri: str, dry_run: bool, yes: bool, verbose: bool, auth_config: str | None) -> None:
    """Move every workspace's experiments, models and prompts into 'default'."""
    database = Database(server.checked_uri(uri, must_exist=True))
    movers = _plugins_with("merge_plan", auth_config)
    try:
        schema.prepare_existing(database.engine)
        merge_plan = workspace_merge.plan(database)
        grant_plans = [mover.merge_plan(auth_config) for mover in movers]
        conflicts = [*merge_plan.conflicts, *(c for _, found in grant_plans for c in found)]
        grants = sum(moving for moving, _ in grant_plans)
        if not auth_config:
            click.echo("Note: no --auth-config (or MLFLOW_AUTH_CONFIG_PATH): grants in an auth "
                       "database, if you use one, are not moved.", err=True)
        if dry_run:
            _show_plan(merge_plan, grants, "Dry run: rows that would move to the default workspace:")
        if conflicts:
            _abort_on_conflicts(conflicts, verbose)
        if dry_run:
            return
        if merge_plan.total + grants == 0:
            click.echo("No rows need to be moved.")
            return
        _show_plan(merge_plan, grants, "Rows to move to the default workspace:")
        if not yes:
            click.confirm("Proceed with the move?", abort=True)
        moved = workspace_merge.merge_into_default(database)
        click.echo(f"Moved {moved} rows to the default workspace.")
        for mover in movers:
            click.echo(f"Moved {mover.merge_apply(auth_config)} registered-model grants in the auth database.")
    except workspace_merge.MergeConflict as exc:
        _abort_on_conflicts(exc.conflicts, verbose)
    finally:
        database.dispose()


def _plugins_with(hook: str, auth_config: str | None) -> list:
    """The app plugins that keep their own records of resources (the auth layer) and offer `hook`."""
    if not auth_config:
        return []
    plugins = [load_app_plugin(name) for name in app_plugin_names()]
    return [plugin for plugin in plugins if getattr(plugin, hook) is not None]


def _show_plan(merge_plan, grants: int, heading: str) -> None:
    click.echo(heading)
    for table, count in merge_plan.moves.items():
        click.echo(f"  {table}: {count}")
    followers = ", ".join(f"{count} {table}" for table, count in merge_plan.children.items())
    click.echo(f"  ({followers} move with their parents)")
    if grants:
        click.echo(f"  auth database registered_model_permissions: {grants}")
    click.echo(f"Total rows: {merge_plan.total + grants}")


def _abort_on_conflicts(conflicts, verbose: bool) -> None:
    shown = conflicts if verbose else conflicts[:5]
    click.echo(
        "Error: move aborted: in 'default' these resources would share a name. Rename them, or "
        "delete them and purge with `wsauth gc`, then retry:", err=True,
    )
    for conflict in shown:
        click.echo(f"  {conflict}", err=True)
    if len(conflicts) > len(shown):
        click.echo(f"  ... ({len(conflicts) - len(shown)} more; --verbose lists all)", err=True)
    raise click.exceptions.Exit(1)


@cli.command("gc")
@click.option("--backend-store-uri", default="sqlite:///mlflow.db", show_default=True,
              envvar="MLFLOW_BACKEND_STORE_URI", help="SQLAlchemy URI of the tracking database.")
@click.option("--older-than", default="0s", show_default=True,
              help="Only what was deleted at least this long ago, e.g. 30d, 12h, 1d2h30m.")
@click.option("--workspace", default=None, help="Only this workspace's experiments and runs.")
@click.option("--dry-run", is_flag=True, help="Report what would be purged; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--auth-config", default=None, envvar="MLFLOW_AUTH_CONFIG_PATH",
              help="basic_auth.ini of the auth layer, whose grants on purged experiments go too.")
def gc_command(backend_store_uri: str, older_than: str, workspace: str | None, dry_run: bool,
               yes: bool, auth_config: str | None) -> None:
    """Permanently remove deleted experiments and runs (artifacts are left in place)."""
    cutoff = now_ms() - parse_duration(older_than)
    database = Database(server.checked_uri(backend_store_uri, must_exist=True))
    try:
        schema.prepare_existing(database.engine)
        report = purge_deleted(database, cutoff, workspace, dry_run=True)
        _show_purge(report, "Would purge" if dry_run else "To purge")
        if dry_run or not (report.experiments or report.runs):
            return
        if not yes:
            click.confirm("Permanently delete them?", abort=True)
        purged = purge_deleted(database, cutoff, workspace)
        click.echo("Purged.")
        if not auth_config:
            click.echo("Note: no --auth-config (or MLFLOW_AUTH_CONFIG_PATH): grants on the purged "
                       "experiments, if you use an auth database, stay (ids are never reused).", err=True)
        for plugin in _plugins_with("forget_experiments", auth_config):
            dropped = plugin.forget_experiments(auth_config, purged.experiment_ids)
            click.echo(f"Dropped {dropped} grants on purged experiments.")
    finally:
        database.dispose()


def _show_purge(report, verb: str) -> None:
    click.echo(f"{verb} {len(report.experiments)} experiment(s) and {len(report.runs)} run(s).")
    for name in report.experiments:
        click.echo(f"  experiment {name}")
    if report.artifact_locations:
        click.echo("Their artifacts are not removed; delete them yourself if wanted:")
        for location in report.artifact_locations:
            click.echo(f"  {location}")


def parse_duration(text: str) -> int:
    """'1d2h30m15s' (any part optional) in milliseconds."""
    match = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text.strip())
    if not text.strip() or match is None:
        raise click.BadParameter(f"'{text}' is not a duration; use e.g. 30d, 12h or 1d2h30m", param_hint="--older-than")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000


def _add_plugin_commands() -> None:
    """Commands app plugins offer (the auth layer: `wsauth audit`, `wsauth unlock`)."""
    for name in app_plugin_names():
        try:
            plugin = load_app_plugin(name)
        except Exception as exc:  # a broken plugin must not take the other commands down
            click.echo(f"wsauth: warning: app plugin {name} cannot be loaded: {exc}", err=True)
            continue
        for command in plugin.commands:
            cli.add_command(command)


_add_plugin_commands()


def main() -> None:
    """Console entry point: one line and status 1 for every user error."""
    try:
        status = cli.main(standalone_mode=False)  # returns the status a command exits with
        if isinstance(status, int):
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        _fail(exc.format_message())
    except (server.StartupError, schema.SchemaError, LookupError, ValueError, ArgumentError) as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"database error: {server.short_reason(exc)}")
    except ImportError as exc:  # a database driver that is not installed
        _fail(f"a database driver is missing ({exc}); install it: pip install -e '.[postgres]' "
              "(PostgreSQL) or pip install -e '.[mysql]' (MySQL) in wsauth's folder")


def _fail(message: str) -> None:
    click.echo(f"wsauth: error: {message}", err=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
