"""Account, region, ARNs and identifiers as AWS shapes them."""

from __future__ import annotations

import os
import re
import secrets
import uuid

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
_REGION_IN_AUTH = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def account_id() -> str:
    """The simulated account (``MOTO_ACCOUNT_ID`` like moto, else the AWS documentation account)."""
    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT)


def region_of(authorization: str | None) -> str:
    """The region of a SigV4 ``Authorization`` header, else the default region."""
    match = _REGION_IN_AUTH.search(authorization or "")
    return match.group(1) if match else DEFAULT_REGION


def arn(service: str, region: str, resource: str) -> str:
    """``arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE``."""
    return f"arn:aws:{service}:{region}:{account_id()}:{resource}"


def new_uuid() -> str:
    """A random UUID in its canonical form (Lambda request ids, ECS container ids)."""
    return str(uuid.uuid4())


def task_id() -> str:
    """An ECS task id: 32 lowercase hex digits."""
    return secrets.token_hex(16)


def resource_name(value: str) -> str:
    """The last component of an ARN (``.../NAME`` or ``...:NAME``), or the value itself."""
    if value.startswith("arn:"):
        tail = value.split(":", 5)[-1]
        return tail.rsplit("/", 1)[-1]
    return value
