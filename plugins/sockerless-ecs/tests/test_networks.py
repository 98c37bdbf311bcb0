"""User networks as a security group plus a Cloud Map namespace, against a started AWS simulator."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from resource_fixtures import clients_for, run, subnet, wait_stopped
from sockerless_aws import CloudError, tags
from sockerless_ecs import networks

INSTANCE = "nettest"


def test_network_lifecycle_names_and_task_security_group(sim) -> None:
    clients = clients_for(sim)
    vpc, subnet_id = subnet(sim, "10.41.1.0/24")
    assert run(networks.vpc_of(clients, subnet_id)) == vpc
    network_id = uuid.uuid4().hex * 2
    state = run(networks.create_network(clients, network_id=network_id, name="App Net", vpc=vpc, instance=INSTANCE))
    assert state.namespace == f"app-net-{network_id[:8]}.sockerless"

    ec2 = sim.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[state.security_group])["SecurityGroups"][0]
    assert group["VpcId"] == vpc
    labels = tags.from_key_value(group["Tags"], "Key", "Value")
    assert labels[networks.NETWORK_TAG] == network_id and labels[tags.DAEMON] == INSTANCE
    assert [p["IpProtocol"] for p in group["IpPermissions"]] == ["-1"]
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == state.security_group

    sd = sim.client("servicediscovery")
    namespace = sd.get_namespace(Id=state.namespace_id)["Namespace"]
    assert namespace["Name"] == state.namespace and namespace["Type"] == "DNS_PRIVATE"

    # a task joining the network gets the group on its ENI; its private IP is what names resolve to
    ecs = sim.client("ecs")
    ecs.create_cluster(clusterName="nets")
    family = f"net-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(family=family, networkMode="awsvpc", containerDefinitions=[
        {"name": "main", "image": "alpine", "command": ["sleep", "30"], "stopTimeout": 2}])
    groups = networks.security_groups([], [state])
    task = ecs.run_task(cluster="nets", taskDefinition=family, networkConfiguration={
        "awsvpcConfiguration": {"subnets": [subnet_id], "securityGroups": groups}})["tasks"][0]
    ip = networks.task_ip(task)
    assert ip and ip.startswith("10.41.1.")
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "addresses.private-ip-address", "Values": [ip]}])
    assert [g["GroupId"] for g in eni["NetworkInterfaces"][0]["Groups"]] == [state.security_group]

    container_id = uuid.uuid4().hex * 2
    used = run(networks.register_names(clients, state, container_id=container_id, names=["web", "Web", "web.alias"],
                                       ip=ip))
    assert used == ["web", "web-alias"]
    other = uuid.uuid4().hex * 2
    run(networks.register_names(clients, state, container_id=other, names=["web"], ip="10.41.1.99"))
    assert sorted(run(networks.resolve(clients, state, "web"))) == sorted([ip, "10.41.1.99"])
    assert run(networks.resolve(clients, state, "web.alias")) == [ip]

    # after a restart the daemon finds the network by its tags
    again = run(networks.find_network(clients, INSTANCE, network_id))
    assert again is not None and again.security_group == state.security_group
    assert again.namespace_id == state.namespace_id and set(again.services) == {"web", "web-alias"}
    assert networks.NetworkState.from_dict(state.to_dict()) == state
    assert run(networks.remove_orphans(clients, INSTANCE, [network_id])) == [], "a known network is kept"
    assert run(networks.find_network(clients, INSTANCE, network_id)) == again

    stale = networks.NetworkState.from_dict(state.to_dict() | {"services": {}})  # a record saved before registering
    run(networks.deregister_names(clients, stale, container_id))
    assert run(networks.resolve(clients, state, "web")) == ["10.41.1.99"]
    assert run(networks.resolve(clients, state, "web.alias")) == []
    ecs.stop_task(cluster="nets", task=task["taskArn"])
    wait_stopped(sim, "nets", task["taskArn"])

    run(networks.remove_network(clients, state))
    with pytest.raises(Exception, match=r"InvalidGroup\.NotFound"):
        ec2.describe_security_groups(GroupIds=[state.security_group])
    with pytest.raises(Exception, match="NamespaceNotFound"):
        sd.get_namespace(Id=state.namespace_id)
    run(networks.remove_network(clients, state))  # again: already gone is fine
    assert run(networks.find_network(clients, INSTANCE, network_id)) is None


def test_orphaned_networks_are_removed_whole_or_in_part(sim) -> None:
    clients = clients_for(sim)
    vpc, _ = subnet(sim, "10.41.2.0/24")
    instance = f"orphans-{uuid.uuid4().hex[:6]}"
    whole, kept, half, foreign = (uuid.uuid4().hex * 2 for _ in range(4))
    orphan = run(networks.create_network(clients, network_id=whole, name="gone", vpc=vpc, instance=instance))
    keeper = run(networks.create_network(clients, network_id=kept, name="kept", vpc=vpc, instance=instance))
    other = run(networks.create_network(clients, network_id=foreign, name="gone", vpc=vpc, instance=instance + "-x"))
    ec2 = sim.client("ec2")
    lone_group = ec2.create_security_group(  # a daemon killed before it made the namespace
        GroupName=f"sockerless-{half[:12]}", VpcId=vpc, Description="half made", TagSpecifications=[{
            "ResourceType": "security-group", "Tags": tags.to_key_value(
                tags.owned(instance) | {networks.NETWORK_TAG: half}, "Key", "Value")}])["GroupId"]

    assert run(networks.remove_orphans(clients, instance, [kept])) == sorted([whole, half])
    for group in (orphan.security_group, lone_group):
        with pytest.raises(Exception, match=r"InvalidGroup\.NotFound"):
            ec2.describe_security_groups(GroupIds=[group])
    sd = sim.client("servicediscovery")
    with pytest.raises(Exception, match="NamespaceNotFound"):
        sd.get_namespace(Id=orphan.namespace_id)
    assert run(networks.find_network(clients, instance, kept)) == keeper
    assert run(networks.find_network(clients, instance + "-x", foreign)) == other, "another daemon's is left alone"
    assert run(networks.remove_orphans(clients, instance, [kept])) == []
    for state in (keeper, other):
        run(networks.remove_network(clients, state))


def test_names_and_group_limits() -> None:
    assert networks.dns_label("My_App.1") == "my-app-1"
    with pytest.raises(ValueError, match="cannot be a DNS name"):
        networks.dns_label("__")
    states = [networks.NetworkState(security_group=f"sg-{i}", namespace_id="ns", namespace="n", vpc="v")
              for i in range(5)]
    assert networks.security_groups(["sg-base"], states[:4]) == ["sg-base", "sg-0", "sg-1", "sg-2", "sg-3"]
    assert networks.security_groups(["sg-0"], states[:1]) == ["sg-0"]
    with pytest.raises(ValueError, match="at most 5 security groups"):
        networks.security_groups(["sg-base"], states)
    assert networks.task_ip({"attachments": []}) is None
    assert networks.user_networks({"bridge": None, "mynet": None, "none": None}) == ["mynet"]
    endpoint = SimpleNamespace(Aliases=["db", "web"], DNSNames=["web", "abc123"])
    assert networks.endpoint_names("/web", endpoint) == ["web", "db", "abc123"]
    assert networks.endpoint_names("web", SimpleNamespace(Aliases=None, DNSNames=None)) == ["web"]



def test_security_group_deletion_waits_while_enis_hold_it() -> None:
    """EC2 refuses to delete a group an ENI of a just-stopped task still uses (moto does not model this)."""

    class Clients:
        calls = 0

        async def call(self, service: str, operation: str, **params):
            Clients.calls += 1
            if Clients.calls < 3:
                raise CloudError("ecs backend: EC2 DeleteSecurityGroup: DependencyViolation: in use", 502,
                                 "DependencyViolation")
            return {}

    run(networks._delete_group(Clients(), "sg-1", timeout=30))
    assert Clients.calls == 3
    Clients.calls = -100
    with pytest.raises(CloudError, match="DependencyViolation"):
        run(networks._delete_group(Clients(), "sg-1", timeout=0))
