"""One run of a container: a synchronous Invoke on a thread of its own, and what its answer says.

A RequestResponse Invoke blocks until the function answers (up to its Timeout, 15 minutes), so
each runs on a dedicated thread rather than the event loop's small default pool (which every
other AWS call shares). Retries are off: a retried Invoke would be a second run.
The exit code normally comes from the agent's session; the answer is the fallback (the
agent's ``{"exitCode": N}``, or Lambda's own error when the runtime died).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from sockerless_aws import AwsClients, CloudError

START_ERROR_TYPE = "Sockerless.StartError"
"""What the agent's invocation error says when the command could not start."""
TIMED_OUT_EXIT = 137
"""Lambda kills a function that exceeds its Timeout (SIGKILL)."""
UNKNOWN_EXIT = 255
ANSWER_WAIT = 10.0
"""How long a finished main process waits for Lambda's answer (Lambda then has written the run's output)."""
_EXIT_STATUS = re.compile(r"exit status (\d+)")


@dataclass(frozen=True)
class InvokeOutcome:
    """How an Invoke ended: the function's answer, or the error of the call itself."""

    payload: bytes = b""
    function_error: str = ""
    call_error: str = ""

    def _body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.payload or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def exit_code(self) -> int:
        """The main process's exit code as far as the answer tells it."""
        code = self._agent_code()
        if code is not None:
            return code
        body = self._body()
        message = str(body.get("errorMessage", ""))
        if body.get("errorType") == "Sandbox.Timedout" or "Task timed out" in message:
            return TIMED_OUT_EXIT
        found = _EXIT_STATUS.search(message)
        return int(found.group(1)) if found else UNKNOWN_EXIT

    def _agent_code(self) -> int | None:
        code = self._body().get("exitCode")
        return code if isinstance(code, int) and not isinstance(code, bool) else None

    @property
    def answered_by_agent(self) -> bool:
        """True when the agent ran the command and answered with its exit code."""
        return not self.function_error and not self.call_error and self._agent_code() is not None

    @property
    def start_failure(self) -> tuple[str, int] | None:
        """``(message, exit code)`` when the agent could not start the command."""
        body = self._body()
        if self.function_error and body.get("errorType") == START_ERROR_TYPE:
            return str(body.get("errorMessage", "the command could not start")), self.exit_code
        return None

    @property
    def error(self) -> str:
        """What went wrong (empty for a normal answer)."""
        if self.call_error:
            return self.call_error
        if self.function_error:
            body = self._body()
            return f"{body.get('errorType', self.function_error)}: {body.get('errorMessage', '')}".strip()
        return ""


class Invocation:
    """A RequestResponse Invoke running on its own thread; ``outcome`` resolves on the event loop."""

    def __init__(self, clients: AwsClients, function: str, payload: dict[str, Any], timeout: int) -> None:
        loop = asyncio.get_running_loop()
        self.outcome: asyncio.Future[InvokeOutcome] = loop.create_future()
        self._loop = loop
        self._clients = clients
        self._params = {"FunctionName": function, "InvocationType": "RequestResponse",
                        "Payload": json.dumps(payload).encode()}
        self._config = {"read_timeout": timeout + 60, "retries": {"mode": "standard", "total_max_attempts": 1},
                        "tcp_keepalive": True, "max_pool_connections": 100}
        threading.Thread(target=self._run, name=f"invoke-{function}", daemon=True).start()

    def _run(self) -> None:
        try:
            answer = self._clients.invoke("lambda", "invoke", self._params, self._config)
            outcome = InvokeOutcome(payload=answer["Payload"].read(), function_error=answer.get("FunctionError") or "")
        except CloudError as exc:
            outcome = InvokeOutcome(call_error=exc.message)
        except Exception as exc:  # the answer's body could not be read
            outcome = InvokeOutcome(call_error=f"lambda backend: Lambda Invoke: {exc}")
        with contextlib.suppress(RuntimeError):  # the daemon's loop closed meanwhile (shutdown)
            self._loop.call_soon_threadsafe(self._resolve, outcome)

    def _resolve(self, outcome: InvokeOutcome) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)

    async def exit_code(self, linger: float) -> int:
        """The workload's exit as the platform reports it (the bridge's fallback).

        When the agent answered with an exit code it is lingering for the daemon (it answers
        before it hands the exit over), so the agent's own session gets ``linger`` seconds to win.
        """
        outcome = await asyncio.shield(self.outcome)
        if outcome.answered_by_agent:
            await asyncio.sleep(linger)
        return outcome.exit_code


class InvocationProcess:
    """The main process as the core sees it: ended once the agent reported the exit *and* Lambda answered.

    Lambda answers after the run's output is in its log (its END and REPORT lines follow the
    output), so ``docker logs`` right after ``docker wait`` finds all of it. The answer is
    awaited at most ``ANSWER_WAIT`` seconds; the exit code is always the agent's.
    """

    def __init__(self, main: Any, invocation: Invocation) -> None:
        self.main = main
        self.pid = main.pid
        self.invocation = invocation

    async def wait(self) -> Any:
        """How the main process ended."""
        result = await self.main.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.invocation.outcome), ANSWER_WAIT)
        return result
