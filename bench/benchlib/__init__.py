"""Helpers of the Sockerless benchmark harness (``bench/run.py``)."""
