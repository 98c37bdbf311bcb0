"""Pull and push against real registries (distribution 2.8), judged by the registry, dockerd and clients."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import uuid

import docker as docker_py
import pytest
from daemon import Daemon
from imagekit import (
    PASSWORD,
    USER,
    PrivateRegistry,
    TokenAuthProxy,
    layer_tar,
    oci_image,
    registry_digest,
    skopeo_push,
    write_layout,
)


@pytest.fixture(scope="module")
def registry(services) -> str:
    return services["registry"]


@pytest.fixture(scope="module")
def multi(registry, tmp_path_factory) -> str:
    """``images-test/multi-<id>:1`` on the shared registry: an OCI index for linux/amd64 and linux/arm64."""
    base = layer_tar({}, busybox=True)
    amd64 = oci_image([base, layer_tar({"etc/which": b"amd64\n"})], arch="amd64", cmd=["cat", "/etc/which"])
    arm64 = oci_image([base, layer_tar({"etc/which": b"arm64\n"})], arch="arm64", cmd=["cat", "/etc/which"])
    layout = tmp_path_factory.mktemp("layout")
    write_layout(layout, [(amd64, {"os": "linux", "architecture": "amd64"}),
                          (arm64, {"os": "linux", "architecture": "arm64", "variant": "v8"})], "1", as_index=True)
    repository = f"images-test/multi-{uuid.uuid4().hex[:8]}"
    skopeo_push(layout, "1", f"{registry}/{repository}:1")
    return repository


def _inspect(docker, ref: str) -> dict:
    return json.loads(docker("image", "inspect", ref, check=True).stdout)[0]


def test_pull_by_tag_records_the_registry_digest_and_runs(docker, registry):
    result = docker("pull", f"{registry}/library/busybox:latest", check=True)
    out = result.stdout.decode()
    expected = registry_digest(registry, "library/busybox", "latest")
    assert f"Digest: {expected}" in out
    assert "Status: " in out
    image = _inspect(docker, f"{registry}/library/busybox:latest")
    assert f"{registry}/library/busybox@{expected}" in image["RepoDigests"]
    assert image["Config"]["Cmd"] == ["/bin/sh"]
    assert image["Size"] > 500_000  # the real busybox-static binary, not the built-in placeholder
    run = docker("run", "--rm", f"{registry}/library/busybox:latest", "sh", "-c", "echo from-registry; ls /bin/busybox",
                 check=True)
    assert run.stdout.decode() == "from-registry\n/bin/busybox\n"


def test_pull_progress_is_what_docker_emits(client, registry, multi):
    lines = list(client.api.pull(f"{registry}/{multi}", tag="1", stream=True, decode=True))
    statuses = [(line.get("status"), line.get("id")) for line in lines]
    assert statuses[0] == ("Pulling from " + multi, "1")
    per_layer = {}
    for line in lines:
        if "id" in line and line["id"] != "1":
            per_layer.setdefault(line["id"], []).append(line["status"])
            assert len(line["id"]) == 12
            if line["status"] in ("Downloading", "Extracting"):
                detail = line["progressDetail"]
                assert 0 < detail["current"] <= detail["total"]
                assert line["progress"].startswith("[")
    assert len(per_layer) == 2
    for steps in per_layer.values():
        assert steps[0] in ("Pulling fs layer", "Already exists")
        if steps[0] == "Pulling fs layer":
            assert "Download complete" in steps and steps[-1] == "Pull complete"
            assert steps.index("Download complete") < steps.index("Pull complete")
    index_digest = registry_digest(registry, multi, "1", index=True)
    assert lines[-2] == {"status": f"Digest: {index_digest}"}
    assert lines[-1] == {"status": f"Status: Downloaded newer image for {registry}/{multi}:1"}
    again = list(client.api.pull(f"{registry}/{multi}", tag="1", stream=True, decode=True))
    assert again[-1] == {"status": f"Status: Image is up to date for {registry}/{multi}:1"}


def test_distribution_inspect_lists_the_index_platforms(client, registry, multi):
    data = client.images.get_registry_data(f"{registry}/{multi}:1")
    assert data.id == registry_digest(registry, multi, "1", index=True)
    assert data.has_platform("linux/amd64") and data.has_platform("linux/arm64/v8")
    assert not data.has_platform("linux/s390x")


def test_platform_selection_from_an_index(docker, registry, multi):
    docker("pull", "--platform", "linux/arm64", f"{registry}/{multi}:1", check=True)
    assert _inspect(docker, f"{registry}/{multi}:1")["Architecture"] == "arm64"
    docker("pull", f"{registry}/{multi}:1", check=True)
    image = _inspect(docker, f"{registry}/{multi}:1")
    assert image["Architecture"] == "amd64"
    assert f"{registry}/{multi}@{registry_digest(registry, multi, '1', index=True)}" in image["RepoDigests"]
    assert docker("run", "--rm", f"{registry}/{multi}:1", check=True).stdout == b"amd64\n"
    missing = docker("pull", "--platform", "linux/s390x", f"{registry}/{multi}:1")
    assert missing.returncode != 0
    assert "no matching manifest for linux/s390x" in missing.stderr.decode()


def test_pull_by_digest(docker, registry, multi):
    digest = registry_digest(registry, "library/alpine", "latest")
    out = docker("pull", f"{registry}/library/alpine@{digest}", check=True).stdout.decode()
    assert f"Digest: {digest}" in out
    image = _inspect(docker, f"{registry}/library/alpine@{digest}")
    assert f"{registry}/library/alpine@{digest}" in image["RepoDigests"]
    wrong = docker("pull", f"{registry}/library/alpine@sha256:{'0' * 64}")
    assert wrong.returncode != 0 and "not found" in wrong.stderr.decode()


def test_unknown_tag_is_a_404(client, registry):
    with pytest.raises(docker_py.errors.NotFound, match=r"manifest for .* not found"):
        client.api.pull(f"{registry}/library/alpine", tag="no-such-tag")


def test_push_then_dockerd_pulls_the_same_digest(docker, registry, services, name):
    repository = f"{registry}/images-test/pushed-{name}"
    docker("import", "-c", "CMD [\"cat\", \"/hello\"]", "-", f"{repository}:1",
           input=layer_tar({"hello": b"pushed by sockerless\n"}, busybox=True), check=True)
    pushed = docker("push", f"{repository}:1", check=True).stdout.decode()
    assert f"The push refers to repository [{repository}]" in pushed
    assert ": Pushed" in pushed
    digest = pushed.split(" digest: ")[1].split()[0]
    assert registry_digest(registry, f"images-test/pushed-{name}", "1") == digest
    env = {**os.environ, "DOCKER_HOST": services["docker_host"]}
    subprocess.run(["docker", "pull", f"{repository}:1"], env=env, check=True, capture_output=True, timeout=120)
    try:
        out = subprocess.run(["docker", "run", "--rm", "--network", "none", f"{repository}:1"], env=env, check=True,
                             capture_output=True, timeout=120).stdout
        assert out == b"pushed by sockerless\n"
        real_digests = subprocess.run(["docker", "image", "inspect", "-f", "{{json .RepoDigests}}", f"{repository}:1"],
                                      env=env, check=True, capture_output=True).stdout
        assert f"{repository}@{digest}" in json.loads(real_digests)
    finally:
        subprocess.run(["docker", "rmi", f"{repository}:1"], env=env, capture_output=True)
    again = docker("push", f"{repository}:1", check=True).stdout.decode()
    assert "Layer already exists" in again and digest in again
    docker("rmi", f"{repository}:1", check=True)
    docker("pull", f"{repository}:1", check=True)
    assert f"{repository}@{digest}" in _inspect(docker, f"{repository}:1")["RepoDigests"]


def test_push_mounts_blobs_from_another_repository(client, registry, name):
    client.api.pull(f"{registry}/library/alpine", tag="latest")
    target = f"{registry}/images-test/mounted-{name}"
    client.api.tag(f"{registry}/library/alpine:latest", target, "1")
    lines = list(client.api.push(target, tag="1", stream=True, decode=True))
    statuses = [line.get("status", "") for line in lines]
    assert any(s in ("Mounted from library/alpine", "Layer already exists") for s in statuses), statuses
    assert lines[-1]["aux"]["Digest"] == registry_digest(registry, "library/alpine", "latest")


def test_htpasswd_registry_needs_and_takes_credentials(daemon, docker, client, tmp_path, name):
    private = PrivateRegistry(tmp_path / "registry", htpasswd=True)
    try:
        ref = f"{private.address}/images-test/auth-{name}"
        docker("import", "-", f"{ref}:1", input=layer_tar({"secret": b"s\n"}, busybox=True), check=True)
        refused = docker("push", f"{ref}:1")
        assert refused.returncode != 0 and "unauthorized" in refused.stderr.decode().lower()
        with pytest.raises(docker_py.errors.APIError):
            client.login(USER, "wrong", registry=private.address, reauth=True)
        login = docker("login", private.address, "-u", USER, "--password-stdin", input=PASSWORD.encode())
        assert login.returncode == 0, login.stderr.decode()
        docker("push", f"{ref}:1", check=True)
        docker("rmi", f"{ref}:1", check=True)
        with pytest.raises(docker_py.errors.APIError):  # docker-py without auth_config: refused
            client.api.pull(ref, tag="1")
        docker("pull", f"{ref}:1", check=True)  # the CLI sends X-Registry-Auth from its config
        assert docker("run", "--rm", f"{ref}:1", "cat", "/secret", check=True).stdout == b"s\n"
    finally:
        private.stop()
        docker("logout", private.address)


def test_registry_mirror_serves_docker_hub_images(tmp_path, registry):
    mirrored = Daemon(tmp_path / "mirror", extra_args=["--registry-mirror", f"http://{registry}"]).start()
    try:
        out = mirrored.docker("pull", "busybox", check=True).stdout.decode()
        assert "built-in rootfs" not in out
        assert f"Digest: {registry_digest(registry, 'library/busybox', 'latest')}" in out
        info = json.loads(mirrored.docker("info", "--format", "{{json .RegistryConfig}}", check=True).stdout)
        assert info["Mirrors"] == [f"http://{registry}/"] and "127.0.0.0/8" in info["InsecureRegistryCIDRs"]
        image = json.loads(mirrored.docker("image", "inspect", "busybox", check=True).stdout)[0]
        assert image["RepoTags"] == ["busybox:latest"]
        assert image["Size"] > 500_000
    finally:
        mirrored.stop()


def test_offline_fallback_is_visible(docker):
    out = docker("pull", "busybox", check=True).stdout.decode()
    assert "could not be reached" in out and "built-in rootfs" in out


def test_bearer_token_flow_for_login_push_and_pull(docker, client, tmp_path, name):
    private = PrivateRegistry(tmp_path / "upstream", htpasswd=False)
    proxy = TokenAuthProxy(private.address)
    try:
        ref = f"{proxy.address}/images-test/token-{name}"
        docker("import", "-", f"{ref}:1", input=layer_tar({"tok": b"t\n"}, busybox=True), check=True)
        refused = docker("push", f"{ref}:1")
        assert refused.returncode != 0 and "unauthorized" in refused.stderr.decode().lower()
        with pytest.raises(docker_py.errors.APIError):
            client.login(USER, "wrong", registry=proxy.address, reauth=True)
        login = client.login(USER, PASSWORD, registry=proxy.address, reauth=True)
        assert login["Status"] == "Login Succeeded" and login["IdentityToken"]
        auth = {"username": USER, "password": PASSWORD}
        lines = list(client.api.push(ref, tag="1", stream=True, decode=True, auth_config=auth))
        assert "error" not in lines[-1], lines[-1]
        assert f"repository:images-test/token-{name}:pull,push" in proxy.scopes
        client.api.remove_image(f"{ref}:1")
        client.api.pull(ref, tag="1", auth_config=auth)
        assert f"repository:images-test/token-{name}:pull" in proxy.scopes
        assert docker("run", "--rm", f"{ref}:1", "cat", "/tok", check=True).stdout == b"t\n"
        client.api.remove_image(f"{ref}:1")
        client.api.pull(ref, tag="1", auth_config={"identitytoken": login["IdentityToken"]})
        assert proxy.refreshed == 1  # the identity token was exchanged, no password sent
    finally:
        proxy.stop()
        private.stop()


def test_containers_run_with_the_pulled_image_config(docker, client, registry, tmp_path, name):
    config = {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo $GREETING from $(pwd) as $(id -u)"],
              "Env": ["PATH=/bin", "GREETING=hello"], "WorkingDir": "/srv", "User": "65534",
              "ExposedPorts": {"8080/tcp": {}}, "Labels": {"images-test": "config"}, "StopSignal": "SIGINT",
              "Healthcheck": {"Test": ["CMD-SHELL", "test -d /srv"], "Interval": 200_000_000, "Retries": 2}}
    image = oci_image([layer_tar({"srv/.keep": b""}, busybox=True)], extra=config)
    write_layout(tmp_path, [(image, {"os": "linux", "architecture": "amd64"})], "1", as_index=False)
    repository = f"images-test/config-{name}"
    skopeo_push(tmp_path, "1", f"{registry}/{repository}:1")
    ref = f"{registry}/{repository}:1"
    docker("pull", ref, check=True)
    assert docker("run", "--rm", ref, check=True).stdout == b"hello from /srv as 65534\n"
    container = client.containers.run(ref, ["sleep 30"], detach=True)
    try:
        attrs = client.api.inspect_container(container.id)["Config"]
        assert attrs["WorkingDir"] == "/srv" and attrs["User"] == "65534" and attrs["StopSignal"] == "SIGINT"
        assert attrs["ExposedPorts"] == {"8080/tcp": {}} and attrs["Labels"] == {"images-test": "config"}
        assert attrs["Healthcheck"]["Test"] == ["CMD-SHELL", "test -d /srv"]
        deadline = time.monotonic() + 20
        status = ""
        while time.monotonic() < deadline and status != "healthy":
            status = client.api.inspect_container(container.id)["State"].get("Health", {}).get("Status", "")
            time.sleep(0.2)
        assert status == "healthy"
    finally:
        container.remove(force=True)


def test_pull_all_tags(docker, registry, tmp_path, name):
    repository = f"images-test/tags-{name}"
    for tag in ("a", "b"):
        image = oci_image([layer_tar({"tag": tag.encode()}, busybox=True)])
        layout = tmp_path / tag
        write_layout(layout, [(image, {"os": "linux", "architecture": "amd64"})], tag, as_index=False)
        skopeo_push(layout, tag, f"{registry}/{repository}:{tag}")
    out = docker("pull", "--all-tags", f"{registry}/{repository}", check=True).stdout.decode()
    assert "a: Pulling from" in out and "b: Pulling from" in out
    assert f"Status: Downloaded newer image for {registry}/{repository}\n" in out
    assert docker("run", "--rm", f"{registry}/{repository}:b", "cat", "/tag", check=True).stdout == b"b"


def test_daemon_side_credentials_from_an_auth_file(tmp_path, name):
    private = PrivateRegistry(tmp_path / "registry", htpasswd=True)
    auth_file = tmp_path / "config.json"
    secret = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    auth_file.write_text(json.dumps({"auths": {private.address: {"auth": secret}}}))
    daemon = Daemon(tmp_path / "daemon", extra_args=["--registry-auth-file", str(auth_file)]).start()
    try:
        ref = f"{private.address}/images-test/authfile-{name}:1"
        daemon.docker("import", "-", ref, input=layer_tar({"f": b"file\n"}, busybox=True), check=True)
        daemon.docker("push", ref, check=True)  # no docker login: the daemon's file answers the challenge
        daemon.docker("rmi", ref, check=True)
        daemon.docker("pull", ref, check=True)
        log = daemon.log_path.read_text()
        assert PASSWORD not in log and secret not in log
    finally:
        daemon.stop()
        private.stop()


def test_a_crash_during_a_pull_loses_nothing_and_the_pull_can_be_repeated(tmp_path, registry):
    layers = [layer_tar({}, busybox=True)] + [layer_tar({f"data/{i}": os.urandom(6 << 20)}) for i in range(2)]
    image = oci_image(layers, cmd=["ls", "/data"])
    write_layout(tmp_path / "layout", [(image, {"os": "linux", "architecture": "amd64"})], "1", as_index=False)
    repository = f"images-test/big-{uuid.uuid4().hex[:8]}"
    skopeo_push(tmp_path / "layout", "1", f"{registry}/{repository}:1")
    ref = f"{registry}/{repository}:1"
    daemon = Daemon(tmp_path / "crashing").start()
    try:
        env = {**os.environ, "DOCKER_HOST": daemon.host, "DOCKER_CONFIG": str(tmp_path / "cfg")}
        pulling = subprocess.Popen(["docker", "pull", ref], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        blobs = daemon.data_root / "image" / "blobs" / "sha256"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(p.name.startswith(".tmp-") for p in blobs.glob(".tmp-*")):
            time.sleep(0.01)
        daemon.kill()
        pulling.wait(30)
        daemon.start()
        assert not list(blobs.glob(".tmp-*"))
        listed = daemon.docker("images", "-q", ref, check=True).stdout.decode().split()
        assert listed in ([], [hashlib.sha256(image.config).hexdigest()[:12]])  # nothing, or all of it
        daemon.docker("pull", ref, check=True)
        assert daemon.docker("run", "--rm", ref, check=True).stdout == b"0\n1\n"
    finally:
        daemon.stop()


def test_a_cut_download_is_retried(docker, tmp_path, registry, name):
    image = oci_image([layer_tar({"retried": os.urandom(256 << 10)}, busybox=True)], cmd=["echo", "retried"])
    write_layout(tmp_path, [(image, {"os": "linux", "architecture": "amd64"})], "1", as_index=False)
    repository = f"images-test/retry-{name}"
    skopeo_push(tmp_path, "1", f"{registry}/{repository}:1")
    proxy = TokenAuthProxy(registry, require_token=False, break_first_blob=True)
    ref = f"{proxy.address}/{repository}:1"
    try:
        out = docker("pull", ref, check=True).stdout.decode()
        assert proxy.broken, "the proxy cut no download"
        assert "Retrying in 1 second" in out
        assert docker("run", "--rm", ref, check=True).stdout == b"retried\n"
    finally:
        proxy.stop()
        docker("rmi", ref)
