"""``/containers/{id}/exec`` and ``/exec`` endpoints."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from ...api.models.execs import ExecCreateRequest, ExecStartRequest
from ...engine.daemon import Engine
from ...engine.stdio import InputStream, OutputStream, ProcessIO
from .. import framing
from ..params import json_body, qint
from ..responses import JSONResponse
from ..routing import DockerRoute, HijackedResponse, api_version
from ..streaming import DEFAULT_DETACH_KEYS, StreamSink, hijack, parse_detach_keys, pump_stdin


def routes(engine: Engine) -> list[DockerRoute]:
    """The exec routes."""
    execs = engine.execs

    async def create(request: Request) -> Response:
        record = engine.containers.find(request.path_params["id"])
        body = await json_body(request, ExecCreateRequest, transform=_strslice_cmd)
        if body.DetachKeys:
            parse_detach_keys(body.DetachKeys)
        instance = execs.create(record, body)
        return JSONResponse({"Id": instance.id}, status_code=201)

    async def start(request: Request) -> Response:
        instance = execs.find(request.path_params["id"])
        body = await json_body(request, ExecStartRequest)
        config = instance.config
        # as in dockerd: the process has a terminal when the exec was created with one, while the
        # framing follows the start request (docker-py starts Tty execs unframed only when asked)
        tty = config.Tty
        raw = body.Tty
        if body.Detach:
            io = ProcessIO(stdin=None, stdout=_discard(), stderr=_discard(), tty=tty)
            process = await execs.start(instance, io)
            asyncio.get_running_loop().create_task(execs.finish(instance, process))
            return Response(status_code=200)
        keys = parse_detach_keys(config.DetachKeys or DEFAULT_DETACH_KEYS)
        conn = hijack(request, framing.content_type(raw, api_version(request)))
        sink = StreamSink(conn, tty=raw, stdout=config.AttachStdout, stderr=config.AttachStderr)
        open_streams = {framing.STDOUT} if tty else {framing.STDOUT, framing.STDERR}
        streams_done = asyncio.Event()

        def closed(stream: int) -> None:
            open_streams.discard(stream)
            if not open_streams:
                streams_done.set()

        stdout = sink.output_stream(framing.STDOUT, lambda: closed(framing.STDOUT))
        stderr = stdout if tty else sink.output_stream(framing.STDERR, lambda: closed(framing.STDERR))
        stdin = InputStream() if config.AttachStdin else None
        size = body.ConsoleSize or config.ConsoleSize
        io = ProcessIO(stdin=stdin, stdout=stdout, stderr=stderr, tty=tty,
                       console_size=(size[0], size[1]) if size and len(size) == 2 and size[0] and size[1] else None)
        try:
            process = await execs.start(instance, io)
        except Exception as exc:
            message = getattr(exc, "message", str(exc))
            conn.write(framing.encode(framing.STDERR, f"{message}\n".encode(), tty=raw))
            conn.close()
            return HijackedResponse()
        pump = asyncio.ensure_future(pump_stdin(conn, stdin, keys, close_on_eof=True)) if stdin is not None else None
        try:
            finished = asyncio.ensure_future(execs.finish(instance, process))
            waiting = [finished, asyncio.ensure_future(conn.closed)]
            if pump is not None:
                waiting.append(pump)
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            while pump is not None and pump.done() and not pump.result() and not finished.done() and not conn.lost:
                # stdin ended (half-close): keep streaming output until the process or the connection ends
                await asyncio.wait(waiting[:2], return_when=asyncio.FIRST_COMPLETED)
            detached = pump is not None and pump.done() and pump.result()
            if detached:
                pass  # the exec runs on without a client, as with dockerd; its output is dropped
            elif finished.done():
                try:
                    await asyncio.wait_for(streams_done.wait(), 5.0)
                except TimeoutError:
                    pass
            elif conn.lost and stdin is not None:
                stdin.feed_eof()
        finally:
            if pump is not None and not pump.done():
                pump.cancel()
            conn.close()
        return HijackedResponse()

    async def inspect(request: Request) -> Response:
        return JSONResponse(execs.inspect(execs.find(request.path_params["id"])))

    async def resize(request: Request) -> Response:
        instance = execs.find(request.path_params["id"])
        await execs.resize(instance, qint(request, "h", 0) or 0, qint(request, "w", 0) or 0)
        return Response(status_code=200, media_type="text/plain")

    return [
        DockerRoute("/containers/{id}/exec", create, methods=["POST"]),
        DockerRoute("/exec/{id}/start", start, methods=["POST"]),
        DockerRoute("/exec/{id}/json", inspect, methods=["GET"]),
        DockerRoute("/exec/{id}/resize", resize, methods=["POST"]),
    ]


def _strslice_cmd(raw):
    if isinstance(raw, dict) and isinstance(raw.get("Cmd"), str):
        raw["Cmd"] = [raw["Cmd"]]
    return raw


def _discard() -> OutputStream:
    return OutputStream(asyncio.get_running_loop(), lambda chunks: None)
