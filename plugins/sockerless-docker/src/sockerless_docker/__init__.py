"""The ``docker`` backend of Sockerless: a passthrough to a real Docker engine (or Podman)."""
