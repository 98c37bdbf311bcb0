"""Default locations: the socket, the data root, the configuration directory."""

from __future__ import annotations

import os
from pathlib import Path


def _is_root() -> bool:
    return os.geteuid() == 0


def config_dir() -> Path:
    """``$SOCKERLESS_CONFIG_DIR`` or ``~/.sockerless`` (TLS material, config file)."""
    env = os.environ.get("SOCKERLESS_CONFIG_DIR")
    return Path(env) if env else Path.home() / ".sockerless"


def runtime_dir() -> Path:
    """Where the default socket lives."""
    env = os.environ.get("SOCKERLESS_RUNTIME_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and not _is_root():
        return Path(xdg) / "sockerless"
    if _is_root():
        return Path("/run/sockerless")
    return config_dir() / "run"


def default_socket() -> Path:
    """The unix socket ``sockerless serve`` listens on when no ``-H`` is given."""
    return runtime_dir() / "sockerless.sock"


def default_host() -> str:
    """``unix://`` URL of the default socket."""
    return f"unix://{default_socket()}"


def default_data_root() -> Path:
    """``$SOCKERLESS_DATA_ROOT``, ``/var/lib/sockerless`` as root, else under ``$XDG_DATA_HOME``."""
    env = os.environ.get("SOCKERLESS_DATA_ROOT")
    if env:
        return Path(env)
    if _is_root():
        return Path("/var/lib/sockerless")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sockerless"


def config_file() -> Path:
    """The optional TOML configuration file."""
    env = os.environ.get("SOCKERLESS_CONFIG")
    return Path(env) if env else config_dir() / "config.toml"
