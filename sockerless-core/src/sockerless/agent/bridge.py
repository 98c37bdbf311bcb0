"""The agent bridge: agent sessions turned into what the core's backend hooks need.

A backend tells the bridge only how to reach a container's agent (``locate``); the bridge
gives it the running processes the exec and start hooks return (their output written into
the core's :class:`~sockerless.engine.stdio.ProcessIO`, so the server frames it as Docker
does: multiplexed without a TTY, raw with one), resize and signal delivery, health probes
and the archive calls. When the agent goes away mid-exec the exec ends with exit code 255
and says why on its stderr: it never looks like a success.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ..archive import ArchiveError, PathNotFound
from ..plugins.backend import ExitResult, StartError
from . import protocol
from .channel import ConnectionLost, ReceiveWindow, SendWindow, Session
from .hub import AgentHub
from .link import AgentAddress, AgentUnavailable

log = logging.getLogger("sockerless.agent")

LOST_EXIT_CODE = 255
"""Exit code of an exec whose agent went away before reporting one (Docker's "unknown")."""
CONNECT_TIMEOUT = 30.0
RECONNECT_GRACE = 15.0

Locate = Callable[[Any], AgentAddress | Awaitable[AgentAddress]]


class AgentProcess:
    """An exec (or the main process) running under an agent: the ``RunningProcess`` protocol."""

    def __init__(self, pid: int, session: Session) -> None:
        self.pid = pid
        self.session = session
        self.result: asyncio.Future[ExitResult] = asyncio.get_running_loop().create_future()
        self.tasks: set[asyncio.Future] = set()
        """The tasks serving this process (held so they are not collected mid-flight)."""

    def spawn(self, aw: Awaitable[Any]) -> None:
        """Run ``aw`` on behalf of this process."""
        task = asyncio.ensure_future(aw)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def wait(self) -> ExitResult:
        """How it ended."""
        return await asyncio.shield(self.result)

    def kill(self) -> None:
        """SIGKILL (used when a health check overruns its timeout)."""
        self.spawn(_quietly(self.session.send(protocol.SIGNAL, signal=9)))


async def _quietly(aw: Awaitable[Any]) -> None:
    with contextlib.suppress(ConnectionLost):
        await aw


class AgentBridge:
    """Agent-backed exec, attach, signals, resize, probes and archives for one backend."""

    def __init__(self, hub: AgentHub, locate: Locate, *, backend: str = "agent",
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.hub = hub
        self.locate = locate
        self.backend = backend
        self.connect_timeout = connect_timeout
        self._exec_sessions: dict[str, Session] = {}
        self._main_sessions: dict[str, Session] = {}

    async def address(self, container: Any) -> AgentAddress:
        """Where the agent of ``container`` is."""
        address = self.locate(container)
        if asyncio.iscoroutine(address) or isinstance(address, asyncio.Future):
            address = await address
        return address

    async def session(self, container: Any, timeout: float | None = None) -> Session:
        """A new session with the container's agent; a 409-style refusal when it cannot be reached."""
        try:
            link = await self.hub.link(container.id, await self.address(container),
                                       self.connect_timeout if timeout is None else timeout)
        except AgentUnavailable as exc:
            raise StartError(f"{self.backend} backend: {exc}", 126) from None
        return link.open()

    # -- exec ------------------------------------------------------------------------------------
    async def exec_start(self, container: Any, exec_id: str, argv: list[str], env: list[str], workdir: str,
                         user: str, tty: bool, io: Any) -> AgentProcess:
        """``sockerless_exec_start`` through the agent."""
        session = await self.session(container)
        try:
            await session.send(protocol.EXEC, argv=argv, env=env, workdir=workdir, user=user, tty=tty,
                               stdin=io.stdin is not None, size=list(io.console_size) if io.console_size else None)
            first = await session.next()
        except ConnectionLost as exc:
            session.close()
            raise StartError(f"{self.backend} backend: the agent of container {container.id[:12]} went away: {exc}",
                             126) from None
        if isinstance(first, dict) and first["type"] == protocol.ERROR:
            session.close()
            raise StartError(str(first.get("message", "the agent could not start the command")),
                             int(first.get("exit_code", 126)))
        if not isinstance(first, dict) or first["type"] != protocol.STARTED:
            session.close()
            raise StartError(f"{self.backend} backend: unexpected answer from the agent: {first!r}", 126)
        process = AgentProcess(int(first.get("pid", 0)), session)
        self._exec_sessions[exec_id] = session
        what = f"the exec in container {container.id[:12]}"
        process.spawn(self._run_process(process, io, what, lambda: self._exec_sessions.pop(exec_id, None)))
        return process

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        """``sockerless_exec_resize``."""
        session = self._exec_sessions.get(exec_id)
        if session is not None:
            await _quietly(session.send(protocol.RESIZE, height=height, width=width))

    async def _run_process(self, process: AgentProcess, io: Any, what: str, on_end: Callable[[], Any]) -> None:
        session = process.session
        stdin_task = asyncio.ensure_future(_pump_stdin(session, io.stdin)) if io.stdin is not None else None
        result = ExitResult(code=LOST_EXIT_CODE, error="the agent session ended without an exit status")
        try:
            result = await _read_output(session, io)
        except ConnectionLost as exc:
            message = f"lost the connection to the agent while {what} was running ({exc}); its exit status is unknown"
            log.warning("%s", message)
            _write_error(io, message)
            result = ExitResult(code=LOST_EXIT_CODE, error=message)
        finally:
            if stdin_task is not None:
                stdin_task.cancel()
            session.close()
            on_end()
            io.stdout.close()
            io.stderr.close()
            if not process.result.done():
                process.result.set_result(result)

    # -- the main process ------------------------------------------------------------------------
    async def main_process(self, container: Any, io: Any, workload_exit: Awaitable[int] | None = None, *,
                           replay: bool = True) -> AgentProcess:
        """The container's main process as the core sees it: its output into ``io``, its exit code.

        The agent may be reached again after a lost connection: output resumes where it
        stopped (from the agent's replay buffer). When the connection is lost for good,
        ``workload_exit`` (the platform's record of how the workload ended) decides the
        exit code; without one the exit is reported as lost (255). ``replay=False`` (following a
        workload again after a daemon restart) starts with new output only.
        """
        ended = asyncio.ensure_future(workload_exit) if workload_exit is not None else None
        attaching = asyncio.ensure_future(self._attach_main(container, io, [0, 0] if replay else None))
        await asyncio.wait([attaching] + ([ended] if ended is not None else []), return_when=asyncio.FIRST_COMPLETED)
        if not attaching.done():  # the workload ended before its agent could be reached
            attaching.cancel()
            code = ended.result() if ended.exception() is None else LOST_EXIT_CODE
            raise StartError(f"{self.backend} backend: the workload of container {container.id[:12]} ended "
                             f"(exit code {code}) before its agent could be reached", 126)
        try:
            session, attached = attaching.result()
        except BaseException:
            if ended is not None:
                ended.cancel()
            raise
        process = AgentProcess(int(attached.get("pid", 0)), session)
        process.spawn(self._follow_main(container, process, io, attached, ended))
        return process

    async def _attach_main(self, container: Any, io: Any, since: list[int] | None, timeout: float | None = None):
        session = await self.session(container, timeout)
        await session.send(protocol.ATTACH, stdin=io.stdin is not None, stdout=True, stderr=True, since=since)
        first = await session.next()
        if not isinstance(first, dict) or first["type"] != protocol.ATTACHED:
            session.close()
            raise StartError(f"{self.backend} backend: the agent refused to attach: {first!r}", 126)
        self._main_sessions[container.id] = session
        return session, first

    async def _follow_main(self, container: Any, process: AgentProcess, io: Any, attached: dict[str, Any],
                           ended: asyncio.Future | None) -> None:
        offsets = list(attached.get("offsets") or [0, 0])
        session = process.session
        result: ExitResult
        while True:
            stdin_task = asyncio.ensure_future(_pump_stdin(session, io.stdin)) if io.stdin is not None else None
            try:
                result = await _read_output(session, io, offsets)
                break
            except ConnectionLost as exc:
                reason = str(exc)
            finally:
                if stdin_task is not None:
                    stdin_task.cancel()
                session.close()
            again = await self._reattach(container, io, offsets, ended)
            if isinstance(again, ExitResult):
                result = again if again.error or ended is not None else ExitResult(
                    code=LOST_EXIT_CODE, error=f"lost the agent of the container: {reason}")
                break
            session, attached = again
            offsets[:] = list(attached.get("offsets") or offsets)
            process.session = session
        self._main_sessions.pop(container.id, None)
        if ended is not None and not ended.done():
            ended.cancel()
        io.stdout.close()
        io.stderr.close()
        if not process.result.done():
            process.result.set_result(result)

    async def _reattach(self, container: Any, io: Any, offsets: list[int],
                        ended: asyncio.Future | None) -> tuple[Session, dict[str, Any]] | ExitResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECONNECT_GRACE
        while loop.time() < deadline:
            if ended is not None and ended.done():
                code = ended.result() if not ended.cancelled() and ended.exception() is None else LOST_EXIT_CODE
                return ExitResult(code=code)
            attempt = asyncio.ensure_future(self._attach_main(container, io, offsets, timeout=1.0))
            waits = [attempt] + ([ended] if ended is not None else [])
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if attempt.done() and attempt.exception() is None:
                return attempt.result()
            if not attempt.done():
                attempt.cancel()
            await asyncio.sleep(0.1)
        return ExitResult(code=LOST_EXIT_CODE,
                          error=f"lost the agent of container {container.id[:12]} and could not reach it again")

    async def signal_main(self, container: Any, signal: int) -> None:
        """Deliver a signal to the main process (``docker kill``, ``docker stop``)."""
        await self._one_shot(container, protocol.MAIN_SIGNAL, "deliver a signal", signal=signal)

    async def resize_main(self, container: Any, height: int, width: int) -> None:
        """Resize the main process's terminal."""
        await self._one_shot(container, protocol.MAIN_RESIZE, "resize the terminal", height=height, width=width)

    async def ping(self, container: Any) -> float:
        """Round trip of a ping through the agent, in seconds."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        await self._one_shot(container, protocol.PING, "answer a ping")
        return loop.time() - began

    async def _one_shot(self, container: Any, kind: str, what: str, **fields: Any) -> dict[str, Any]:
        try:
            session = await self.session(container, timeout=5.0)
        except StartError as exc:
            raise AgentUnavailable(exc.message) from None
        try:
            await session.send(kind, **fields)
            answer = await session.next()
        except ConnectionLost as exc:
            raise AgentUnavailable(f"the agent of container {container.id[:12]} went away: {exc}") from None
        finally:
            session.close()
        if isinstance(answer, dict) and answer["type"] == protocol.ERROR:
            raise AgentUnavailable(f"the agent could not {what}: {answer.get('message')}")
        return answer if isinstance(answer, dict) else {}

    # -- archives (docker cp) -------------------------------------------------------------------
    async def archive_stat(self, container: Any, path: str) -> dict[str, Any]:
        """``sockerless_archive_stat``: the path's stat as the agent's filesystem has it."""
        session = await self._archive_session(container)
        try:
            await session.send(protocol.ARCHIVE_STAT, path=path)
            return _stat_of(await _archive_answer(session, protocol.STAT, container))
        finally:
            session.close()

    async def archive_get(self, container: Any, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        """``sockerless_archive_get``: the stat and the tar stream, flow-controlled end to end."""
        session = await self._archive_session(container)
        try:
            await session.send(protocol.ARCHIVE_GET, path=path)
            stat = _stat_of(await _archive_answer(session, protocol.STAT, container))
        except BaseException:
            session.close()
            raise
        return stat, _tar_stream(session, container)

    async def archive_put(self, container: Any, path: str, tar_stream: AsyncIterator[bytes],
                          no_overwrite_dir_non_dir: bool, copy_uid_gid: bool) -> None:
        """``sockerless_archive_put``: stream a tar archive to the agent, which extracts it."""
        session = await self._archive_session(container)
        try:
            await session.send(protocol.ARCHIVE_PUT, path=path, no_overwrite_dir_non_dir=no_overwrite_dir_non_dir,
                               copy_uid_gid=copy_uid_gid, user=container.config.User or "")
            await _archive_answer(session, protocol.STARTED, container)
            window = SendWindow()
            outcome: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            listener = asyncio.ensure_future(_listen_put(session, window, outcome))
            try:
                async for chunk in tar_stream:
                    for start in range(0, len(chunk), protocol.MAX_FRAME_DATA):
                        part = chunk[start:start + protocol.MAX_FRAME_DATA]
                        await asyncio.wait([asyncio.ensure_future(window.take(len(part))), outcome],
                                           return_when=asyncio.FIRST_COMPLETED)
                        if outcome.done():
                            break
                        await session.write(protocol.DATA, part)
                    if outcome.done():
                        break
                if not outcome.done():
                    await session.send(protocol.DATA_END)
                answer = await outcome
            finally:
                listener.cancel()
            _raise_archive_error(answer, container)
        except ConnectionLost as exc:
            raise ArchiveError(f"lost the agent of container {container.id[:12]} during the copy: {exc}") from None
        finally:
            session.close()

    async def _archive_session(self, container: Any) -> Session:
        try:
            return await self.session(container, timeout=10.0)
        except StartError as exc:
            raise ArchiveError(exc.message) from None

    # -- health probes ---------------------------------------------------------------------------
    async def probe(self, container: Any, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a health-check command with the deadline enforced by the agent: (exit code, output)."""
        session = await self.session(container, timeout=5.0)
        try:
            await session.send(protocol.PROBE, argv=argv, timeout=timeout)
            while True:
                event = await asyncio.wait_for(session.next(), timeout + 10)
                if isinstance(event, dict) and event["type"] == protocol.ERROR:
                    return int(event.get("exit_code", 126)), str(event.get("message", ""))
                if isinstance(event, dict) and event["type"] == protocol.PROBE_RESULT:
                    if event.get("timed_out"):
                        return -1, f"Health check exceeded timeout ({timeout:g}s)"
                    return int(event.get("code", 1)), str(event.get("output", ""))
        except (ConnectionLost, TimeoutError) as exc:
            return 1, f"the agent did not answer the health check: {exc or 'timed out'}"
        finally:
            session.close()

    async def forget(self, container: Any) -> None:
        """The container is gone: drop its connections and its reverse-mode token."""
        self._main_sessions.pop(container.id, None)
        await self.hub.forget(container.id)


def _stat_of(message: dict[str, Any]) -> dict[str, Any]:
    stat = message.get("stat")
    if not isinstance(stat, dict):
        raise ArchiveError("the agent sent a stat without data")
    return stat


def _raise_archive_error(message: dict[str, Any], container: Any) -> None:
    """Turn an agent ERROR into the exception the core's archive service reports."""
    if message.get("type") != protocol.ERROR:
        return
    text = str(message.get("message", "archive operation failed"))
    if message.get("kind") == protocol.NOT_FOUND:
        if "path" in message:
            raise PathNotFound(str(message["path"]))
        raise ArchiveError(text, ArchiveError.NOT_FOUND)
    raise ArchiveError(text)


async def _archive_answer(session: Session, expected: str, container: Any) -> dict[str, Any]:
    try:
        event = await session.next()
    except ConnectionLost as exc:
        raise ArchiveError(f"lost the agent of container {container.id[:12]}: {exc}") from None
    if isinstance(event, dict):
        _raise_archive_error(event, container)
        if event["type"] == expected:
            return event
    raise ArchiveError(f"unexpected answer from the agent: {event!r}"[:200])


async def _tar_stream(session: Session, container: Any) -> AsyncIterator[bytes]:
    window = ReceiveWindow(session)
    finished = False
    try:
        while True:
            try:
                event = await session.next()
            except ConnectionLost as exc:
                raise ArchiveError(f"lost the agent of container {container.id[:12]} mid-copy: {exc}") from None
            if isinstance(event, tuple):
                yield event[1]
                await window.consumed(len(event[1]))
                continue
            if event["type"] == protocol.DATA_END:
                finished = True
                return
            _raise_archive_error(event, container)
    finally:
        if not finished:
            await _quietly(session.send(protocol.CANCEL))
        session.close()


async def _listen_put(session: Session, window: SendWindow, outcome: asyncio.Future) -> None:
    try:
        while True:
            event = await session.next()
            if isinstance(event, dict):
                if event["type"] == protocol.WINDOW:
                    window.grant(int(event.get("bytes", 0)))
                elif event["type"] in (protocol.DONE, protocol.ERROR):
                    outcome.set_result(event)
                    return
    except ConnectionLost as exc:
        if not outcome.done():
            outcome.set_exception(ConnectionLost(str(exc)))


async def _read_output(session: Session, io: Any, offsets: list[int] | None = None) -> ExitResult:
    """Copy a session's output into ``io`` until its exit message."""
    while True:
        event = await session.next()
        if isinstance(event, tuple):
            stream, data = event
            if stream == protocol.STDERR and not io.tty:
                io.stderr.write(data)
            else:
                io.stdout.write(data)
            if offsets is not None and stream in (protocol.STDOUT, protocol.STDERR):
                offsets[stream - 1] += len(data)
            continue
        kind = event["type"]
        if kind == protocol.EXIT:
            return ExitResult(code=int(event.get("code", LOST_EXIT_CODE)))
        if kind == protocol.ERROR:
            message = str(event.get("message", "agent error"))
            _write_error(io, message)
            return ExitResult(code=int(event.get("exit_code", LOST_EXIT_CODE)), error=message)


async def _pump_stdin(session: Session, stdin: Any) -> None:
    """The core's stdin for a process, sent to the agent; EOF becomes a half-close."""
    with contextlib.suppress(ConnectionLost):
        while True:
            data = await stdin.aread(protocol.MAX_FRAME_DATA)
            if not data:
                await session.send(protocol.STDIN_CLOSE)
                return
            await session.write(protocol.STDIN, data)


def _write_error(io: Any, message: str) -> None:
    with contextlib.suppress(BrokenPipeError):
        io.stderr.write(f"sockerless: {message}\n".encode())
