"""The Sockerless agent: runs a workload's command and serves exec, attach and archive sessions."""

__version__ = "0.1.0"
