"""Unit tests: settings, what a container becomes as a function, how Lambda's answers are read."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from sockerless.agent import hostroot
from sockerless.api.errors import InvalidParameter, NotImplementedByBackend
from sockerless.plugins.backend import BackendConfigError, BackendContext
from sockerless_aws.settings import SettingsError
from sockerless_lambda.backend import LambdaBackend
from sockerless_lambda.cloudlogs import RunEnd
from sockerless_lambda.functions import (
    check_supported,
    create_request,
    environment,
    function_name,
    is_platform_line,
    memory_size,
)
from sockerless_lambda.invocations import InvokeOutcome
from sockerless_lambda.settings import LambdaSettings

SIM = {"endpoint-url": "http://127.0.0.1:4566"}
CID = "0123456789abcdef" * 4


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in ("SOCKERLESS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "SOCKERLESS_LAMBDA_HOST_ROOT",
                "SOCKERLESS_AWS_HOST_ROOT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")


def container(**config):
    host = SimpleNamespace(PortBindings=config.pop("ports", None), PublishAllPorts=False, Memory=config.pop("memory", 0),
                           Tmpfs=None)
    cfg = SimpleNamespace(User=config.pop("user", ""), Env=config.pop("env", ["PATH=/bin", "A=1", "A=2"]),
                          WorkingDir=config.pop("workdir", ""), Image="alpine", Labels={}, Hostname="")
    return SimpleNamespace(id=CID, host_config=host, config=cfg, path=config.pop("path", "sh"),
                           args=config.pop("args", ["-c", "exit 4"]))


def test_simulator_mode_defaults():
    s = LambdaSettings.from_options(SIM)
    assert (s.simulator, s.injection, s.timeout, s.memory, s.prefix) == (True, "host", 900, 512, "sockerless-")
    assert s.aws.region == "us-east-1"
    assert s.host_agent[1:] == ("-m", "sockerless_agent")


def test_real_aws_defaults_to_an_image_holding_the_agent(monkeypatch):
    s = LambdaSettings.from_options({"region": "eu-west-1", "agent-path": "/opt/sockerless-agent"})
    assert (s.simulator, s.injection, s.agent_path) == (False, "image", "/opt/sockerless-agent")
    monkeypatch.setenv("SOCKERLESS_LAMBDA_TIMEOUT", "60")
    assert LambdaSettings.from_options({"region": "eu-west-1"}).timeout == 60


@pytest.mark.parametrize(("options", "message"), [
    ({"region": "eu-west-1", "agent-injection": "host"}, "only a local simulator"),
    ({**SIM, "agent-injection": "sidecar"}, "agent-injection must be one of host, image"),
    ({**SIM, "timeout": "901"}, "timeout must be 1..900"),
    ({**SIM, "timeout": "soon"}, "timeout must be an integer"),
    ({**SIM, "memory": "64"}, "memory must be 128..10240"),
    ({**SIM, "function-prefix": "bad prefix"}, "function-prefix"),
    ({**SIM, "agent-path": "relative/agent"}, "agent-path must be an absolute path"),
])
def test_bad_settings_are_named(options, message):
    with pytest.raises(SettingsError, match=message):
        LambdaSettings.from_options(options)


def test_function_names_fit_lambda():
    name = function_name("sockerless-", CID)
    assert name == "sockerless-" + CID[:32] and len(function_name("x" * 24, CID)) <= 64


def test_memory_sizes():
    assert memory_size(0, 512) == 512
    assert memory_size(1 << 30, 512) == 1024
    assert memory_size((200 << 20) + 1, 512) == 201  # rounded up to whole MiB
    for bad in (64 << 20, 20 << 30):
        with pytest.raises(InvalidParameter, match="128 MiB to 10240 MiB"):
            memory_size(bad, 512)


def test_refusals():
    check_supported(container())
    check_supported(container(user="root"))
    with pytest.raises(NotImplementedByBackend, match="published ports"):
        check_supported(container(ports={"80/tcp": [{"HostPort": "8080"}]}))
    with pytest.raises(NotImplementedByBackend, match="as user 'app'"):
        check_supported(container(user="app"))
    check_supported(container(user="app"), image_user="app")  # the image's own USER: Lambda's sandbox user runs it
    tmpfs = container()
    tmpfs.host_config.Tmpfs = {"/run": ""}
    with pytest.raises(NotImplementedByBackend, match="tmpfs"):
        check_supported(tmpfs)
    with pytest.raises(InvalidParameter, match="no command"):
        check_supported(container(path="", args=[]))


def test_host_root_defaults_to_the_image_as_root_and_to_none_otherwise(monkeypatch):
    assert LambdaSettings.from_options(SIM).host_root == "image"  # the suites run as root (CI does)
    assert LambdaSettings.from_options({**SIM, "host-root": "none"}).host_root == "none"
    monkeypatch.setenv("SOCKERLESS_LAMBDA_HOST_ROOT", "none")
    assert LambdaSettings.from_options(SIM).host_root == "none"
    monkeypatch.delenv("SOCKERLESS_LAMBDA_HOST_ROOT")
    image = LambdaSettings.from_options({"region": "eu-west-1", "agent-path": "/a", "host-root": "image"})
    assert image.host_root == ""  # image injection: the function's own filesystem, the option does not apply
    with pytest.raises(BackendConfigError, match="host-root must be image or none"):
        LambdaSettings.from_options({**SIM, "host-root": "chroot"})
    monkeypatch.setattr(hostroot.os, "geteuid", lambda: 1000)
    assert LambdaSettings.from_options(SIM).host_root == "none"
    with pytest.raises(BackendConfigError, match="host-root=image needs the daemon to run as root"):
        LambdaSettings.from_options({**SIM, "host-root": "image"})


def test_any_user_with_a_container_root():
    check_supported(container(user="65534:65534"), any_user=True)
    check_supported(container(user="nobody"), image_user="app", any_user=True)


def test_create_request_in_host_injection_with_the_image_as_root():
    s = LambdaSettings.from_options(SIM)
    request = create_request(s, container(workdir="/app", user="nobody", memory=256 << 20),
                             role="arn:aws:iam::1:role/r", connect_url="ws://127.0.0.1:9/v1/agent/connect",
                             root="/data/roots/x", tags={"sockerless:managed": "1"})
    image_config = request["ImageConfig"]
    assert image_config["EntryPoint"][:3] == [*s.host_agent[:1], "-m", "sockerless_agent"]
    entry = image_config["EntryPoint"]
    assert entry[-1] == "--" and "--lambda" in entry
    assert entry[entry.index("--connect") + 1] == "ws://127.0.0.1:9/v1/agent/connect"
    assert entry[entry.index("--container") + 1] == CID
    assert [entry[entry.index(flag) + 1] for flag in ("--root", "--workdir", "--user")] == \
        ["/data/roots/x", "/app", "nobody"]
    assert "--archive-root" not in entry  # the root is what docker cp sees
    assert entry[entry.index("--connect-timeout") + 1] == "35"  # the simulator's 30 s, plus the margin
    assert image_config["Command"] == ["sh", "-c", "exit 4"]
    assert "WorkingDirectory" not in image_config  # inside the root: the process executor must not look on the host
    assert request["Environment"] == {"Variables": {"PATH": "/bin", "A": "2"}}
    assert (request["MemorySize"], request["Timeout"], request["PackageType"]) == (256, 900, "Image")
    assert "token" not in json.dumps(request).lower()
    plain = create_request(s, container(), role="r", connect_url="ws://x", root="/data/roots/x", tags={})
    entry = plain["ImageConfig"]["EntryPoint"]
    assert entry[entry.index("--workdir") + 1] == "/" and "--user" not in entry


def test_create_request_in_host_injection_on_the_host_filesystem():
    s = LambdaSettings.from_options({**SIM, "host-root": "none"})
    request = create_request(s, container(workdir="/app"), role="r", connect_url="ws://x", root="/data/roots/x",
                             tags={})
    entry = request["ImageConfig"]["EntryPoint"]
    assert entry[entry.index("--archive-root") + 1] == "/data/roots/x"
    assert "--root" not in entry and "--user" not in entry
    assert request["ImageConfig"]["WorkingDirectory"] == "/data/roots/x/app"
    with pytest.raises(NotImplementedByBackend, match="as user 'nobody'"):
        check_supported(container(user="nobody"), any_user=s.host_root == "image")


def test_create_request_with_the_agent_in_the_image():
    s = LambdaSettings.from_options({**SIM, "agent-injection": "image", "agent-path": "/opt/agent",
                                     "agent-ca-file": "/opt/ca.pem",
                                     "subnets": "subnet-1,subnet-2", "security-groups": "sg-1"})
    request = create_request(s, container(), role="r", connect_url="wss://d/v1/agent/connect", root="", tags={})
    assert request["ImageConfig"]["EntryPoint"][0] == "/opt/agent"
    assert "--archive-root" not in request["ImageConfig"]["EntryPoint"]
    entry = request["ImageConfig"]["EntryPoint"]
    assert entry[entry.index("--ca-file") + 1] == "/opt/ca.pem"
    assert "WorkingDirectory" not in request["ImageConfig"]
    assert request["VpcConfig"] == {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
    without = LambdaSettings.from_options({**SIM, "agent-injection": "image"})
    with pytest.raises(NotImplementedByBackend, match="agent-path"):
        create_request(without, container(), role="r", connect_url="ws://x", root="", tags={})


def test_environment_keeps_the_last_entry():
    assert environment(container(env=["A=1", "B", "A=3", "=x", "C=a=b"])) == {"A": "3", "C": "a=b"}


def test_platform_lines():
    for line in ("START RequestId: 1 Version: $LATEST", "END RequestId: 1", "REPORT RequestId: 1\tDuration: 2 ms",
                 "INIT_START Runtime Version: x", "sockerless-agent: 2026-12-03 WARNING cannot reach the daemon"):
        assert is_platform_line(line)
    for line in ("STARTED the server", "report RequestId: lower case is the workload's", "", "END"):
        assert not is_platform_line(line)


@pytest.mark.parametrize(("outcome", "code", "failure"), [
    (InvokeOutcome(payload=b'{"exitCode": 4}'), 4, None),
    (InvokeOutcome(payload=b'{"exitCode": true}'), 255, None),
    (InvokeOutcome(payload=b'{"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}',
                   function_error="Unhandled"), 137, None),
    (InvokeOutcome(payload=b'{"errorType": "Runtime.ExitError", "errorMessage": "RequestId: x Error: Runtime exited '
                           b'with error: exit status 9"}', function_error="Unhandled"), 9, None),
    (InvokeOutcome(payload=b'{"errorType": "Sockerless.StartError", "errorMessage": "exec: \\"x\\": not found", '
                           b'"exitCode": 127}', function_error="Unhandled"), 127, ('exec: "x": not found', 127)),
    (InvokeOutcome(payload=b"not json"), 255, None),
    (InvokeOutcome(call_error="lambda backend: Lambda Invoke: ResourceNotFoundException: gone"), 255, None),
])
def test_invoke_outcomes(outcome, code, failure):
    assert outcome.exit_code == code
    assert outcome.start_failure == failure
    assert bool(outcome.error) == bool(outcome.function_error or outcome.call_error)
    assert outcome.answered_by_agent == (code == 4)


def test_following_stops_at_the_report_of_the_last_run():
    state = SimpleNamespace(Running=True)
    end = RunEnd(SimpleNamespace(state=state, backend_state={}), expected=2)
    assert end.skip("REPORT RequestId: 1\tDuration: 1 ms") and not end.skip("workload output")
    assert not end.finished()  # still running
    state.Running = False
    assert not end.finished()  # exited, but the second run's REPORT is not read yet
    end.skip("REPORT RequestId: 2\tDuration: 1 ms")
    assert end.finished()


def backend(tmp_path, options, layers=None):
    """The backend over a plain context (no daemon): enough for its host-root preparation."""
    context = BackendContext(data_dir=tmp_path / "backend", loop=None, options={**SIM, **options},
                             layer_path=(lambda layer: layers[layer]) if layers is not None else None)
    context.data_dir.mkdir()
    return LambdaBackend(context)


def test_a_root_is_made_from_the_images_layers(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (upper / "srv").mkdir(parents=True)
    (upper / "etc").mkdir()
    (upper / "etc" / "passwd").write_text("app:x:10:10::/srv:/bin/sh\n")
    b = backend(tmp_path, {}, {"sha256:l": lower, "sha256:u": upper})
    c = container(workdir="/srv")
    c.config.Hostname = "web-1"
    root = asyncio.run(b._make_root(c, SimpleNamespace(Layers=["sha256:l", "sha256:u"])))
    assert root == tmp_path / "backend" / "roots" / CID
    assert (root / "etc" / "passwd").read_text() == "app:x:10:10::/srv:/bin/sh\n"  # the upper layer wins
    assert (root / "etc" / "hostname").read_text() == "web-1\n" and (root / "tmp").is_dir()
    assert b.roots.roots.owned() == [CID]


def test_an_image_that_cannot_make_a_safe_root_is_refused_and_leaves_nothing(tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "etc").symlink_to("/etc")
    b = backend(tmp_path, {}, {"sha256:l": layer})
    with pytest.raises(InvalidParameter, match=r"lambda backend: image alpine: the image's /etc is not a directory"):
        asyncio.run(b._make_root(container(), SimpleNamespace(Layers=["sha256:l"])))
    assert b.roots.roots.owned() == []


def test_without_a_container_root_the_directory_is_on_the_host(tmp_path):
    b = backend(tmp_path, {"host-root": "none"})
    root = asyncio.run(b._make_root(container(workdir="/app"), SimpleNamespace(Layers=["sha256:l"])))
    assert (root / "app").is_dir() and not (root / "etc").exists()
