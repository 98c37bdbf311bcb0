"""``/libpod/pods``: the Podman pod subset (create, list, inspect, exists, start, stop, kill, rm)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...api import wire
from ...api.errors import InvalidParameter
from ...api.filters import Filters
from ...engine.daemon import Engine
from ...engine.records import PodRecord
from ..params import qbool, qint, qstr, read_body
from ..responses import JSONResponse, no_content
from ..routing import DockerRoute

LIST_FILTERS = ("id", "name", "label", "status")


def routes(engine: Engine) -> list[DockerRoute]:
    """The pod routes."""
    pods = engine.pods

    def find(request: Request) -> PodRecord:
        return pods.find(request.path_params["name"])

    def members_of(pod: PodRecord, *, listing: bool) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for record in pods.members(pod):
            if listing:
                out.append({"Id": record.id, "Names": record.name, "Status": record.state.Status,
                            "RestartCount": record.restart_count})
            else:
                out.append({"Id": record.id, "Name": record.name, "State": record.state.Status})
        return out

    def summary(pod: PodRecord) -> dict[str, object]:
        return {"Cgroup": "", "Containers": members_of(pod, listing=True), "Created": pod.created, "Id": pod.id,
                "InfraId": "", "Name": pod.name, "Namespace": "", "Networks": [], "Status": pods.status(pod),
                "Labels": dict(pod.labels)}

    def inspect_body(pod: PodRecord) -> dict[str, object]:
        members = members_of(pod, listing=False)
        return {"Id": pod.id, "Name": pod.name, "Namespace": "", "Created": pod.created, "CreateCommand": None,
                "ExitPolicy": pod.exit_policy, "State": pods.status(pod), "Hostname": pod.hostname,
                "Labels": dict(pod.labels), "CreateCgroup": False, "CgroupParent": "", "CgroupPath": "",
                "CreateInfra": False, "InfraContainerID": "", "SharedNamespaces": list(pod.share),
                "NumContainers": len(members), "Containers": members}

    async def create(request: Request) -> Response:
        raw = wire.loads(await read_body(request) or b"{}")
        if not isinstance(raw, dict):
            raise InvalidParameter("invalid pod spec: expected a JSON object")
        pod = pods.create(raw)
        return JSONResponse({"Id": pod.id}, status_code=201)

    async def list_pods(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, LIST_FILTERS)
        found = []
        for pod in engine.store.pods:
            if filters.get("id") and not any(pod.id.startswith(v) for v in filters.get("id")):
                continue
            if filters.get("name") and pod.name not in filters.get("name"):
                continue
            if filters.get("status") and pods.status(pod).lower() not in {v.lower() for v in filters.get("status")}:
                continue
            if not filters.match_labels(pod.labels):
                continue
            found.append(summary(pod))
        return JSONResponse(sorted(found, key=lambda p: str(p["Created"])))

    async def inspect(request: Request) -> Response:
        return JSONResponse(inspect_body(find(request)))

    async def exists(request: Request) -> Response:
        find(request)
        return no_content()

    def report(pod: PodRecord, errors: list[str]) -> Response:
        return JSONResponse({"Errs": errors or None, "Id": pod.id}, status_code=409 if errors else 200)

    async def start(request: Request) -> Response:
        pod = find(request)
        return report(pod, await pods.start(pod))

    async def stop(request: Request) -> Response:
        pod = find(request)
        return report(pod, await pods.stop(pod, qint(request, "t")))

    async def kill(request: Request) -> Response:
        pod = find(request)
        return report(pod, await pods.kill(pod, request.query_params.get("signal") or None))

    async def remove(request: Request) -> Response:
        pod = find(request)
        removed = await pods.remove(pod, force=qbool(request, "force"))
        return JSONResponse({"RemovedCtrs": removed, "Id": pod.id, "Err": None})

    return [
        DockerRoute("/libpod/pods/create", create, methods=["POST"]),
        DockerRoute("/libpod/pods/json", list_pods, methods=["GET"]),
        DockerRoute("/libpod/pods/{name}/json", inspect, methods=["GET"]),
        DockerRoute("/libpod/pods/{name}/exists", exists, methods=["GET"]),
        DockerRoute("/libpod/pods/{name}/start", start, methods=["POST"]),
        DockerRoute("/libpod/pods/{name}/stop", stop, methods=["POST"]),
        DockerRoute("/libpod/pods/{name}/kill", kill, methods=["POST"]),
        DockerRoute("/libpod/pods/{name}", remove, methods=["DELETE"]),
    ]
