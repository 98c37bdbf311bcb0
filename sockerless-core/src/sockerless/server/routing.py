"""Routing helpers shared by the route modules."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from ..api import versions

API_VERSION_KEY = "sockerless.api_version"


def api_version(request: Request) -> tuple[int, int]:
    """The API version the client asked for (the newest when unversioned)."""
    return request.scope.get(API_VERSION_KEY, versions.MAX)


class DockerRoute(Route):
    """A route that answers a wrong method with Docker's 404 instead of a 405."""

    def matches(self, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
        match, child = super().matches(scope)
        return (Match.NONE, {}) if match is Match.PARTIAL else (match, child)


class HijackedResponse(Response):
    """Returned by endpoints that took over the connection: sends nothing."""

    def __init__(self) -> None:
        super().__init__(status_code=101)

    async def __call__(self, scope, receive, send) -> None:
        return None
