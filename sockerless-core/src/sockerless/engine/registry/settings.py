"""Daemon-wide registry settings, with dockerd's meaning: mirrors and insecure registries."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "https://registry-1.docker.io"


@dataclass(frozen=True)
class Endpoint:
    """One base URL to try for a registry."""

    url: str
    """``https://host[:port]`` or ``http://host[:port]``, no trailing slash."""
    mirror: bool = False
    verify_tls: bool = True


@dataclass
class RegistrySettings:
    """``registry-mirrors`` and ``insecure-registries`` as dockerd takes them."""

    mirrors: list[str] = field(default_factory=list)
    """Base URLs tried, in order, before Docker Hub for Docker Hub images (pulls only)."""
    insecure: list[str] = field(default_factory=list)
    """``host[:port]`` names or CIDR ranges that may be reached over plain HTTP or unverified TLS."""
    config_file: str = ""
    """A Docker CLI ``config.json`` whose ``auths`` give credentials when the client sends none."""

    def __post_init__(self) -> None:
        for mirror in self.mirrors:
            if not mirror.startswith(("http://", "https://")):
                raise ValueError(f"invalid registry mirror {mirror!r}: a mirror is an http:// or https:// URL")
        for entry in self.insecure:
            if "://" in entry:
                raise ValueError(f"insecure registry {entry!r} should not contain '://'")

    def info(self) -> dict:
        """``RegistryConfig`` of ``GET /info``, laid out as dockerd reports it."""
        cidrs = ["::1/128", "127.0.0.0/8"] + [e for e in self.insecure if "/" in e]
        mirrors = [m.rstrip("/") + "/" for m in self.mirrors]
        indexes = {DOCKER_HUB: {"Name": DOCKER_HUB, "Mirrors": mirrors, "Secure": True, "Official": True}}
        for entry in self.insecure:
            if "/" not in entry:
                indexes[entry] = {"Name": entry, "Mirrors": [], "Secure": False, "Official": False}
        return {"AllowNondistributableArtifactsCIDRs": [], "AllowNondistributableArtifactsHostnames": [],
                "InsecureRegistryCIDRs": cidrs, "IndexConfigs": indexes, "Mirrors": mirrors}

    def is_insecure(self, host: str) -> bool:
        """True for loopback registries (insecure by default, as in dockerd) and those configured insecure."""
        name = _hostname(host)
        if name == "localhost":
            return True
        address = _address(name)
        if address is not None and address.is_loopback:
            return True
        for entry in self.insecure:
            if entry in (host, name):
                return True
            if "/" in entry and address is not None:
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False

    def endpoints(self, domain: str, *, for_push: bool = False) -> list[Endpoint]:
        """The base URLs to try for registry ``domain`` in order (mirrors first for Docker Hub pulls)."""
        found: list[Endpoint] = []
        if domain == DOCKER_HUB:
            if not for_push:
                for mirror in self.mirrors:
                    url = mirror.rstrip("/")
                    mirror_host = url.split("://", 1)[1].split("/", 1)[0]
                    found.append(Endpoint(url, mirror=True, verify_tls=not self.is_insecure(mirror_host)))
            found.append(Endpoint(DOCKER_HUB_ENDPOINT))
            return found
        if self.is_insecure(domain):
            return [Endpoint(f"https://{domain}", verify_tls=False), Endpoint(f"http://{domain}")]
        return [Endpoint(f"https://{domain}")]


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None
