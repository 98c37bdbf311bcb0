import pytest
from sockerless.api.errors import Forbidden, InvalidParameter
from sockerless.engine import ipam


def test_next_subnet_skips_used():
    assert ipam.next_subnet(["172.17.0.0/16"]) == "172.18.0.0/16"
    assert ipam.next_subnet(["172.17.0.0/16", "172.18.0.0/16"]) == "172.19.0.0/16"


def test_allocate_lowest_free():
    assert ipam.allocate("10.0.0.0/24", "10.0.0.1", []) == "10.0.0.2"
    assert ipam.allocate("10.0.0.0/24", "10.0.0.1", ["10.0.0.2", "10.0.0.3"]) == "10.0.0.4"
    assert ipam.allocate("10.0.0.0/24", "10.0.0.1", [], "10.0.0.128/25") == "10.0.0.129"
    with pytest.raises(Forbidden):
        ipam.allocate("10.0.0.0/30", "10.0.0.1", ["10.0.0.2"])


def test_pools_and_static_addresses():
    assert ipam.check_pool("10.1.0.0/16", None, None, []) == ("10.1.0.0/16", "10.1.0.1")
    with pytest.raises(Forbidden):
        ipam.check_pool("172.17.5.0/24", None, None, ["172.17.0.0/16"])
    with pytest.raises(InvalidParameter):
        ipam.check_pool("10.1.0.0/16", "10.2.0.1", None, [])
    assert ipam.check_static("10.1.0.9", "10.1.0.0/16", "10.1.0.1", []) == "10.1.0.9"
    with pytest.raises(Forbidden):
        ipam.check_static("10.1.0.9", "10.1.0.0/16", "10.1.0.1", ["10.1.0.9"])
    with pytest.raises(InvalidParameter):
        ipam.check_static("10.9.0.9", "10.1.0.0/16", "10.1.0.1", [])
    assert ipam.mac_for("172.17.0.2") == "02:42:ac:11:00:02"
