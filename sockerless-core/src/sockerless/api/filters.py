"""The ``filters`` query parameter: parsing and the common matchers.

Docker accepts ``{"key": {"value": true}}`` and the older ``{"key": ["value"]}``;
unknown keys are a 400 (``invalid filter 'key'``), as in Docker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from .errors import InvalidParameter


class Filters:
    """Parsed filters: each key maps to the set of accepted values."""

    def __init__(self, values: dict[str, set[str]] | None = None) -> None:
        self.values: dict[str, set[str]] = values or {}

    @classmethod
    def parse(cls, raw: str | None, allowed: Iterable[str]) -> Filters:
        """Parse the query parameter and check its keys against ``allowed``."""
        if not raw:
            return cls()
        try:
            data = msgspec.json.decode(raw.encode())
        except msgspec.DecodeError as exc:
            raise InvalidParameter(f"invalid filter: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidParameter("invalid filter: expected a JSON object")
        values: dict[str, set[str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                values[key] = {str(k) for k, enabled in value.items() if enabled}
            elif isinstance(value, list):
                values[key] = {str(v) for v in value}
            else:
                raise InvalidParameter(f"invalid filter: value of {key!r} must be an object or a list")
        allowed_set = set(allowed)
        for key in values:
            if key not in allowed_set:
                raise InvalidParameter(f"invalid filter '{key}'")
        return cls(values)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str) -> set[str]:
        """The values given for ``key`` (empty when absent)."""
        return self.values.get(key, set())

    def bool_value(self, key: str) -> bool | None:
        """A boolean filter (``dangling=true``); ``None`` when absent."""
        values = self.get(key)
        if not values:
            return None
        lowered = {v.lower() for v in values}
        if lowered <= {"true", "1"}:
            return True
        if lowered <= {"false", "0"}:
            return False
        raise InvalidParameter(f"invalid filter '{key}={next(iter(values))}'")

    def match_labels(self, labels: Mapping[str, str] | None, key: str = "label") -> bool:
        """``label=k`` / ``label=k=v`` (all must match); ``label!=`` for the negated form."""
        labels = labels or {}
        for spec in self.get(key):
            name, sep, value = spec.partition("=")
            if name not in labels or (sep and labels[name] != value):
                return False
        for spec in self.get("label!"):
            name, sep, value = spec.partition("=")
            if name in labels and (not sep or labels[name] == value):
                return False
        return True

    def match_any(self, key: str, candidates: Iterable[str]) -> bool:
        """True when the key is absent or one of ``candidates`` is among its values."""
        wanted = self.get(key)
        if not wanted:
            return True
        return any(c in wanted for c in candidates)
