"""The backend's settings: simulator defaults, what AWS requires, and refusals that name the option."""

from __future__ import annotations

import pytest
from sockerless.plugins.backend import BackendConfigError
from sockerless_aws.settings import SettingsError
from sockerless_ecs.config import EcsConfig

AWS = {"region": "eu-west-1", "subnets": "subnet-1,subnet-2", "execution-role-arn": "arn:aws:iam::1:role/x",
       "agent-image": "reg/agent:1"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in ("SOCKERLESS_ENDPOINT_URL", "SOCKERLESS_ECS_SUBNETS", "SOCKERLESS_AWS_SUBNETS",
                "SOCKERLESS_ECS_AGENT_INJECTION", "SOCKERLESS_ECS_CLUSTER", "SOCKERLESS_ECS_HOST_ROOT",
                "SOCKERLESS_AWS_HOST_ROOT"):
        monkeypatch.delenv(key, raising=False)


def test_simulator_mode_defaults(tmp_path):
    config = EcsConfig.load({"endpoint-url": "http://127.0.0.1:4566"}, tmp_path)
    assert config.simulator and config.aws.region == "us-east-1"
    assert (config.cluster, config.log_group, config.agent_injection) == ("sockerless", "/sockerless/ecs", "host")
    assert config.instance == (tmp_path / "instance-id").read_text().strip(), "the instance id is kept"
    assert config.started_by == f"sockerless-{config.instance}"
    assert EcsConfig.load({"endpoint-url": "http://127.0.0.1:4566"}, tmp_path).instance == config.instance


def test_aws_mode_reads_every_option_and_defaults_to_the_sidecar(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCKERLESS_ECS_CLUSTER", "from-env")
    config = EcsConfig.load({**AWS, "security-groups": "sg-1", "assign-public-ip": "enabled"}, tmp_path)
    assert not config.simulator
    assert config.subnets == ["subnet-1", "subnet-2"] and config.security_groups == ["sg-1"]
    assert (config.cluster, config.assign_public_ip, config.agent_injection) == ("from-env", "ENABLED", "sidecar")
    assert (config.start_timeout, config.poll_interval) == (600.0, 3.0)
    assert config.repository_credentials == ""


@pytest.mark.parametrize(("options", "message"), [
    ({"region": "eu-west-1"}, "subnets, execution-role-arn must be set"),
    ({**AWS, "agent-image": ""}, "agent-injection=sidecar needs agent-image"),
    ({**AWS, "agent-injection": "magic"}, "agent-injection must be one of host, sidecar, image"),
    ({**AWS, "agent-injection": "image"}, "agent-injection=image needs agent-path"),
    ({**AWS, "assign-public-ip": "maybe"}, "assign-public-ip must be ENABLED or DISABLED"),
    ({**AWS, "poll-interval": "soon"}, "poll-interval must be a number of seconds"),
    ({**AWS, "start-timeout": "-1"}, "start-timeout must be positive"),
])
def test_bad_settings_are_refused_by_name(tmp_path, options, message):
    with pytest.raises(SettingsError, match=message):
        EcsConfig.load(options, tmp_path)


SIM = {"endpoint-url": "http://127.0.0.1:4566"}


@pytest.mark.parametrize(("euid", "options", "expected"), [
    (0, {}, "image"),
    (1000, {}, "none"),
    (0, {"host-root": "none"}, "none"),
    (0, {"agent-injection": "image", "agent-path": "/agent"}, "none"),
])
def test_host_root_defaults_to_the_image_when_the_daemon_is_root(tmp_path, monkeypatch, euid, options, expected):
    monkeypatch.setattr("os.geteuid", lambda: euid)
    assert EcsConfig.load({**SIM, **options}, tmp_path).host_root == expected


@pytest.mark.parametrize(("euid", "options", "message"), [
    (1000, {"host-root": "image"}, "host-root=image needs the daemon to run as root"),
    (0, {"host-root": "image", "agent-injection": "image", "agent-path": "/a"}, "host-root=image needs agent-injection=host"),
    (0, {"host-root": "overlay"}, "host-root must be image or none"),
])
def test_host_root_refusals(tmp_path, monkeypatch, euid, options, message):
    monkeypatch.setattr("os.geteuid", lambda: euid)
    with pytest.raises(BackendConfigError, match=message):
        EcsConfig.load({**SIM, **options}, tmp_path)
