"""Lambda runtime-client mode: the agent is the function's runtime.

In a Lambda function (``--lambda``) the agent fetches the one invocation it serves with
``GET /2018-06-01/runtime/invocation/next`` from the Runtime API at ``AWS_LAMBDA_RUNTIME_API``,
runs the main process for it, and when that ends posts ``/invocation/{id}/response`` with
``{"exitCode": N}``. A command that cannot start is reported with ``/invocation/{id}/error``
(``{"errorType": "Sockerless.StartError", "errorMessage": ..., "exitCode": 126|127}``): the
invocation has begun, so the Runtime API's init error no longer applies.

The invocation's JSON payload may carry the agent token as ``{"agentToken": "..."}``, so the
token need not be in the function's configuration (where ``GetFunctionConfiguration`` would show it).

Plain ``http.client``: no proxies (the Runtime API is always local to the sandbox), nothing
outside the standard library (the frozen build stays small).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("sockerless_agent")

RUNTIME_API_ENV = "AWS_LAMBDA_RUNTIME_API"
PREFIX = "/2018-06-01/runtime"
TOKEN_KEY = "agentToken"
START_ERROR_TYPE = "Sockerless.StartError"


class RuntimeAPIError(Exception):
    """The Runtime API could not be reached or refused a request."""


@dataclass(frozen=True)
class Invocation:
    """The invocation this agent serves."""

    request_id: str
    payload: dict[str, Any] = field(repr=False)
    deadline_ms: int = 0

    @property
    def token(self) -> str:
        """The agent token carried in the payload (empty when there is none)."""
        value = self.payload.get(TOKEN_KEY)
        return value if isinstance(value, str) else ""


class RuntimeClient:
    """A client of the Lambda Runtime API (``HOST:PORT``)."""

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise RuntimeAPIError(f"{RUNTIME_API_ENV} must be HOST:PORT, got {address!r}")
        self.host = host.strip("[]")
        self.port = int(port)

    @classmethod
    def from_env(cls) -> RuntimeClient:
        """The Runtime API this sandbox was given."""
        address = os.environ.get(RUNTIME_API_ENV, "")
        if not address:
            raise RuntimeAPIError(f"--lambda needs {RUNTIME_API_ENV} (set by Lambda in a function's sandbox)")
        return cls(address)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 timeout: float | None = 30.0) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
            connection.request(method, PREFIX + path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except OSError as exc:
            raise RuntimeAPIError(f"cannot reach the Lambda Runtime API at {self.host}:{self.port}: {exc}") from None
        finally:
            connection.close()

    def next(self) -> Invocation:
        """Wait for the next invocation (a long poll: no timeout)."""
        status, headers, body = self._request("GET", "/invocation/next", timeout=None)
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        if status != 200 or not request_id:
            raise RuntimeAPIError(f"the Runtime API answered /invocation/next with HTTP {status}: {body[:200]!r}")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = {}
        deadline = headers.get("lambda-runtime-deadline-ms", "0")
        return Invocation(request_id, payload if isinstance(payload, dict) else {},
                          int(deadline) if deadline.isdigit() else 0)

    def respond(self, invocation: Invocation, exit_code: int) -> None:
        """The invocation's result: the main process's exit code."""
        self._post(f"/invocation/{invocation.request_id}/response", {"exitCode": exit_code})

    def fail(self, invocation: Invocation, message: str, exit_code: int) -> None:
        """The main process could not start: the runtime's message and Docker's exit code for it."""
        self._post(f"/invocation/{invocation.request_id}/error",
                   {"errorType": START_ERROR_TYPE, "errorMessage": message, "exitCode": exit_code})

    def _post(self, path: str, body: dict[str, Any]) -> None:
        status, _, answer = self._request("POST", path, body)
        if status >= 300:
            raise RuntimeAPIError(f"the Runtime API answered {path} with HTTP {status}: {answer[:200]!r}")
