"""Docker Engine API wire models (msgspec structs with Docker's field names)."""
