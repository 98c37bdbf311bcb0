"""Schemathesis hooks for the API fuzz run (loaded through ``SCHEMATHESIS_HOOKS=fuzz_hooks``).

* ``docker_no_server_error``: no 5xx answer, except a refusal (501 with a Docker-style
  ``{"message": ...}`` naming what is not supported), which the project's rules require for
  what a backend cannot do, and a 503 naming an unreachable registry (the run is offline).
* The spec is patched where the real dockerd (Go, nil slices and maps marshal as ``null``) sends
  ``null`` in a field the spec types as an array or object: Sockerless matches the engine's wire
  behaviour there, and the fuzz run accepts exactly those fields, nothing else.
"""

from __future__ import annotations

import json

import schemathesis

# definition -> properties where dockerd sends null (seen on dockerd 20.10 and in moby's types)
DOCKERD_NULLS = {
    "Volume": ["Labels", "Options"],
    "IPAM": ["Options"],
    "ImageSummary": ["Labels", "RepoDigests", "RepoTags"],
    "EndpointSettings": ["Aliases", "Links", "DNSNames", "DriverOpts", "IPAMConfig"],
    "PluginsInfo": ["Authorization"],
    "SystemInfo": ["GenericResources", "Warnings"],
    "VolumeListResponse": ["Warnings"],
    "ContainerConfig": ["Entrypoint", "Cmd", "Volumes", "OnBuild", "Env", "Shell"],
    "GraphDriverData": ["Data"],  # with the vfs driver
    "HostConfig": ["Binds", "CapAdd", "CapDrop", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "Links",
                   "SecurityOpt", "VolumesFrom", "PortBindings"],
    "Resources": ["BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                  "BlkioDeviceWriteIOps", "Devices", "DeviceCgroupRules", "DeviceRequests", "MemorySwappiness",
                  "PidsLimit", "Ulimits", "OomKillDisable"],
}
# inline response schemas (operationId -> properties) where dockerd sends null
DOCKERD_NULL_RESPONSES = {
    "ContainerPrune": ["ContainersDeleted"],
    "ImagePrune": ["ImagesDeleted"],
    "NetworkPrune": ["NetworksDeleted"],
    "VolumePrune": ["VolumesDeleted"],
}
# operations whose whole 200 body is null when empty (a nil slice)
DOCKERD_NULL_BODIES = {"ContainerChanges"}


@schemathesis.hook
def before_load_schema(context, raw_schema: dict) -> None:
    definitions = raw_schema.get("definitions", {})
    for name, props in DOCKERD_NULLS.items():
        for prop in props:
            _property(definitions[name], prop)["x-nullable"] = True
    for methods in raw_schema.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            _bound_waits(operation)
            if operation.get("operationId") in DOCKERD_NULL_BODIES:
                operation["responses"]["200"]["schema"]["x-nullable"] = True
            if operation.get("operationId") not in DOCKERD_NULL_RESPONSES:
                continue
            schema = operation["responses"]["200"]["schema"]
            for prop in DOCKERD_NULL_RESPONSES[operation["operationId"]]:
                schema["properties"][prop]["x-nullable"] = True


# query parameters that make the daemon wait that many seconds (-1: forever) on a container that ignores
# SIGTERM: the fuzz run bounds them so no generated case outlasts the per-request timeout
WAIT_PARAMETERS = {"ContainerStop": "t", "ContainerRestart": "t"}
MAX_WAIT_SECONDS = 3


def _bound_waits(operation: dict) -> None:
    name = WAIT_PARAMETERS.get(operation.get("operationId", ""))
    for parameter in operation.get("parameters", []):
        if name and parameter.get("in") == "query" and parameter.get("name") == name:
            parameter["minimum"], parameter["maximum"] = 0, MAX_WAIT_SECONDS


def _property(definition: dict, name: str) -> dict:
    """A property of a definition, looking into ``allOf`` parts (HostConfig extends Resources)."""
    for part in [definition, *definition.get("allOf", [])]:
        if name in part.get("properties", {}):
            return part["properties"][name]
    raise KeyError(f"no property {name}")


@schemathesis.check
def docker_no_server_error(ctx, response, case) -> None:
    """5xx only as an explicit refusal: 501 with a message saying what is not supported."""
    if response.status_code < 500:
        return
    message = ""
    try:
        message = json.loads(response.content or b"{}").get("message", "")
    except (ValueError, AttributeError):
        pass
    if response.status_code == 501 and "not support" in message:
        return
    if response.status_code == 503 and "registry" in message:
        return  # the run is offline: operations that need Docker Hub say so
    raise AssertionError(f"server error {response.status_code}: {response.content[:300]!r}")
