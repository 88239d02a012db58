"""`wsauth audit` and `wsauth unlock`: the audit trail and lockouts from the command line, for
admins with access to basic_auth.ini (and through it to the auth database)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from auth import config
from auth.audit import AuditLog
from auth.lockout import LoginGuard
from auth.schema import migrate_existing
from tracking import hostkit

_CONFIG = click.option("--auth-config", default=None, envvar="MLFLOW_AUTH_CONFIG_PATH",
                       help="basic_auth.ini of the server [default: $MLFLOW_AUTH_CONFIG_PATH, else "
                            "./basic_auth.ini, else the one the server ships: found as the server "
                            "finds it].")


def _open(path: str | None) -> tuple[config.AuthConfig, hostkit.Database]:
    try:
        settings = config.load(Path(path) if path else config.config_path())
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    database = hostkit.Database(settings.database_uri)
    try:
        migrate_existing(database)
    except ValueError as exc:
        database.dispose()
        raise click.ClickException(str(exc)) from None
    return settings, database


def _moment(text: str | None) -> int | None:
    """ISO 8601 (UTC unless it says otherwise) or milliseconds since the epoch -> milliseconds."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"'{text}' is neither ISO 8601 (2026-11-23T10:00:00Z) nor milliseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@click.command("audit")
@_CONFIG
@click.option("--actor", default=None, help="Only events by this user.")
@click.option("--target", default=None, help="Only events on this target, e.g. 'user alice', 'workspace team-a'.")
@click.option("--action", default=None, help="Only this action, e.g. login.failed, permission.updated.")
@click.option("--since", default=None, help="From this time on (ISO 8601 or ms since the epoch).")
@click.option("--until", default=None, help="Before this time (ISO 8601 or ms since the epoch).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100000), help="At most this many events.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_command(auth_config: str, actor, target, action, since, until, limit: int, as_json: bool) -> None:
    """Show security events of the audit trail, newest first."""
    settings, database = _open(auth_config)
    try:
        events = AuditLog(database, 0).search(actor=actor, target=target, action=action, since=_moment(since),
                                               until=_moment(until), limit=limit)
    finally:
        database.dispose()
    for event in events:
        shape = event.to_json()
        if as_json:
            click.echo(json.dumps(shape, sort_keys=True))
        else:
            details = json.dumps(shape["details"], sort_keys=True) if shape["details"] else ""
            click.echo(f"{shape['time']}  {shape['actor'] or '-'}@{shape['address'] or '-'}  {shape['action']}  "
                       f"{shape['target']}  {shape['outcome']}  {details}".rstrip())


@click.command("unlock")
@_CONFIG
@click.argument("username")
@click.option("--address", default=None, help="Only the lockout from this client address.")
def unlock_command(auth_config: str, username: str, address: str | None) -> None:
    """Lift a user's sign-in lockouts (and forget their failed attempts)."""
    settings, database = _open(auth_config)
    try:
        cleared = LoginGuard(database, settings.login_max_failures, settings.login_lockout_seconds).clear(username, address)
        AuditLog(database, 0).record("login.unlocked", f"user {username}", address=address, cleared=cleared)
    finally:
        database.dispose()
    click.echo(f"Cleared {cleared} lockout record(s) of user '{username}'.")


COMMANDS = (audit_command, unlock_command)
