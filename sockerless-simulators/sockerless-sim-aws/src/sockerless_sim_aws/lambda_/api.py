"""Lambda control plane (REST-JSON): functions, configuration, tags, Invoke."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..arns import region_of
from ..protocol.errors import AWSError
from .models import LambdaModel
from .runtime import TAIL_BYTES, FunctionRunner

_FUNCTIONS = "/2015-03-31/functions"
_TAGS = re.compile(r"^/2017-03-31/tags/(?P<arn>.+)$")
_FUNCTION = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)(?P<rest>/.*)?$")


def _json(data: Any, status: int = 200, **headers: str) -> Response:
    return Response(json.dumps(data), status, content_type="application/json", headers=headers)


def _error(error: AWSError) -> Response:
    return _json({"Type": "User", "message": error.message}, error.status, **{"x-amzn-ErrorType": error.code})


class LambdaAPI:
    """Routes and answers Lambda requests."""

    def __init__(self, model: LambdaModel, runner: FunctionRunner) -> None:
        self.model = model
        self.runner = runner

    def handles(self, request: Request) -> bool:
        """Lambda's REST paths."""
        return request.path.startswith(_FUNCTIONS) or bool(_TAGS.match(request.path))

    def __call__(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except AWSError as exc:
            return _error(exc)
        except ValueError as exc:
            return _error(AWSError("InvalidRequestContentException", f"Could not parse request body: {exc}"))

    def _body(self, request: Request) -> dict[str, Any]:
        data = json.loads(request.get_data() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data

    def _dispatch(self, request: Request) -> Response:
        region = region_of(request.headers.get("Authorization"))
        tags = _TAGS.match(request.path)
        if tags:
            return self._tags(request, tags["arn"])
        path, method = request.path.rstrip("/"), request.method
        if path == _FUNCTIONS:
            if method == "POST":
                return _json(self._config(self.model.create(region, self._body(request))), 201)
            return _json({"Functions": [self._config(r) for r in self.model.functions.values()]})
        match = _FUNCTION.match(path)
        if match is None:
            raise AWSError("ResourceNotFoundException", f"no Lambda route {method} {request.path}", 404)
        name, rest = match["name"], match["rest"] or ""
        routes: dict[tuple[str, str], Callable[[], Response]] = {
            ("GET", ""): lambda: _json(self._function(self.model.get(name))),
            ("DELETE", ""): lambda: self._delete(name),
            ("GET", "/configuration"): lambda: _json(self._config(self.model.get(name))),
            ("PUT", "/configuration"): lambda: self._update(name, self._body(request)),
            ("POST", "/invocations"): lambda: self._invoke(request, name),
        }
        handler = routes.get((method, rest))
        if handler is None:
            raise AWSError("ResourceNotFoundException", f"no Lambda route {method} {request.path}", 404)
        return handler()

    def _config(self, record: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(record["Configuration"])

    def _function(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"Configuration": self._config(record), "Code": dict(record["Code"]), "Tags": dict(record["Tags"])}

    def _delete(self, name: str) -> Response:
        self.model.get(name)
        self.runner.stop_function(self.model.get(name)["Configuration"]["FunctionName"])
        self.model.delete(name)
        return Response(b"", 204)

    def _update(self, name: str, body: dict[str, Any]) -> Response:
        config = self.model.update_configuration(name, body)
        self.runner.stop_function(config["FunctionName"])
        return _json(config)

    def _invoke(self, request: Request, name: str) -> Response:
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        self.model.get(name)
        payload = request.get_data() or b"{}"
        if kind == "DryRun":
            return Response(b"", 204)
        if kind == "Event":
            threading.Thread(target=self.runner.invoke, args=(name, payload), daemon=True).start()
            return Response(b"", 202)
        if kind != "RequestResponse":
            raise AWSError("InvalidParameterValueException", f"invalid invocation type {kind}")
        invocation = self.runner.invoke(name, payload)
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if invocation.error_type:
            headers["X-Amz-Function-Error"] = invocation.error_type
        if request.headers.get("X-Amz-Log-Type") == "Tail":
            tail = ("\n".join(invocation.log_lines) + "\n").encode()[-TAIL_BYTES:]
            headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
        return Response(invocation.result, 200, content_type="application/json", headers=headers)

    def _tags(self, request: Request, resource_arn: str) -> Response:
        record = self.model.get(resource_arn)
        if request.method == "GET":
            return _json({"Tags": dict(record["Tags"])})
        if request.method == "POST":
            record["Tags"].update(self._body(request).get("Tags") or {})
        elif request.method == "DELETE":
            for key in request.args.getlist("tagKeys"):
                record["Tags"].pop(key, None)
        self.model.changed.touch()
        return Response(b"", 204)
