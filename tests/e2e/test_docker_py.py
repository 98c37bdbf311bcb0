"""docker-py 7.2 against the memory backend."""

from __future__ import annotations

import threading
import time

import docker as docker_py
import pytest


def test_ping_version_info(client):
    assert client.ping() is True
    version = client.version()
    assert version["ApiVersion"] == "1.45"
    info = client.info()
    assert info["OSType"] == "linux"
    assert "Containers" in info


def test_run_returns_output_and_raises_on_failure(client):
    assert client.containers.run("alpine", ["echo", "hi"], remove=True) == b"hi\n"
    with pytest.raises(docker_py.errors.ContainerError) as err:
        client.containers.run("alpine", ["sh", "-c", "echo bad >&2; exit 2"], remove=True)
    assert err.value.exit_status == 2
    assert b"bad" in err.value.stderr


def test_container_lifecycle_and_logs(client, name):
    container = client.containers.run("alpine", ["sh", "-c", "echo a; echo b >&2; sleep 30"], detach=True,
                                      name=name, labels={"suite": "dockerpy"})
    try:
        container.reload()
        assert container.status == "running"
        assert container.labels["suite"] == "dockerpy"
        found = client.containers.list(filters={"label": "suite=dockerpy", "name": name})
        assert [c.id for c in found] == [container.id]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and container.logs(stdout=True, stderr=True) != b"a\nb\n":
            time.sleep(0.1)
        assert container.logs(stdout=True, stderr=False) == b"a\n"
        assert container.logs(stdout=False, stderr=True) == b"b\n"
        container.kill()
        assert container.wait(timeout=10)["StatusCode"] == 137
        container.reload()
        assert container.status == "exited"
        assert container.attrs["State"]["ExitCode"] == 137
    finally:
        container.remove(force=True)
    with pytest.raises(docker_py.errors.NotFound):
        client.containers.get(name)


def test_exec_run_with_demux_and_exit_codes(client, name):
    container = client.containers.run("alpine", ["sleep", "300"], detach=True, name=name)
    try:
        result = container.exec_run(["sh", "-c", "echo out; echo err >&2; exit 5"], demux=True)
        assert result.exit_code == 5
        assert result.output == (b"out\n", b"err\n")
        result = container.exec_run("echo $HOME", environment={"X": "1"})
        assert result.exit_code == 0
        assert container.exec_run(["sh", "-c", "echo $X"], environment={"X": "42"}).output == b"42\n"
        assert container.exec_run(["pwd"], workdir="/etc").output == b"/etc\n"
        stream = container.exec_run(["sh", "-c", "echo 1; sleep 0.2; echo 2"], stream=True)
        assert b"".join(stream.output) == b"1\n2\n"
    finally:
        container.remove(force=True)


def test_exec_output_reaches_a_client_slow_to_read_the_response_head(client, name, monkeypatch):
    """docker-py reads the 101 head through a buffered file, then switches to the raw socket.

    Output that reached the socket before the client read the head ends up in that buffer and
    is lost. On a loaded machine the client can be descheduled for any time between sending the
    request and reading the head; this client is made that slow on purpose, on every request.
    """
    import http.client

    begin = http.client.HTTPResponse.begin

    def slow_begin(self):
        time.sleep(0.3)
        return begin(self)

    container = client.containers.run("alpine", ["sleep", "300"], detach=True, name=name)
    try:
        monkeypatch.setattr(http.client.HTTPResponse, "begin", slow_begin)
        result = container.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True)
        assert (result.exit_code, result.output) == (3, (b"out\n", b"err\n"))
        stream = container.exec_run(["sh", "-c", "echo 1; echo 2"], stream=True)
        assert b"".join(stream.output) == b"1\n2\n"
    finally:
        monkeypatch.undo()
        container.remove(force=True)


def test_concurrent_exec_runs_keep_their_output(client, name):
    container = client.containers.run("alpine", ["sleep", "300"], detach=True, name=name)
    failures: list[object] = []

    def worker(n: int) -> None:
        for i in range(6):
            result = container.exec_run(["sh", "-c", f"echo out{n}.{i}; echo err{n}.{i} >&2"], demux=True)
            if result.output != (f"out{n}.{i}\n".encode(), f"err{n}.{i}\n".encode()):
                failures.append(result.output)

    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert failures == []
    finally:
        container.remove(force=True)


def test_low_level_exec_inspect(client, name):
    api = client.api
    container = client.containers.run("alpine", ["sleep", "300"], detach=True, name=name)
    try:
        exec_id = api.exec_create(container.id, ["sh", "-c", "exit 9"])["Id"]
        assert api.exec_inspect(exec_id)["Running"] is False
        api.exec_start(exec_id)
        info = api.exec_inspect(exec_id)
        assert info["ExitCode"] == 9
        assert info["ProcessConfig"]["entrypoint"] == "sh"
    finally:
        container.remove(force=True)


def test_attach_socket_with_stdin(client, name):
    api = client.api
    container = api.create_container("alpine", ["sh", "-c", "read line; echo got:$line"], stdin_open=True,
                                     name=name)
    try:
        sock = api.attach_socket(container["Id"], params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        api.start(container["Id"])
        raw = sock._sock
        raw.sendall(b"payload\n")
        data = b""
        deadline = time.monotonic() + 10
        raw.settimeout(10)
        while b"got:payload" not in data and time.monotonic() < deadline:
            chunk = raw.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data[:1] == b"\x01"  # multiplexed: stream 1
        assert b"got:payload\n" in data
        sock.close()
        assert api.wait(container["Id"], timeout=10)["StatusCode"] == 0
    finally:
        api.remove_container(container["Id"], force=True)


def test_events_stream(client, name):
    since = time.time() - 1
    container = client.containers.run("alpine", ["true"], detach=True, name=name)
    container.wait(timeout=10)
    container.remove()
    events = client.events(since=since, until=time.time() + 1, decode=True,
                           filters={"type": "container", "container": name})
    actions = [e["Action"] for e in events]
    for expected in ("create", "start", "die", "destroy"):
        assert expected in actions
    assert actions.index("create") < actions.index("start") < actions.index("die") < actions.index("destroy")


def test_live_events_reach_a_listener(client, name):
    seen = []
    stream = client.events(decode=True, filters={"type": "container", "container": name})  # subscribed on return

    def listen():
        for event in stream:
            seen.append(event["Action"])
            if event["Action"] == "destroy":
                return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    client.containers.run("alpine", ["true"], name=name, remove=True)
    listener.join(10)
    assert "start" in seen and "destroy" in seen


def test_networks_and_volumes(client, name):
    network = client.networks.create(name, labels={"suite": "dockerpy"})
    volume = client.volumes.create(name + "-v", labels={"suite": "dockerpy"})
    try:
        assert client.networks.get(name).attrs["Labels"] == {"suite": "dockerpy"}
        container = client.containers.run("alpine", ["sleep", "30"], detach=True, network=name,
                                          volumes={volume.name: {"bind": "/data", "mode": "rw"}})
        try:
            network.reload()
            assert container.id in network.attrs["Containers"]
            container.reload()
            endpoint = container.attrs["NetworkSettings"]["Networks"][name]
            assert endpoint["IPAddress"].count(".") == 3
            mount = container.attrs["Mounts"][0]
            assert (mount["Type"], mount["Name"], mount["Destination"]) == ("volume", volume.name, "/data")
            with pytest.raises(docker_py.errors.APIError) as err:
                volume.remove()
            assert err.value.status_code == 409
        finally:
            container.remove(force=True)
        assert [v.name for v in client.volumes.list(filters={"label": "suite=dockerpy"})] == [volume.name]
        assert [n.name for n in client.networks.list(filters={"label": "suite=dockerpy"})] == [name]
    finally:
        network.remove()
        volume.remove()


def test_prune_and_rename(client, name):
    container = client.containers.create("alpine", ["true"], name=name, labels={"prune": name})
    container.rename(name + "-renamed")
    assert client.containers.get(name + "-renamed").id == container.id
    result = client.containers.prune(filters={"label": f"prune={name}"})
    assert result["ContainersDeleted"] == [container.id]


def test_images(client):
    image = client.images.get("alpine")
    assert "alpine:latest" in image.tags
    assert image.attrs["Config"]["Cmd"] == ["/bin/sh"]
    assert image.id.startswith("sha256:")
    image.tag("sockerless-test/alpine", "copy")
    assert "sockerless-test/alpine:copy" in client.images.get(image.id).tags
    client.images.remove("sockerless-test/alpine:copy")
    assert "sockerless-test/alpine:copy" not in client.images.get(image.id).tags
