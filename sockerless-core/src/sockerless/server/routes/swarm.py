"""Swarm-mode endpoints, answered as dockerd answers them on a node that is not in a swarm.

Sockerless never joins a swarm: ``swarm init``/``join`` are refused (501); everything that
needs a manager gets dockerd's own 503 "not a swarm manager", and ``swarm leave`` its
"not part of a swarm", which clients (docker-py's ``leave_swarm(force=True)``) treat as done.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...api.errors import NotImplementedByBackend, Unavailable
from ...engine.daemon import Engine
from ..routing import DockerRoute

NOT_A_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
                 "to connect this node to swarm and try again.")
NOT_IN_A_SWARM = "This node is not part of a swarm"

# (path, methods) of every endpoint that needs a swarm manager
MANAGER_ENDPOINTS = [
    ("/swarm", ["GET"]), ("/swarm/update", ["POST"]), ("/swarm/unlockkey", ["GET"]), ("/swarm/unlock", ["POST"]),
    ("/services", ["GET"]), ("/services/create", ["POST"]), ("/services/{id}", ["GET", "DELETE"]),
    ("/services/{id}/update", ["POST"]), ("/services/{id}/logs", ["GET"]),
    ("/nodes", ["GET"]), ("/nodes/{id}", ["GET", "DELETE"]), ("/nodes/{id}/update", ["POST"]),
    ("/tasks", ["GET"]), ("/tasks/{id}", ["GET"]), ("/tasks/{id}/logs", ["GET"]),
    ("/secrets", ["GET"]), ("/secrets/create", ["POST"]), ("/secrets/{id}", ["GET", "DELETE"]),
    ("/secrets/{id}/update", ["POST"]),
    ("/configs", ["GET"]), ("/configs/create", ["POST"]), ("/configs/{id}", ["GET", "DELETE"]),
    ("/configs/{id}/update", ["POST"]),
]


def routes(engine: Engine) -> list:
    """The swarm routes."""

    async def not_a_manager(request: Request) -> Response:
        raise Unavailable(NOT_A_MANAGER)

    async def leave(request: Request) -> Response:
        raise Unavailable(NOT_IN_A_SWARM)

    async def refuse(request: Request) -> Response:
        raise NotImplementedByBackend("sockerless", "swarm mode", "a Sockerless daemon cannot be a swarm node")

    return [
        DockerRoute("/swarm/init", refuse, methods=["POST"]),
        DockerRoute("/swarm/join", refuse, methods=["POST"]),
        DockerRoute("/swarm/leave", leave, methods=["POST"]),
        *(DockerRoute(path, not_a_manager, methods=methods) for path, methods in MANAGER_ENDPOINTS),
    ]
