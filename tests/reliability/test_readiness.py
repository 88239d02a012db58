"""GET /ready: public, probes every database the app needs; /health touches none (issue 6)."""

from __future__ import annotations

from sqlalchemy import event

from tests.auth.conftest import make_auth_app, write_ini  # noqa: F401  (fixtures)


def test_ready_probes_the_tracking_database(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "databases": {"tracking": "up"}}


def test_the_auth_layer_adds_its_database_and_ready_needs_no_credentials(make_auth_app):
    client = make_auth_app().test_client()
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "databases": {"tracking": "up", "auth": "up"}}


def test_a_separate_workspace_catalog_is_probed_too(make_app, tmp_path):
    app = make_app(workspace_store_uri=f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        assert app.test_client().get("/ready").json["databases"] == {"tracking": "up", "workspaces": "up"}
    finally:
        app.extensions["wsauth"].provider.database.dispose()


def test_health_touches_no_database_and_ready_touches_each(make_auth_app):
    app = make_auth_app()
    checkouts = []
    for name, database in (("tracking", app.extensions["wsauth"].database),
                           ("auth", app.extensions["wsauth.auth"].store.database)):
        event.listen(database.engine, "checkout", lambda *_, name=name: checkouts.append(name))
    client = app.test_client()
    assert client.get("/health").get_data(as_text=True) == "OK"
    assert checkouts == []
    assert client.get("/ready").status_code == 200
    assert sorted(checkouts) == ["auth", "tracking"]
