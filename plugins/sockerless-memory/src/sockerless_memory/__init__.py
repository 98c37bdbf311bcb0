"""The memory backend: containers in a sandbox of our own."""
