"""The server's settings: what `wsauth server` was started with, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from tracking.artifacts import resolve_root

PROXY_ROOT = "mlflow-artifacts:/"
LOCAL_ROOT = "./mlruns"


@dataclass(frozen=True)
class Settings:
    """Server configuration, with MLflow's flag names and defaults."""

    backend_store_uri: str = "sqlite:///mlflow.db"
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    artifacts_destination: str = "./mlartifacts"
    workspaces_enabled: bool = False
    workspace_store_uri: str | None = None
    app_name: str | None = None
    max_request_bytes: int = 32 * 1024 * 1024

    @property
    def artifact_root(self) -> str:
        """The root new experiments' locations derive from (MLflow's defaults when unset)."""
        if self.default_artifact_root:
            return resolve_root(self.default_artifact_root)
        return PROXY_ROOT if self.serve_artifacts else resolve_root(LOCAL_ROOT)

    @property
    def catalog_uri(self) -> str:
        """Where the workspace catalog lives."""
        return self.workspace_store_uri or self.backend_store_uri
