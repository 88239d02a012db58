"""A visibility rule may name more keys than a statement may bind parameters (PostgreSQL: 65,535;
SQLite: 32,766): a user who created 70,000 experiments holds a grant on each. Searches must still
answer, with exactly the visible items."""

from __future__ import annotations

from tracking.hostapi import EVERYTHING, Visibility

MANY = 70_000


def _state(app):
    return app.extensions["wsauth"]


def test_experiment_search_with_a_huge_visible_set(app):
    client = app.test_client()
    ids = [client.post("/api/2.0/mlflow/experiments/create", json={"name": f"e{i}"}).json["experiment_id"]
           for i in range(4)]
    store = _state(app).experiments
    far_away = {str(n) for n in range(10_000_000, 10_000_000 + MANY)}
    only = store.search("default", None, None, "ACTIVE_ONLY", 100, None, visible=Visibility(only=frozenset(far_away | {ids[1], ids[3]})))
    assert sorted(e.experiment_id for e in only.items) == sorted([ids[1], ids[3]])
    hidden = store.search("default", None, None, "ACTIVE_ONLY", 100, None, visible=Visibility(hidden=frozenset(far_away | {ids[2]})))
    assert ids[2] not in {e.experiment_id for e in hidden.items}
    assert {ids[0], ids[1], ids[3]} <= {e.experiment_id for e in hidden.items}
    small = store.search("default", None, None, "ACTIVE_ONLY", 100, None, visible=Visibility(only=frozenset({ids[0]})))
    assert [e.experiment_id for e in small.items] == [ids[0]]
    tagged = store.search("default", None, None, "ACTIVE_ONLY", 100, None, visible=EVERYTHING)
    assert all(isinstance(e.tags, dict) for e in tagged.items)


def test_model_search_with_a_huge_visible_set(app):
    client = app.test_client()
    for name in ("m-a", "m-b", "m-c"):
        assert client.post("/api/2.0/mlflow/registered-models/create", json={"name": name}).status_code == 200
    store = _state(app).registry
    far_away = {f"other-{n}" for n in range(MANY)}
    page = store.search_models("default", None, None, 100, None, visible=Visibility(only=frozenset(far_away | {"m-b"})))
    assert [m.name for m in page.items] == ["m-b"]
    page = store.search_models("default", None, None, 100, None, visible=Visibility(hidden=frozenset(far_away | {"m-b"})))
    assert sorted(m.name for m in page.items) == ["m-a", "m-c"]


def test_run_search_with_a_huge_visible_set(app):
    """Runs are restricted by the same clause as experiments, in the query (full pages)."""
    client = app.test_client()
    ids = [client.post("/api/2.0/mlflow/experiments/create", json={"name": f"r{i}"}).json["experiment_id"]
           for i in range(3)]
    for experiment_id in ids:
        assert client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id}).status_code == 200
    store = _state(app).runs
    far_away = {str(n) for n in range(10_000_000, 10_000_000 + MANY)}

    def experiments_of(visible):
        page = store.search("default", ids, None, None, "ACTIVE_ONLY", 100, None, visible=visible)
        return sorted(run.experiment_id for run in page.items)

    assert experiments_of(Visibility(only=frozenset(far_away | {ids[1]}))) == [ids[1]]
    assert experiments_of(Visibility(hidden=frozenset(far_away | {ids[0]}))) == sorted(ids[1:])
    assert experiments_of(Visibility(only=frozenset())) == []
    assert experiments_of(EVERYTHING) == sorted(ids)
