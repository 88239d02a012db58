"""MLflow's own server as a host of wsauth's auth layer: `mlflow server --app-name wsauth`.

The `wsauth` entry point of MLflow's `mlflow.app` group names `mlflow_host.app:create_app`,
which installs the layer (auth.app.PLUGIN) on MLflow's Flask app through `MlflowHost`, this
host's implementation of tracking.hostapi.Host, and, under uvicorn, guards the routes MLflow
serves through FastAPI. MLflow's own auth module is not used, and nothing of MLflow is patched.
"""
