"""MLflow's GraphQL endpoint, read as the operations it asks for.

The web UI's run and experiment pages ask MLflow's `/graphql` for runs, experiments, artifact
listings, metric histories, model versions and datasets, several at once. The layer decides a
GraphQL request as the set of REST operations its top-level fields amount to (each with the
fields that name its resource), every one under its own rule: a request passes only if every
part does. A field this table does not know makes the whole request admin-only.

Every operation of the document is read (not only the one `operationName` picks), fragments
are followed, and `@skip`/`@include` are ignored: the layer authorizes at least what MLflow
will run.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

ADMIN_ONLY = (None, {})  # a part without an operation: admin-only
Part = tuple[str | None, dict]


def _ids(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# top-level field -> its parts, from the field's `input` argument (GraphQL's camelCase names)
FIELDS: dict[str, Callable[[dict], list[Part]]] = {
    "mlflowGetExperiment": lambda given: [("getExperiment", {"experiment_id": given.get("experimentId")})],
    # a run's page also lists the model versions made from it: searched as the registry is
    "mlflowGetRun": lambda given: [("getRun", {"run_id": given.get("runId") or given.get("runUuid")}),
                                   ("searchModelVersions", {})],
    "mlflowListArtifacts": lambda given: [("listArtifacts", {"run_id": given.get("runId") or given.get("runUuid")})],
    "mlflowGetMetricHistoryBulkInterval": lambda given: [
        ("getRun", {"run_id": run}) for run in _ids(given.get("runIds") or [])] or [ADMIN_ONLY],
    "mlflowSearchModelVersions": lambda given: [("searchModelVersions", {})],
    "mlflowSearchRuns": lambda given: [("searchRuns", {}), ("searchModelVersions", {})],
    "mlflowSearchDatasets": lambda given: [
        ("getExperiment", {"experiment_id": experiment}) for experiment in _ids(given.get("experimentIds") or [])]
        or [ADMIN_ONLY],
}
# fields that read nothing of the stores (an echo, and the schema's introspection), whatever
# their arguments
FREE = frozenset({"test", "testMutation", "__typename", "__schema", "__type"})


def parts(payload: Any) -> list[Part]:
    """The operations a GraphQL request body asks for; [ADMIN_ONLY] for one that cannot be read."""
    from graphql import GraphQLError, parse

    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return [ADMIN_ONLY]
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        return [ADMIN_ONLY]
    try:
        document = parse(payload["query"], max_tokens=5000)
    except GraphQLError:
        return [ADMIN_ONLY]  # MLflow answers the syntax error; the layer lets only admins that far
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    found: list[Part] = []
    for definition in document.definitions:
        if definition.kind == "operation_definition":
            values = {**_defaults(definition), **variables}  # as the executor will see them
            for field in _fields(definition.selection_set, fragments, set()):
                found += _parts_of(field, values)
    return found


def _defaults(operation) -> dict:
    """The default values of an operation's variables."""
    from graphql.utilities import value_from_ast_untyped

    return {variable.variable.name.value: value_from_ast_untyped(variable.default_value, {})
            for variable in operation.variable_definitions or () if variable.default_value is not None}


def _fields(selection_set, fragments: dict, seen: set) -> Iterator[Any]:
    """The fields of a selection set, through fragments (each fragment once)."""
    for selection in selection_set.selections:
        if selection.kind == "field":
            yield selection
        elif selection.kind == "inline_fragment":
            yield from _fields(selection.selection_set, fragments, seen)
        elif selection.kind == "fragment_spread":
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                yield from _fields(fragments[name].selection_set, fragments, seen)
            elif name not in fragments:
                yield None  # an unknown fragment: unreadable


def _parts_of(field, variables: dict) -> list[Part]:
    from graphql.utilities import value_from_ast_untyped

    if field is not None and field.name.value in FREE:
        return []
    if field is None or field.name.value not in FIELDS:
        return [ADMIN_ONLY]
    given: Any = {}
    for argument in field.arguments:
        if argument.name.value == "input":
            given = value_from_ast_untyped(argument.value, variables)
        else:
            return [ADMIN_ONLY]
    found = FIELDS[field.name.value](given if isinstance(given, dict) else {})
    # An id the layer cannot read (missing, or no string or number) could still reach MLflow in a
    # way the layer does not see: such a field is for admins only.
    if any(not isinstance(value, (str, int)) or isinstance(value, bool)
           for _, fields in found for value in fields.values()):
        return [ADMIN_ONLY]
    return found
