"""A daemon SIGKILL and restart: every container stays visible and controllable, orphans are deleted."""

from __future__ import annotations

import time

from lambda_support import container_id, function_names, function_of, wait_for

ORPHAN_CONTAINER = "f" * 64


def test_kill_9_and_restart_keeps_containers_and_deletes_orphans(lambdad, aws_sim):
    d = lambdad
    d.docker("run", "-d", "--name", "r-long", "alpine", "sh", "-c",
             "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done", check=True)
    d.docker("run", "-d", "--name", "r-short", "alpine", "sh", "-c", "sleep 1.5; exit 5", check=True)
    d.docker("create", "--name", "r-created", "alpine", "sh", "-c", "echo created-ran", check=True)
    d.docker("run", "--name", "r-exited", "alpine", "sh", "-c", "exit 3")
    d.docker("exec", "r-long", "sh", "-c", "echo before-restart > state.txt", check=True)
    instance = (d.data_root / "backends" / "lambda" / "instance-id").read_text().strip()
    lam = aws_sim.client("lambda")
    role = lam.get_function_configuration(FunctionName=function_of(d, "r-long"))["Role"]

    d.kill()
    stray_root = d.data_root / "backends" / "lambda" / "roots" / ORPHAN_CONTAINER
    stray_root.mkdir(parents=True)
    orphan = "sockerless-" + ORPHAN_CONTAINER[:32]
    lam.create_function(FunctionName=orphan, PackageType="Image", Code={"ImageUri": "alpine"}, Role=role,
                        Tags={"sockerless:managed": "1", "sockerless:daemon": instance,
                              "sockerless:container": ORPHAN_CONTAINER})
    foreign = "sockerless-" + "e" * 32
    lam.create_function(FunctionName=foreign, PackageType="Image", Code={"ImageUri": "alpine"}, Role=role,
                        Tags={"sockerless:managed": "1", "sockerless:daemon": "another-daemon"})
    d.start()
    try:
        names = function_names(aws_sim)
        assert orphan not in names  # this daemon's, unknown to it: deleted
        assert foreign in names  # another daemon's: left alone
        assert not stray_root.exists()  # and the host directory of a container the daemon does not have
        listed = d.docker("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.decode().split("\n")
        assert {"r-long running", "r-created created", "r-exited exited"} <= set(listed)
        # the running invocation is followed again: its agent dialled back, so exec and cp work
        assert d.docker("exec", "r-long", "cat", "state.txt").stdout == b"before-restart\n"
        # the short one ended while the daemon was down; its lingering agent still delivered the exit code
        assert d.docker("wait", "r-short", timeout=60).stdout.strip() == b"5"
        assert wait_for(lambda: b"tick-" in d.docker("logs", "--tail", "1", "r-long").stdout)
        began = time.monotonic()
        assert d.docker("stop", "-t", "1", "r-long").returncode == 0
        assert time.monotonic() - began < 15
        assert d.docker("inspect", "-f", "{{.State.ExitCode}}", "r-long").stdout.strip() == b"143"
        started = d.docker("start", "-a", "r-created")
        assert (started.returncode, started.stdout) == (0, b"created-ran\n")
        ids = [container_id(d, n) for n in ("r-long", "r-short", "r-created", "r-exited")]
        d.docker("rm", "r-long", "r-short", "r-created", "r-exited", check=True)
        assert not set(names_of(ids)) & set(function_names(aws_sim))
    finally:
        lam.delete_function(FunctionName=foreign)


def names_of(ids: list[str]) -> list[str]:
    return ["sockerless-" + cid[:32] for cid in ids]
