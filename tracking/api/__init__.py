"""REST handlers in MLflow's wire format, one module per resource family; routes.py is the table."""
