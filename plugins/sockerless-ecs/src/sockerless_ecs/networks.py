"""Docker user networks on AWS: an EC2 security group plus a Cloud Map private DNS namespace.

A network's security group lets its members reach each other (an ingress rule referencing the
group itself, all protocols); a task joining the network gets the group on its ENI. The
network's Cloud Map namespace (``<name>-<id8>.sockerless``, private to the VPC) holds one
service per container name or alias; once a task runs, each of its names gets an instance
with the task's private IP (deregistered when it stops), so peers resolve
``<alias>.<name>-<id8>.sockerless`` in the VPC, and :func:`resolve` finds them through the API;
bare aliases resolve once the agent has put the namespaces in the task's resolver search list
(Fargate has no DNS search setting of its own).

Everything is tagged (``sockerless:managed``, ``sockerless:daemon``, ``sockerless:network``)
and the network's ids live in its record (:class:`NetworkState`), so a restarted daemon finds
them again. Functions take an :class:`sockerless_aws.AwsClients` and return JSON-able data.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sockerless_aws import AwsClients, CloudError, tags

NETWORK_TAG = "sockerless:network"
NAMESPACE_SUFFIX = "sockerless"
DNS_TTL = 10
OPERATION_POLL = 0.5
OPERATION_TIMEOUT = 120.0
GROUP_RELEASE_TIMEOUT = 180.0
_LABEL = re.compile(r"[^a-z0-9-]+")
log = logging.getLogger("sockerless.backend.ecs")


@dataclass
class NetworkState:
    """What a network is on AWS (kept in the network record's ``backend_state``)."""

    security_group: str
    namespace_id: str
    namespace: str
    vpc: str
    services: dict[str, str] = field(default_factory=dict)
    """Cloud Map service id per DNS name registered so far."""

    def to_dict(self) -> dict[str, Any]:
        """For ``backend_state``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkState:
        """From ``backend_state``."""
        return cls(security_group=data["security_group"], namespace_id=data["namespace_id"],
                   namespace=data["namespace"], vpc=data["vpc"], services=dict(data.get("services") or {}))


def dns_label(name: str) -> str:
    """A Docker name or alias as one DNS label (lowercase letters, digits, ``-``, at most 63)."""
    label = _LABEL.sub("-", name.lower()).strip("-")[:63].strip("-")
    if not label:
        raise ValueError(f"ecs backend: {name!r} cannot be a DNS name")
    return label


def namespace_name(network_name: str, network_id: str) -> str:
    """The Cloud Map namespace (DNS domain) of a Docker network: ``<name>-<id8>.sockerless`` (unique per
    network, so two daemons sharing a VPC never collide)."""
    return f"{dns_label(network_name)[:54]}-{network_id[:8]}.{NAMESPACE_SUFFIX}"


def _tags(instance: str, network_id: str, name: str) -> dict[str, str]:
    return tags.owned(instance) | {NETWORK_TAG: network_id, "Name": f"sockerless-{name}"[:255]}


async def vpc_of(clients: AwsClients, subnet: str) -> str:
    """The VPC of a subnet (networks live in the VPC of the backend's subnets)."""
    found = await clients.call("ec2", "describe_subnets", SubnetIds=[subnet])
    return found["Subnets"][0]["VpcId"]


async def create_network(clients: AwsClients, *, network_id: str, name: str, vpc: str,
                         instance: str) -> NetworkState:
    """The security group (members reach each other) and the DNS namespace of a new network."""
    labels = _tags(instance, network_id, name)
    group = await clients.call(
        "ec2", "create_security_group", GroupName=f"sockerless-{network_id[:12]}", VpcId=vpc,
        Description=f"Sockerless network {name}"[:255],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags.to_key_value(labels, "Key", "Value")}])
    group_id = group["GroupId"]
    try:
        await clients.call("ec2", "authorize_security_group_ingress", GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id, "Description": "members of the network"}]}])
        domain = namespace_name(name, network_id)
        operation = await clients.call("servicediscovery", "create_private_dns_namespace", Name=domain, Vpc=vpc,
                                       Description=f"Sockerless network {name}"[:1024],
                                       Tags=tags.to_key_value(labels, "Key", "Value"))
        namespace_id = await _namespace_of(clients, operation["OperationId"])
    except BaseException:
        await _ignore_missing(clients.call("ec2", "delete_security_group", GroupId=group_id))
        raise
    return NetworkState(security_group=group_id, namespace_id=namespace_id, namespace=domain, vpc=vpc)


async def _namespace_of(clients: AwsClients, operation_id: str) -> str:
    """Wait for Cloud Map's asynchronous namespace creation; the namespace id."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + OPERATION_TIMEOUT
    while True:
        found = (await clients.call("servicediscovery", "get_operation", OperationId=operation_id))["Operation"]
        if found["Status"] == "SUCCESS":
            return found["Targets"]["NAMESPACE"]
        if found["Status"] == "FAIL":
            raise CloudError(f"ecs backend: Cloud Map could not create the network's namespace: "
                             f"{found.get('ErrorCode', '')}: {found.get('ErrorMessage', '')}", 502)
        if loop.time() > deadline:
            raise CloudError(f"ecs backend: Cloud Map namespace creation {operation_id} did not finish in "
                             f"{OPERATION_TIMEOUT:.0f}s", 503)
        await asyncio.sleep(OPERATION_POLL)


async def remove_network(clients: AwsClients, state: NetworkState) -> None:
    """Delete the namespace (its instances and services first) and the security group; gone is fine."""
    await _remove_namespace(clients, state.namespace_id)
    await _delete_group(clients, state.security_group)
    state.services.clear()


async def _remove_namespace(clients: AwsClients, namespace_id: str) -> None:
    services = await _ignore_missing(clients.paginate(
        "servicediscovery", "list_services", "Services",
        Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])) or []
    for service in services:
        instances = await _ignore_missing(clients.paginate("servicediscovery", "list_instances", "Instances",
                                                           ServiceId=service["Id"])) or []
        for instance in instances:
            await _ignore_missing(clients.call("servicediscovery", "deregister_instance", ServiceId=service["Id"],
                                               InstanceId=instance["Id"]))
        await _ignore_missing(clients.call("servicediscovery", "delete_service", Id=service["Id"]))
    await _ignore_missing(clients.call("servicediscovery", "delete_namespace", Id=namespace_id))


async def _delete_group(clients: AwsClients, group_id: str, timeout: float = GROUP_RELEASE_TIMEOUT) -> None:
    """Delete a security group, waiting while ENIs of stopped tasks still hold it (EC2's DependencyViolation)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await _ignore_missing(clients.call("ec2", "delete_security_group", GroupId=group_id))
            return
        except CloudError as exc:
            if exc.code != "DependencyViolation" or loop.time() > deadline:
                raise
        await asyncio.sleep(OPERATION_POLL * 4)


async def _ignore_missing(call: Any) -> Any:
    try:
        return await call
    except CloudError as exc:
        if exc.status == 404 or "NotFound" in exc.code:
            return None
        raise


def instance_id(container_id: str) -> str:
    """The Cloud Map instance id of a container (one per service it is registered in)."""
    return container_id[:64]


async def register_names(clients: AwsClients, state: NetworkState, *, container_id: str, names: Iterable[str],
                         ip: str) -> list[str]:
    """Register a running task's names (container name, aliases) with its private IP; the DNS names used.

    Each name's service is created on first use. ``state.services`` gains the new services:
    save the state back into the network record afterwards.
    """
    registered = []
    for name in dict.fromkeys(dns_label(n) for n in names):
        service_id = state.services.get(name) or await _service(clients, state, name)
        await clients.call("servicediscovery", "register_instance", ServiceId=service_id,
                           InstanceId=instance_id(container_id), Attributes={"AWS_INSTANCE_IPV4": ip})
        registered.append(name)
    return registered


async def _service(clients: AwsClients, state: NetworkState, name: str) -> str:
    existing = await clients.paginate("servicediscovery", "list_services", "Services", Filters=[
        {"Name": "NAMESPACE_ID", "Values": [state.namespace_id], "Condition": "EQ"}])
    found = next((s["Id"] for s in existing if s["Name"] == name), None)
    if found is None:
        made = await clients.call("servicediscovery", "create_service", Name=name, NamespaceId=state.namespace_id,
                                  DnsConfig={"RoutingPolicy": "MULTIVALUE",
                                             "DnsRecords": [{"Type": "A", "TTL": DNS_TTL}]})
        found = made["Service"]["Id"]
    state.services[name] = found
    return found


async def deregister_names(clients: AwsClients, state: NetworkState, container_id: str) -> None:
    """Remove the container's instances from every service of the network (at task stop; gone is fine).

    The services are listed from Cloud Map, so names registered by an earlier daemon process (not in
    ``state.services`` of a record saved before) are removed too."""
    listed = await _ignore_missing(clients.paginate(
        "servicediscovery", "list_services", "Services",
        Filters=[{"Name": "NAMESPACE_ID", "Values": [state.namespace_id], "Condition": "EQ"}])) or []
    state.services.update({s["Name"]: s["Id"] for s in listed})
    for service_id in state.services.values():
        await _ignore_missing(clients.call("servicediscovery", "deregister_instance", ServiceId=service_id,
                                           InstanceId=instance_id(container_id)))


async def resolve(clients: AwsClients, state: NetworkState, name: str) -> list[str]:
    """The private IPs registered under ``name`` in the network (DiscoverInstances)."""
    found = await _ignore_missing(clients.call("servicediscovery", "discover_instances",
                                               NamespaceName=state.namespace, ServiceName=dns_label(name)))
    return [i["Attributes"]["AWS_INSTANCE_IPV4"] for i in (found or {}).get("Instances", [])
            if "AWS_INSTANCE_IPV4" in i.get("Attributes", {})]


BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


def user_networks(endpoints: Mapping[str, Any]) -> list[str]:
    """The user networks among a container's endpoints (by network name; the predefined ones have no AWS side)."""
    return [name for name in endpoints if name not in BUILTIN_NETWORKS]


def endpoint_names(container_name: str, endpoint: Any) -> list[str]:
    """The names a container answers to on one network: its name, the endpoint's aliases and DNS names."""
    names = [container_name.lstrip("/"), *(getattr(endpoint, "Aliases", None) or []),
             *(getattr(endpoint, "DNSNames", None) or [])]
    return list(dict.fromkeys(n for n in names if n))


def security_groups(base: Iterable[str], networks: Iterable[NetworkState]) -> list[str]:
    """A task's security groups: the backend's own plus one per user network it joins (at most 5, as ECS allows)."""
    groups = list(dict.fromkeys([*base, *(n.security_group for n in networks)]))
    if len(groups) > 5:
        raise ValueError(f"ecs backend: a task can have at most 5 security groups; this container needs "
                         f"{len(groups)} (too many networks)")
    return groups


def task_ip(task: Mapping[str, Any]) -> str | None:
    """The private IPv4 address of a described task (its ENI attachment), None before it has one."""
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail.get("name") == "privateIPv4Address":
                return detail.get("value")
    return None


async def _tagged_groups(clients: AwsClients, instance: str, network_id: str = "") -> dict[str, dict[str, Any]]:
    """This daemon instance's network security groups (of one network, or all), by network id."""
    wanted = [network_id] if network_id else []
    groups = await clients.paginate("ec2", "describe_security_groups", "SecurityGroups", Filters=[
        {"Name": f"tag:{tags.DAEMON}", "Values": [instance]},
        {"Name": f"tag:{NETWORK_TAG}", "Values": wanted} if wanted else {"Name": "tag-key", "Values": [NETWORK_TAG]}])
    found: dict[str, dict[str, Any]] = {}
    for group in groups:
        found.setdefault(tags.from_key_value(group.get("Tags"), "Key", "Value").get(NETWORK_TAG, ""), group)
    found.pop("", None)
    return found


async def _tagged_namespaces(clients: AwsClients, instance: str) -> dict[str, dict[str, Any]]:
    """This daemon instance's network namespaces, by network id (Cloud Map lists no tags: one call each)."""
    namespaces = await clients.paginate("servicediscovery", "list_namespaces", "Namespaces", Filters=[
        {"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}])
    found: dict[str, dict[str, Any]] = {}
    for namespace in namespaces:
        if not namespace["Name"].endswith(f".{NAMESPACE_SUFFIX}"):
            continue
        labels = tags.from_key_value((await clients.call("servicediscovery", "list_tags_for_resource",
                                                         ResourceARN=namespace["Arn"])).get("Tags"), "Key", "Value")
        if labels.get(tags.DAEMON) == instance and labels.get(NETWORK_TAG):
            found.setdefault(labels[NETWORK_TAG], namespace)
    return found


async def remove_orphans(clients: AwsClients, instance: str, known: Iterable[str]) -> list[str]:
    """Delete the security groups and namespaces tagged for this daemon instance whose network the daemon
    no longer has (a crash between creating them and saving the network, or a lost state); the network ids
    cleaned. A network whose resources cannot be deleted yet is logged and left for the next start."""
    keep = set(known)
    groups = await _tagged_groups(clients, instance)
    namespaces = await _tagged_namespaces(clients, instance)
    cleaned = []
    for network_id in sorted((set(groups) | set(namespaces)) - keep):
        try:
            if network_id in namespaces:
                await _remove_namespace(clients, namespaces[network_id]["Id"])
            if network_id in groups:
                await _delete_group(clients, groups[network_id]["GroupId"])
        except CloudError as exc:
            log.warning("could not remove the resources of orphaned network %s: %s", network_id[:12], exc)
            continue
        cleaned.append(network_id)
    return cleaned


async def find_network(clients: AwsClients, instance: str, network_id: str) -> NetworkState | None:
    """A network's resources found again by their tags (when its record lost them)."""
    group = (await _tagged_groups(clients, instance, network_id)).get(network_id)
    namespace = (await _tagged_namespaces(clients, instance)).get(network_id) if group else None
    if group is None or namespace is None:
        return None
    state = NetworkState(security_group=group["GroupId"], namespace_id=namespace["Id"],
                         namespace=namespace["Name"], vpc=group["VpcId"])
    services = await clients.paginate("servicediscovery", "list_services", "Services", Filters=[
        {"Name": "NAMESPACE_ID", "Values": [namespace["Id"]], "Condition": "EQ"}])
    state.services = {s["Name"]: s["Id"] for s in services}
    return state
