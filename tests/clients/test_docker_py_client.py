"""docker-py 7.2 against the memory backend: what its own integration tests and its users lean on
beyond ``tests/e2e/test_docker_py.py`` (stream framing, exec edge cases, archives, stats, swarm answers)."""

from __future__ import annotations

import io
import socket
import tarfile
import time

import docker as docker_py
import pytest


@pytest.fixture
def sleeper(client, name):
    container = client.containers.run("alpine", ["sleep", "300"], detach=True, name=name)
    yield container
    container.remove(force=True)


def test_exec_output_is_never_lost(sleeper):
    """Output that a fast process writes together with the response head reaches the client."""
    for _ in range(25):
        assert sleeper.exec_run("env", environment={"X": "Y"}).output.count(b"X=Y") == 1
        chunks = list(sleeper.exec_run(["sh", "-c", "echo out; echo err >&2"], stream=True).output)
        assert b"".join(chunks).count(b"\n") == 2, chunks


def test_exec_tty_framing_follows_the_start_request(client, sleeper):
    api = client.api
    exec_id = api.exec_create(sleeper.id, ["sh", "-c", "echo out; echo err >&2"], tty=True)["Id"]
    assert api.exec_start(exec_id) == b"out\r\nerr\r\n"  # a terminal, multiplexed as stdout
    exec_id = api.exec_create(sleeper.id, ["printf", "raw"], tty=True)["Id"]
    assert api.exec_start(exec_id, tty=True) == b"raw"
    exec_id = api.exec_create(sleeper.id, ["printf", "framed"], tty=True)["Id"]
    sock = api.exec_start(exec_id, socket=True)._sock
    sock.settimeout(10)
    header = b""
    while len(header) < 8:
        header += sock.recv(8 - len(header))
    assert header == b"\x01\x00\x00\x00\x00\x00\x00\x06"
    sock.close()


def test_exec_that_cannot_start_exits_126(sleeper):
    result = sleeper.exec_run("no-such-program")
    assert result.exit_code == 126
    assert b"executable file not found" in result.output
    assert sleeper.exec_run(["sh", "-c", "no-such-program"]).exit_code == 127


def test_exec_detach_keys_end_the_session_and_leave_the_process(client, name):
    api = client.api
    container = api.create_container("alpine", "cat", stdin_open=True, name=name)
    try:
        api.start(container)
        exec_id = api.exec_create(container, "cat", stdin=True, tty=True)["Id"]
        sock = api.exec_start(exec_id, tty=True, socket=True)._sock
        sock.sendall(b"\x10\x11")  # ctrl-p ctrl-q
        sock.settimeout(10)
        assert sock.recv(128) == b""
        sock.close()
        assert api.exec_inspect(exec_id)["Running"] is True
    finally:
        api.remove_container(container, force=True)


def test_attach_without_stream_returns_the_logs(client, name):
    api = client.api
    container = api.create_container("alpine", "echo hello", name=name)
    try:
        api.start(container)
        api.wait(container, condition="not-running", timeout=10)
        assert api.attach(container, stream=False, logs=True) == b"hello\n"
    finally:
        api.remove_container(container, force=True)


def test_logs_stream_follows_until_exit(client, name):
    container = client.containers.run("alpine", ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"],
                                      detach=True, name=name)
    try:
        assert b"".join(container.logs(stream=True, follow=True)) == b"line1\nline2\nline3\n"
        assert container.logs(tail=1) == b"line3\n"
        stamped = container.logs(timestamps=True).splitlines()[0]
        assert stamped.endswith(b" line1") and stamped[:4].isdigit()
    finally:
        container.remove(force=True)


def test_top_as_a_long_running_command(client, name):
    container = client.containers.run("alpine", "top", detach=True, name=name)
    try:
        container.reload()
        assert container.status == "running"
        processes = container.top()
        assert any("top" in " ".join(row) for row in processes["Processes"])
        container.stop(timeout=1)
        assert container.wait(timeout=10)["StatusCode"] in (0, 137, 143)
    finally:
        container.remove(force=True)


def test_put_and_get_archive(sleeper):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        payload = b"archived\n"
        info = tarfile.TarInfo("seed/file.txt")
        info.size, info.mode = len(payload), 0o640
        tar.addfile(info, io.BytesIO(payload))
    assert sleeper.put_archive("/opt", data.getvalue()) is True
    assert sleeper.exec_run(["sh", "-c", "cat /opt/seed/file.txt; stat -c %a /opt/seed/file.txt"]).output == \
        b"archived\n640\n"
    stream, stat = sleeper.get_archive("/opt/seed/file.txt")
    assert stat["name"] == "file.txt" and stat["size"] == len(payload)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        assert tar.extractfile("file.txt").read() == payload
    with pytest.raises(docker_py.errors.NotFound):
        sleeper.get_archive("/no/such/path")


def test_stats_update_rename_and_kill(client, sleeper, name):
    stats = sleeper.stats(stream=False)
    assert stats["id"] == sleeper.id and "memory_stats" in stats and "cpu_stats" in stats
    sleeper.update(restart_policy={"Name": "on-failure", "MaximumRetryCount": 2})
    sleeper.reload()
    assert sleeper.attrs["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    sleeper.rename(name + "-renamed")
    assert client.containers.get(name + "-renamed").id == sleeper.id
    sleeper.kill(signal="SIGKILL")
    assert sleeper.wait(timeout=10)["StatusCode"] == 137


def test_swarm_answers_as_a_node_outside_any_swarm(client):
    assert client.api.leave_swarm(force=True) is True  # docker-py's own "not part of a swarm" handling
    assert client.info()["Swarm"]["LocalNodeState"] == "inactive"
    with pytest.raises(docker_py.errors.APIError) as err:
        client.services.list()
    assert err.value.status_code == 503 and "not a swarm manager" in str(err.value.explanation)
    with pytest.raises(docker_py.errors.APIError) as err:
        client.swarm.init(advertise_addr="127.0.0.1")
    assert err.value.status_code == 501 and "swarm" in str(err.value.explanation)


def test_events_filtered_by_label_and_type(client, name):
    since = time.time() - 1
    client.containers.run("alpine", ["true"], name=name, labels={"events": name}, remove=True)
    events = list(client.events(since=since, until=time.time() + 1, decode=True,
                                filters={"type": "container", "label": f"events={name}"}))
    actions = [e["Action"] for e in events]
    assert {"create", "start", "die", "destroy"} <= set(actions)
    assert all(e["Actor"]["Attributes"]["events"] == name for e in events)
    assert all(e["Type"] == "container" for e in events)


def test_images_history_and_inspect(client):
    image = client.images.get("busybox")
    assert image.history() and "Created" in image.history()[0]
    assert client.api.inspect_image("busybox")["Os"] == "linux"
    with pytest.raises(docker_py.errors.ImageNotFound):
        client.images.get("sockerless-no-such-image:never")


def test_unix_socket_peer_sees_docker_headers(daemon):
    raw = socket.socket(socket.AF_UNIX)
    raw.connect(daemon.socket_path)
    raw.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
    head = raw.recv(4096).lower()
    raw.close()
    assert b"api-version: 1.45" in head and b"swarm: inactive" in head


def test_copy_into_a_volume_of_a_created_container(client, name):
    """gitlab-ci-local copies the work tree into a volume mounted below directories the image lacks."""
    volume = client.volumes.create(name + "-v")
    container = client.containers.create("alpine", ["cat", "/builds/group/project/file.txt"], name=name,
                                         volumes={volume.name: {"bind": "/builds/group/project", "mode": "rw"}})
    try:
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            info = tarfile.TarInfo("file.txt")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"tree\n"))
        assert container.put_archive("/builds/group/project", data.getvalue()) is True
        container.start()
        assert container.wait(timeout=10)["StatusCode"] == 0
        assert container.logs() == b"tree\n"
    finally:
        container.remove(force=True)
        volume.remove()
