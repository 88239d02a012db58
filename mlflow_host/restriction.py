"""Restricting MLflow's own searches to what the user may read, inside their SQL queries.

The auth layer hands the host a Visibility per search scope (Host.restrict); this module keeps
it on the request and adds it to every ORM SELECT that MLflow's stores run during that request,
as loader criteria on MLflow's models (an experiment's id; the experiment of a run, logged model
or trace; the experiments an evaluation dataset is linked to; a registered
model's or model version's name; a workspace's name). MLflow then pages, counts and makes page tokens over the
restricted rows, so pages are full and tokens stay valid. Nothing is filtered afterwards.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import and_, event, exists, false, select
from sqlalchemy.orm import Session, with_loader_criteria

from tracking.hostapi import Visibility

RESTRICTIONS = "wsauth_visibility"  # on flask.g: search scope -> (Visibility, the request's workspace)


def keep(scope: str, rule: Visibility, workspace: str) -> None:
    """Restrict the rest of this request's searches of `scope` to what `rule` allows in the
    request's workspace."""
    setattr(g, RESTRICTIONS, {**g.get(RESTRICTIONS, {}), scope: (rule, workspace)})


def _columns(scope: str):
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlRegisteredModel
    from mlflow.store.tracking.dbmodels.models import SqlExperiment, SqlLoggedModel, SqlRun, SqlTraceInfo

    if scope == "experiment":  # experiments and what lives in them
        from mlflow.store.tracking.dbmodels.models import SqlEvaluationDataset

        return [*[(model, model.experiment_id, int) for model in (SqlExperiment, SqlRun, SqlLoggedModel, SqlTraceInfo)],
                (SqlEvaluationDataset, SqlEvaluationDataset.dataset_id, LINKED)]
    if scope == "registered_model":
        return [(SqlRegisteredModel, SqlRegisteredModel.name, str), (SqlModelVersion, SqlModelVersion.name, str)]
    if scope == "workspace":
        from mlflow.store.workspace.dbmodels.models import SqlWorkspace

        return [(SqlWorkspace, SqlWorkspace.name, str)]
    return []


LINKED = "linked experiments"  # a dataset: by the experiments it is linked to


def _linked_criterion(dataset_id, rule: Visibility):
    """A dataset is shown when every experiment it is linked to is; one linked to none only to a
    reader of the workspace (whose rule has no `only`)."""
    from mlflow.entities.entity_type import EntityAssociationType as Linked
    from mlflow.store.tracking.dbmodels.models import SqlEntityAssociation as Link

    def links(*more):
        return exists(select(Link.destination_id).where(
            Link.source_type == Linked.EVALUATION_DATASET, Link.source_id == dataset_id,
            Link.destination_type == Linked.EXPERIMENT, *more))

    if rule.only is not None:
        return and_(links(), ~links(Link.destination_id.not_in(sorted(rule.only))))
    return ~links(Link.destination_id.in_(sorted(rule.hidden)))


def _keys(keys: frozenset[str], cast) -> list:
    if cast is int:
        return [int(key) for key in keys if key.isdigit()]
    return list(keys)


def _criterion(column, rule: Visibility, cast):
    if rule.only is not None:
        keys = _keys(rule.only, cast)
        return column.in_(keys) if keys else false()
    return column.not_in(_keys(rule.hidden, cast))


def _restrict(state) -> None:
    if not state.is_select or not has_request_context():
        return
    restrictions = g.get(RESTRICTIONS)
    if not restrictions:
        return
    for scope, (rule, workspace) in restrictions.items():
        for model, column, cast in _columns(scope):
            criterion = _linked_criterion(column, rule) if cast is LINKED else _criterion(column, rule, cast)
            if scope == "registered_model":
                # Names are per workspace: a model of the same name elsewhere is another model
                # (MLflow's own latest-versions query of a search does not say which workspace).
                criterion = and_(criterion, model.workspace == workspace)
            elif rule.only is None and not rule.hidden:
                continue
            state.statement = state.statement.options(
                with_loader_criteria(model, criterion, include_aliases=True))


def install() -> None:
    """Watch every ORM session of the process (once): only a request with a restriction is
    changed, and only its statements over MLflow's models."""
    if not event.contains(Session, "do_orm_execute", _restrict):
        event.listen(Session, "do_orm_execute", _restrict)
