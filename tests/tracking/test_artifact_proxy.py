"""The artifact proxy: files land under the destination, inside the request's own workspace."""

import os

import pytest

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def teams(client):
    for team in ("team-a", "team-b"):
        client.post("/api/3.0/mlflow/workspaces", json={"name": team})
    return client


def _in(team):
    return {"X-MLFLOW-WORKSPACE": team}


def test_upload_download_list_and_delete_inside_the_workspace(teams, tmp_path):
    path = "workspaces/team-a/1/run/artifacts/notes/hello.txt"
    assert teams.put(f"{PROXY}/{path}", data=b"hello", headers=_in("team-a")).status_code == 200
    on_disk = tmp_path / "mlartifacts" / path
    assert on_disk.read_bytes() == b"hello"
    assert teams.get(f"{PROXY}/{path}", headers=_in("team-a")).data == b"hello"
    listed = teams.get(PROXY, query_string={"path": "workspaces/team-a/1/run/artifacts"}, headers=_in("team-a"))
    assert listed.json == {"files": [{"path": "notes", "is_dir": True}]}
    listed = teams.get(PROXY, query_string={"path": "workspaces/team-a/1/run/artifacts/notes"}, headers=_in("team-a"))
    assert listed.json == {"files": [{"path": "hello.txt", "is_dir": False, "file_size": 5}]}
    assert teams.delete(f"{PROXY}/{path}", headers=_in("team-a")).status_code == 200
    assert not on_disk.exists()
    assert teams.get(f"{PROXY}/{path}", headers=_in("team-a")).status_code == 404


def test_ajax_prefix_serves_the_same_files(teams):
    path = "workspaces/team-a/x.txt"
    teams.put(f"{PROXY}/{path}", data=b"x", headers=_in("team-a"))
    assert teams.get(f"/ajax-api/2.0/mlflow-artifacts/artifacts/{path}", headers=_in("team-a")).data == b"x"


@pytest.mark.parametrize("path, fragment", [
    ("workspaces/team-b/1/secret.txt", "targets workspace 'team-b' but the request's workspace is 'team-a'"),
    ("1/legacy.txt", "outside workspace 'team-a'"),
    ("workspaces/team-a/../team-b/x.txt", "'..'"),
    ("workspaces/team-a/%2e%2e/%2e%2e/etc/passwd", "'..'"),
    ("workspaces/team-a/a//b.txt", "empty segments"),
    ("workspaces/team-a/a\\b.txt", "relative and use '/'"),
    ("workspaces//x.txt", "empty segments"),
    ("workspaces", "must include a workspace name"),
])
def test_paths_outside_the_workspace_are_refused(teams, tmp_path, path, fragment):
    for method in ("put", "get", "delete"):
        response = getattr(teams, method)(f"{PROXY}/{path}", data=b"evil", headers=_in("team-a"))
        assert response.status_code == 400, (method, path, response.json)
        assert response.json["error_code"] == "INVALID_PARAMETER_VALUE"
        assert fragment in response.json["message"]
    written = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files if "evil" in open(os.path.join(d, f), "rb").read().decode(errors="ignore")]
    assert written == []


def test_listing_another_workspace_or_the_root_is_refused(teams):
    teams.put(f"{PROXY}/workspaces/team-b/1/x.txt", data=b"b", headers=_in("team-b"))
    assert teams.get(PROXY, query_string={"path": "workspaces/team-b"}, headers=_in("team-a")).status_code == 400
    assert teams.get(PROXY, query_string={"path": "workspaces"}, headers=_in("team-a")).status_code == 400
    assert teams.get(PROXY, headers=_in("team-a")).status_code == 400
    # 'default' may list the root, but not the other workspaces' folder
    assert teams.get(PROXY).json == {"files": []}


def test_default_keeps_legacy_unprefixed_paths(teams, tmp_path):
    assert teams.put(f"{PROXY}/0/run/artifacts/a.txt", data=b"a").status_code == 200
    assert (tmp_path / "mlartifacts/0/run/artifacts/a.txt").read_bytes() == b"a"
    assert teams.put(f"{PROXY}/workspaces/default/0/b.txt", data=b"b").status_code == 200
    assert teams.put(f"{PROXY}/workspaces/team-a/0/c.txt", data=b"c").status_code == 400


def test_a_symlink_cannot_lead_out_of_the_destination(teams, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    link_dir = tmp_path / "mlartifacts/workspaces/team-a"
    link_dir.mkdir(parents=True)
    (link_dir / "escape").symlink_to(outside)
    response = teams.put(f"{PROXY}/workspaces/team-a/escape/x.txt", data=b"x", headers=_in("team-a"))
    assert response.status_code == 400 and "leaves the artifact destination" in response.json["message"]
    assert list(outside.iterdir()) == []


def test_without_workspaces_every_path_belongs_to_default(make_app, tmp_path):
    client = make_app(workspaces_enabled=False).test_client()
    assert client.put(f"{PROXY}/workspaces/team-a/7/x.txt", data=b"moved").status_code == 200
    assert client.get(f"{PROXY}/workspaces/team-a/7/x.txt").data == b"moved"
    assert client.put(f"{PROXY}/../x.txt", data=b"x").status_code in (400, 404)


def test_proxy_routes_are_off_with_no_serve_artifacts(make_app):
    client = make_app(serve_artifacts=False).test_client()
    response = client.get(f"{PROXY}/workspaces/default/x.txt")
    assert response.status_code == 404 and "--no-serve-artifacts" in response.json["message"]


@pytest.mark.parametrize("name", ["page.html", "image.svg", "notes.txt"])
def test_downloads_are_attachments_never_rendered_as_this_site(teams, name):
    """An uploaded HTML or SVG file opened in a browser must not run as the server's own pages."""
    path = f"workspaces/team-a/1/run/artifacts/{name}"
    payload = b"<html><script>fetch('/api/2.0/mlflow/users/list')</script></html>"
    assert teams.put(f"{PROXY}/{path}", data=payload, headers=_in("team-a")).status_code == 200
    response = teams.get(f"{PROXY}/{path}", headers=_in("team-a"))
    assert response.status_code == 200 and response.data == payload
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert name in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
