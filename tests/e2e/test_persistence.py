"""Crash-only state: SIGKILL the daemon, start it again, everything is still there."""

from __future__ import annotations

import json
import time

from daemon import Daemon


def _inspect(d: Daemon, ref: str) -> dict:
    status, _, body = d.request("GET", f"/containers/{ref}/json")
    assert status == 200, body
    return json.loads(body)


def test_state_survives_sigkill(tmp_path):
    d = Daemon(tmp_path / "crash").start()
    try:
        d.docker("pull", "alpine", check=True)
        d.docker("network", "create", "keepnet", check=True)
        d.docker("volume", "create", "keepvol", check=True)
        d.docker("run", "--name", "finished", "-l", "k=v", "-v", "keepvol:/data", "alpine",
                 "sh", "-c", "echo persisted > /data/f; echo logged; exit 3")
        d.docker("create", "--name", "created-only", "alpine", "true", check=True)
        d.docker("run", "-d", "--name", "was-running", "--network", "keepnet", "alpine", "sleep", "300", check=True)
        d.docker("run", "-d", "--name", "always", "--restart", "always", "alpine", "sleep", "300", check=True)
        before = {n: _inspect(d, n) for n in ("finished", "created-only", "was-running", "always")}
        d.kill()
        d.start()
        after = {n: _inspect(d, n) for n in before}
        for n in before:
            assert after[n]["Id"] == before[n]["Id"]
            assert after[n]["Config"] == before[n]["Config"]
        assert after["finished"]["State"]["Status"] == "exited"
        assert after["finished"]["State"]["ExitCode"] == 3
        assert after["created-only"]["State"]["Status"] == "created"
        assert after["was-running"]["State"]["Status"] == "exited"
        assert after["was-running"]["State"]["Running"] is False
        assert "keepnet" in after["was-running"]["NetworkSettings"]["Networks"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _inspect(d, "always")["State"]["Running"]:
            time.sleep(0.1)
        assert _inspect(d, "always")["State"]["Running"] is True
        assert d.docker("logs", "finished").stdout == b"logged\n"
        assert d.docker("run", "--rm", "-v", "keepvol:/data", "alpine", "cat", "/data/f").stdout == b"persisted\n"
        assert "keepnet" in d.docker("network", "ls", "--format", "{{.Name}}").stdout.decode().split()
        assert "keepvol" in d.docker("volume", "ls", "--format", "{{.Name}}").stdout.decode().split()
        assert d.docker("start", "-a", "finished").returncode == 3
        listed = d.docker("ps", "-a", "--filter", "label=k=v", "--format", "{{.Names}}").stdout.decode().split()
        assert listed == ["finished"]
    finally:
        d.stop()


def test_second_daemon_on_same_data_root_is_refused(tmp_path):
    first = Daemon(tmp_path / "a").start()
    try:
        second = Daemon(tmp_path / "b")
        second.extra_args = []
        second.workdir.mkdir()
        import subprocess

        from daemon import sockerless_command

        result = subprocess.run([*sockerless_command(), "serve", "-H", f"unix://{tmp_path}/b/s.sock",
                                 "--data-root", str(first.data_root)], capture_output=True, timeout=30)
        assert result.returncode != 0
        assert b"in use by another sockerless daemon" in result.stderr
    finally:
        first.stop()


def test_clean_shutdown_records_exits(tmp_path):
    d = Daemon(tmp_path / "clean").start()
    try:
        d.docker("pull", "alpine", check=True)
        d.docker("run", "-d", "--name", "sleeper", "alpine", "sleep", "300", check=True)
        d.stop()  # SIGTERM: a clean shutdown
        d.start()
        state = _inspect(d, "sleeper")["State"]
        assert state["Status"] == "exited"
        assert state["ExitCode"] == 137
        assert state["Error"] == ""
    finally:
        d.stop()
