"""User networks (IPAM, static IPs, aliases, links, name resolution as hosts entries) and volume rules."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import quote

import docker as docker_py


def hosts_of(container) -> str:
    return container.exec_run(["cat", "/etc/hosts"]).output.decode()


def test_user_network_ipam_aliases_and_name_resolution(client, name):
    net = client.networks.create(f"net-{name}", ipam=docker_py.types.IPAMConfig(
        pool_configs=[docker_py.types.IPAMPool(subnet="10.77.0.0/24", gateway="10.77.0.1")]))
    db = web = late = None
    try:
        db = client.containers.create("alpine", ["sleep", "300"], name=f"{name}-db")
        net.connect(db, ipv4_address="10.77.0.50", aliases=["database"])
        db.start()
        web = client.containers.run("alpine", ["sleep", "300"], name=f"{name}-web", network=net.name, detach=True)
        db.reload()
        endpoint = db.attrs["NetworkSettings"]["Networks"][net.name]
        assert endpoint["IPAddress"] == "10.77.0.50" and endpoint["Gateway"] == "10.77.0.1"
        assert "database" in endpoint["Aliases"] and f"{name}-db" in endpoint["DNSNames"]
        expected = f"10.77.0.50\t{name}-db {db.id[:12]} database"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and expected not in hosts_of(web):
            time.sleep(0.05)
        assert expected in hosts_of(web), hosts_of(web)
        late = client.containers.run("alpine", ["sleep", "300"], name=f"{name}-late", network=net.name, detach=True)
        late.reload()
        late_ip = late.attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and f"{late_ip}\t{name}-late" not in hosts_of(db):
            time.sleep(0.05)
        assert f"{late_ip}\t{name}-late" in hosts_of(db)  # peers that start later appear too
        late.stop(timeout=0)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and f"{name}-late" in hosts_of(db):
            time.sleep(0.05)
        assert f"{name}-late" not in hosts_of(db)  # and go when they stop
        net.disconnect(web)
        assert f"{name}-db" not in hosts_of(web)
        inspected = client.api.inspect_network(net.id)
        assert inspected["IPAM"]["Config"] == [{"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.1"}]
        assert db.id in inspected["Containers"]
    finally:
        for container in (db, web, late):
            if container is not None:
                container.remove(force=True)
        net.remove()


def test_aliases_per_api_version(daemon, client, name):
    net = client.networks.create(f"net-{name}")
    container = client.containers.run("alpine", ["sleep", "300"], name=name, network=net.name, detach=True)
    try:
        _, _, old = daemon.request("GET", f"/v1.43/containers/{container.id}/json")
        _, _, new = daemon.request("GET", f"/v1.45/containers/{container.id}/json")
        old_ep = json.loads(old)["NetworkSettings"]["Networks"][net.name]
        new_ep = json.loads(new)["NetworkSettings"]["Networks"][net.name]
        assert container.id[:12] in old_ep["Aliases"] and "DNSNames" not in old_ep
        assert container.id[:12] not in (new_ep["Aliases"] or []) and container.id[:12] in new_ep["DNSNames"]
    finally:
        container.remove(force=True)
        net.remove()


def test_static_ip_needs_a_user_subnet_and_links_resolve(client, docker, name):
    net = client.networks.create(f"net-{name}")
    try:
        refused = docker("run", "--rm", "--network", net.name, "--ip", "172.30.9.9", "alpine", "true")
        assert refused.returncode != 0 and b"user configured subnets" in refused.stderr
    finally:
        net.remove()
    target = client.containers.run("alpine", ["sleep", "300"], name=f"{name}-t", detach=True,
                                   environment={"FOO": "1"}, ports={"80/tcp": None})
    try:
        out = docker("run", "--rm", "--link", f"{name}-t:svc", "alpine", "grep", "svc", "/etc/hosts", check=True)
        assert f"{name}-t".encode() in out.stdout
        env = docker("run", "--rm", "--name", f"{name}-p", "--link", f"{name}-t:my-svc", "alpine", "env",
                     check=True).stdout.decode().splitlines()
        assert f"MY_SVC_NAME=/{name}-p/my-svc" in env and "MY_SVC_ENV_FOO=1" in env
        assert any(line.startswith("MY_SVC_PORT_80_TCP_ADDR=") for line in env)
    finally:
        target.remove(force=True)


def test_volume_rules(client, docker, daemon, name):
    volume = f"vol-{uuid.uuid4().hex[:8]}"
    docker("run", "--name", name, "-v", f"{volume}:/data", "alpine", "sh", "-c", "echo kept > /data/f", check=True)
    removal = docker("volume", "rm", volume)
    assert removal.returncode != 0 and b"volume is in use" in removal.stderr  # 409 while a container uses it
    docker("rm", name, check=True)
    assert docker("run", "--rm", "-v", f"{volume}:/v", "alpine", "cat", "/v/f", check=True).stdout == b"kept\n"
    anonymous = docker("run", "-d", "-v", "/anon", "alpine", "true", check=True).stdout.decode().strip()
    docker("wait", anonymous, check=True)
    anon_name = next(m["Name"] for m in client.api.inspect_container(anonymous)["Mounts"])
    docker("rm", anonymous, check=True)
    # API 1.41: every unused volume is pruned; "all" does not exist yet
    def prune(version: str, filters: dict | None = None) -> tuple[int, list[str]]:
        query = "?filters=" + quote(json.dumps(filters)) if filters else ""
        status, _, body = daemon.request("POST", f"/{version}/volumes/prune{query}")
        return status, (json.loads(body).get("VolumesDeleted") or []) if status == 200 else []

    assert prune("v1.41", {"all": ["true"]})[0] == 400
    status, deleted = prune("v1.45")
    assert anon_name in deleted and volume not in deleted  # named volumes stay unless all=true
    status, deleted = prune("v1.41", {"label": ["nothing-has-this"]})
    assert status == 200 and volume not in deleted
    assert volume in prune("v1.45", {"all": ["true"]})[1]


def test_volumes_from_and_mount_syntax(docker, name, tmp_path):
    docker("run", "--name", name, "-v", "/shared", "alpine", "sh", "-c", "echo from-source > /shared/x", check=True)
    try:
        out = docker("run", "--rm", "--volumes-from", f"{name}:ro", "alpine", "sh", "-c",
                     "cat /shared/x; touch /shared/y 2>&1 || true")
        assert out.stdout.startswith(b"from-source\n") and b"Read-only file system" in out.stdout
        (tmp_path / "in").write_text("bound\n")
        out = docker("run", "--rm", "--mount", f"type=bind,source={tmp_path},target=/host,readonly",
                     "--mount", "type=tmpfs,target=/scratch", "alpine", "sh", "-c",
                     "cat /host/in; echo t > /scratch/t && cat /scratch/t; touch /host/new 2>&1 || true", check=True)
        assert out.stdout.startswith(b"bound\nt\n") and b"Read-only file system" in out.stdout
        assert not (tmp_path / "new").exists()
    finally:
        docker("rm", "-f", "-v", name)
