"""``/containers`` endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api import wire
from ...api.errors import Conflict, InvalidParameter, NotImplementedByBackend
from ...api.filters import Filters
from ...api.models.containers import ContainerCreateRequest, HostConfig, RestartPolicy, normalize_create
from ...engine import containers as container_mod
from ...engine import logconfig, render, resolution
from ...engine import stats as stats_mod
from ...engine.daemon import Engine
from ...engine.logs import STDERR, STDOUT, LogRecord
from ...engine.records import ContainerRecord
from ...engine.timeutil import parse_rfc3339, parse_timestamp, rfc3339_fixed
from ...plugins.backend import Capability, TopResult
from .. import framing
from ..params import json_body, qbool, qint, qstr, read_body
from ..responses import JSONResponse, no_content
from ..routing import DockerRoute, HijackedResponse, api_version
from ..streaming import DEFAULT_DETACH_KEYS, StreamSink, hijack, parse_detach_keys, pump_stdin

PRUNE_FILTERS = ("label", "label!", "until")


def _encode_log(rec: LogRecord, prefix: bytes, timestamps: bool, tty: bool) -> bytes:
    """One log line as ``GET /containers/{id}/logs`` sends it."""
    data = prefix + rec.data if prefix else rec.data
    if timestamps:
        data = rfc3339_fixed(rec.time_ns).encode() + b" " + data
    return framing.encode(rec.stream, data, tty=tty)


async def _framed_backend_logs(records: AsyncIterator[LogRecord], selected: set[int], prefix: bytes, timestamps: bool,
                               tty: bool) -> AsyncIterator[bytes]:
    """The records of a backend's own log service, framed; the iterator is closed when the client leaves."""
    try:
        async for rec in records:
            if rec.stream in selected:
                yield _encode_log(rec, prefix, timestamps, tty)
    finally:
        close = getattr(records, "aclose", None)
        if close is not None:
            await close()


def routes(engine: Engine) -> list[DockerRoute]:
    """The container routes."""
    lifecycle = engine.lifecycle
    containers = engine.containers

    def find(request: Request) -> ContainerRecord:
        return containers.find(request.path_params["id"])

    async def create(request: Request) -> Response:
        body = await json_body(request, ContainerCreateRequest, transform=normalize_create)
        name = request.query_params.get("name") or None
        record, warnings = await engine.create_container(body, name, request.query_params.get("pod") or "")
        return JSONResponse({"Id": record.id, "Warnings": warnings}, status_code=201)

    async def list_containers(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, container_mod.LIST_FILTERS)
        for legacy in ("before", "since"):
            if request.query_params.get(legacy):
                filters.values.setdefault(legacy, set()).add(request.query_params[legacy])
        image_ids = {ref: [img.Id] for ref in filters.get("ancestor") if (img := engine.images.lookup(ref))}
        records = containers.select(filters, include_stopped=qbool(request, "all"), limit=qint(request, "limit", -1) or -1,
                                    image_ids=image_ids)
        version = api_version(request)
        with_size = qbool(request, "size")
        return JSONResponse([render.summary(r, version, with_size=with_size) for r in records])

    async def inspect(request: Request) -> Response:
        record = find(request)
        return JSONResponse(render.inspect(record, api_version(request), lifecycle.exec_ids(record)))

    async def start(request: Request) -> Response:
        record = find(request)
        body = await read_body(request)
        if body.strip() not in (b"", b"null", b"{}"):
            raise InvalidParameter("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
        await lifecycle.start(record)
        return no_content()

    async def stop(request: Request) -> Response:
        record = find(request)
        await lifecycle.stop(record, qint(request, "t"), request.query_params.get("signal") or None)
        return no_content()

    async def kill(request: Request) -> Response:
        record = find(request)
        await lifecycle.kill(record, request.query_params.get("signal") or None, request.path_params["id"])
        return no_content()

    async def restart(request: Request) -> Response:
        record = find(request)
        await lifecycle.restart(record, qint(request, "t"), request.query_params.get("signal") or None)
        return no_content()

    async def remove(request: Request) -> Response:
        record = find(request)
        if qbool(request, "link"):
            raise InvalidParameter("legacy container links are not supported by sockerless")
        await lifecycle.remove(record, force=qbool(request, "force"), remove_volumes=qbool(request, "v"))
        return no_content()

    async def rename(request: Request) -> Response:
        record = find(request)
        old = containers.rename(record, qstr(request, "name"))
        for endpoint in record.networks.values():  # the new name resolves, the old one no longer
            if endpoint.DNSNames:
                endpoint.DNSNames = list(dict.fromkeys(record.name if n == old else n for n in endpoint.DNSNames))
        engine.store.containers.put(record)
        if record.state.Running:
            await resolution.refresh_peers(engine, record)
        attrs = container_mod.labels_of(record)
        attrs["oldName"] = "/" + old
        engine.events.publish("container", "rename", record.id, attrs)
        return no_content()

    async def pause(request: Request) -> Response:
        await lifecycle.pause(find(request))
        return no_content()

    async def unpause(request: Request) -> Response:
        await lifecycle.unpause(find(request))
        return no_content()

    async def wait(request: Request) -> Response:
        record = find(request)
        future = lifecycle.wait_future(record, qstr(request, "condition"))
        version = api_version(request)

        async def body() -> AsyncIterator[bytes]:
            outcome = await future
            result: dict[str, object] = {"StatusCode": outcome.code}
            if version >= (1, 30):
                result = {"Error": {"Message": outcome.error} if outcome.error else None, "StatusCode": outcome.code}
            yield wire.encode(result) + b"\n"

        return StreamingResponse(body(), media_type="application/json")

    async def top(request: Request) -> Response:
        record = find(request)
        engine.backend.require(Capability.TOP, "top")
        if not record.state.Running:
            raise Conflict(f"container {record.id} is not running")
        result: TopResult = await engine.backend.call_required(
            "sockerless_container_top", "top", container=record, ps_args=qstr(request, "ps_args"))
        engine.events.publish("container", "top", record.id, container_mod.labels_of(record))
        return JSONResponse({"Titles": result.titles, "Processes": result.processes})

    async def stats(request: Request) -> Response:
        record = find(request)
        engine.backend.require(Capability.STATS, "stats")
        stream = qbool(request, "stream", True)
        one_shot = qbool(request, "one-shot")
        if stream and one_shot:
            raise InvalidParameter("cannot have stream=true and one-shot=true")
        mem_total = engine.host_facts()["mem_total"]

        async def sample() -> stats_mod.Sample | None:
            if not record.state.Running:
                return None
            result = await engine.backend.call_required("sockerless_container_stats", "stats", container=record)
            return stats_mod.take(result)

        current = await sample()

        async def body() -> AsyncIterator[bytes]:
            nonlocal current
            previous = None
            if not stream:
                if not one_shot and current is not None:
                    await asyncio.sleep(stats_mod.INTERVAL)  # a second sample, so precpu_stats is filled
                    previous, current = current, await sample()
                yield wire.encode(stats_mod.render(record, current, previous, mem_total)) + b"\n"
                return
            while engine.store.containers.get(record.id) is not None:
                yield wire.encode(stats_mod.render(record, current, previous, mem_total)) + b"\n"
                await asyncio.sleep(stats_mod.INTERVAL)
                previous, current = current, await sample()

        return StreamingResponse(body(), media_type="application/json")

    async def resize(request: Request) -> Response:
        record = find(request)
        height, width = qint(request, "h", 0) or 0, qint(request, "w", 0) or 0
        engine.backend.require(Capability.RESIZE, "resize")
        if not record.state.Running:
            raise Conflict(f"cannot resize container {record.id}: container is not running")
        await engine.backend.call_required("sockerless_container_resize", "resize", container=record,
                                           height=height, width=width)
        attrs = container_mod.labels_of(record)
        attrs.update(height=str(height), width=str(width))
        engine.events.publish("container", "resize", record.id, attrs)
        return Response(status_code=200, media_type="text/plain")

    async def prune(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, PRUNE_FILTERS)
        until = parse_timestamp(next(iter(filters.get("until"))), name="until") if filters.get("until") else None
        deleted = []
        for record in containers.all():
            if record.state.Running or record.state.Restarting or not filters.match_labels(record.config.Labels):
                continue
            if until is not None and parse_rfc3339(record.created) > until:
                continue
            await lifecycle.remove(record, force=False, remove_volumes=False)
            deleted.append(record.id)
        engine.events.publish("container", "prune", "", {"reclaimed": "0"})
        return JSONResponse({"ContainersDeleted": deleted or None, "SpaceReclaimed": 0})

    async def update(request: Request) -> Response:
        record = find(request)
        raw = wire.loads(await read_body(request) or b"{}")
        if not isinstance(raw, dict):
            raise InvalidParameter("invalid JSON: expected an object")
        policy = raw.pop("RestartPolicy", None)
        new_policy = wire.convert(policy, RestartPolicy) if policy else None
        if new_policy is not None:
            container_mod.check_restart_policy(new_policy)
            if record.host_config.AutoRemove and new_policy.Name not in ("", "no"):
                raise InvalidParameter("Restart policy cannot be updated because AutoRemove is enabled for the container")
        resources = wire.strip_nulls(raw)
        for key, value in list(resources.items()):
            if key in container_mod.FIXED_RESOURCE_FIELDS:
                if value not in (0, "", False, [], {}):
                    raise InvalidParameter(f"{key} cannot be changed by docker update")
                del resources[key]  # the CLI sends every field of Resources, zeroed when not given
            elif key not in container_mod.RESOURCE_FIELDS:
                raise InvalidParameter(f"unknown resource field {key!r}")
        typed = wire.convert(resources, HostConfig, "resources")  # Go's types: a wrong one is a 400
        container_mod.check_resources(typed.BlkioWeight, None)
        # everything is valid: only now change the record
        if new_policy is not None:
            record.host_config.RestartPolicy = new_policy
        warnings = []
        for key in resources:
            value = getattr(typed, key)
            if not value and key != "PidsLimit":  # as dockerd: a zero leaves the setting as it is
                continue
            if value and key not in engine.backend.info.honoured_resources:
                warnings.append(f"the {engine.backend.name} backend does not enforce {key}; the value is recorded but has no effect")
            setattr(record.host_config, key, value)
        engine.store.containers.put(record)
        engine.events.publish("container", "update", record.id, container_mod.labels_of(record))
        return JSONResponse({"Warnings": warnings})

    async def logs(request: Request) -> Response:
        record = find(request)
        want_out, want_err = qbool(request, "stdout"), qbool(request, "stderr")
        if not (want_out or want_err):
            raise InvalidParameter("Bad parameters: you must choose at least one stream")
        selected = {s for s, wanted in ((STDOUT, want_out), (STDERR, want_err)) if wanted}
        tail_text = qstr(request, "tail", "all")
        if tail_text in ("", "all"):
            tail = -1
        elif tail_text.lstrip("-").isdigit():
            tail = max(-1, int(tail_text))
        else:
            raise InvalidParameter(f"invalid value for tail: {tail_text!r}")
        since = parse_timestamp(request.query_params["since"]) if qstr(request, "since") not in ("", "0") else 0
        until = parse_timestamp(request.query_params["until"], name="until") if qstr(request, "until") not in ("", "0") else 0
        follow = qbool(request, "follow")
        timestamps = qbool(request, "timestamps")
        logconfig.require_readable(record)
        prefix = logconfig.details(record) if qbool(request, "details") else b""
        tty = record.config.Tty
        if engine.backend.implements("sockerless_container_logs"):
            options = {"since_ns": since, "until_ns": until, "tail": tail, "follow": follow,
                       "stdout": want_out, "stderr": want_err}
            records = await engine.backend.call("sockerless_container_logs", container=record, options=options)
            return StreamingResponse(_framed_backend_logs(records, selected, prefix, timestamps, tty),
                                     media_type=framing.content_type(tty, api_version(request)))
        streams = lifecycle.runtime(record).streams
        log_store = streams.log
        # follow only while the run's streams are open: its end marker is still to come
        queue = log_store.subscribe() if follow and streams.running else None
        records = log_store.select(streams=selected, since_ns=since, until_ns=until, tail=tail)

        def encode(rec: LogRecord) -> bytes:
            return _encode_log(rec, prefix, timestamps, tty)

        async def body() -> AsyncIterator[bytes]:
            try:
                if records:
                    yield b"".join(encode(r) for r in records)
                if queue is None:
                    return
                async for rec in log_store.follow(queue):
                    if rec.stream not in selected or rec.time_ns < since:
                        continue
                    if until and rec.time_ns > until:
                        return
                    yield encode(rec)
            finally:
                if queue is not None:
                    log_store.unsubscribe(queue)

        return StreamingResponse(body(), media_type=framing.content_type(tty, api_version(request)))

    async def attach(request: Request) -> Response:
        record = find(request)
        if record.state.Running or record.state.Paused:
            # before the start (docker run, docker start -a) the core carries the streams for any backend
            engine.backend.require(Capability.ATTACH, "attaching to a running container")
        want_stdin = qbool(request, "stdin")
        keys = parse_detach_keys(qstr(request, "detachKeys") or DEFAULT_DETACH_KEYS)
        tty = record.config.Tty
        runtime = lifecycle.runtime(record)
        conn = hijack(request, framing.content_type(tty, api_version(request)))
        sink = StreamSink(conn, tty=tty, stdout=qbool(request, "stdout"), stderr=qbool(request, "stderr"))
        if qbool(request, "logs"):
            for rec in runtime.streams.log.records():
                sink.output(rec.stream, rec.data)
        if not qbool(request, "stream"):
            conn.close()
            return HijackedResponse()
        runtime.streams.attach(sink)
        engine.events.publish("container", "attach", record.id, container_mod.labels_of(record))
        pump = None
        if want_stdin and record.config.OpenStdin:
            stdin = runtime.streams.stdin()
            pump = asyncio.ensure_future(pump_stdin(conn, stdin, keys, close_on_eof=record.config.StdinOnce))
        watchers = [asyncio.ensure_future(sink.done.wait()), asyncio.ensure_future(conn.closed)]
        if pump is not None:
            watchers.append(pump)
        try:
            while True:
                done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
                if pump in done and not pump.result() and not conn.lost and not sink.done.is_set():
                    watchers.remove(pump)  # stdin ended; keep streaming output
                    continue
                break
        finally:
            runtime.streams.detach(sink)
            for task in watchers:
                task.cancel()
            if pump is not None and not pump.done():
                pump.cancel()
            conn.close()
        return HijackedResponse()

    def refused(operation: str):
        async def endpoint(request: Request) -> Response:
            find(request)
            raise NotImplementedByBackend(engine.backend.name, operation, "arrives in a later release")

        return endpoint

    return [
        DockerRoute("/containers/create", create, methods=["POST"]),
        DockerRoute("/containers/json", list_containers, methods=["GET"]),
        DockerRoute("/containers/prune", prune, methods=["POST"]),
        DockerRoute("/containers/{id}/json", inspect, methods=["GET"]),
        DockerRoute("/containers/{id}/start", start, methods=["POST"]),
        DockerRoute("/containers/{id}/stop", stop, methods=["POST"]),
        DockerRoute("/containers/{id}/kill", kill, methods=["POST"]),
        DockerRoute("/containers/{id}/restart", restart, methods=["POST"]),
        DockerRoute("/containers/{id}/rename", rename, methods=["POST"]),
        DockerRoute("/containers/{id}/pause", pause, methods=["POST"]),
        DockerRoute("/containers/{id}/unpause", unpause, methods=["POST"]),
        DockerRoute("/containers/{id}/wait", wait, methods=["POST"]),
        DockerRoute("/containers/{id}/top", top, methods=["GET"]),
        DockerRoute("/containers/{id}/resize", resize, methods=["POST"]),
        DockerRoute("/containers/{id}/update", update, methods=["POST"]),
        DockerRoute("/containers/{id}/logs", logs, methods=["GET"]),
        DockerRoute("/containers/{id}/attach", attach, methods=["POST"]),
        DockerRoute("/containers/{id}", remove, methods=["DELETE"]),
        DockerRoute("/containers/{id}/stats", stats, methods=["GET"]),
        DockerRoute("/containers/{id}/attach/ws", refused("attach over websocket"), methods=["GET"]),
    ]
