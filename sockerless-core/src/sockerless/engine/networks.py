"""Networks: the predefined ``bridge``/``host``/``none``, user networks, endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ..api.errors import Conflict, Forbidden, InvalidParameter, NotFound, no_such_network
from ..api.filters import Filters
from ..api.models.networks import IPAM, EndpointSettings, IPAMPool, NetworkCreateRequest
from . import ipam
from .events import EventBus
from .ids import new_id
from .records import ContainerRecord, NetworkRecord
from .store import Store
from .timeutil import now_ns, parse_rfc3339, parse_timestamp, rfc3339_nano

PREDEFINED = {"bridge": "bridge", "host": "host", "none": "null"}
CREATABLE_DRIVERS = {"bridge"}
KNOWN_DRIVERS = {"bridge", "host", "null", "overlay", "macvlan", "ipvlan"}
LIST_FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")
PRUNE_FILTERS = ("label", "label!", "until")


class NetworkService:
    """Networks and the endpoints of containers on them."""

    def __init__(self, store: Store, events: EventBus, containers: Callable[[], list[ContainerRecord]]) -> None:
        self.store = store
        self.events = events
        self._containers = containers

    def ensure_predefined(self) -> None:
        """Create ``bridge``, ``host`` and ``none`` on first start."""
        names = {n.name for n in self.store.networks}
        for name, driver in PREDEFINED.items():
            if name in names:
                continue
            record = NetworkRecord(id=new_id(), name=name, created=rfc3339_nano(now_ns()), driver=driver, builtin=True)
            if name == "bridge":
                record.ipam = IPAM(Config=[IPAMPool(Subnet=ipam.DEFAULT_BRIDGE_SUBNET, Gateway="172.17.0.1")])
                record.options = {"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0"}
            else:
                record.ipam = IPAM(Config=[])
            self.store.networks.put(record)

    # -- lookup --------------------------------------------------------------------------------
    def find(self, ref: str) -> NetworkRecord:
        """By full id, exact name, then unique id prefix (Docker's order)."""
        network = self.lookup(ref)
        if network is None:
            raise no_such_network(ref)
        return network

    def lookup(self, ref: str) -> NetworkRecord | None:
        """Like :meth:`find`, ``None`` when unknown."""
        networks = self.store.networks
        if ref in networks:
            return networks.get(ref)
        for network in networks:
            if network.name == ref:
                return network
        matches = [n for n in networks if n.id.startswith(ref)] if ref else []
        if len(matches) > 1:
            raise NotFound(f"network {ref} is ambiguous ({len(matches)} matches found based on ID prefix)")
        return matches[0] if matches else None

    def attached(self, network: NetworkRecord, *, running_only: bool = False) -> list[ContainerRecord]:
        """Containers with an endpoint on ``network``."""
        return [c for c in self._containers()
                if network.name in c.networks and (not running_only or c.state.Running)]

    # -- create and remove -----------------------------------------------------------------------
    def create(self, request: NetworkCreateRequest) -> NetworkRecord:
        """``POST /networks/create`` (the backend hook runs afterwards, in the caller)."""
        name = request.Name
        if not name:
            raise InvalidParameter("network name is required")
        if name in PREDEFINED:
            raise Forbidden(f"{name} is a pre-defined network and cannot be created")
        if any(n.name == name for n in self.store.networks):
            raise Conflict(f"network with name {name} already exists")
        driver = request.Driver or "bridge"
        if driver not in KNOWN_DRIVERS:
            raise NotFound(f'plugin "{driver}" not found')
        if driver not in CREATABLE_DRIVERS:
            raise InvalidParameter(f"network driver {driver!r} is not supported by sockerless; use bridge")
        if request.EnableIPv6:
            raise InvalidParameter("IPv6 networks are not supported by sockerless yet")
        used = [p.Subnet for n in self.store.networks for p in (n.ipam.Config or []) if isinstance(p.Subnet, str)]
        pools: list[IPAMPool] = []
        requested = request.IPAM.Config if request.IPAM and request.IPAM.Config else []
        for pool in requested:
            if not isinstance(pool.Subnet, str) or not pool.Subnet:
                raise InvalidParameter("IPAM pool needs a Subnet")
            ip_range = pool.IPRange if isinstance(pool.IPRange, str) else None
            gateway = pool.Gateway if isinstance(pool.Gateway, str) else None
            subnet, gw = ipam.check_pool(pool.Subnet, gateway, ip_range, used)
            pools.append(IPAMPool(Subnet=subnet, Gateway=gw, IPRange=ip_range or msgspec.UNSET))
            used.append(subnet)
        user_pool = bool(pools)
        if not pools:
            subnet = ipam.next_subnet(used)
            pools.append(IPAMPool(Subnet=subnet, Gateway=ipam.allocate(subnet, "", [])))
        record = NetworkRecord(
            id=new_id(),
            name=name,
            created=rfc3339_nano(now_ns()),
            driver=driver,
            scope=request.Scope or "local",
            internal=request.Internal,
            attachable=request.Attachable,
            ingress=request.Ingress,
            ipam=IPAM(Driver=(request.IPAM.Driver if request.IPAM else "default") or "default",
                      Config=pools, Options=request.IPAM.Options if request.IPAM else None),
            options=dict(request.Options or {}),
            labels=dict(request.Labels or {}),
            config_only=request.ConfigOnly,
            backend_state={"user_pool": user_pool},
        )
        self.store.networks.put(record)
        self.events.publish("network", "create", record.id, {"name": record.name, "type": record.driver})
        return record

    def check_removable(self, network: NetworkRecord) -> None:
        """Refuse removal of predefined networks and networks with running containers."""
        if network.builtin:
            raise Forbidden(f"{network.name} is a pre-defined network and cannot be removed")
        active = self.attached(network, running_only=True)
        if active:
            raise Forbidden(f"error while removing network: network {network.name} id {network.id} has active endpoints")

    def delete(self, network: NetworkRecord) -> None:
        """Forget a network (after the backend tore it down)."""
        for container in self.attached(network):
            container.networks.pop(network.name, None)
            self.store.containers.put(container)
        self.store.networks.delete(network.id)
        self.events.publish("network", "destroy", network.id, {"name": network.name, "type": network.driver})

    def prunable(self, filters: Filters) -> list[NetworkRecord]:
        """User networks with no containers, matching the prune filters."""
        until = parse_timestamp(next(iter(filters.get("until"))), name="until") if filters.get("until") else None
        result = []
        for network in self.store.networks:
            if network.builtin or self.attached(network, running_only=True):
                continue
            if not filters.match_labels(network.labels):
                continue
            if until is not None and parse_rfc3339(network.created) > until:
                continue
            result.append(network)
        return result

    # -- endpoints ---------------------------------------------------------------------------------
    def make_endpoint(self, network: NetworkRecord, container: ContainerRecord, requested: EndpointSettings | None) -> EndpointSettings:
        """Allocate an address (unless ``host``/``none``) and build the endpoint settings."""
        endpoint = msgspec.structs.replace(requested) if requested is not None else EndpointSettings()
        endpoint.NetworkID = network.id
        endpoint.EndpointID = new_id()
        pools = network.ipam.Config or []
        if network.driver in ("host", "null") or not pools:
            endpoint.EndpointID = "" if network.driver == "null" else endpoint.EndpointID
            return endpoint
        pool = pools[0]
        subnet = str(pool.Subnet)
        gateway = str(pool.Gateway) if isinstance(pool.Gateway, str) else ""
        taken = self._taken(network, container.id)
        static = endpoint.IPAMConfig.IPv4Address if endpoint.IPAMConfig and isinstance(endpoint.IPAMConfig.IPv4Address, str) else ""
        if static:
            if not network.backend_state.get("user_pool") and not network.builtin:
                raise InvalidParameter("user specified IP address is supported only when connecting to networks with user configured subnets")
            if network.builtin:
                raise InvalidParameter("user specified IP address is supported on user defined networks only")
            address = ipam.check_static(static, subnet, gateway, taken)
        else:
            ip_range = pool.IPRange if isinstance(pool.IPRange, str) else None
            address = ipam.allocate(subnet, gateway, taken, ip_range)
        endpoint.IPAddress = address
        endpoint.IPPrefixLen = ipam.prefix_len(subnet)
        endpoint.Gateway = gateway
        if not endpoint.MacAddress:
            endpoint.MacAddress = ipam.mac_for(address)
        if not network.builtin:
            names = [container.name, container.short_id, *(endpoint.Aliases or [])]
            if container.config.Hostname and container.config.Hostname not in names:
                names.append(container.config.Hostname)
            endpoint.DNSNames = list(dict.fromkeys(names))
        return endpoint

    def _taken(self, network: NetworkRecord, except_id: str) -> list[str]:
        return [c.networks[network.name].IPAddress for c in self.attached(network)
                if c.id != except_id and c.networks[network.name].IPAddress]

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, network: NetworkRecord, *, with_containers: bool = True) -> dict[str, Any]:
        """The JSON Docker returns for a network."""
        containers: dict[str, Any] = {}
        if with_containers:
            for container in self.attached(network, running_only=True):
                ep = container.networks[network.name]
                containers[container.id] = {
                    "Name": container.name,
                    "EndpointID": ep.EndpointID,
                    "MacAddress": ep.MacAddress,
                    "IPv4Address": f"{ep.IPAddress}/{ep.IPPrefixLen}" if ep.IPAddress else "",
                    "IPv6Address": "",
                }
        return {
            "Name": network.name,
            "Id": network.id,
            "Created": network.created,
            "Scope": network.scope,
            "Driver": network.driver,
            "EnableIPv6": network.enable_ipv6,
            "IPAM": msgspec.to_builtins(network.ipam),
            "Internal": network.internal,
            "Attachable": network.attachable,
            "Ingress": network.ingress,
            "ConfigFrom": {"Network": network.config_from},
            "ConfigOnly": network.config_only,
            "Containers": containers,
            "Options": network.options,
            "Labels": network.labels,
        }

    def matches(self, network: NetworkRecord, filters: Filters) -> bool:
        """``GET /networks`` filters."""
        if filters.get("name") and not any(v in network.name for v in filters.get("name")):
            return False
        if filters.get("id") and not any(network.id.startswith(v) for v in filters.get("id")):
            return False
        if not filters.match_any("driver", [network.driver]) or not filters.match_any("scope", [network.scope]):
            return False
        if not filters.match_labels(network.labels):
            return False
        types = filters.get("type")
        if types:
            unknown = types - {"custom", "builtin"}
            if unknown:
                raise InvalidParameter(f"invalid filter: 'type'='{next(iter(unknown))}'")
            if ("builtin" if network.builtin else "custom") not in types:
                return False
        dangling = filters.bool_value("dangling")
        if dangling is not None:
            unused = not network.builtin and not self.attached(network, running_only=True)
            if unused != dangling:
                return False
        return True

