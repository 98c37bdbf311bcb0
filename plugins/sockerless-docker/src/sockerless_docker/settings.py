"""The backend's options (``--backend-opt KEY=VALUE`` or ``[backend.docker]`` in the config file)."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_HOST = "unix:///var/run/docker.sock"
LABEL = "sockerless.backend"
"""Label put on every container created through Sockerless (value: ``docker``)."""

KNOWN_OPTIONS = ("docker-host", "tls", "tls-verify", "tls-ca", "tls-cert", "tls-key", "default-network", "events")


class SettingsError(ValueError):
    """An option that cannot be used."""


@dataclass(frozen=True)
class UpstreamAddress:
    """Where the real engine listens."""

    scheme: str
    """``unix`` or ``tcp``."""
    path: str = ""
    host: str = ""
    port: int = 0

    @property
    def url(self) -> str:
        """As a ``DOCKER_HOST`` value."""
        return f"unix://{self.path}" if self.scheme == "unix" else f"tcp://{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    """Everything the backend was configured with."""

    address: UpstreamAddress
    tls: ssl.SSLContext | None = None
    default_network: str = ""
    """``NetworkMode`` for containers that ask for none (``""``: leave it to the engine)."""
    events: str = "auto"
    """``auto``: follow the engine's events when an observer plugin is installed; ``always``; ``never``."""


def _flag(value: str | None, name: str) -> bool:
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"docker backend: {name} must be true or false, got {value!r}")


def parse_address(value: str) -> UpstreamAddress:
    """``unix:///path``, ``/path``, ``tcp://host:port`` (port 2375, or 2376 with TLS, when missing)."""
    if value.startswith("/"):
        value = "unix://" + value
    parts = urlsplit(value)
    if parts.scheme == "unix":
        path = parts.path or parts.netloc
        if not path:
            raise SettingsError(f"docker backend: invalid docker-host {value!r}")
        return UpstreamAddress("unix", path=path)
    if parts.scheme in ("tcp", "http", "https"):
        try:
            port = parts.port
        except ValueError:
            raise SettingsError(f"docker backend: invalid port in docker-host {value!r}") from None
        if not parts.hostname:
            raise SettingsError(f"docker backend: docker-host {value!r} needs a host name")
        return UpstreamAddress("tcp", host=parts.hostname, port=port or 0)
    raise SettingsError(f"docker backend: unsupported docker-host {value!r} (use unix://PATH or tcp://HOST:PORT)")


def _tls_context(options: dict[str, str], cert_dir: Path) -> ssl.SSLContext | None:
    verify = _flag(options.get("tls-verify", os.environ.get("SOCKERLESS_DOCKER_TLS_VERIFY")), "tls-verify")
    enabled = verify or _flag(options.get("tls"), "tls")
    if not enabled:
        return None
    ca = options.get("tls-ca") or str(cert_dir / "ca.pem")
    cert = options.get("tls-cert") or str(cert_dir / "cert.pem")
    key = options.get("tls-key") or str(cert_dir / "key.pem")
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify:
        if not os.path.exists(ca):
            raise SettingsError(f"docker backend: tls-verify needs a CA file (tls-ca): {ca} not found")
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if os.path.exists(cert) and os.path.exists(key):
        ctx.load_cert_chain(cert, key)
    elif options.get("tls-cert") or options.get("tls-key"):
        raise SettingsError(f"docker backend: client certificate {cert} or key {key} not found")
    return ctx


def load(options: dict[str, str]) -> Settings:
    """Validate the options; unknown keys are refused so a typo cannot go unnoticed."""
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise SettingsError(f"docker backend: unknown option(s) {', '.join(unknown)} "
                            f"(known: {', '.join(KNOWN_OPTIONS)})")
    raw = options.get("docker-host") or os.environ.get("SOCKERLESS_DOCKER_HOST") or DEFAULT_HOST
    address = parse_address(raw)
    cert_dir = Path(os.environ.get("SOCKERLESS_DOCKER_CERT_PATH") or Path.home() / ".docker")
    tls = _tls_context(options, cert_dir)
    if address.scheme == "tcp" and not address.port:
        address = UpstreamAddress("tcp", host=address.host, port=2376 if tls else 2375)
    events = options.get("events", "auto")
    if events not in ("auto", "always", "never"):
        raise SettingsError(f"docker backend: events must be auto, always or never, got {events!r}")
    return Settings(address=address, tls=tls, default_network=options.get("default-network", ""), events=events)
