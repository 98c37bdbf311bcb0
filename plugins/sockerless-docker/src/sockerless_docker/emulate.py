"""Operations whose meaning changed after the engine's API version, done in several engine calls.

``POST /volumes/prune``: since API 1.42 it removes only *anonymous* unused volumes unless the
``all`` filter is set; engines older than that remove every unused volume. For a client at
1.42+ and an older engine, the anonymous ones are found and removed one by one. Engines before
1.42 do not label anonymous volumes, so "anonymous" means what Docker names them: 64 hex digits.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from .negotiate import Version, text

ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")
PRUNE_VOLUMES = "/volumes/prune"


def _bridged_prune(method: str, path: str, requested: Version, forwarded: Version) -> bool:
    return method == "POST" and path == PRUNE_VOLUMES and requested >= (1, 42) > forwarded


def prune_needs_emulation(method: str, path: str, requested: Version, forwarded: Version, query: bytes) -> bool:
    """True for an anonymous-only prune asked of an engine that would remove everything."""
    return _bridged_prune(method, path, requested, forwarded) and not _all_requested(_filters(query))


def prune_query(method: str, path: str, requested: Version, forwarded: Version, query: bytes) -> bytes:
    """A prune of all unused volumes: older engines know no ``all`` filter (they always do that)."""
    if not _bridged_prune(method, path, requested, forwarded):
        return query
    filters = _filters(query)
    if not _all_requested(filters):
        return query
    filters.pop("all", None)
    return urlencode({"filters": json.dumps(filters)}).encode() if filters else b""


def _filters(query: bytes) -> dict[str, Any]:
    raw = parse_qs(query.decode("latin-1")).get("filters", ["{}"])[0]
    try:
        filters = json.loads(raw or "{}")
    except ValueError:
        return {}
    return filters if isinstance(filters, dict) else {}


def _values(entry: Any) -> list[str]:
    # filters come as {"key": ["v"]} or the older {"key": {"v": true}}
    if isinstance(entry, dict):
        return [k for k, v in entry.items() if v]
    if isinstance(entry, list):
        return [str(v) for v in entry]
    return [str(entry)]


def _all_requested(filters: dict[str, Any]) -> bool:
    return any(v.lower() in ("1", "true") for v in _values(filters.get("all", [])))


async def prune_anonymous_volumes(call, forwarded: Version, query: bytes) -> tuple[int, bytes]:
    """Remove the unused anonymous volumes matching the label filters; the prune reply."""
    filters = {k: _values(v) for k, v in _filters(query).items() if k in ("label", "label!")}
    filters["dangling"] = ["true"]
    version = text(forwarded)
    status, body = await call("GET", f"/v{version}/volumes?{urlencode({'filters': json.dumps(filters)})}", b"")
    if status != 200:
        return status, body
    candidates = [v["Name"] for v in json.loads(body).get("Volumes") or [] if ANONYMOUS.match(v.get("Name", ""))]
    sizes = await _sizes(call, version) if candidates else {}
    deleted, reclaimed = [], 0
    for name in candidates:
        status, _ = await call("DELETE", f"/v{version}/volumes/{quote(name, safe='')}", b"")
        if status == 204:  # 409: someone started using it meanwhile; 404: gone already
            deleted.append(name)
            reclaimed += max(sizes.get(name, 0), 0)
    return 200, json.dumps({"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}).encode()


async def _sizes(call, version: str) -> dict[str, int]:
    status, body = await call("GET", f"/v{version}/system/df", b"")
    if status != 200:
        return {}
    return {v["Name"]: int((v.get("UsageData") or {}).get("Size", 0)) for v in json.loads(body).get("Volumes") or []}
