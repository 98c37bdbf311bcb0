"""Registry credentials and the ``WWW-Authenticate`` challenge.

Credentials come from the client's ``X-Registry-Auth`` header (base64url JSON, as the
Docker CLI and docker-py send it), else from the Docker config file named in the daemon's
settings (its ``auths`` entries). They are never logged or rendered.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ...api.errors import InvalidParameter

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
DOCKER_HUB_AUTH_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class Credentials:
    """What a client handed over for one registry."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    """An OAuth refresh token (from ``docker login`` against a token server)."""
    registry_token: str = ""
    """A bearer token to send as is."""

    def __repr__(self) -> str:  # never show secrets
        return f"Credentials(username={self.username!r})"

    @property
    def empty(self) -> bool:
        """True when nothing was given."""
        return not (self.username or self.password or self.identity_token or self.registry_token)


ANONYMOUS = Credentials()


def decode_auth_config(data: dict) -> Credentials:
    """A Docker ``AuthConfig`` object (``username``, ``password``, ``auth``, tokens) as credentials."""
    if not isinstance(data, dict):
        raise InvalidParameter("invalid registry auth: not a JSON object")
    username, password = str(data.get("username") or ""), str(data.get("password") or "")
    encoded = data.get("auth")
    if encoded and not username:
        try:
            username, _, password = base64.b64decode(str(encoded)).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidParameter("invalid registry auth: bad base64 in auth") from None
    return Credentials(username, password, str(data.get("identitytoken") or ""), str(data.get("registrytoken") or ""))


def credentials_from_header(value: str | None) -> Credentials | None:
    """Decode ``X-Registry-Auth``; ``None`` when absent or empty (``{}``)."""
    if not value:
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        try:
            raw = base64.b64decode(padded)
        except (binascii.Error, ValueError):
            raise InvalidParameter("invalid X-Registry-Auth header: not base64") from None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise InvalidParameter("invalid X-Registry-Auth header: not JSON") from None
    credentials = decode_auth_config(data)
    return None if credentials.empty else credentials


def credentials_from_config_file(path: str, domain: str) -> Credentials | None:
    """The ``auths`` entry for registry ``domain`` in a Docker CLI config file, if any."""
    if not path:
        return None
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return None
    keys = DOCKER_HUB_AUTH_KEYS if domain == "docker.io" else (domain, f"https://{domain}", f"http://{domain}")
    for key, entry in auths.items():
        normalised = key.removeprefix("https://").removeprefix("http://").rstrip("/")
        if (key in keys or normalised in keys or normalised.removesuffix("/v1") in keys or normalised == domain) \
                and isinstance(entry, dict):
            credentials = decode_auth_config(entry)
            if not credentials.empty:
                return credentials
    return None


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header."""

    scheme: str
    """``bearer`` or ``basic`` (lower case)."""
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """Parse ``Bearer realm="...",service="...",scope="..."`` or ``Basic realm="..."``."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)).replace('\\"', '"')
              for m in _PARAM.finditer(rest)}
    return Challenge(scheme.lower(), params)


def registry_domain(server_address: str) -> str:
    """The registry a ``serveraddress`` names (``https://index.docker.io/v1/`` is Docker Hub)."""
    text = server_address.strip().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if not text or text in DOCKER_HUB_AUTH_KEYS:
        return "docker.io"
    return text
