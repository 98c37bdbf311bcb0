"""One WSGI application on one loopback port: our services first, moto for the rest.

Routing: the ECR registry (``/v2/``), Lambda (REST paths) and the JSON 1.1 services we
implement (ECS, CloudWatch Logs, ECR) are answered here; everything else (EC2, IAM, STS,
Cloud Map, EFS) goes to moto's server, which routes by the request's signing scope.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from . import moto_fixes
from .ecr.api import ECRAPI
from .ecr.models import ECRModel
from .ecr.registry import Registry
from .ecs.api import ECSAPI
from .ecs.models import ECSModel
from .ecs.tasks import TaskRunner
from .ecs.volumes import TaskVolumes
from .execution.base import Executor
from .lambda_.api import LambdaAPI
from .lambda_.models import LambdaModel
from .lambda_.runtime import FunctionRunner
from .logs.api import LogsAPI
from .logs.models import LogsModel
from .moto_state import MotoState
from .state import Changes, StateStore

log = logging.getLogger(__name__)
Handler = Callable[[Request], Response]


@dataclass
class SimulatorConfig:
    """Everything ``sockerless sim aws`` can be told."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = field(default_factory=lambda: Path("/tmp/sockerless-sim-aws"))
    persist: bool = False
    executor: str = "process"
    docker_host: str = ""
    docker_network: str = "host"
    docker_pause_image: str = "busybox:latest"
    step_delay: float = 0.05


def _make_executor(config: SimulatorConfig) -> Executor:
    if config.executor == "docker":
        from .execution.docker import DockerExecutor

        if not config.docker_host:
            raise ValueError("the docker executor needs --docker-host")
        return DockerExecutor(config.docker_host, config.docker_network, config.docker_pause_image)
    if config.executor != "process":
        raise ValueError(f"unknown executor {config.executor!r} (process or docker)")
    from .execution.process import ProcessExecutor

    return ProcessExecutor(config.data_dir / "scratch")


class Simulator:
    """The models, the runners and the WSGI application routing requests to them."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        # AWS managed policies (AmazonECSTaskExecutionRolePolicy...) exist in every real account.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        config.data_dir.mkdir(parents=True, exist_ok=True)
        changes = Changes()
        executor = _make_executor(config)
        self.logs = LogsModel(changes)
        self.ecs = ECSModel(changes)
        self.ecr = ECRModel(changes, config.data_dir / "registry")
        self.lambdas = LambdaModel(changes)
        self.tasks = TaskRunner(self.ecs, self.logs, executor, TaskVolumes(config.data_dir), config.step_delay)
        self.functions = FunctionRunner(self.lambdas, self.logs, executor, config.host)
        self.state = StateStore(config.data_dir / "state.json" if config.persist else None,
                                {"logs": self.logs, "ecs": self.ecs, "ecr": self.ecr, "lambda": self.lambdas},
                                changes)
        self.moto_state = MotoState(config.data_dir / "moto.pickle" if config.persist else None)
        self.moto_state.load()
        self.state.load()
        self.tasks.recover()
        self.json_services = [LogsAPI(self.logs).service(), ECSAPI(self.ecs, self.tasks).service(),
                              ECRAPI(self.ecr, self._registry_host).service()]
        self.registry = Registry(self.ecr)
        self.lambda_api = LambdaAPI(self.lambdas, self.functions)
        self._moto = _moto_app()
        self._server: BaseWSGIServer | None = None

    def _registry_host(self) -> str:
        return f"{self.config.host}:{self.port}"

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return self._server.server_port if self._server is not None else self.config.port

    def route(self, request: Request) -> Handler | None:
        """Our handler for the request, or None for moto."""
        if request.path == "/v2" or request.path.startswith("/v2/"):
            return self.registry
        if self.lambda_api.handles(request):
            return self.lambda_api
        for service in self.json_services:
            if service.handles(request):
                return service
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        handler = self.route(request)
        if handler is None:
            result = self._moto(environ, start_response)
            if request.method not in ("GET", "HEAD"):
                self.moto_state.touch()  # after moto applied the change, so a save includes it
            return result
        response = handler(request)
        return response(environ, start_response)

    def serve(self, ready: threading.Event | None = None) -> None:
        """Serve until :meth:`shutdown` (threaded: long-polling clients do not block others)."""
        self._server = make_server(self.config.host, self.config.port, self, threaded=True)
        self.state.start()
        self.moto_state.start()
        log.info("AWS simulator listening on http://%s:%d", self.config.host, self.port)
        if ready is not None:
            ready.set()
        try:
            self._server.serve_forever()
        finally:
            self.state.stop()
            self.moto_state.stop()

    def shutdown(self) -> None:
        """Stop serving (from another thread)."""
        if self._server is not None:
            self._server.shutdown()

    def close(self) -> None:
        """Stop every workload still running (tasks and function instances) and save state."""
        self.functions.close()
        self.tasks.close()


def _moto_app() -> Any:
    from moto.server import DomainDispatcherApplication, create_backend_app

    moto_fixes.apply()
    return DomainDispatcherApplication(create_backend_app)
