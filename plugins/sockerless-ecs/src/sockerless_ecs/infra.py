"""The shared AWS resources tasks need: cluster, subnets and security groups, log group, execution role.

On AWS the subnets and the execution role are configured (the daemon does not invent a
network in somebody's account); the cluster and the log group are created when missing. In
simulator mode everything is found by its tags or created: a VPC with one subnet and a
security group, and an execution role with the AWS managed execution policy.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sockerless_aws import AwsClients, CloudError, tags
from sockerless_aws.iam import ensure_role

from .config import EcsConfig

log = logging.getLogger("sockerless.backend.ecs")

SIM_NAME = "sockerless-ecs"
SIM_VPC_CIDR = "10.213.0.0/16"
SIM_SUBNET_CIDR = "10.213.0.0/20"
EXECUTION_ROLE = "sockerless-ecs-execution"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


@dataclass(frozen=True)
class Infrastructure:
    """Where tasks run."""

    cluster: str
    subnets: list[str]
    security_groups: list[str]
    execution_role_arn: str
    log_group: str


class InfraProvider:
    """Finds or creates the shared resources once per daemon (on first use)."""

    def __init__(self, config: EcsConfig, clients: AwsClients) -> None:
        self.config = config
        self.clients = clients
        self._lock = asyncio.Lock()
        self._ready: Infrastructure | None = None

    async def get(self) -> Infrastructure:
        """The resources, made ready on the first call."""
        async with self._lock:
            if self._ready is None:
                self._ready = await self._prepare()
            return self._ready

    async def _prepare(self) -> Infrastructure:
        config = self.config
        await self._ensure_cluster()
        await self._ensure_log_group()
        subnets, groups = list(config.subnets), list(config.security_groups)
        role = config.execution_role_arn
        if config.simulator:
            if not subnets:
                subnets, default_groups = await self._simulator_network()
                groups = groups or default_groups
            if not role:
                role = await self._simulator_role()
        return Infrastructure(config.cluster, subnets, groups, role, config.log_group)

    async def _ensure_cluster(self) -> None:
        found = await self.clients.call("ecs", "describe_clusters", clusters=[self.config.cluster])
        if any(c.get("status") == "ACTIVE" for c in found.get("clusters", [])):
            return
        log.info("creating ECS cluster %s", self.config.cluster)
        await self.clients.call("ecs", "create_cluster", clusterName=self.config.cluster,
                                tags=tags.to_key_value({tags.MANAGED: "1"}))

    async def _ensure_log_group(self) -> None:
        group = self.config.log_group
        found = await self.clients.call("logs", "describe_log_groups", logGroupNamePrefix=group)
        if any(g.get("logGroupName") == group for g in found.get("logGroups", [])):
            return
        log.info("creating CloudWatch log group %s", group)
        try:
            await self.clients.call("logs", "create_log_group", logGroupName=group, tags={tags.MANAGED: "1"})
        except CloudError as exc:
            if exc.code != "ResourceAlreadyExistsException":
                raise

    async def _simulator_network(self) -> tuple[list[str], list[str]]:
        mine = [{"Name": f"tag:{tags.MANAGED}", "Values": ["1"]}, {"Name": "tag:Name", "Values": [SIM_NAME]}]
        subnets = (await self.clients.call("ec2", "describe_subnets", Filters=mine)).get("Subnets", [])
        if subnets:
            vpc = subnets[0]["VpcId"]
        else:
            vpc = await self._simulator_vpc(mine)
            spec = self._tag_spec("subnet")
            made = await self.clients.call("ec2", "create_subnet", VpcId=vpc, CidrBlock=SIM_SUBNET_CIDR,
                                           AvailabilityZone=f"{self.config.aws.region}a", TagSpecifications=spec)
            subnets = [made["Subnet"]]
        groups = (await self.clients.call("ec2", "describe_security_groups",
                                          Filters=[*mine, {"Name": "vpc-id", "Values": [vpc]}])).get("SecurityGroups", [])
        if groups:
            group_id = groups[0]["GroupId"]
        else:
            made = await self.clients.call("ec2", "create_security_group", GroupName=SIM_NAME, VpcId=vpc,
                                           Description="Sockerless ECS tasks (simulator)",
                                           TagSpecifications=self._tag_spec("security-group"))
            group_id = made["GroupId"]
        return [subnets[0]["SubnetId"]], [group_id]

    async def _simulator_vpc(self, mine: list[dict]) -> str:
        vpcs = (await self.clients.call("ec2", "describe_vpcs", Filters=mine)).get("Vpcs", [])
        if vpcs:
            return vpcs[0]["VpcId"]
        log.info("creating the simulator's VPC for ECS tasks")
        vpc = (await self.clients.call("ec2", "create_vpc", CidrBlock=SIM_VPC_CIDR,
                                       TagSpecifications=self._tag_spec("vpc")))["Vpc"]["VpcId"]
        await self.clients.call("ec2", "modify_vpc_attribute", VpcId=vpc, EnableDnsHostnames={"Value": True})
        return vpc

    def _tag_spec(self, kind: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": tags.to_key_value({tags.MANAGED: "1", "Name": SIM_NAME},
                                                                 key="Key", value="Value")}]

    async def _simulator_role(self) -> str:
        return await ensure_role(self.clients, EXECUTION_ROLE, "ecs-tasks.amazonaws.com", policies=[EXECUTION_POLICY])
