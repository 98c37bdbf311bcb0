"""Function configurations in Lambda's wire shape."""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from typing import Any

from ..arns import arn, new_uuid
from ..protocol.errors import AWSError
from ..state import Changes


def lambda_time(ts: float | None = None) -> str:
    """``2026-12-03T12:00:00.000+0000``, Lambda's ``LastModified`` format."""
    ts = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}+0000"


def not_found(name: str) -> AWSError:
    """ResourceNotFoundException for a function."""
    return AWSError("ResourceNotFoundException",
                    f"Function not found: {arn('lambda', 'us-east-1', 'function:' + name)}", 404)


class LambdaModel:
    """Functions by name, with their tags."""

    def __init__(self, changes: Changes) -> None:
        self.lock = threading.RLock()
        self.changed = changes
        self.functions: dict[str, dict[str, Any]] = {}

    def create(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate and store a new image function; its stored record has Configuration, Code and Tags."""
        name = body.get("FunctionName") or ""
        if not name:
            raise AWSError("InvalidParameterValueException", "FunctionName is required")
        if body.get("PackageType", "Zip") != "Image":
            raise AWSError("InvalidParameterValueException",
                           "the simulator runs container-image functions only (PackageType Image)")
        image_uri = (body.get("Code") or {}).get("ImageUri")
        if not image_uri:
            raise AWSError("InvalidParameterValueException", "Code.ImageUri is required for PackageType Image")
        if not body.get("Role"):
            raise AWSError("InvalidParameterValueException", "Role is required")
        with self.lock:
            if name in self.functions:
                raise AWSError("ResourceConflictException", f"Function already exist: {name}", 409)
            config = {
                "FunctionName": name, "FunctionArn": arn("lambda", region, f"function:{name}"),
                "Role": body["Role"], "CodeSize": 0, "Description": body.get("Description", ""),
                "Timeout": int(body.get("Timeout", 3)), "MemorySize": int(body.get("MemorySize", 128)),
                "LastModified": lambda_time(), "CodeSha256": hashlib.sha256(image_uri.encode()).hexdigest(),
                "Version": "$LATEST", "TracingConfig": {"Mode": "PassThrough"}, "RevisionId": new_uuid(),
                "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Image",
                "Architectures": body.get("Architectures") or ["x86_64"],
                "EphemeralStorage": body.get("EphemeralStorage") or {"Size": 512},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
                "Environment": {"Variables": dict((body.get("Environment") or {}).get("Variables") or {})},
                "ImageConfigResponse": {"ImageConfig": dict(body.get("ImageConfig") or {})},
            }
            record = {"Configuration": config, "Region": region,
                      "Code": {"RepositoryType": "ECR", "ImageUri": image_uri, "ResolvedImageUri": image_uri},
                      "Tags": dict(body.get("Tags") or {})}
            self.functions[name] = record
            self.changed.touch()
            return record

    def get(self, name_or_arn: str) -> dict[str, Any]:
        """A function record by name or ARN (qualifiers other than $LATEST are refused)."""
        name = name_or_arn.split(":")[6] if name_or_arn.startswith("arn:") else name_or_arn
        record = self.functions.get(name)
        if record is None:
            raise not_found(name)
        return record

    def update_configuration(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply UpdateFunctionConfiguration fields."""
        with self.lock:
            config = self.get(name)["Configuration"]
            for key in ("Role", "Description", "Timeout", "MemorySize"):
                if key in body:
                    config[key] = body[key]
            if "Environment" in body:
                config["Environment"] = {"Variables": dict((body["Environment"] or {}).get("Variables") or {})}
            if "ImageConfig" in body:
                config["ImageConfigResponse"] = {"ImageConfig": dict(body["ImageConfig"] or {})}
            config["LastModified"] = lambda_time()
            config["RevisionId"] = new_uuid()
            self.changed.touch()
            return copy.deepcopy(config)

    def delete(self, name: str) -> None:
        """Forget a function."""
        with self.lock:
            self.get(name)
            del self.functions[self.get(name)["Configuration"]["FunctionName"]]
            self.changed.touch()

    def snapshot(self) -> dict[str, Any]:
        """Every function record."""
        with self.lock:
            return {"functions": copy.deepcopy(self.functions)}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        with self.lock:
            self.functions = data.get("functions", {})

