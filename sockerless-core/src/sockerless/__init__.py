"""Sockerless: the Docker Engine API on pluggable backends."""

__version__ = "0.1.0"
