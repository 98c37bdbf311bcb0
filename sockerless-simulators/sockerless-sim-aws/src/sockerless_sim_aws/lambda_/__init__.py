"""Lambda: container-image functions (REST-JSON) and the Runtime API their processes talk to."""
