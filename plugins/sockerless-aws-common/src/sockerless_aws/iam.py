"""The IAM role a backend's workloads run with in simulator mode, found by name or made once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from . import tags
from .clients import AwsClients, CloudError


def trust_policy(service: str) -> str:
    """A trust policy letting ``service`` (``ecs-tasks.amazonaws.com``, ``lambda.amazonaws.com``) assume the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


async def ensure_role(clients: AwsClients, name: str, service: str, *, policies: Sequence[str] = (),
                      role_tags: Mapping[str, str] | None = None, description: str = "") -> str:
    """The ARN of role ``name``; when missing it is created for ``service`` with ``policies`` attached."""
    try:
        return (await clients.call("iam", "get_role", RoleName=name))["Role"]["Arn"]
    except CloudError as exc:
        if exc.status != 404:
            raise
    params = {"RoleName": name, "AssumeRolePolicyDocument": trust_policy(service),
              "Tags": tags.to_key_value(role_tags or {tags.MANAGED: "1"}, key="Key", value="Value")}
    if description:
        params["Description"] = description
    try:
        made = await clients.call("iam", "create_role", **params)
    except CloudError as exc:
        if exc.status != 409:  # made meanwhile by another daemon: use it
            raise
        return (await clients.call("iam", "get_role", RoleName=name))["Role"]["Arn"]
    for policy in policies:
        await clients.call("iam", "attach_role_policy", RoleName=name, PolicyArn=policy)
    return made["Role"]["Arn"]
