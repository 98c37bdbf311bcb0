"""What the agent does for each session the daemon opens on a connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from sockerless import __version__ as core_version
from sockerless.agent import protocol
from sockerless.agent.channel import Channel, ConnectionLost, Session

from . import __version__
from .archive import ArchiveHandlers
from .mainproc import MainProcess
from .spawn import Child, SpawnError, SpawnSpec, host_path, read_fd, spawn
from .users import UnknownUser, resolve

log = logging.getLogger("sockerless_agent")

OUTPUT_DRAIN_TIMEOUT = 2.0
"""After an exec ends, how long its output may keep flowing (a background child can hold the pipe)."""
PROBE_OUTPUT_LIMIT = 4096
"""Health-check output kept, as Docker keeps."""


class AgentService:
    """Serves sessions for one workload: execs, attach to the main process, probes, archives."""

    def __init__(self, main: MainProcess, base_env: dict[str, str], cwd: str, archive_root: str = "/",
                 root: str = "", user: str = "") -> None:
        self.main = main
        self.base_env = base_env
        self.cwd = cwd
        self.root = root
        """Every exec runs chrooted here (``--root``); empty: in the agent's own filesystem."""
        self.user = user
        """Execs and probes that name no user run as this one (``--user``: the container's, as in Docker)."""
        self.channels: set[Channel] = set()
        archive = ArchiveHandlers(archive_root)
        self.handlers = {
            protocol.EXEC: self._exec,
            protocol.ATTACH: self._attach,
            protocol.PROBE: self._probe,
            protocol.MAIN_SIGNAL: self._main_signal,
            protocol.MAIN_RESIZE: self._main_resize,
            protocol.PING: self._ping,
            protocol.ARCHIVE_STAT: archive.stat,
            protocol.ARCHIVE_GET: archive.get,
            protocol.ARCHIVE_PUT: archive.put,
        }

    def hello(self) -> str:
        """The first message on every connection."""
        main = self.main
        return protocol.control(
            protocol.HELLO, 0, version=protocol.VERSION, agent=__version__, core=core_version, pid=os.getpid(),
            main={"pid": main.pid, "tty": main.tty, "keep_alive": main.keep_alive, "exit_code": main.exit_code})

    async def serve(self, channel: Channel) -> None:
        """Greet the daemon and serve sessions until the connection ends."""
        self.channels.add(channel)
        try:
            await channel.send_text(self.hello())
            await channel.run()
        finally:
            self.channels.discard(channel)

    async def drain(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until every open session has finished, e.g. attach sessions sent the main's exit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(channel.sessions for channel in self.channels) and loop.time() < deadline:
            await asyncio.sleep(0.02)

    async def open_session(self, session: Session, message: dict[str, Any]) -> None:
        """Entry point for a new session (``Channel(on_open=...)``)."""
        await self.handlers[message["type"]](session, message)

    # -- exec ------------------------------------------------------------------------------------
    def spec_for(self, message: dict[str, Any], *, stdin: bool) -> SpawnSpec:
        """A spawn spec from an exec or probe request (raises ``SpawnError`` for bad input)."""
        argv = message.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise SpawnError(protocol.BAD_REQUEST, "exec needs argv: a non-empty list of strings", 126)
        env = dict(self.base_env)
        files = {"passwd": host_path(self.root, "/etc/passwd"), "group": host_path(self.root, "/etc/group")}
        try:
            identity = resolve(str(message.get("user") or self.user), **files)
        except UnknownUser as exc:
            raise SpawnError(protocol.NOT_FOUND, str(exc), 126) from None
        if identity is not None:
            env["HOME"] = identity.home
        elif "HOME" not in env:  # as Docker does: HOME of the user the command runs as
            with contextlib.suppress(UnknownUser, OSError):
                own = resolve(str(os.getuid()), **files)
                env["HOME"] = own.home if own is not None else "/"
        for entry in message.get("env") or []:
            key, sep, value = str(entry).partition("=")
            if sep:
                env[key] = value
        size = message.get("size")
        return SpawnSpec(argv=list(argv), env=env, cwd=str(message.get("workdir") or self.cwd), identity=identity,
                         tty=bool(message.get("tty")), stdin=stdin, root=self.root,
                         size=(int(size[0]), int(size[1])) if isinstance(size, list) and len(size) == 2 and all(size) else None)

    async def _start(self, session: Session, spec_of) -> Child | None:
        try:
            child = await spawn(spec_of())
        except SpawnError as exc:
            await session.send(protocol.ERROR, kind=exc.kind, message=exc.message, exit_code=exc.exit_code)
            return None
        await session.send(protocol.STARTED, pid=child.pid)
        return child

    async def _exec(self, session: Session, message: dict[str, Any]) -> None:
        child = await self._start(session, lambda: self.spec_for(message, stdin=bool(message.get("stdin"))))
        if child is None:
            return
        pumps = [asyncio.ensure_future(_pump_to_session(session, stream, fd)) for stream, fd in child.outputs]
        control = asyncio.ensure_future(_serve_input(session, child))
        try:
            code = await child.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pumps), OUTPUT_DRAIN_TIMEOUT)
        finally:
            for task in (*pumps, control):
                task.cancel()
            child.release()
        with contextlib.suppress(ConnectionLost):
            await session.send(protocol.EXIT, code=code)

    async def _probe(self, session: Session, message: dict[str, Any]) -> None:
        child = await self._start(session, lambda: self.spec_for(message, stdin=False))
        if child is None:
            return
        output = bytearray()

        async def collect(fd: int) -> None:
            async for data in read_fd(fd):
                if len(output) < PROBE_OUTPUT_LIMIT:
                    output.extend(data[:PROBE_OUTPUT_LIMIT - len(output)])

        pumps = [asyncio.ensure_future(collect(fd)) for _, fd in child.outputs]
        timeout = float(message.get("timeout") or 30)
        timed_out = False
        try:
            code = await asyncio.wait_for(child.wait(), timeout)
        except TimeoutError:
            timed_out = True
            child.kill_group()
            code = await child.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*pumps), OUTPUT_DRAIN_TIMEOUT)
        for task in pumps:
            task.cancel()
        child.release()
        await session.send(protocol.PROBE_RESULT, code=code, timed_out=timed_out,
                           output=output.decode("utf-8", "replace"))

    # -- the main process -------------------------------------------------------------------------
    async def _attach(self, session: Session, message: dict[str, Any]) -> None:
        main = self.main
        want = {protocol.STDOUT: bool(message.get("stdout", True)), protocol.STDERR: bool(message.get("stderr", True))}
        since = message.get("since")
        outgoing: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()

        def subscriber(stream: int, data: bytes) -> None:
            if want.get(stream):
                outgoing.put_nowait((stream, data))

        offsets = {}
        for stream, buffer in main.buffers.items():
            offsets[stream] = buffer.end
            if isinstance(since, list) and len(since) == 2 and want[stream]:
                start, data = buffer.since(int(since[stream - 1]))
                offsets[stream] = start
                if data:
                    outgoing.put_nowait((stream, data))
        main.subscribers.add(subscriber)
        await session.send(protocol.ATTACHED, offsets=[offsets[protocol.STDOUT], offsets[protocol.STDERR]],
                           pid=main.pid, tty=main.tty, stdin=main.has_stdin)
        stdin_task = asyncio.ensure_future(self._main_input(session)) if message.get("stdin") else None
        exited = asyncio.ensure_future(asyncio.shield(main.exited))
        try:
            while True:
                getter = asyncio.ensure_future(outgoing.get())
                await asyncio.wait([getter, exited], return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    stream, data = getter.result()
                    await session.write(stream, data)
                    continue
                getter.cancel()
                while not outgoing.empty():
                    stream, data = outgoing.get_nowait()
                    await session.write(stream, data)
                await session.send(protocol.EXIT, code=exited.result())
                main.exit_delivered.set()
                return
        finally:
            main.subscribers.discard(subscriber)
            exited.cancel()
            if stdin_task is not None:
                stdin_task.cancel()

    async def _main_input(self, session: Session) -> None:
        while True:
            event = await session.next()
            if isinstance(event, tuple):
                if event[0] == protocol.STDIN:
                    await self.main.write_stdin(event[1])
            elif event["type"] == protocol.STDIN_CLOSE:
                self.main.close_stdin()
            elif event["type"] == protocol.RESIZE:
                self.main.resize(int(event.get("height", 0)), int(event.get("width", 0)))

    async def _main_signal(self, session: Session, message: dict[str, Any]) -> None:
        signum = message.get("signal")
        if not isinstance(signum, int) or not 0 < signum < 65:
            await session.send(protocol.ERROR, kind=protocol.BAD_REQUEST, message=f"invalid signal {signum!r}")
            return
        self.main.signal(signum)
        await session.send(protocol.DONE)

    async def _main_resize(self, session: Session, message: dict[str, Any]) -> None:
        self.main.resize(int(message.get("height", 0)), int(message.get("width", 0)))
        await session.send(protocol.DONE)

    async def _ping(self, session: Session, message: dict[str, Any]) -> None:
        await session.send(protocol.PONG, data=message.get("data"))


async def _pump_to_session(session: Session, stream: int, fd: int) -> None:
    """Send a process's output; once the connection is gone, keep draining so the process never blocks."""
    sending = True
    async for data in read_fd(fd):
        if sending:
            try:
                await session.write(stream, data)
            except ConnectionLost:
                sending = False


async def _serve_input(session: Session, child: Child) -> None:
    """Apply the daemon's stdin, half-close, resize and signal messages to an exec."""
    pending: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def writer() -> None:
        while (data := await pending.get()) is not None:
            await child.write_stdin(data)
        child.close_stdin()

    writing = asyncio.ensure_future(writer())
    try:
        while True:
            try:
                event = await session.next()
            except ConnectionLost:
                pending.put_nowait(None)  # the daemon is gone: stdin ends, the command keeps running
                await asyncio.Event().wait()
            if isinstance(event, tuple):
                if event[0] == protocol.STDIN:
                    pending.put_nowait(event[1])
            elif event["type"] == protocol.STDIN_CLOSE:
                pending.put_nowait(None)
            elif event["type"] == protocol.RESIZE:
                child.resize(int(event.get("height", 0)), int(event.get("width", 0)))
            elif event["type"] == protocol.SIGNAL:
                signum = event.get("signal")
                if isinstance(signum, int) and 0 < signum < 65:
                    child.signal(signum)
    finally:
        writing.cancel()
