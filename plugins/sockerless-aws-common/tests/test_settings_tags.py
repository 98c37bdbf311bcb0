"""Unit tests: the option lookup order, the simulator switch, AWS error statuses, tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from sockerless_aws import AwsSettings, tags
from sockerless_aws.clients import status_for
from sockerless_aws.settings import SettingsError


def test_option_lookup_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCKERLESS_AWS_CLUSTER", "from-aws-env")
    settings = AwsSettings.from_options("ecs", {"endpoint-url": "http://127.0.0.1:1"})
    assert settings.get("cluster", "default") == "from-aws-env"
    monkeypatch.setenv("SOCKERLESS_ECS_CLUSTER", "from-ecs-env")
    assert settings.get("cluster", "default") == "from-ecs-env"
    settings = AwsSettings.from_options("ecs", {"endpoint-url": "http://127.0.0.1:1", "cluster": "from-option"})
    assert settings.get("cluster", "default") == "from-option"
    assert settings.get("log-group", "/fallback") == "/fallback"


def test_simulator_mode_defaults_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "SOCKERLESS_ECS_REGION", "SOCKERLESS_AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    settings = AwsSettings.from_options("ecs", {"endpoint-url": "http://127.0.0.1:4566/"})
    assert settings.simulator and settings.region == "us-east-1"
    assert settings.endpoint_url == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert AwsSettings.from_options("ecs", {}).region == "eu-west-3"
    assert not AwsSettings.from_options("ecs", {}).simulator


def test_bad_settings_are_refused_with_their_name() -> None:
    with pytest.raises(SettingsError, match="endpoint-url"):
        AwsSettings.from_options("lambda", {"endpoint-url": "127.0.0.1:4566"})
    settings = AwsSettings.from_options("lambda", {"endpoint-url": "http://x", "memory": "lots"})
    with pytest.raises(SettingsError, match="option memory must be an integer"):
        settings.get_int("memory", 512)


def test_instance_id_is_kept(tmp_path: Path) -> None:
    settings = AwsSettings.from_options("ecs", {"endpoint-url": "http://x"})
    first = settings.instance_id(tmp_path)
    assert len(first) == 16 and settings.instance_id(tmp_path) == first
    assert AwsSettings.from_options("ecs", {"endpoint-url": "http://x", "instance": "ci-7"}).instance_id(tmp_path) == "ci-7"


@pytest.mark.parametrize(("code", "http", "status"), [
    ("ResourceNotFoundException", 404, 404), ("ClusterNotFoundException", 400, 404), ("NoSuchEntity", 404, 404),
    ("ResourceConflictException", 409, 409), ("AccessDeniedException", 400, 403), ("ThrottlingException", 400, 503),
    ("InvalidParameterException", 400, 400), ("ClientException", 400, 400), ("ServerException", 500, 503),
    ("SomethingElse", 500, 502),
])
def test_aws_error_codes_become_docker_statuses(code: str, http: int, status: int) -> None:
    assert status_for(code, http) == status


def test_labels_become_tags_within_aws_rules() -> None:
    labels = {"com.example/team": "ci", "aws:reserved": "x", "weird#key!": "v" * 300, "k" * 200: "long"}
    result = tags.from_labels(labels)
    assert result["docker-label:com.example/team"] == "ci"
    assert not any("aws:" in key for key in result)
    assert result["docker-label:weird_key_"] == "v" * 256
    assert all(len(key) <= 128 for key in result)
    assert len(tags.from_labels({f"l{i}": "v" for i in range(80)})) == tags.MAX_TAGS - 3


def test_key_value_round_trip() -> None:
    base = tags.base("c" * 64, "inst")
    assert tags.from_key_value(tags.to_key_value(base)) == base
    assert tags.from_key_value(tags.to_key_value(base, "Key", "Value"), "Key", "Value") == base
    assert tags.matches(base, tags.owned("inst")) and not tags.matches(base, tags.owned("other"))
