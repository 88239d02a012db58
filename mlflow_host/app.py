"""`mlflow server --app-name wsauth`: MLflow's server with wsauth's auth layer.

MLflow calls `create_app()` in each worker. It prepares the auth database once per database
(migrations run under a lock; the admin is created by whichever worker comes first), installs
the layer on MLflow's Flask app through MlflowHost, and, when MLflow serves through uvicorn,
returns MLflow's FastAPI app around it with the routes FastAPI serves itself made admin-only.
"""

from __future__ import annotations

import threading

from flask import Flask, g, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from auth import app as auth_app
from auth.layer import EXTENSION
from mlflow_host import missing_workspace, restriction, request_checks
from mlflow_host.host import MlflowHost
from mlflow_host.operations import OperationTable
from tracking import hostkit

_prepared = threading.Lock()


def create_app(app: Flask | None = None):
    """MLflow's app (or the given one) with the auth layer installed; under uvicorn, the
    FastAPI app that serves it."""
    if app is None:
        from mlflow.server import app
    if EXTENSION not in app.extensions:
        with _prepared:
            auth_app.prepare()
        host = MlflowHost(OperationTable(set(app.view_functions)))  # before the layer adds its own
        hostkit.register_plugin_error_handlers(app)
        restriction.install()
        auth_app.PLUGIN.install(app, host)
        app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unreadable_bodies)
        app.before_request(request_checks.check_request)  # after the layer's hook: it knows the user
        app.after_request(_announce_changes)
        app.after_request(_missing_files_are_not_found)
        app.after_request(missing_workspace.flask_after_request)  # under gunicorn
        app.register_error_handler(NotFound, _json_routing_error)
        app.register_error_handler(MethodNotAllowed, _json_routing_error)
    return _served(app)


def _served(app: Flask):
    from mlflow.environment_variables import _MLFLOW_SGI_NAME

    if _MLFLOW_SGI_NAME.get() != "uvicorn":
        return app
    from mlflow_host.asgi import guarded_fastapi_app

    return guarded_fastapi_app(app)


CREATED_KINDS = {"createExperiment": "experiment", "createRun": "run", "createRegisteredModel": "registered_model"}


def _announce_changes(response):
    """After MLflow changed what grants follow, tell the layer, as wsauth's own server does with
    its signals: a creator's grant (experiments, models), a run's place, a renamed or deleted
    model's grants, a deleted workspace's grants."""
    layer = _layer()
    operation = layer.host.operation() if layer is not None else None
    if operation is None or response.status_code >= 300:
        return response
    host, app = layer.host, _app()
    if operation == "deleteWorkspace":
        host.workspace_deleted.send(app, workspace=request.view_args["workspace_name"])
        return response
    workspace = host.workspace_as_seen_by_outsiders()
    if operation in ("renameRegisteredModel", "deleteRegisteredModel"):
        fields = host.request_fields()
        if operation == "renameRegisteredModel":
            host.resource_renamed.send(app, kind="registered_model", workspace=workspace, key=fields.get("name"),
                                       new_key=fields.get("new_name"))
        else:
            host.resource_deleted.send(app, kind="registered_model", workspace=workspace, key=fields.get("name"))
        return response
    if operation not in CREATED_KINDS or g.get("auth_user") is None:
        return response
    payload = response.get_json(silent=True)
    if not isinstance(payload, dict):
        return response
    kind = CREATED_KINDS[operation]
    if kind == "experiment":
        host.resource_created.send(app, kind=kind, workspace=workspace, key=str(payload["experiment_id"]))
    elif kind == "registered_model":
        host.resource_created.send(app, kind=kind, workspace=workspace, key=payload["registered_model"]["name"])
    else:
        info = payload.get("run", {}).get("info", {})
        host.resource_created.send(app, kind=kind, workspace=workspace, key=info.get("run_id"),
                                   experiment_id=info.get("experiment_id"))
    return response


def _missing_files_are_not_found(response):
    """MLflow answers the download of a proxied file that is not there with a 500 naming the
    server's folders: it is the client's 404."""
    layer = _layer()
    if response.status_code != 500 or layer is None or layer.host.operation() != "downloadArtifact":
        return response
    payload = response.get_json(silent=True)
    if isinstance(payload, dict) and "No such file or directory" in str(payload.get("message")):
        path = (request.view_args or {}).get("artifact_path", "")
        missing = hostkit.NotFound(f"No artifact at '{path[:300]}'.")
        return hostkit.error_body(missing.status, missing.error_code, missing.message)
    return response


def _json_routing_error(exc):
    """MLflow's own 404 and 405 pages are HTML: its clients get {"error_code", "message"}."""
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        response = hostkit.error_body(405, "BAD_REQUEST", f"{request.method} is not accepted at "
                                      f"{request.path[:200]}; allowed: {allowed}.")
        response.headers["Allow"] = allowed
        return response
    return hostkit.error_body(404, "ENDPOINT_NOT_FOUND", f"Nothing at {request.path[:200]} on this server; "
                              "docs/mlflow-routes.md lists its routes.")


def _refuse_unreadable_bodies():
    """Before anyone's request reaches a route the layer decides (admins' too, whose changes the
    layer follows afterwards): a body MLflow would read otherwise than the layer is refused."""
    layer = _layer()
    if layer is not None and layer.host.operations.is_mlflows(request.endpoint) and layer.host.operation():
        layer.host.request_fields()  # raises the 400


def _layer():
    from flask import current_app

    return current_app.extensions.get(EXTENSION)


def _app():
    from flask import current_app

    return current_app._get_current_object()
