"""Function instances and the Lambda Runtime API they poll.

Each instance is a workload started by the executor with ``AWS_LAMBDA_RUNTIME_API`` pointing
at its own Runtime API server (one loopback port per instance, as each real sandbox has its
own). The instance's process loops on ``GET /2018-06-01/runtime/invocation/next`` and answers
with ``.../response`` or ``.../error``; ``/runtime/init/error`` reports a failed init. Output
goes to the function's log group, with the START/END/REPORT lines Lambda writes.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from ..arns import new_uuid
from ..execution.base import Executor, StartFailure, Workload, WorkloadSpec
from ..logs.models import LogsModel
from .models import LambdaModel

log = logging.getLogger(__name__)
PREFIX = "/2018-06-01/runtime"
IDLE_SECONDS = 300.0
TAIL_BYTES = 4096
OUTPUT_SETTLE = 0.02


@dataclass
class Invocation:
    """One request to a function and, once done, its outcome."""

    request_id: str
    payload: bytes
    deadline: float
    function_arn: str
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes = b""
    error_type: str | None = None
    log_lines: list[str] = field(default_factory=list)
    started: float = 0.0


class Instance:
    """One running sandbox of a function: a workload plus its Runtime API server."""

    def __init__(self, runner: FunctionRunner, name: str, record: dict[str, Any]) -> None:
        self.runner = runner
        self.name = name
        self.region = record["Region"]
        config = record["Configuration"]
        self.memory = int(config["MemorySize"])
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.current: Invocation | None = None
        self.busy = threading.Lock()
        self.asking = threading.Event()
        """Set while the runtime waits in ``/invocation/next``: only then may the sandbox take an invocation."""
        self.last_used = time.monotonic()
        self.init_error: str | None = None
        self.last_output = 0.0
        self.retired = False
        self.stream = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[$LATEST]{secrets.token_hex(16)}"
        self.group = config["LoggingConfig"]["LogGroup"]
        self.server: BaseWSGIServer = make_server(runner.host, 0, self._wsgi, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.workload: Workload = self._start(record)
        self.exited = threading.Event()
        self.exit_code: int | None = None
        threading.Thread(target=self._watch, daemon=True).start()

    def _start(self, record: dict[str, Any]) -> Workload:
        config = record["Configuration"]
        image_config = config["ImageConfigResponse"]["ImageConfig"]
        env = dict(config["Environment"]["Variables"])
        env |= {"AWS_LAMBDA_RUNTIME_API": f"{self.runner.host}:{self.server.server_port}",
                "AWS_LAMBDA_FUNCTION_NAME": self.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory), "AWS_LAMBDA_LOG_GROUP_NAME": self.group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.stream, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region, "LAMBDA_TASK_ROOT": "/var/task",
                "LAMBDA_RUNTIME_DIR": "/var/runtime", "TZ": ":UTC"}
        command = image_config.get("Command")
        if command:
            env["_HANDLER"] = command[0]
        spec = WorkloadSpec(name=self.name, image=record["Code"]["ImageUri"],
                            entrypoint=image_config.get("EntryPoint"), command=command, env=env,
                            workdir=image_config.get("WorkingDirectory", ""), memory_mib=self.memory)
        return self.runner.executor.start(spec, self._output)

    def _output(self, _stream: str, line: str) -> None:
        self.last_output = time.monotonic()
        self.runner.logs.append(self.region, self.group, self.stream, line)
        if self.current is not None:
            self.current.log_lines.append(line)

    def _watch(self) -> None:
        self.exit_code = self.workload.wait()
        self.exited.set()
        self.server.shutdown()

    def _exit_failure(self, invocation: Invocation) -> None:
        reason = self.init_error or f"Runtime exited with error: exit status {self.exit_code}"
        error_type = "Runtime.ExitError" if self.init_error is None else "Runtime.InitError"
        self._fail(invocation, error_type, f"RequestId: {invocation.request_id} Error: {reason}")

    # the Runtime API --------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        path = request.path.removeprefix(PREFIX)
        if request.method == "GET" and path == "/invocation/next":
            return self._next()
        if request.method == "POST" and path == "/init/error":
            self.init_error = _error_message(request.get_data())
            return _accepted()
        parts = path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 3 and parts[0] == "invocation":
            current = self.current
            if current is None or current.request_id != parts[1]:
                return Response(json.dumps({"errorMessage": "unknown request id", "errorType": "InvalidRequestID"}),
                                400, content_type="application/json")
            if parts[2] == "response":
                current.result = request.get_data()
                self._complete(current)
                return _accepted()
            if parts[2] == "error":
                current.result = request.get_data() or b"{}"
                current.error_type = "Unhandled"
                self._complete(current)
                return _accepted()
        return Response(json.dumps({"errorMessage": f"no Runtime API route {request.method} {request.path}"}),
                        404, content_type="application/json")

    def _next(self) -> Response:
        self.asking.set()
        invocation = self.pending.get()
        self.asking.clear()
        self.current = invocation
        self._output("platform", f"START RequestId: {invocation.request_id} Version: $LATEST")
        invocation.started = time.monotonic()
        headers = {"Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                   "Lambda-Runtime-Deadline-Ms": str(int(invocation.deadline * 1000)),
                   "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                   "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Sampled=0"}
        return Response(invocation.payload, 200, content_type="application/json", headers=headers)

    def _settle_output(self) -> None:
        """Let output the process wrote before answering reach the log first (pipes are read by threads)."""
        start = time.monotonic()
        while time.monotonic() - max(self.last_output, start) < OUTPUT_SETTLE and time.monotonic() - start < 0.25:
            time.sleep(0.005)

    def _complete(self, invocation: Invocation) -> None:
        duration = (time.monotonic() - (invocation.started or time.monotonic())) * 1000
        self._settle_output()
        self._output("platform", f"END RequestId: {invocation.request_id}")
        self._output("platform", f"REPORT RequestId: {invocation.request_id}\tDuration: {duration:.2f} ms\t"
                     f"Billed Duration: {max(1, int(duration + 0.999))} ms\tMemory Size: {self.memory} MB\t"
                     "Max Memory Used: 0 MB")
        self.current = None
        self.last_used = time.monotonic()
        invocation.done.set()

    def _fail(self, invocation: Invocation, error_type: str, message: str) -> None:
        invocation.result = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        invocation.error_type = "Unhandled"
        self._complete(invocation)

    # used by the runner -----------------------------------------------------------------

    def invoke(self, invocation: Invocation) -> None:
        """Run one invocation on this instance and wait for it (or its deadline)."""
        self.pending.put(invocation)
        while not invocation.done.wait(0.05):
            if self.exited.is_set():
                self._exit_failure(invocation)
                return
            if time.time() < invocation.deadline:
                continue
            timeout = self.runner.model.get(self.name)["Configuration"]["Timeout"]
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
            self._fail(invocation, "Sandbox.Timedout",
                       f"{stamp} {invocation.request_id} Task timed out after {float(timeout):.2f} seconds")
            self.stop()
            return

    def stop(self) -> None:
        """End the sandbox: SIGKILL, as Lambda does on timeouts and shutdowns."""
        self.retired = True
        self.workload.signal(signal.SIGKILL)


class FunctionRunner:
    """Keeps warm instances per function and routes invocations to idle ones."""

    def __init__(self, model: LambdaModel, logs: LogsModel, executor: Executor, host: str) -> None:
        self.model = model
        self.logs = logs
        self.executor = executor
        self.host = host
        self._lock = threading.Lock()
        self._instances: dict[str, list[Instance]] = {}
        threading.Thread(target=self._reap, daemon=True).start()

    def invoke(self, name: str, payload: bytes) -> Invocation:
        """Run the function synchronously; the finished invocation."""
        record = self.model.get(name)
        config = record["Configuration"]
        invocation = Invocation(new_uuid(), payload, time.time() + float(config["Timeout"]), config["FunctionArn"])
        try:
            instance = self._acquire(config["FunctionName"], record)
        except StartFailure as exc:
            invocation.result = json.dumps({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": str(exc)}).encode()
            invocation.error_type = "Unhandled"
            return invocation
        try:
            instance.invoke(invocation)
        finally:
            instance.busy.release()
        return invocation

    def _acquire(self, name: str, record: dict[str, Any]) -> Instance:
        with self._lock:
            for instance in self._instances.get(name, []):
                # as on Lambda, a sandbox is free only once its runtime asked for the next event: one that
                # answered and is still busy (or never asks again) gets no new invocation
                if (instance.asking.is_set() and not (instance.exited.is_set() or instance.retired)
                        and instance.busy.acquire(blocking=False)):
                    return instance
        instance = Instance(self, name, record)
        instance.busy.acquire()
        with self._lock:
            self._instances.setdefault(name, []).append(instance)
        return instance

    def stop_function(self, name: str) -> None:
        """Stop every instance of a function (delete, configuration change)."""
        with self._lock:
            instances = self._instances.pop(name, [])
        for instance in instances:
            instance.stop()

    def close(self) -> None:
        """Stop every instance."""
        for name in list(self._instances):
            self.stop_function(name)

    def _reap(self) -> None:
        while True:
            time.sleep(5)
            now = time.monotonic()
            with self._lock:
                for name, instances in self._instances.items():
                    keep = []
                    for instance in instances:
                        idle = instance.current is None and now - instance.last_used > IDLE_SECONDS
                        if instance.exited.is_set() or idle:
                            if idle and not instance.busy.locked():
                                instance.stop()
                            continue
                        keep.append(instance)
                    self._instances[name] = keep


def _accepted() -> Response:
    return Response(json.dumps({"status": "OK"}), 202, content_type="application/json")


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body or b"{}")
        return f"{data.get('errorType', 'Runtime.Unknown')}: {data.get('errorMessage', '')}"
    except ValueError:
        return body.decode(errors="replace")
