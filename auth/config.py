"""basic_auth.ini -> AuthConfig: parsed once at start-up, frozen, every key known and checked.

Nothing else reads the file. A bad file stops start-up with one line naming the file, the key and
the fix (ConfigError).
"""

from __future__ import annotations

import configparser
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

from auth.passwords import WeakPassword, check_policy
from auth.permissions import Permission

SECTION = "mlflow"
BUILTIN_AUTHENTICATION = "mlflow.server.auth:authenticate_request_basic_auth"
PATH_VARIABLE = "MLFLOW_AUTH_CONFIG_PATH"
ENVIRONMENT = {"admin_username": "MLFLOW_AUTH_ADMIN_USERNAME", "admin_password": "MLFLOW_AUTH_ADMIN_PASSWORD"}
REPOSITORY_FILE = Path(__file__).resolve().parent.parent / "basic_auth.ini"


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, key and fix."""


@dataclass(frozen=True)
class AuthConfig:
    """The validated [mlflow] section of basic_auth.ini (plus the admin environment variables)."""

    path: str
    default_permission: Permission
    database_uri: str
    admin_username: str
    admin_password: str | None
    authorization_function: str
    grant_default_workspace_access: bool
    workspace_cache_max_size: int
    workspace_cache_ttl_seconds: int
    auth_cache_max_size: int
    auth_cache_ttl_seconds: int
    login_max_failures: int
    login_lockout_seconds: int
    trusted_proxies: tuple
    audit_denied_per_minute: int


def _permission(text: str) -> Permission:
    return Permission.parse(text.strip())


def _boolean(text: str) -> bool:
    value = configparser.ConfigParser.BOOLEAN_STATES.get(text.strip().lower())
    if value is None:
        raise ValueError(f"'{text}' is not a boolean; use true or false")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise ValueError(f"{value} is below the minimum of {minimum}")
        return value
    return parse


def _text(text: str) -> str:
    if not text.strip():
        raise ValueError("it is empty")
    return text.strip()


def _username(text: str) -> str:
    name = _text(text)
    if ":" in name or any(ord(c) < 32 for c in name):
        raise ValueError(f"'{name}' cannot sign in with HTTP Basic (no ':' or control characters)")
    return name


def _function_name(text: str) -> str:
    text = text.strip()
    if text != BUILTIN_AUTHENTICATION and (":" not in text or not all(text.split(":", 1))):
        raise ValueError(f"'{text}' is not of the form module:function")
    return text


def _networks(text: str) -> tuple:
    """Comma-separated IP addresses or networks (CIDR)."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"'{part}' is not an IP address or network such as 10.0.0.0/8") from None
    return tuple(networks)


def _password(text: str) -> str | None:
    try:
        return check_policy(text) if text else None
    except WeakPassword as exc:
        raise ValueError(str(exc).rstrip(".")) from None


class Key(NamedTuple):
    parse: Callable[[str], Any]
    default: str | None  # None: required
    help: str


KEYS: dict[str, Key] = {
    "default_permission": Key(_permission, None, "READ, USE, EDIT, MANAGE or NO_PERMISSIONS"),
    "database_uri": Key(_text, None, "SQLAlchemy URI of the auth database"),
    "admin_username": Key(_username, None, "name of the admin account ensured at start-up"),
    "admin_password": Key(_password, "", "the admin's password (12+ characters); empty: generated once"),
    "authorization_function": Key(_function_name, BUILTIN_AUTHENTICATION, "module:function"),
    "grant_default_workspace_access": Key(_boolean, "false", "true or false"),
    "workspace_cache_max_size": Key(_count(1), "10000", "a whole number >= 1"),
    "workspace_cache_ttl_seconds": Key(_count(0), "3600", "seconds, a whole number >= 0"),
    "auth_cache_max_size": Key(_count(0), "10000", "a whole number >= 0 (0 turns the cache off)"),
    "auth_cache_ttl_seconds": Key(_count(0), "300", "seconds, a whole number >= 0"),
    "login_max_failures": Key(_count(0), "10", "failed sign-ins per user and address before a lockout (0: never)"),
    "login_lockout_seconds": Key(_count(1), "900", "seconds, a whole number >= 1"),
    "trusted_proxies": Key(_networks, "", "comma-separated addresses or networks of your reverse proxies"),
    "audit_denied_per_minute": Key(_count(0), "60", "denied-request and failed sign-in events a worker "
                                   "records per minute, a whole number >= 0"),
}


def config_path(environ=os.environ) -> Path:
    """MLFLOW_AUTH_CONFIG_PATH, else ./basic_auth.ini, else the repository's basic_auth.ini."""
    if environ.get(PATH_VARIABLE):
        return Path(environ[PATH_VARIABLE])
    local = Path("basic_auth.ini")
    return local if local.is_file() else REPOSITORY_FILE


def load(path: Path | None = None, environ=os.environ) -> AuthConfig:
    """Read and check the file; admin username/password may come from the environment."""
    path = path or config_path(environ)
    section = _section(path)
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: [{SECTION}] has unknown key '{unknown[0]}'; fix its spelling or remove it "
                          f"(known keys: {', '.join(KEYS)})")
    raw = {name: section.get(name, key.default) for name, key in KEYS.items()}
    where = {name: f"{path}: [{SECTION}] {name}" for name in KEYS}
    for name, variable in ENVIRONMENT.items():
        if environ.get(variable):
            raw[name], where[name] = environ[variable], f"{variable} (it overrides [{SECTION}] {name} of {path})"
    return AuthConfig(path=str(path), **{name: _value(where[name], name, raw[name]) for name in KEYS})


def _section(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if not parser.read(path, encoding="utf-8"):
            raise ConfigError(f"{path}: no such file; set {PATH_VARIABLE} to your basic_auth.ini")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a UTF-8 ini file ({str(exc).splitlines()[0][:200]}); write [{SECTION}] "
            "followed by key = value lines"
        ) from None
    if not parser.has_section(SECTION):
        raise ConfigError(f"{path}: no [{SECTION}] section; put the settings under [{SECTION}]")
    return parser[SECTION]


def _value(where: str, name: str, text: str | None):
    key = KEYS[name]
    if text is None:
        raise ConfigError(f"{where} is missing; set it to {key.help}")
    try:
        return key.parse(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}; set it to {key.help}") from None
