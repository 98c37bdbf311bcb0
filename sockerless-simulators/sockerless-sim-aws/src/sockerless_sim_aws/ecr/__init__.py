"""ECR: repositories and auth tokens (JSON 1.1) plus a real OCI registry endpoint (``/v2/``)."""
