"""boto3 clients for one backend, and calls made off the event loop with AWS errors as Docker ones."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import boto3.session
import botocore.config
import botocore.exceptions
from sockerless.api.errors import DockerError

from .settings import SIMULATOR_CREDENTIALS, AwsSettings

NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ClusterNotFoundException", "NotFoundException",
                             "NoSuchEntity", "NamespaceNotFound", "ServiceNotFound", "InstanceNotFound",
                             "FileSystemNotFound", "AccessPointNotFound", "RepositoryNotFoundException",
                             "ImageNotFoundException"})
CONFLICT_CODES = frozenset({"ResourceConflictException", "ResourceInUseException", "ResourceInUse",
                            "DependencyViolation", "EntityAlreadyExists", "ConflictException"})
UNAVAILABLE_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
                               "ServiceUnavailable", "ServiceUnavailableException", "ServerException",
                               "InternalFailure", "ServiceException"})


class CloudError(DockerError):
    """An AWS call failed: the Docker-style status follows the AWS error code."""

    def __init__(self, message: str, status: int = 502, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def status_for(code: str, http_status: int) -> int:
    """The Docker API status that best tells a client what an AWS error code means."""
    if code in NOT_FOUND_CODES or code.endswith(("NotFound", "NotFoundException")) or http_status == 404:
        return 404
    if code in CONFLICT_CODES:
        return 409
    if code.startswith("AccessDenied") or code in ("UnauthorizedOperation", "UnrecognizedClientException",
                                                   "InvalidClientTokenId") or http_status == 403:
        return 403
    if code in UNAVAILABLE_CODES or http_status in (429, 503):
        return 503
    if 400 <= http_status < 500:
        return 400
    return 502


class AwsClients:
    """The boto3 clients of one backend (one per service and client configuration, made once)."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._session: boto3.session.Session | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _new_session(self) -> boto3.session.Session:
        try:
            session = boto3.session.Session(profile_name=self.settings.profile or None, region_name=self.settings.region)
        except botocore.exceptions.ProfileNotFound as exc:
            raise CloudError(f"{self.settings.backend} backend: {exc}", 400) from None
        if self.settings.simulator and session.get_credentials() is None:
            key, secret = SIMULATOR_CREDENTIALS
            session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                            region_name=self.settings.region)
        return session

    def client(self, service: str, **config: Any) -> Any:
        """The client of ``service`` (``ecs``, ``logs``, ...); ``config`` overrides botocore settings
        such as ``read_timeout``."""
        key = (service, repr(sorted(config.items())))
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                return found
            if self._session is None:
                self._session = self._new_session()
            options: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 5}, "connect_timeout": 10,
                                       "read_timeout": 60, "user_agent_extra": "sockerless"}
            if self.settings.simulator:
                options["inject_host_prefix"] = False  # host prefixes (data-, api.) cannot resolve to a loopback simulator
            options.update(config)
            made = self._session.client(service, endpoint_url=self.settings.endpoint_url or None,
                                        config=botocore.config.Config(**options))
            self._clients[key] = made
            return made

    def describe(self, client: Any, operation: str) -> str:
        """``ECS RunTask`` for ``run_task`` of the ECS client."""
        api = client.meta.method_to_api_mapping.get(operation, operation)
        return f"{client.meta.service_model.service_id} {api}"

    def invoke(self, service: str, operation: str, params: dict[str, Any], config: dict[str, Any]) -> Any:
        """Make one call in the calling thread; errors become :class:`CloudError`."""
        client = self.client(service, **config)
        with self.errors(client, operation):
            return getattr(client, operation)(**params)

    @contextlib.contextmanager
    def errors(self, client: Any, operation: str) -> Iterator[None]:
        """Turn what botocore raises inside the block into :class:`CloudError` naming the backend and call."""
        what = self.describe(client, operation)
        backend = self.settings.backend
        try:
            yield
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            http = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            message = str(error.get("Message", "")) or str(exc)
            raise CloudError(f"{backend} backend: {what}: {code}: {message}", status_for(code, http), code) from None
        except botocore.exceptions.NoCredentialsError:
            raise CloudError(f"{backend} backend: {what}: no AWS credentials found (environment, shared "
                             "files or instance role)", 503, "NoCredentials") from None
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError) as exc:
            raise CloudError(f"{backend} backend: {what}: cannot reach AWS: {exc}", 503, "Unreachable") from None
        except botocore.exceptions.ParamValidationError as exc:
            raise CloudError(f"{backend} backend: {what}: {exc}", 400, "ParamValidation") from None

    async def call(self, service: str, operation: str, /, _config: dict[str, Any] | None = None, **params: Any) -> Any:
        """``client.operation(**params)`` in a worker thread."""
        return await asyncio.to_thread(self.invoke, service, operation, params, _config or {})

    async def paginate(self, service: str, operation: str, key: str, /, **params: Any) -> list[Any]:
        """Every page of ``operation`` (botocore's paginator), the items under ``key`` concatenated."""
        return await asyncio.to_thread(self._all_pages, service, operation, key, params)

    def _all_pages(self, service: str, operation: str, key: str, params: dict[str, Any]) -> list[Any]:
        client = self.client(service)
        if not client.can_paginate(operation):
            return list(self.invoke(service, operation, params, {}).get(key, []))
        items: list[Any] = []
        with self.errors(client, operation):
            for page in client.get_paginator(operation).paginate(**params):
                items.extend(page.get(key, []))
        return items
