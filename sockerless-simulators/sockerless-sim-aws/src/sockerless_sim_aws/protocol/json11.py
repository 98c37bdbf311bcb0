"""The JSON 1.1 protocol (ECS, CloudWatch Logs, ECR): ``X-Amz-Target: Prefix.Operation``, JSON bodies."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..arns import region_of
from .errors import AWSError

log = logging.getLogger(__name__)

Operation = Callable[[dict[str, Any], str], dict[str, Any]]
"""An operation handler: ``(request body, region) -> response body``."""
CONTENT_TYPE = "application/x-amz-json-1.1"


class JsonService:
    """Dispatches JSON 1.1 requests of one target prefix to operation handlers by name."""

    def __init__(self, target_prefix: str, operations: dict[str, Operation]) -> None:
        self.target_prefix = target_prefix
        self.operations = operations

    def handles(self, request: Request) -> bool:
        """True when the request's ``X-Amz-Target`` names this service."""
        return request.headers.get("X-Amz-Target", "").startswith(self.target_prefix + ".")

    def __call__(self, request: Request) -> Response:
        name = request.headers["X-Amz-Target"].split(".", 1)[1]
        handler = self.operations.get(name)
        if handler is None:
            return error_response(AWSError("UnknownOperationException", f"operation {name} is not simulated"))
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the request body is not a JSON object")
        except ValueError as exc:
            return error_response(AWSError("SerializationException", f"malformed request body: {exc}"))
        try:
            result = handler(body, region_of(request.headers.get("Authorization")))
        except AWSError as exc:
            return error_response(exc)
        except Exception as exc:  # a bug of ours: say so in AWS's shape, keep serving
            log.exception("%s.%s failed", self.target_prefix, name)
            return error_response(AWSError("ServerException", f"simulator error in {name}: {exc}", 500))
        return Response(json.dumps(result, default=_json_default), 200, content_type=CONTENT_TYPE)


def error_response(error: AWSError) -> Response:
    """``{"__type": CODE, "message": ...}`` with the error's status."""
    body = json.dumps({"__type": error.code, "message": error.message})
    return Response(body, error.status, content_type=CONTENT_TYPE, headers={"x-amzn-ErrorType": error.code})


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def required(body: dict[str, Any], key: str, code: str = "InvalidParameterException") -> Any:
    """``body[key]``, or the service's parameter error naming the missing key."""
    value = body.get(key)
    if value in (None, "", []):
        raise AWSError(code, f"{key} is required")
    return value
