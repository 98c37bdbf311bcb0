"""The tags every resource a Sockerless AWS backend creates carries, and Docker labels as tags.

The three ``sockerless:*`` tags find a daemon's resources again after a restart (and its
orphans); labels become ``docker-label:<key>`` tags within AWS's tag rules (key up to 128
characters, value up to 256, letters, digits, spaces and ``_ . : / = + - @``, at most 50 tags).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MANAGED = "sockerless:managed"
CONTAINER = "sockerless:container"
DAEMON = "sockerless:daemon"
LABEL_PREFIX = "docker-label:"
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256

_NOT_ALLOWED = re.compile(r"[^\w .:/=+\-@]", re.UNICODE)


def base(container_id: str, instance: str) -> dict[str, str]:
    """The tags naming a container's resource and the daemon that owns it."""
    return {MANAGED: "1", CONTAINER: container_id, DAEMON: instance}


def owned(instance: str) -> dict[str, str]:
    """The tags of every resource of one daemon (networks and volumes have no container)."""
    return {MANAGED: "1", DAEMON: instance}


def sanitize(text: str, limit: int) -> str:
    """``text`` with the characters AWS refuses in tags replaced by ``_``, cut to ``limit``."""
    return _NOT_ALLOWED.sub("_", text)[:limit]


def from_labels(labels: Mapping[str, str] | None, room: int = MAX_TAGS - 3) -> dict[str, str]:
    """Docker labels as tags, at most ``room`` of them (in label order), ``aws:`` keys dropped."""
    tags: dict[str, str] = {}
    for key, value in (labels or {}).items():
        if len(tags) >= room:
            break
        if key.lower().startswith("aws:"):
            continue
        tags[sanitize(LABEL_PREFIX + key, MAX_KEY)] = sanitize(str(value), MAX_VALUE)
    return tags


def to_key_value(tags: Mapping[str, str], key: str = "key", value: str = "value") -> list[dict[str, str]]:
    """As the list ECS (``key``/``value``) or EC2 and Cloud Map (``Key``/``Value``) want."""
    return [{key: k, value: v} for k, v in tags.items()]


def from_key_value(items: Iterable[Mapping[str, str]] | None, key: str = "key", value: str = "value") -> dict[str, str]:
    """The inverse of :func:`to_key_value`."""
    return {item[key]: item.get(value, "") for item in items or [] if key in item}


def matches(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """True when ``tags`` carry every tag of ``wanted``."""
    return all(tags.get(k) == v for k, v in wanted.items())
