"""Network wire models."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class EndpointIPAMConfig(msgspec.Struct, kw_only=True):
    """Static addresses requested for an endpoint."""

    IPv4Address: str | UnsetType = UNSET
    IPv6Address: str | UnsetType = UNSET
    LinkLocalIPs: list[str] | UnsetType = UNSET


class EndpointSettings(msgspec.Struct, kw_only=True):
    """A container's endpoint on one network (request and inspect shape)."""

    IPAMConfig: EndpointIPAMConfig | None = None
    Links: list[str] | None = None
    MacAddress: str = ""
    Aliases: list[str] | None = None
    DriverOpts: dict[str, str] | None = None
    NetworkID: str = ""
    EndpointID: str = ""
    Gateway: str = ""
    IPAddress: str = ""
    IPPrefixLen: int = 0
    IPv6Gateway: str = ""
    GlobalIPv6Address: str = ""
    GlobalIPv6PrefixLen: int = 0
    DNSNames: list[str] | None = None


class IPAMPool(msgspec.Struct, kw_only=True):
    """One address pool of a network."""

    Subnet: str | UnsetType = UNSET
    IPRange: str | UnsetType = UNSET
    Gateway: str | UnsetType = UNSET
    AuxiliaryAddresses: dict[str, str] | UnsetType = UNSET


class IPAM(msgspec.Struct, kw_only=True):
    """IP address management of a network."""

    Driver: str = "default"
    Config: list[IPAMPool] | None = None
    Options: dict[str, str] | None = None


class ConfigReference(msgspec.Struct, kw_only=True):
    """``ConfigFrom`` of a network."""

    Network: str = ""


class NetworkCreateRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /networks/create``."""

    Name: str = ""
    CheckDuplicate: bool | UnsetType = UNSET
    Driver: str = ""
    Scope: str = ""
    Internal: bool = False
    Attachable: bool = False
    Ingress: bool = False
    ConfigOnly: bool = False
    ConfigFrom: ConfigReference | None = None
    IPAM: IPAM | None = None
    EnableIPv6: bool | None = None
    Options: dict[str, str] | None = None
    Labels: dict[str, str] | None = None


class NetworkConnectRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /networks/{id}/connect``."""

    Container: str = ""
    EndpointConfig: EndpointSettings | None = None


class NetworkDisconnectRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /networks/{id}/disconnect``."""

    Container: str = ""
    Force: bool = False

