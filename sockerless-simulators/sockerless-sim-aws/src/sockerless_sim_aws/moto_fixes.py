"""Corrections to moto where it answers differently from AWS in ways the backends meet (moto is pinned).

* Cloud Map: moto refuses a second private DNS namespace in a VPC (``ConflictingDomainExists``);
  AWS allows any number, refusing only a namespace whose name the VPC already has. Each Docker
  network of the ecs backend is a namespace in the backend's VPC, so without this a second
  network could not be created.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_applied = False


def apply() -> None:
    """Install the corrections (once per process)."""
    global _applied
    with _lock:
        if not _applied:
            _namespaces_share_a_vpc()
            _applied = True


def _namespaces_share_a_vpc() -> None:
    from moto.servicediscovery.exceptions import ConflictingDomainExists
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    create = ServiceDiscoveryBackend.create_private_dns_namespace

    def create_private_dns_namespace(self: Any, name: str, creator_request_id: str, description: str, vpc: str,
                                     tags: list[dict[str, str]], properties: dict[str, Any]) -> str:
        with _lock:  # the check and the creation as one step
            if any(ns.vpc == vpc and ns.name.rstrip(".").lower() == name.rstrip(".").lower()
                   for ns in self.namespaces.values()):
                raise ConflictingDomainExists(vpc)
            # moto's own check compares VPCs only: let it see a VPC no namespace has, then record the real one
            operation_id = create(self, name, creator_request_id, description, f"{vpc}#creating", tags, properties)
            self.namespaces[self.operations[operation_id].targets["NAMESPACE"]].vpc = vpc
            return operation_id

    ServiceDiscoveryBackend.create_private_dns_namespace = create_private_dns_namespace
