"""wsauth's authorization layer: HTTP Basic authentication and workspace-aware permissions,
loaded into the host as the `basic-auth` app plugin (`wsauth server --app-name basic-auth`)."""
