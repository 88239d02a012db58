"""wsauth's host: a workspace-aware tracking server that speaks MLflow's REST API."""

__version__ = "0.1.0"
