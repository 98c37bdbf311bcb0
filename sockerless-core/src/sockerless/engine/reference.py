"""Image references: ``alpine``, ``user/app:1.0``, ``host:5000/ns/app@sha256:...``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..api.errors import InvalidParameter

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
_DOMAIN = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$")


@dataclass(frozen=True)
class Reference:
    """A parsed, normalised image reference."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """``docker.io/library/alpine``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """``alpine``, ``user/app``, ``host:5000/app`` (what Docker shows)."""
        if self.domain == DEFAULT_DOMAIN:
            return self.path.removeprefix(OFFICIAL_PREFIX)
        return self.name

    @property
    def familiar(self) -> str:
        """``alpine:latest`` or ``alpine@sha256:...``."""
        if self.digest:
            return f"{self.familiar_name}@{self.digest}"
        return f"{self.familiar_name}:{self.tag or 'latest'}"

    @property
    def registry_host(self) -> str:
        """Where the registry of this reference lives."""
        return "registry-1.docker.io" if self.domain == DEFAULT_DOMAIN else self.domain


def parse(text: str, *, default_tag: str = "latest") -> Reference:
    """Parse and normalise; ``InvalidParameter`` with Docker's wording when malformed."""
    original = text
    if not text or text != text.strip():
        raise InvalidParameter("invalid reference format")
    digest = ""
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise InvalidParameter("invalid reference format")
    tag = ""
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1:]
        if not _TAG.match(tag):
            raise InvalidParameter("invalid reference format")
    domain, _, rest = text.partition("/")
    if rest and ("." in domain or ":" in domain or domain == "localhost" or domain != domain.lower()):
        path = rest
    else:
        domain, path = DEFAULT_DOMAIN, text
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if any(c.isupper() for c in path):
        raise InvalidParameter(f"invalid reference format: repository name ({original}) must be lowercase")
    if not _PATH.match(path) or not _DOMAIN.match(domain):
        raise InvalidParameter("invalid reference format")
    if not tag and not digest:
        tag = default_tag
    return Reference(domain, path, tag, digest)


def looks_like_id(text: str) -> bool:
    """True for ``sha256:<hex>`` or a bare hex string that may be an image id (prefix)."""
    value = text.removeprefix("sha256:")
    return bool(re.fullmatch(r"[a-f0-9]{1,64}", value))
