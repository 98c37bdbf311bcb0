"""Simulator mode without any reachable registry: images are this host's static busybox (said in the pull)."""

from __future__ import annotations

from awssim import check_offline_builtin_run
from daemon import Daemon


def test_offline_run_uses_the_builtin_busybox(tmp_path, aws_sim):
    d = Daemon(tmp_path / "offline", backend="lambda", extra_args=["--endpoint-url", aws_sim.endpoint]).start()
    try:
        check_offline_builtin_run(d, "lambda")
    finally:
        d.remove_all_containers()
        d.stop()
