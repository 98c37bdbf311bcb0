"""The registry v2 HTTP client: endpoint choice, token auth, manifests and blobs.

One :class:`RepositorySession` talks to one repository of one registry with one set of
credentials. Authentication follows the registry's ``WWW-Authenticate`` challenge: a
``Bearer`` challenge sends the credentials to the token server (``realm``) for the scopes
needed and retries with the token; a ``Basic`` challenge retries with the credentials.
Tokens stay in the session; nothing secret is logged or put in a URL.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from .auth import ANONYMOUS, Challenge, Credentials, parse_challenge
from .settings import Endpoint, RegistrySettings

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines repeat every request URL

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST_V2 = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
ACCEPT_MANIFESTS = (OCI_INDEX, MANIFEST_LIST_V2, OCI_MANIFEST, MANIFEST_V2)
INDEX_TYPES = (OCI_INDEX, MANIFEST_LIST_V2)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "sockerless (docker registry client)"


class RegistryError(Exception):
    """The registry answered with an error; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 500, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class Unreachable(RegistryError):
    """No endpoint of the registry could be connected to."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 503)


@dataclass
class Manifest:
    """A manifest as fetched: raw bytes (hashed for the digest), media type, parsed body."""

    raw: bytes
    media_type: str
    digest: str
    body: dict[str, Any]


class RegistryClient:
    """Shared HTTP clients and the daemon's registry settings."""

    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._working: dict[str, Endpoint] = {}

    def http(self, verify: bool) -> httpx.AsyncClient:
        """The HTTP client for verified or unverified TLS."""
        client = self._clients.get(verify)
        if client is None:
            client = httpx.AsyncClient(verify=verify, timeout=TIMEOUT, follow_redirects=True,
                                       headers={"User-Agent": USER_AGENT}, trust_env=False)
            self._clients[verify] = client
        return client

    async def close(self) -> None:
        """Close the HTTP connections."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def open(self, domain: str, repository: str, credentials: Credentials | None, actions: str = "pull", *,
                   for_push: bool = False, extra_scopes: tuple[str, ...] = (), offline: bool = False) -> list[RepositorySession]:
        """Sessions for every endpoint that answers ``/v2/``, in order of preference.

        Raises :class:`Unreachable` when none answers.
        """
        sessions: list[RepositorySession] = []
        reasons: list[str] = []
        endpoints = self.settings.endpoints(domain, for_push=for_push)
        known = self._working.get(domain)
        if known is not None and known in endpoints:
            endpoints = [e for e in endpoints if e.mirror] + [known]
        for endpoint in endpoints:
            session = RepositorySession(self, endpoint, repository, credentials or ANONYMOUS, actions, extra_scopes)
            session.offline = offline
            try:
                await session.ping()
            except Unreachable as exc:
                reasons.append(exc.message)
                continue
            if not endpoint.mirror:
                self._working[domain] = endpoint
            sessions.append(session)
            if not endpoint.mirror:
                break
        if not sessions:
            raise Unreachable("; ".join(reasons) or f"no endpoint for {domain}")
        return sessions


    async def login(self, domain: str, credentials: Credentials) -> str:
        """Check ``credentials`` against the registry (``POST /auth``); raises :class:`RegistryError` when refused.

        Returns the identity (refresh) token a token server handed out for offline use, or ``""``.
        """
        session = (await self.open(domain, "", credentials, for_push=True, offline=True))[-1]
        response = await session.request("GET", "/v2/")
        if response.status_code in (401, 403):
            raise RegistryError("unauthorized: incorrect username or password", 401, "UNAUTHORIZED")
        await check(response, "login")
        return session.refresh_token


class RepositorySession:
    """Requests to one repository on one endpoint, authenticated as needed."""

    def __init__(self, client: RegistryClient, endpoint: Endpoint, repository: str, credentials: Credentials,
                 actions: str, extra_scopes: tuple[str, ...]) -> None:
        self.client = client
        self.endpoint = endpoint
        self.repository = repository
        self.credentials = credentials
        self.scopes = (f"repository:{repository}:{actions}", *extra_scopes) if repository else extra_scopes
        self._authorization: str | None = None
        self.offline = False
        """Ask the token server for a refresh token too (``docker login``)."""
        self.refresh_token = ""
        if credentials.registry_token:
            self._authorization = f"Bearer {credentials.registry_token}"

    @property
    def http(self) -> httpx.AsyncClient:
        return self.client.http(self.endpoint.verify_tls)

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (``/v2/...``) on this endpoint."""
        return self.endpoint.url + path

    # -- transport and auth --------------------------------------------------------------------
    async def ping(self) -> None:
        """``GET /v2/``; any HTTP answer counts as reachable (401 starts the auth flow later)."""
        try:
            response = await self.http.get(self.url("/v2/"))
        except (httpx.TransportError, ssl.SSLError) as exc:
            raise Unreachable(f"{self.endpoint.url}: {_describe(exc)}") from None
        if response.status_code == 401 and not self.credentials.empty:
            await self._authenticate(response)

    async def request(self, method: str, path_or_url: str, *, headers: dict[str, str] | None = None,
                      content: Any = None, stream: bool = False) -> httpx.Response:
        """Send a request, answering one auth challenge; the response may be an error (see :func:`check`)."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.url(path_or_url)
        for attempt in range(2):
            request_headers = dict(headers or {})
            if self._authorization:
                request_headers["Authorization"] = self._authorization
            request = self.http.build_request(method, url, headers=request_headers, content=content)
            try:
                response = await self.http.send(request, stream=stream)
            except (httpx.TransportError, ssl.SSLError) as exc:
                raise Unreachable(f"{method} {_safe(url)}: {_describe(exc)}") from None
            if response.status_code != 401 or attempt == 1 or isinstance(content, (AsyncIterator,)):
                return response
            await response.aread()
            if not await self._authenticate(response):
                return response
        return response

    async def _authenticate(self, response: httpx.Response) -> bool:
        """Answer a 401 challenge; False when there is nothing more to try."""
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            return False
        if challenge.scheme == "basic":
            if not self.credentials.username:
                return False
            secret = base64.b64encode(f"{self.credentials.username}:{self.credentials.password}".encode()).decode()
            fresh = f"Basic {secret}"
        elif challenge.scheme == "bearer":
            fresh = f"Bearer {await self._fetch_token(challenge)}"
        else:
            return False
        if fresh == self._authorization:
            return False
        self._authorization = fresh
        return True

    async def _fetch_token(self, challenge: Challenge) -> str:
        realm = challenge.params.get("realm")
        if not realm:
            raise RegistryError("the registry's Bearer challenge names no realm", 401)
        service = challenge.params.get("service", "")
        creds = self.credentials
        try:
            if creds.identity_token:
                form = {"grant_type": "refresh_token", "refresh_token": creds.identity_token, "service": service,
                        "scope": " ".join(self.scopes), "client_id": "docker"}
                response = await self.http.post(realm, data=form)
            else:
                params = [("service", service)] if service else []
                params += [("scope", scope) for scope in self.scopes]
                if self.offline and creds.username:
                    params += [("offline_token", "true"), ("client_id", "docker")]
                auth = (creds.username, creds.password) if creds.username else None
                response = await self.http.get(realm, params=params, auth=auth)
        except (httpx.TransportError, ssl.SSLError) as exc:
            raise Unreachable(f"token server {_safe(realm)}: {_describe(exc)}") from None
        if response.status_code in (401, 403):
            raise RegistryError("unauthorized: incorrect username or password" if creds.username
                                else "unauthorized: authentication required", 401, "UNAUTHORIZED")
        if response.status_code >= 400:
            raise RegistryError(f"token server answered {response.status_code}", 502)
        body = response.json()
        token = body.get("token") or body.get("access_token")
        self.refresh_token = str(body.get("refresh_token") or self.refresh_token)
        if not token:
            raise RegistryError("the token server's answer holds no token", 502)
        return str(token)

    # -- manifests -----------------------------------------------------------------------------
    async def get_manifest(self, reference: str, accept: tuple[str, ...] = ACCEPT_MANIFESTS) -> Manifest:
        """Fetch a manifest by tag or digest; a digest reference is verified against the content."""
        response = await self.request("GET", f"/v2/{self.repository}/manifests/{reference}",
                                      headers={"Accept": ", ".join(accept)})
        await check(response, f"manifest for {reference}")
        raw = response.content
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(f"manifest verification failed for digest {reference}", 502)
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        try:
            body = response.json()
        except ValueError:
            raise RegistryError(f"invalid manifest for {reference}: not JSON", 502) from None
        media_type = body.get("mediaType") or media_type
        if media_type in ("application/json", "") and "manifests" in body:
            media_type = OCI_INDEX
        elif media_type in ("application/json", "") and "layers" in body:
            media_type = OCI_MANIFEST
        return Manifest(raw, media_type, digest, body)

    async def put_manifest(self, reference: str, media_type: str, raw: bytes) -> str:
        """Upload a manifest under a tag (or digest); returns its digest."""
        response = await self.request("PUT", f"/v2/{self.repository}/manifests/{reference}",
                                      headers={"Content-Type": media_type}, content=raw)
        await check(response, "manifest upload")
        return response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(raw).hexdigest()

    async def list_tags(self) -> list[str]:
        """Every tag of the repository (following ``Link`` pagination)."""
        tags: list[str] = []
        url = f"/v2/{self.repository}/tags/list?n=1000"
        for _ in range(100):
            response = await self.request("GET", url)
            await check(response, f"tags of {self.repository}")
            tags += [str(t) for t in (response.json().get("tags") or [])]
            link = response.headers.get("Link", "")
            if 'rel="next"' not in link:
                break
            url = self._absolute(link.split(";", 1)[0].strip().strip("<>"))
        return tags

    # -- blobs ---------------------------------------------------------------------------------
    async def get_blob(self, digest: str) -> bytes:
        """A small blob (an image config), verified."""
        response = await self.request("GET", f"/v2/{self.repository}/blobs/{digest}")
        await check(response, f"blob {digest}")
        data = response.content
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise RegistryError(f"digest mismatch for blob {digest}", 502)
        return data

    async def open_blob(self, digest: str) -> httpx.Response:
        """A streaming response for a blob (the caller verifies the digest and closes it)."""
        response = await self.request("GET", f"/v2/{self.repository}/blobs/{digest}", stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            await check(response, f"blob {digest}")
        return response

    async def blob_exists(self, digest: str) -> bool:
        """``HEAD`` the blob in this repository."""
        response = await self.request("HEAD", f"/v2/{self.repository}/blobs/{digest}")
        if response.status_code == 404:
            return False
        await check(response, f"blob {digest}")
        return True

    async def mount_blob(self, digest: str, source_repository: str) -> bool:
        """Cross-repository mount; True when the registry mounted it (201), False to upload instead."""
        response = await self.request("POST", f"/v2/{self.repository}/blobs/uploads/?mount={digest}&from={source_repository}")
        if response.status_code == 201:
            return True
        if response.status_code == 202:
            location = response.headers.get("Location")
            if location:  # the registry opened an upload instead: cancel it
                await self.request("DELETE", self._absolute(location))
            return False
        await check(response, f"mount of blob {digest}")
        return False

    async def upload_blob(self, digest: str, size: int, chunks: AsyncIterator[bytes]) -> None:
        """Upload as dockerd does: ``POST`` to open, one streaming ``PATCH`` with the content, ``PUT ?digest=``."""
        response = await self.request("POST", f"/v2/{self.repository}/blobs/uploads/")
        await check(response, f"upload of blob {digest}")
        location = response.headers.get("Location")
        if not location:
            raise RegistryError("the registry opened an upload without a Location", 502)
        response = await self.request("PATCH", self._absolute(location), content=chunks,
                                      headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        await check(response, f"upload of blob {digest}")
        location = response.headers.get("Location") or location
        url = self._absolute(location)
        url += ("&" if "?" in url else "?") + f"digest={digest}"
        response = await self.request("PUT", url, headers={"Content-Length": "0"})
        await check(response, f"upload of blob {digest}")

    def _absolute(self, location: str) -> str:
        if location.startswith(("http://", "https://")):
            return location
        return self.endpoint.url + location


async def check(response: httpx.Response, what: str) -> None:
    """Raise :class:`RegistryError` with the registry's own error code and message for a 4xx/5xx."""
    if response.status_code < 400:
        return
    if not response.is_closed:
        await response.aread()
    code, message = "", ""
    try:
        errors = response.json().get("errors") or []
        if errors:
            code = str(errors[0].get("code", ""))
            message = str(errors[0].get("message", ""))
    except (ValueError, AttributeError):
        pass
    status = response.status_code
    if status == 404:
        detail = f"{code.lower().replace('_', ' ')}: {message}" if code else "not found"
        raise RegistryError(f"{what} not found: {detail}", 404, code)
    if status in (401, 403):
        raise RegistryError(f"{code.lower() or 'unauthorized'}: {message or 'authentication required'}", 401 if status == 401 else 403, code)
    raise RegistryError(f"{what}: registry answered {status} {code} {message}".strip(), 502 if status >= 500 else 400, code)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _safe(url: str) -> str:
    return url.split("?", 1)[0]
