"""Lifecycle details on the raw API: wait conditions, restart, top, exec inspect, network endpoints."""

from __future__ import annotations

import json
import socket
import threading

JSON = {"Content-Type": "application/json"}


def _create(daemon, name, body):
    status, _, data = daemon.request("POST", f"/containers/create?name={name}", json.dumps(body).encode(), JSON)
    assert status == 201, data
    return json.loads(data)["Id"]


def _wait_in_thread(daemon, cid, condition):
    result = {}

    def run():
        result["response"] = daemon.request("POST", f"/containers/{cid}/wait?condition={condition}")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_wait_conditions(daemon, name):
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["sh", "-c", "read x; exit 7"], "OpenStdin": True})
    status, _, body = daemon.request("POST", f"/containers/{cid}/wait?condition=not-running")
    assert status == 200 and json.loads(body) == {"Error": None, "StatusCode": 0}  # never started: not running
    status, _, body = daemon.request("POST", f"/containers/{cid}/wait?condition=bogus")
    assert status == 200 and json.loads(body)["StatusCode"] == 0  # dockerd reads an unknown condition as not-running
    next_exit, got_next = _wait_in_thread(daemon, cid, "next-exit")
    removed, got_removed = _wait_in_thread(daemon, cid, "removed")
    assert daemon.request("POST", f"/containers/{cid}/start")[0] == 204
    assert daemon.request("POST", f"/containers/{cid}/kill?signal=KILL")[0] == 204
    next_exit.join(10)
    assert json.loads(got_next["response"][2])["StatusCode"] == 137
    assert removed.is_alive()
    assert daemon.request("DELETE", f"/containers/{cid}")[0] == 204
    removed.join(10)
    assert json.loads(got_removed["response"][2])["StatusCode"] == 137


def test_restart_keeps_identity_and_counts_nothing(daemon, name):
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["sleep", "300"]})
    daemon.request("POST", f"/containers/{cid}/start")
    first = json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])
    assert daemon.request("POST", f"/containers/{cid}/restart?t=0")[0] == 204
    second = json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])
    assert second["State"]["Running"] and second["State"]["StartedAt"] > first["State"]["StartedAt"]
    assert second["RestartCount"] == 0  # only restart policies count
    status, _, body = daemon.request("GET", f"/containers/{cid}/top")
    assert status == 200 and json.loads(body)["Processes"][0][-1] == "sleep 300"
    daemon.request("DELETE", f"/containers/{cid}?force=1")


def test_resource_ranges_are_checked_at_create_and_update_and_a_refused_update_changes_nothing(daemon, name):
    for host_config, message in (({"BlkioWeight": 5}, "Range of blkio weight is from 10 to 1000"),
                                 ({"MemorySwappiness": 500}, "valid memory swappiness range is 0-100")):
        status, _, data = daemon.request("POST", f"/containers/create?name={name}",
                                         json.dumps({"Image": "alpine", "HostConfig": host_config}).encode(), JSON)
        assert status == 400 and message in json.loads(data)["message"]
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["true"], "HostConfig": {"BlkioWeight": 300}})
    for body in ({"BlkioWeight": -1345, "RestartPolicy": {"Name": "always"}}, {"BlkioWeight": 1001},
                 {"CpuShares": "many", "RestartPolicy": {"Name": "always"}}):
        status, _, data = daemon.request("POST", f"/containers/{cid}/update", json.dumps(body).encode(), JSON)
        assert status == 400, data
    host = json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])["HostConfig"]
    assert host["BlkioWeight"] == 300 and host["CpuShares"] == 0 and host["RestartPolicy"]["Name"] == "no"
    status, _, _ = daemon.request("POST", f"/containers/{cid}/update", json.dumps({"BlkioWeight": 500}).encode(), JSON)
    assert status == 200
    assert json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])["HostConfig"]["BlkioWeight"] == 500
    daemon.request("DELETE", f"/containers/{cid}")


def test_top_of_stopped_container_is_409(daemon, name):
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["true"]})
    assert daemon.request("GET", f"/containers/{cid}/top")[0] == 409
    daemon.request("DELETE", f"/containers/{cid}")


def test_exec_requires_running_container_and_a_command(daemon, name):
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["sleep", "300"]})
    status, _, body = daemon.request("POST", f"/containers/{cid}/exec", b'{"Cmd": ["true"]}', JSON)
    assert status == 409 and "is not running" in json.loads(body)["message"]
    daemon.request("POST", f"/containers/{cid}/start")
    status, _, body = daemon.request("POST", f"/containers/{cid}/exec", b'{"Cmd": []}', JSON)
    assert status == 400
    status, _, body = daemon.request("POST", f"/containers/{cid}/exec", b'{"Cmd": ["sh", "-c", "exit 3"]}', JSON)
    exec_id = json.loads(body)["Id"]
    info = json.loads(daemon.request("GET", f"/exec/{exec_id}/json")[2])
    assert info["Running"] is False and info["ExitCode"] is None and info["ContainerID"] == cid
    status, _, _ = daemon.request("POST", f"/exec/{exec_id}/start", b'{"Detach": true}', JSON)
    assert status == 200
    for _ in range(100):
        info = json.loads(daemon.request("GET", f"/exec/{exec_id}/json")[2])
        if info["ExitCode"] is not None:
            break
        threading.Event().wait(0.05)
    assert info["ExitCode"] == 3
    status, _, body = daemon.request("POST", f"/exec/{exec_id}/start", b'{"Detach": true}', JSON)
    assert status == 409
    assert daemon.request("GET", "/exec/nope/json")[0] == 404
    daemon.request("DELETE", f"/containers/{cid}?force=1")


def test_user_network_endpoint_and_static_ip(daemon, name):
    body = {"Name": name, "IPAM": {"Config": [{"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.1"}]}, "Labels": {"x": "y"}}
    status, _, data = daemon.request("POST", "/networks/create", json.dumps(body).encode(), JSON)
    assert status == 201
    net_id = json.loads(data)["Id"]
    status, _, data = daemon.request("POST", "/networks/create", json.dumps(body).encode(), JSON)
    assert status == 409
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": name},
                                 "NetworkingConfig": {"EndpointsConfig": {name: {"IPAMConfig": {"IPv4Address": "10.77.0.50"},
                                                                                 "Aliases": ["db"]}}}})
    daemon.request("POST", f"/containers/{cid}/start")
    info = json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])
    endpoint = info["NetworkSettings"]["Networks"][name]
    assert endpoint["IPAddress"] == "10.77.0.50" and endpoint["Gateway"] == "10.77.0.1" and endpoint["IPPrefixLen"] == 24
    assert endpoint["NetworkID"] == net_id and "db" in endpoint["Aliases"]
    assert daemon.request("DELETE", f"/networks/{net_id}")[0] == 403  # active endpoint
    daemon.request("DELETE", f"/containers/{cid}?force=1")
    assert daemon.request("DELETE", f"/networks/{net_id}")[0] == 204
    assert daemon.request("DELETE", "/networks/bridge")[0] == 403


def _raw_upgrade(daemon, path: str, body: bytes = b"") -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(daemon.socket_path)
    head = (f"POST {path} HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body)
    sock.settimeout(10)
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 101 UPGRADED"), reply
    return sock


def test_dropped_connections_leave_the_daemon_and_container_fine(daemon, name):
    cid = _create(daemon, name, {"Image": "alpine", "Cmd": ["sh", "-c", "while true; do echo tick; sleep 0.05; done"],
                                 "OpenStdin": True})
    daemon.request("POST", f"/containers/{cid}/start")
    for _ in range(5):
        sock = _raw_upgrade(daemon, f"/containers/{cid}/attach?stream=1&stdout=1&stdin=1")
        assert sock.recv(4096)  # output flows
        sock.close()  # drop it without a goodbye
    _, _, body = daemon.request("POST", f"/containers/{cid}/exec", b'{"Cmd": ["sleep", "5"], "AttachStdout": true}', JSON)
    sock = _raw_upgrade(daemon, f"/exec/{json.loads(body)['Id']}/start", b'{"Detach": false}')
    sock.close()
    follower = socket.socket(socket.AF_UNIX)
    follower.connect(daemon.socket_path)
    follower.sendall(f"GET /containers/{cid}/logs?stdout=1&follow=1&tail=1 HTTP/1.1\r\nHost: d\r\n\r\n".encode())
    follower.settimeout(10)
    assert follower.recv(4096).startswith(b"HTTP/1.1 200")
    follower.close()  # a follower that goes away mid-stream
    info = json.loads(daemon.request("GET", f"/containers/{cid}/json")[2])
    assert info["State"]["Running"] is True
    assert daemon.request("GET", "/_ping")[0] == 200
    daemon.request("DELETE", f"/containers/{cid}?force=1")
