"""The seam between a host and an app plugin (the auth layer), declared both ways.

`Host` is what a host offers a plugin for the request being served: its workspace, where a
resource lives, a restriction its searches apply, signals about resources after each change is
committed, and where to add a readiness probe. wsauth's tracking server implements it in
tracking.host; a second host (MLflow's own server) implements the same protocol.

`AppPlugin` is what a plugin offers a host: how to install it on the app, its one-time
preparation before workers start, its commands, and its part in the host's maintenance
commands. A plugin's entry point (group `wsauth.app`) names one AppPlugin; a bare callable
`create_app(app) -> app` is taken as a plugin that only installs itself.

The host's toolkit (errors, field readers, database helpers) is in tracking.hostkit: plugins
may use it, a second host need not provide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

from blinker import Signal

__all__ = ["DEFAULT_WORKSPACE", "Visibility", "EVERYTHING", "Host", "AppPlugin", "as_plugin"]

DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class Visibility:
    """Which items of a kind a search may return: `only` these keys, else all but `hidden`."""

    only: frozenset[str] | None = None
    hidden: frozenset[str] = frozenset()

    def allows(self, key: str) -> bool:
        """Whether one item may be shown."""
        return key in self.only if self.only is not None else key not in self.hidden


EVERYTHING = Visibility()  # no restriction: what a search returns when no plugin restricted it


@runtime_checkable
class Host(Protocol):
    """What the auth layer needs from the host serving the current request.

    Resource kinds are named as the layer's kinds table names them: "experiment", "run",
    "registered_model". Search scopes: "experiment" (experiments, their runs, their artifact
    folders), "registered_model" (models and prompts), "workspace".
    """

    # Sent after the change committed, with sender=the Flask app and these keyword arguments:
    resource_created: Signal  # kind, workspace, key (runs also experiment_id)
    resource_deleted: Signal  # kind, workspace, key
    resource_renamed: Signal  # kind, workspace, key, new_key
    workspace_deleted: Signal  # workspace

    def operation(self) -> str | None:
        """The name of the operation the request's route serves, as the layer's rule table
        knows it (MLflow's REST operation names, e.g. "getExperiment", and a plugin's own
        endpoints); None for a route the host does not name (the layer makes it admin-only)."""

    def request_fields(self) -> Any:
        """The request's fields (a mapping) exactly as the host's handler will read them, so
        that the layer decides on the resource the handler acts on; the host's 400 for a
        request its handlers cannot read."""

    def operation_parts(self) -> list[tuple[str | None, Any]]:
        """For a request whose operation's rule is COMPOSITE (one asking for several, such as
        MLflow's GraphQL): each operation it asks for, by name (None: one the host cannot name,
        admin-only), with the fields that name its resource."""

    def workspaces_enabled(self) -> bool:
        """Whether the server scopes resources to workspaces."""

    def current_workspace(self) -> str:
        """The request's workspace; the host's 404 when it names one that does not exist."""

    def workspace_as_seen_by_outsiders(self) -> str:
        """The request's workspace, where a well-formed name of a missing workspace is taken as
        an existing, empty one for the rest of the request (naming one reveals nothing)."""

    def workspace_exists(self, name: str) -> bool:
        """Whether the workspace catalog has a workspace of that name."""

    def workspace_of(self, kind: str, key: str) -> tuple[str, str] | None:
        """(workspace, experiment id as stored) of a resource by its global id (kinds: experiment,
        run, logged_model, trace), or None when there is none, or when the host holds no
        resources of that kind. The answer does not change while the resource exists."""

    def experiment_id_by_name(self, workspace: str, name: str) -> str | None:
        """The id of the named experiment in the workspace, or None."""

    def model_exists(self, workspace: str, name: str) -> bool:
        """Whether a registered model (or prompt) of that name exists in the workspace."""

    def run_of_source(self, source: str) -> str | None:
        """The run a model version's source (`runs:/<id>/...` and the like) comes from, if any."""

    def experiment_of_artifact_path(self, path: str) -> str | None:
        """The id of the request workspace's experiment owning the artifact proxy path, if any."""

    def artifact_path_allowed(self, path: str) -> bool:
        """Whether the artifact proxy would accept this path in the request's workspace."""

    def restrict(self, scope: str, rule: Visibility) -> None:
        """Make this request's searches of `scope` return only what `rule` allows."""

    def add_ready_database(self, app: Any, name: str, database: Any) -> None:
        """Have the readiness probe check a plugin's own database too, reported under `name`."""


@dataclass(frozen=True)
class AppPlugin:
    """What an app plugin offers its host."""

    install: Callable[[Any, Host], Any]  # (the Flask app, its host) -> the app to serve
    prepare: Callable[[], None] | None = None  # once, in the master process, before workers
    commands: tuple = ()  # click commands added to the host's command line
    # Its records of the host's resources, kept in step by the host's maintenance commands
    # (each takes the plugin's config path): moving every workspace into 'default' ...
    merge_plan: Callable[[str], tuple[int, list[str]]] | None = None  # -> (rows to move, conflicts)
    merge_apply: Callable[[str], int] | None = None  # -> rows moved
    # ... and purging deleted experiments:
    forget_experiments: Callable[[str, list[str]], int] | None = None  # (path, ids) -> rows dropped


def as_plugin(loaded: object, name: str) -> AppPlugin:
    """The AppPlugin an entry point names; a bare `create_app(app)` installs itself only."""
    if isinstance(loaded, AppPlugin):
        return loaded
    if callable(loaded):
        return AppPlugin(install=lambda app, host: loaded(app))
    raise LookupError(f"app plugin '{name}' is neither an AppPlugin nor a create_app(app) function")
