"""awsvpc networking for tasks: a real ENI in the simulated EC2 (moto's backend) per task."""

from __future__ import annotations

from typing import Any

from ..arns import account_id, new_uuid
from ..protocol.errors import AWSError


def _ec2(region: str) -> Any:
    from moto.ec2 import ec2_backends

    return ec2_backends[account_id()][region]


def attach_eni(region: str, awsvpc: dict[str, Any], description: str) -> dict[str, Any]:
    """Create an ENI in the first subnet; the task attachment in ECS's shape (status ATTACHED)."""
    subnets = awsvpc.get("subnets") or []
    if not subnets:
        raise AWSError("InvalidParameterException", "subnets can not be empty.")
    backend = _ec2(region)
    try:
        subnet = backend.get_subnet(subnets[0])
    except Exception:
        raise AWSError("InvalidParameterException",
                       f"Error retrieving subnet information for [{subnets[0]}]: The subnet ID '{subnets[0]}' "
                       "does not exist") from None
    groups = awsvpc.get("securityGroups") or []
    try:
        eni = backend.create_network_interface(subnet, None, group_ids=groups or None, description=description)
    except Exception as exc:
        raise AWSError("InvalidParameterException", f"Error creating the task's network interface: {exc}") from None
    details = [{"name": "subnetId", "value": subnet.id}, {"name": "networkInterfaceId", "value": eni.id},
               {"name": "macAddress", "value": eni.mac_address},
               {"name": "privateDnsName", "value": f"ip-{eni.private_ip_address.replace('.', '-')}.ec2.internal"},
               {"name": "privateIPv4Address", "value": eni.private_ip_address}]
    return {"id": new_uuid(), "type": "ElasticNetworkInterface", "status": "ATTACHED", "details": details}


def detach_eni(region: str, attachment: dict[str, Any]) -> None:
    """Delete the attachment's ENI (already gone is fine)."""
    eni_id = detail(attachment, "networkInterfaceId")
    if eni_id:
        try:
            _ec2(region).delete_network_interface(eni_id)
        except Exception:
            pass


def detail(attachment: dict[str, Any], name: str) -> str | None:
    """One ``details`` value of an attachment."""
    for item in attachment.get("details", []):
        if item["name"] == name:
            return item["value"]
    return None


def subnet_zone(region: str, attachment: dict[str, Any]) -> str | None:
    """The availability zone of the attachment's subnet (None when it is gone)."""
    subnet_id = detail(attachment, "subnetId")
    if not subnet_id:
        return None
    try:
        return _ec2(region).get_subnet(subnet_id).availability_zone
    except Exception:
        return None
