"""Docker user networks of the ecs backend: each a security group plus a Cloud Map namespace (:mod:`.networks`).

A task gets the security groups of the user networks its container joins (fixed at RunTask,
as awsvpc allows); once it runs, the container's name and aliases are registered in each
network's namespace with the task's private IP, and deregistered when it stops. Networks made
before a daemon restart are found again by their tags.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sockerless_aws import AwsClients

from . import networks
from .config import EcsConfig
from .infra import InfraProvider


class NetworkMapper:
    """Creates, removes and finds the AWS resources behind user networks."""

    def __init__(self, config: EcsConfig, clients: AwsClients, infra: InfraProvider) -> None:
        self.config = config
        self.clients = clients
        self.infra = infra
        self._states: dict[str, networks.NetworkState] = {}
        self._not_ours: set[str] = set()
        self._lock = asyncio.Lock()

    async def create(self, network: Any) -> None:
        """The security group and the namespace of a new network (kept in its ``backend_state``)."""
        infra = await self.infra.get()
        vpc = await networks.vpc_of(self.clients, infra.subnets[0])
        state = await networks.create_network(self.clients, network_id=network.id, name=network.name, vpc=vpc,
                                              instance=self.config.instance)
        network.backend_state.update(state.to_dict())
        self._states[network.id] = state

    async def remove(self, network: Any) -> None:
        """Delete the network's namespace and security group."""
        state = await self.state(network.id, network.backend_state)
        if state is not None:
            await networks.remove_network(self.clients, state)
        self._states.pop(network.id, None)

    async def state(self, network_id: str, recorded: dict[str, Any] | None = None) -> networks.NetworkState | None:
        """A user network's AWS resources (``None`` for the predefined networks, which have none)."""
        async with self._lock:
            if network_id in self._states:
                return self._states[network_id]
            if network_id in self._not_ours:
                return None
            if recorded and recorded.get("security_group"):
                found: networks.NetworkState | None = networks.NetworkState.from_dict(recorded)
            else:
                found = await networks.find_network(self.clients, self.config.instance, network_id)
            if found is None:
                self._not_ours.add(network_id)
            else:
                self._states[network_id] = found
            return found

    async def joined(self, container: Any) -> list[tuple[Any, networks.NetworkState]]:
        """``(endpoint, state)`` of every user network the container is on."""
        found = []
        for name in networks.user_networks(container.networks):
            endpoint = container.networks[name]
            state = await self.state(endpoint.NetworkID) if endpoint.NetworkID else None
            if state is not None:
                found.append((endpoint, state))
        return found

    async def security_groups(self, container: Any, base: list[str]) -> list[str]:
        """The task's security groups: the backend's and one per user network."""
        joined = await self.joined(container)
        try:
            return networks.security_groups(base, [state for _, state in joined])
        except ValueError as exc:
            from sockerless.api.errors import InvalidParameter

            raise InvalidParameter(str(exc)) from None

    async def register(self, container: Any, task: dict[str, Any]) -> None:
        """Register the running task's names (container name, aliases) in each of its networks."""
        ip = networks.task_ip(task)
        if not ip:
            return
        for endpoint, state in await self.joined(container):
            await networks.register_names(self.clients, state, container_id=container.id,
                                          names=networks.endpoint_names(container.name, endpoint), ip=ip)

    async def deregister(self, container: Any) -> None:
        """Remove the container's names from every network it is on."""
        for _, state in await self.joined(container):
            await networks.deregister_names(self.clients, state, container.id)
