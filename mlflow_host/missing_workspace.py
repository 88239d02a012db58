"""A workspace that does not exist answers a non-admin like one they hold nothing in.

MLflow resolves the X-MLflow-Workspace header itself before any plugin can act (under uvicorn
in its ASGI middleware, under gunicorn in a before_request function of its own) and answers a
missing workspace with its own 404 "Workspace '<name>' not found": any route would then tell
anyone which workspace names exist. The layer takes that answer back, for everyone but admins,
and answers as it would in an existing workspace where the user holds nothing: 401 without
credentials, the layer's 403 for a request that needs a permission, and for a search MLflow's
own answer to a search that may see nothing (its handler run in the default workspace with every
row hidden, so its checks of the request's fields answer as they would). MLflow's handler never
ran before (its resolution answered first), so nothing was done."""

from __future__ import annotations

import json

from flask import current_app, g, request

from auth import hook, rules
from auth.layer import current_layer
from mlflow_host import restriction
from tracking import hostkit
from tracking.hostapi import DEFAULT_WORKSPACE, Visibility

MESSAGE = "Workspace '{}' not found"
NOTHING = Visibility(only=frozenset())


def is_mlflows_answer(status: int, body: bytes, header: str | None) -> bool:
    """Whether a response is MLflow's refusal of the header's workspace as missing."""
    if status != 404 or not header:
        return False
    try:
        found = json.loads(body)
    except ValueError:
        return False
    return isinstance(found, dict) and found.get("error_code") == "RESOURCE_DOES_NOT_EXIST" \
        and found.get("message") == MESSAGE.format(header.strip())


def answer_as_empty() -> tuple[int, bytes, dict[str, str]] | None:
    """In the request's context: the answer of an existing workspace where the user holds
    nothing; None to keep MLflow's own 404 (an admin, and what no rule decides here)."""
    try:
        answer = hook.authorize()
        if answer is not None:  # a custom authentication function answered itself
            return answer.status_code, answer.get_data(), dict(answer.headers)
    except hostkit.ApiError as exc:
        if exc.status == 403:
            current_layer().audit.record("request.denied", f"{request.method} {request.path}"[:512], "denied",
                                         reason=g.get("auth_denial") or exc.message)
        answer = hostkit.error_body(exc.status, exc.error_code, exc.message)  # as the layer's hook answers
        return exc.status, answer.get_data(), {"Content-Type": answer.content_type, **dict(getattr(exc, "headers", {}))}
    user = g.get("auth_user")
    if user is None or user.is_admin:
        return None
    rule = rules.rule_for(current_layer().host.operation())
    if (isinstance(rule, rules.Filtered) or rule == rules.VISIBLE_WORKSPACE) and request.endpoint:
        response = _searched(rule.kind.search_scope if isinstance(rule, rules.Filtered)
                             and rule is not rules.FILTERED_WORKSPACES else None)
        return response.status_code, response.get_data(), dict(response.headers)
    return None


def _searched(hidden_scope: str | None):
    """MLflow's answer to the search, run in the default workspace (which always exists) with
    every row of `hidden_scope` hidden; the workspace list and a workspace by name, which the
    request's workspace does not change, as the layer decided them."""
    from mlflow.utils.workspace_context import clear_server_request_workspace, set_server_request_workspace

    if hidden_scope is not None:
        restriction.keep(hidden_scope, NOTHING, DEFAULT_WORKSPACE)
    set_server_request_workspace(DEFAULT_WORKSPACE)
    try:
        return current_app.make_response(current_app.view_functions[request.endpoint](**(request.view_args or {})))
    finally:
        clear_server_request_workspace()


def flask_after_request(response):
    """Under gunicorn: MLflow's before_request answered the missing workspace; take it back."""
    header = request.headers.get("X-MLflow-Workspace")
    if response.status_code != 404 or not is_mlflows_answer(404, response.get_data(), header):
        return response
    replaced = answer_as_empty()
    if replaced is None:
        return response
    status, body, headers = replaced
    response.status_code = status
    response.set_data(body)
    response.headers.update({k: v for k, v in headers.items() if k.lower() != "content-length"})
    return response
