"""Settings of an AWS backend: one lookup order for every option, and the simulator switch."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sockerless.plugins.backend import BackendConfigError

SIMULATOR_REGION = "us-east-1"
SIMULATOR_CREDENTIALS = ("test", "test")
"""Used in simulator mode when the AWS credential chain finds nothing (a simulator accepts any)."""


class SettingsError(BackendConfigError, ValueError):
    """A setting is missing or malformed; the message names it and where it can be set (the daemon
    refuses to start with it)."""


def _env_name(prefix: str, key: str) -> str:
    return f"SOCKERLESS_{prefix}_{key.upper().replace('-', '_')}"


@dataclass(frozen=True)
class AwsSettings:
    """Where and how an AWS backend talks to AWS (or to a simulator)."""

    backend: str
    """The backend's name (``ecs``, ``lambda``): messages and the ``SOCKERLESS_<BACKEND>_*`` variables."""
    region: str
    endpoint_url: str = ""
    """Every AWS API at this URL (a simulator); empty for the real AWS endpoints."""
    profile: str = ""
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def simulator(self) -> bool:
        """True when an endpoint URL points the backend at a simulator."""
        return bool(self.endpoint_url)

    def get(self, key: str, default: str = "") -> str:
        """Option ``key`` (kebab-case): ``--backend-opt``/config file, then ``SOCKERLESS_<BACKEND>_KEY``,
        then ``SOCKERLESS_AWS_KEY``, then ``default``."""
        return lookup(self.backend, self.options, key, default)

    def get_int(self, key: str, default: int) -> int:
        """An integer option; :class:`SettingsError` when it is not one."""
        raw = self.get(key, str(default))
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{self.backend} backend: option {key} must be an integer, got {raw!r}") from None

    def get_seconds(self, key: str, default: float, maximum: float | None = None) -> float:
        """A positive number of seconds (at most ``maximum`` when given); :class:`SettingsError` otherwise."""
        raw = self.get(key, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{self.backend} backend: option {key} must be a number of seconds, "
                                f"got {raw!r}") from None
        if value <= 0:
            raise SettingsError(f"{self.backend} backend: option {key} must be positive, got {raw!r}")
        if maximum is not None and value > maximum:
            raise SettingsError(f"{self.backend} backend: option {key} must be at most {maximum:g} seconds, "
                                f"got {raw!r}")
        return value

    def get_list(self, key: str) -> list[str]:
        """A comma-separated option as a list (empty items dropped)."""
        return [item.strip() for item in self.get(key).split(",") if item.strip()]

    def instance_id(self, data_dir: Path) -> str:
        """This daemon's identity in resource tags: option ``instance``, else a random id kept in ``data_dir``."""
        configured = self.get("instance")
        if configured:
            return configured
        path = data_dir / "instance-id"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        value = secrets.token_hex(8)
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(value + "\n")
        tmp.replace(path)
        return value

    @classmethod
    def from_options(cls, backend: str, options: Mapping[str, str]) -> AwsSettings:
        """Read the settings of ``backend`` from its options and the environment."""
        endpoint = lookup(backend, options, "endpoint-url") or os.environ.get("SOCKERLESS_ENDPOINT_URL", "")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise SettingsError(f"{backend} backend: endpoint-url must be an http:// or https:// URL, got {endpoint!r}")
        region = (lookup(backend, options, "region") or os.environ.get("AWS_REGION")
                  or os.environ.get("AWS_DEFAULT_REGION") or "")
        profile = lookup(backend, options, "profile") or os.environ.get("AWS_PROFILE", "")
        if not region:
            region = SIMULATOR_REGION if endpoint else _profile_region(profile)
        if not region:
            raise SettingsError(f"{backend} backend: no AWS region configured (--backend-opt region=..., "
                                f"{_env_name(backend.upper(), 'region')} or AWS_REGION)")
        return cls(backend=backend, region=region, endpoint_url=endpoint.rstrip("/"), profile=profile,
                   options=dict(options))


def lookup(backend: str, options: Mapping[str, str], key: str, default: str = "") -> str:
    """The lookup order of :meth:`AwsSettings.get`, usable before settings exist."""
    if options.get(key):
        return options[key]
    for prefix in (backend.upper(), "AWS"):
        value = os.environ.get(_env_name(prefix, key))
        if value:
            return value
    return default


def _profile_region(profile: str) -> str:
    import boto3.session

    try:
        return boto3.session.Session(profile_name=profile or None).region_name or ""
    except Exception:  # an unknown profile: reported when the first client is made
        return ""
